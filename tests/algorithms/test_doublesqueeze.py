"""DoubleSqueeze: one bit per entry on both links, error feedback on both sides, nodes in step."""

from __future__ import annotations

import math

import torch
from fleet_testing import InprocFleet, assert_in_step, digits_config

from fleetlearn.codec import HEADER_BYTES, decode
from fleetlearn.fleet import topics
from fleetlearn.msgs import CompressedUpdate, GlobalStep

ONE_BIT_AND_A_SCALE = HEADER_BYTES + 4  # + ceil(d / 8)


def test_both_links_carry_one_bit_per_entry_and_the_fleet_learns(tmp_path) -> None:
    fleet = InprocFleet(digits_config(algorithm={"name": "doublesqueeze"}, run={"rounds": 30}), tmp_path)
    d = fleet.coordinator.d
    updates: list[CompressedUpdate] = []
    steps: list[GlobalStep] = []
    for name in fleet.robots:
        fleet.coordinator.bus.subscribe(topics.update_topic(name), CompressedUpdate, updates.append)
    fleet.coordinator.bus.subscribe(topics.STEP, GlobalStep, steps.append, topics.STEP_QOS)
    assert fleet.run()
    assert len(updates) == 90 and len(steps) == 30
    for message in (*updates, *steps):
        assert len(message.payload) == ONE_BIT_AND_A_SCALE + math.ceil(d / 8)
        assert decode(bytes(message.payload)).codec == "scaled_sign"
    assert {u.kind for u in updates} == {CompressedUpdate.KIND_MODEL_DELTA}
    assert_in_step(fleet)
    losses = [r["loss"] for r in fleet.coordinator.recorder.rows if r["event"] == "round"]
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5]), losses


def test_what_each_sign_drops_waits_in_error_feedback(tmp_path) -> None:
    """The coordinator's step is the scaled sign of (average + its memory); the rest stays in memory."""
    fleet = InprocFleet(digits_config(algorithm={"name": "doublesqueeze"}, run={"rounds": 3}), tmp_path)
    assert fleet.run()
    server = fleet.coordinator.server
    assert server.memory is not None and float(server.memory.residual.abs().sum()) > 0
    for robot in fleet.robots.values():
        assert robot.uplink.memory is not None and float(robot.uplink.memory.residual.abs().sum()) > 0
    x = torch.randn(fleet.coordinator.d)
    step = server.compressor.compress(x).to_dense()
    torch.testing.assert_close(step, x.abs().mean() * x.sign())
