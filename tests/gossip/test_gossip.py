"""CHOCO-SGD, AdaGossip and Malcom-PSGD peers on real tasks, codecs and buses."""

from __future__ import annotations

import zlib
from dataclasses import replace

import pytest
import torch
from fleet_testing import digits_config

from fleetlearn.aggregate.gamma import tune_gamma
from fleetlearn.aggregate.gossip import consensus_distance
from fleetlearn.aggregate.topology import ring
from fleetlearn.codec import decode, encode
from fleetlearn.config import robot_names
from fleetlearn.fleet import topics
from fleetlearn.fleet.nodes import make_peer
from fleetlearn.fleet.uplink import make_uplink_compressor
from fleetlearn.msgs import CompressedUpdate
from fleetlearn.transport import InprocNetwork


def gossip_config(name: str, **sections):
    base = {"mode": "gossip", "algorithm": {"name": name, "keep_ratio": 0.1, "gamma": 0.3},
            "robots": {"count": 8, "batch_size": 32},
            "gossip": {"topology": "ring", "round_period_s": 1.0, "deadline_s": 0.5}}
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return digits_config(**base)


def run_peers(config, tmp_path, until_round=None, kill=None):
    network = InprocNetwork()
    peers = [make_peer(network.bus(n), config, n, tmp_path) for n in robot_names(config.robots.count)]
    if kill is not None:
        name, at_round = kill
        victim = next(p for p in peers if p.robot_id == name)
        network.run(until=lambda: victim.mixed >= at_round)
        victim.bus.close()
    network.run(until=lambda: all(p.done or p.bus.closed for p in peers), timeout_s=10_000)
    return peers


# AdaGossip's γ is an absolute step (it divides by the error's RMS), CHOCO's a relative one.
# CHOCO keeps the average exactly (W is symmetric); AdaGossip's per-parameter steps differ
# between robots, so its average moves a little.
@pytest.mark.parametrize(("algorithm", "gamma", "rounds", "drift"),
                         [("choco", 0.3, 150, 1e-6), ("adagossip", 0.001, 400, 0.1)])
def test_pure_gossip_on_a_compressed_ring_reaches_consensus_and_keeps_the_average(
        algorithm, gamma, rounds, drift, tmp_path) -> None:
    config = gossip_config(algorithm, run={"rounds": rounds}, gossip={"train": False, "same_init": False},
                           algorithm={"gamma": gamma})
    network = InprocNetwork()
    peers = [make_peer(network.bus(n), config, n, tmp_path) for n in robot_names(8)]
    start = [p.task.params_flat() for p in peers]
    network.run(until=lambda: all(p.done for p in peers), timeout_s=100_000)
    end = [p.task.params_flat() for p in peers]
    before, after = consensus_distance(start), consensus_distance(end)
    assert after < before / 100, (before, after)
    moved = float(((torch.stack(end).mean(0) - torch.stack(start).mean(0)) ** 2).mean())
    assert moved < drift * before, (moved, before)


def test_choco_fleet_learns_and_bits_are_a_fraction_of_dense(tmp_path) -> None:
    peers = run_peers(gossip_config("choco", run={"rounds": 30}), tmp_path)
    for peer in peers:
        rows = [r for r in peer.recorder.rows if r["event"] == "round"]
        assert len(rows) == 30 and all(r["participants"] == 2 for r in rows)
        assert rows[-1]["loss"] < rows[0]["loss"]
        assert all(r["bytes_sent"] * 3 < r["dense_bytes"] for r in rows)
    assert consensus_distance([p.task.params_flat() for p in peers]) < 1e-3


def test_a_neighbour_dropping_out_does_not_stop_the_others(tmp_path) -> None:
    peers = run_peers(gossip_config("choco", run={"rounds": 20}), tmp_path, kill=("robot_3", 5))
    for peer in peers:
        if peer.robot_id == "robot_3":
            continue
        rows = [r for r in peer.recorder.rows if r["event"] == "round"]
        assert peer.done and len(rows) == 20, peer.robot_id
        if peer.robot_id in ("robot_2", "robot_4"):
            assert rows[-1]["missing"] == ["robot_3"] and rows[-1]["participants"] == 1


def test_bad_residuals_are_rejected_by_reason_and_the_ring_still_agrees(tmp_path) -> None:
    config = gossip_config("choco", run={"rounds": 12})
    network = InprocNetwork()
    peers = {n: make_peer(network.bus(n), config, n, tmp_path) for n in robot_names(8)}
    rogue = network.bus("rogue")
    attacks: dict[str, CompressedUpdate] = {}

    def attack(real: CompressedUpdate) -> None:
        if attacks:
            return
        payload = bytes(real.payload)
        attacks.update({
            "robot_id_mismatch": replace(real, robot_id="robot_5"),
            "wrong_kind": replace(real, kind=CompressedUpdate.KIND_GRADIENT),
            "stale_round": replace(real, round=0),
            "checksum": replace(real, round=real.round + 1, crc32=zlib.crc32(payload) ^ 1),
            "wrong_size": replace(real, round=real.round + 1, num_params=real.num_params + 1),
            "undecodable": replace(real, round=real.round + 1, payload=b"\x00" * 64, crc32=zlib.crc32(b"\x00" * 64)),
        })
        for msg in attacks.values():
            rogue.publish(topics.update_topic("robot_0"), msg)

    rogue.subscribe(topics.update_topic("robot_0"), CompressedUpdate, attack)
    network.run(until=lambda: all(p.done for p in peers.values()), timeout_s=10_000)
    assert len(attacks) == 6
    for neighbour in ("robot_1", "robot_7"):  # robot_0's neighbours on the ring hear every attack
        rejected = peers[neighbour].rejected
        assert all(rejected[reason] >= 1 for reason in attacks), (neighbour, rejected)
    models = [p.task.params_flat() for p in peers.values()]
    assert all(torch.isfinite(m).all() for m in models)
    assert consensus_distance(models) < 1e-3


def test_malcom_message_decodes_to_exactly_the_quantised_residual_and_models_sparsify(tmp_path) -> None:
    config = gossip_config("malcom", run={"rounds": 15}, algorithm={"l1": 0.3, "qsgd_levels": 2},
                           optimizer={"cosine": False})
    compressor = make_uplink_compressor(config.algorithm, seed=1)
    residual = torch.randn(50_000) * torch.rand(50_000).lt(0.3)
    q = compressor.compress(residual)
    assert q.codec == "dither"
    assert torch.equal(decode(encode(q)).to_dense(), q.to_dense())
    peers = run_peers(config, tmp_path)
    assert all(p.recorder.rows[-1]["sparsity"] > 0.05 for p in peers)  # the ℓ1 prox made exact zeros
    assert all(r["loss"] < 2.0 for p in peers for r in p.recorder.rows[-3:-1])


def test_gamma_tuning_prefers_a_moderate_step_on_a_compressed_ring() -> None:
    compressor = make_uplink_compressor(gossip_config("choco").algorithm, seed=0)
    best, scores = tune_gamma(ring(robot_names(8)), compressor.compress, d=4000, rounds=60)
    assert 0.1 <= best <= 0.7
    assert scores[best] < scores[1.0] / 10
