"""Chaos: a fleet over DDS whose coordinator and robots are SIGKILLed and restarted while it trains.

A seeded schedule kills the coordinator twice (restarted with ``--resume``) and robots three times
(restarted with ``--resume`` and ``robots.persist_memory``), each after a random pause. The run must
do all its rounds, every node that ends must hold the coordinator's model bit for bit, the final
accuracy must be within noise of the same seed undisturbed, and no node may record a round twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from fleet_testing import digits_config, read_rows, write_config

from fleetlearn.metrics_files import metrics_path, node_rows

ROBOTS = 4
ROUNDS = 30
NODE = [sys.executable, "-m", "fleetlearn.cli"]


def start(role: str, path: Path, run_dir: Path, name: str | None = None, resume: bool = False) -> subprocess.Popen:
    cmd = [*NODE, role, str(path), "--run-dir", str(run_dir)]
    cmd += ["--name", name] if name else []
    cmd += ["--resume"] if resume else []
    return subprocess.Popen(cmd, env={**os.environ, "PYTHONFAULTHANDLER": "1"})


def coordinator_round(run_dir: Path) -> int:
    rows = node_rows(metrics_path(run_dir, "coordinator"))
    return sum(1 for r in rows if r["event"] == "round")


def wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def run_fleet(tmp: Path, domain_id: int, chaos: random.Random | None) -> tuple[Path, dict[str, int]]:
    config = digits_config(transport={"name": "dds", "domain_id": domain_id},
                           run={"rounds": ROUNDS, "eval_every": 10, "checkpoint_every": 3},
                           robots={"count": ROBOTS, "step_time_s": 0.05, "persist_memory": True},
                           round={"deadline_s": 5.0, "robot_timeout_s": 3.0, "min_robots": 1})
    tmp.mkdir()
    path = write_config(config, tmp / "config.yaml")
    run_dir = tmp / "run"
    nodes = {f"robot_{i}": start("robot", path, run_dir, f"robot_{i}") for i in range(ROBOTS)}
    nodes["coordinator"] = start("coordinator", path, run_dir)
    faults = {"coordinator_kills": 0, "robot_kills": 0}
    try:
        if chaos is not None:
            plan = sorted([(r, "coordinator") for r in chaos.sample(range(4, 22), 2)]
                          + [(r, f"robot_{chaos.randrange(ROBOTS)}") for r in chaos.sample(range(3, 24), 3)])
            for at_round, victim in plan:
                wait_until(lambda r=at_round: coordinator_round(run_dir) >= r, 120, f"round {at_round}")
                nodes[victim].send_signal(signal.SIGKILL)
                nodes[victim].wait(timeout=10)
                time.sleep(chaos.uniform(0.3, 2.0))
                if victim == "coordinator":
                    nodes[victim] = start("coordinator", path, run_dir, resume=True)
                    faults["coordinator_kills"] += 1
                else:
                    nodes[victim] = start("robot", path, run_dir, victim, resume=True)
                    faults["robot_kills"] += 1
        assert nodes["coordinator"].wait(timeout=300) == 0
        for name, proc in nodes.items():
            assert proc.wait(timeout=60) == 0, f"{name} failed"
    finally:
        for proc in nodes.values():
            if proc.poll() is None:
                proc.kill()
    return run_dir, faults


def final_accuracy(run_dir: Path) -> float:
    return [r for r in read_rows(run_dir, "coordinator") if r["event"] == "eval"][-1]["accuracy"]


def test_a_fleet_whose_nodes_are_killed_and_restarted_finishes_in_step(tmp_path, domain_id) -> None:
    calm, _ = run_fleet(tmp_path / "calm", domain_id, None)
    run_dir, faults = run_fleet(tmp_path / "chaos", domain_id, random.Random(7))
    assert faults == {"coordinator_kills": 2, "robot_kills": 3}
    coordinator = node_rows(metrics_path(run_dir, "coordinator"))
    finish = [r for r in coordinator if r["event"] == "finish"]
    assert len(finish) == 1 and finish[0]["reason"] == "done" and finish[0]["rounds_done"] == ROUNDS
    resumes = [r for r in coordinator if r["event"] == "resume"]
    assert [r["incarnation"] for r in resumes] == [1, 2]
    for node in ["coordinator", *(f"robot_{i}" for i in range(ROBOTS))]:
        rows = node_rows(metrics_path(run_dir, node))
        rounds = [r["round"] for r in rows if r["event"] == "round"]
        assert len(rounds) == len(set(rounds)), f"{node} recorded a round twice"
        if node != "coordinator":
            assert rows[-1]["event"] == "finish", f"{node} did not finish"
            assert rows[-1]["model_crc32"] == finish[0]["model_crc32"], f"{node} is not on the coordinator's model"
    lost = sum(r["rounds_lost"] for r in resumes)
    print(f"chaos: coordinator SIGKILLed {faults['coordinator_kills']}x, robots {faults['robot_kills']}x; "
          f"{lost} rounds redone; final accuracy {final_accuracy(run_dir):.3f} vs {final_accuracy(calm):.3f} calm")
    assert lost <= 2 * 3  # at most the rounds since each checkpoint
    assert abs(final_accuracy(run_dir) - final_accuracy(calm)) < 0.05
