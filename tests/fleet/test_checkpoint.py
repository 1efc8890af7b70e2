"""Coordinator checkpoints and resume: nothing but the round in flight is lost when the coordinator dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from fleet_testing import InprocFleet, assert_in_step, digits_config, read_rows, write_config

from fleetlearn.config import Config, config_from_dict
from fleetlearn.fleet import topics
from fleetlearn.fleet.checkpoint import (
    CheckpointError,
    checkpoint_dir,
    decode_checkpoint,
    encode_checkpoint,
    load_latest,
    write_checkpoint,
)
from fleetlearn.fleet.nodes import make_coordinator
from fleetlearn.fleet.server import params_crc32
from fleetlearn.metrics_files import metrics_path, node_rows
from fleetlearn.msgs import GlobalStep
from fleetlearn.report import check_run
from fleetlearn.run import run_fleet


def test_a_checkpoint_reads_back_and_any_damage_is_detected() -> None:
    state = {"model": {"w": torch.arange(10.0)}, "round_number": 7, "config": {"run": {"rounds": 3}}}
    data = encode_checkpoint(state)
    back = decode_checkpoint(data)
    assert torch.equal(back["model"]["w"], state["model"]["w"]) and back["round_number"] == 7
    flipped = bytearray(data)
    flipped[-5] ^= 0x01
    for damaged, why in ((bytes(flipped), "SHA-256"), (data[:-100], "SHA-256"), (b"junk" + data, "magic")):
        with pytest.raises(CheckpointError, match=why):
            decode_checkpoint(damaged)


def test_the_newest_intact_checkpoint_is_used_and_a_damaged_one_skipped(tmp_path) -> None:
    folder = checkpoint_dir(tmp_path, "coordinator")
    for n in (1, 2, 3, 4):
        write_checkpoint(folder, f"round-{n:08d}", {"round_number": n})
    files = sorted(folder.glob("*.ckpt"))
    assert [f.name for f in files] == [f"round-{n:08d}.ckpt" for n in (2, 3, 4)]  # the newest three stay
    assert not list(folder.glob(".*.tmp"))
    files[-1].write_bytes(files[-1].read_bytes()[:-10])  # cut short: a disk that lied about the fsync
    state, path = load_latest(folder)
    assert state["round_number"] == 3 and path == files[-2]


def resume_config(config: Config) -> Config:
    return config_from_dict({**config.to_dict(), "run": {**config.to_dict()["run"], "resume": True}})


def test_a_resumed_coordinator_goes_on_from_its_last_checkpoint_and_every_node_ends_in_step(tmp_path) -> None:
    config = digits_config(run={"rounds": 20, "checkpoint_every": 5})
    write_config(config, tmp_path / "config.yaml")
    fleet = InprocFleet(config, tmp_path)
    steps: list[tuple[int, int, int]] = []  # (incarnation, round, model version) of every global step
    observer = fleet.network.bus("observer")
    observer.subscribe(topics.STEP, GlobalStep, lambda m: steps.append((m.incarnation, m.round, m.model_version)),
                       topics.STEP_QOS)
    assert fleet.run(until=lambda: fleet.coordinator.rounds_done >= 10)
    at_checkpoint = params_crc32(fleet.coordinator.task.params_flat())
    assert fleet.run(until=lambda: fleet.coordinator.rounds_done >= 13)
    fleet.coordinator.checkpoints.wait()
    fleet.coordinator.bus.close()  # it dies: no finish, no checkpoint of rounds 11-13

    fleet.coordinator = make_coordinator(fleet.network.bus("coordinator"), resume_config(config), tmp_path)
    resumed = fleet.coordinator
    assert (resumed.incarnation, resumed.rounds_done, resumed.version) == (1, 10, 10)
    assert params_crc32(resumed.task.params_flat()) == at_checkpoint
    assert fleet.run()
    assert resumed.rounds_done == 20 and resumed.finish_reason == "done"
    assert_in_step(fleet)

    rounds = [r for _, r, _ in steps]
    assert rounds == sorted(set(rounds)), "a round number was used twice"
    assert [(i, v) for i, _, v in steps] == [(0, v) for v in range(1, 14)] + [(1, v) for v in range(11, 21)]
    rows = node_rows(metrics_path(tmp_path, "coordinator"))
    resume = [r for r in rows if r["event"] == "resume"]
    assert len(resume) == 1 and resume[0]["rounds_lost"] == 3 and resume[0]["model_version"] == 10
    assert len([r for r in rows if r["event"] == "round"]) == 23  # both incarnations' rounds, as they happened
    assert [r for r in rows if r["event"] == "checkpoint"], "checkpoint rows with their sizes and times"
    assert check_run(tmp_path) == []


def test_a_finished_run_resumed_with_more_rounds_goes_on_as_one_run(tmp_path) -> None:
    """``fleetlearn run CONFIG --run-dir R --resume --set run.rounds=N``: new robots join the coordinator's
    checkpoint (by snapshot) and the run directory reads as one run of N rounds."""
    config = digits_config(run={"rounds": 8, "eval_every": 4})
    run_fleet(config, tmp_path, say=lambda _: None)
    longer = config_from_dict({**config.to_dict(), "run": {**config.to_dict()["run"], "rounds": 12, "resume": True}})
    summary = run_fleet(longer, tmp_path, say=lambda _: None)
    assert check_run(tmp_path) == []
    assert (tmp_path / "training.png").exists()  # with the resume marked on its round axes
    rows = node_rows(metrics_path(tmp_path, "coordinator"))
    assert [r["model_version"] for r in rows if r["event"] == "round"] == list(range(1, 13))
    assert [r["event"] for r in rows].count("resume") == 1
    assert len([r for r in node_rows(metrics_path(tmp_path, "robot_0")) if r["event"] == "round"]) == 12
    assert summary["rounds"] == 12


@pytest.mark.parametrize("persist", [True, False])
def test_a_restarted_robot_takes_back_its_memory_only_when_it_persists_it(tmp_path, persist) -> None:
    fleet = InprocFleet(digits_config(run={"rounds": 12, "checkpoint_every": 3}, robots={"persist_memory": persist}),
                        tmp_path)
    robot = fleet.robots["robot_0"]
    assert fleet.run(until=lambda: robot.updates_sent >= 6)
    if persist:
        robot.checkpoints.wait()
    saved = robot.uplink.memory.residual.clone()  # saved after its 6th update, the last before it dies
    robot.bus.close()
    again = fleet.add_robot("robot_0")
    if persist:
        assert torch.equal(again.uplink.memory.residual, saved)
        assert [r["event"] for r in again.recorder.rows] == ["restored"]
    else:
        assert again.uplink.memory.residual is None
    assert fleet.run()
    assert_in_step(fleet)


def test_resume_without_a_checkpoint_says_so(tmp_path) -> None:
    config = resume_config(digits_config())
    fleet_network = InprocFleet(digits_config(run={"rounds": 1}), None).network
    with pytest.raises(FileNotFoundError, match="no intact checkpoint"):
        make_coordinator(fleet_network.bus("coordinator"), config, tmp_path)


def test_a_coordinator_killed_mid_run_resumes_over_dds_and_the_robots_carry_on(tmp_path, domain_id) -> None:
    """SIGKILL (nothing to catch) at a random-ish moment; restarted with --resume, it loses at most the rounds
    since its last checkpoint, and the robots, which never stopped, end on its model bit for bit."""
    config = digits_config(transport={"name": "dds", "domain_id": domain_id}, run={"rounds": 40, "checkpoint_every": 4},
                           robots={"step_time_s": 0.05})
    path = write_config(config, tmp_path / "config.yaml")
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    node = [sys.executable, "-m", "fleetlearn.cli"]
    robots = [subprocess.Popen([*node, "robot", str(path), "--name", f"robot_{i}", "--run-dir", str(run_dir)], env=env)
              for i in range(3)]
    coordinator = subprocess.Popen([*node, "coordinator", str(path), "--run-dir", str(run_dir)], env=env)
    procs = [*robots, coordinator]
    try:
        deadline = time.monotonic() + 120
        while not [r for r in read_rows(run_dir, "coordinator") if r["event"] == "round" and r["round"] >= 10]:
            assert time.monotonic() < deadline, "the fleet did not reach round 10"
            time.sleep(0.05)
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait(timeout=10)
        time.sleep(1.0)  # robots wait for a coordinator that is gone
        coordinator = subprocess.Popen([*node, "coordinator", str(path), "--run-dir", str(run_dir), "--resume"],
                                       env=env)
        procs.append(coordinator)
        assert coordinator.wait(timeout=180) == 0
        for robot in robots:
            assert robot.wait(timeout=60) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    rows = node_rows(metrics_path(run_dir, "coordinator"))
    resume = next(r for r in rows if r["event"] == "resume")
    assert resume["incarnation"] == 1 and resume["rounds_lost"] <= 4
    finish = [r for r in rows if r["event"] == "finish"]
    assert len(finish) == 1 and finish[0]["reason"] == "done" and finish[0]["model_version"] == 40
    for i in range(3):
        robot_finish = [r for r in read_rows(run_dir, f"robot_{i}") if r["event"] == "finish"]
        assert robot_finish[-1]["model_crc32"] == finish[0]["model_crc32"], f"robot_{i} is not on the model"
    rounds = [r["round"] for r in rows if r["event"] == "round"]
    assert len(rounds) == len(set(rounds)), "a round number was used twice"
