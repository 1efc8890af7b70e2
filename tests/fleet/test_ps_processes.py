"""Parameter-server fleets as separate processes over real DDS on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fleet_testing import digits_config, read_rows, write_config

from fleetlearn.run import run_fleet


def node_cmd(role: str, config: Path, run_dir: Path, name: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "fleetlearn.cli", role, str(config), "--run-dir", str(run_dir)]
    return cmd + (["--name", name] if name else [])


def wait_for_round(run_dir: Path, n: int, timeout_s: float = 90.0, node: str = "coordinator") -> None:
    """Until ``node`` (the coordinator, or a robot that trains) has a row for round ``n`` or later."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(r.get("event") == "round" and r["round"] >= n for r in read_rows(run_dir, node)):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{node} did not reach round {n} in {timeout_s} s")


def node_env() -> dict[str, str]:
    """The test's environment, with Python's fault handler on: a hung node is sent SIGABRT and prints
    every thread's stack (see ``stop_hung``)."""
    return {**os.environ, "PYTHONFAULTHANDLER": "1"}


def stop_hung(procs: list[subprocess.Popen], group: bool = False) -> None:
    """SIGABRT the processes still running (their stacks go to the test's captured output), then kill."""
    hung = [proc for proc in procs if proc.poll() is None]
    for proc in hung:
        (os.killpg if group else os.kill)(proc.pid, signal.SIGABRT)
    if hung:
        time.sleep(2)
    for proc in hung:
        if proc.poll() is None:
            (os.killpg if group else os.kill)(proc.pid, signal.SIGKILL)


def last_round(run_dir: Path, node: str) -> int:
    return max((r["round"] for r in read_rows(run_dir, node) if r.get("event") == "round"), default=0)


def finish_row(run_dir: Path, node: str) -> dict:
    rows = [r for r in read_rows(run_dir, node) if r["event"] == "finish"]
    assert rows, f"{node} did not finish"
    return rows[-1]


def test_fleet_over_dds_processes_matches_the_inproc_protocol(tmp_path, domain_id) -> None:
    config = digits_config(transport={"name": "dds", "domain_id": domain_id}, run={"rounds": 10})
    summary = run_fleet(config, tmp_path / "run", say=lambda line: None)
    run_dir = Path(summary["run_dir"])
    coordinator = finish_row(run_dir, "coordinator")
    assert coordinator["round"] == 10
    for robot in ("robot_0", "robot_1", "robot_2"):
        row = finish_row(run_dir, robot)
        assert row["model_crc32"] == coordinator["model_crc32"], f"{robot} is not on the coordinator's model"
        rounds = [r for r in read_rows(run_dir, robot) if r["event"] == "round"]
        assert len(rounds) >= 8
        assert all(r["bytes_sent"] <= r["budget_bytes"] for r in rounds)
    assert (run_dir / "metrics.csv").exists() and (run_dir / "training.png").exists()
    assert summary["uplink_bytes"] * 5 < summary["dense_fp32_uplink_bytes"]


def test_killed_robot_is_dropped_and_late_joiner_ends_on_the_same_model(tmp_path, domain_id) -> None:
    """Paced by what happens, not by a round count: a robot process takes seconds to start, rounds
    a fraction of one. The run ends with Ctrl-C at the coordinator once everything was seen."""
    config = digits_config(transport={"name": "dds", "domain_id": domain_id}, run={"rounds": 2000},
                           robots={"step_time_s": 0.15},
                           round={"min_robots": 1, "robot_timeout_s": 2.0, "start_wait_s": 3.0, "deadline_s": 3.0})
    path = write_config(config, tmp_path / "config.yaml")
    run_dir = tmp_path / "run"
    env = node_env()
    procs = {"coordinator": subprocess.Popen(node_cmd("coordinator", path, run_dir), env=env)}
    for name in ("robot_0", "robot_1"):
        procs[name] = subprocess.Popen(node_cmd("robot", path, run_dir, name), env=env)
    try:
        wait_for_round(run_dir, 3)
        procs["robot_2"] = subprocess.Popen(node_cmd("robot", path, run_dir, "robot_2"), env=env)
        wait_for_round(run_dir, 1, node="robot_2")  # joined and trained
        killed_at = last_round(run_dir, "coordinator")
        procs["robot_1"].kill()
        wait_for_round(run_dir, killed_at + 10, node="robot_2")  # training went on without robot_1
        procs["coordinator"].send_signal(signal.SIGINT)
        assert procs["coordinator"].wait(timeout=120) == 130
        for name in ("robot_0", "robot_2"):
            assert procs[name].wait(timeout=30) == 0
    finally:
        stop_hung(list(procs.values()))
    coordinator = finish_row(run_dir, "coordinator")
    assert coordinator["reason"] == "interrupted" and coordinator["round"] >= killed_at + 10
    late = finish_row(run_dir, "robot_2")
    assert late["model_crc32"] == coordinator["model_crc32"]
    assert late["model_version"] == coordinator["model_version"]
    late_rounds = [r["round"] for r in read_rows(run_dir, "robot_2") if r["event"] == "round"]
    assert min(late_rounds) > 3 and max(late_rounds) >= killed_at + 10
    robot_1_rounds = [r["round"] for r in read_rows(run_dir, "robot_1") if r["event"] == "round"]
    assert max(robot_1_rounds) <= killed_at + 1, "robot_1 was killed; it cannot have trained on"


def start_run(tmp_path: Path, domain_id: int, background: bool = False) -> tuple[subprocess.Popen, Path]:
    """``fleetlearn run`` of a long digits fleet over DDS, in its own process group; ``background``: started
    as a script's ``cmd &`` starts it, SIGINT ignored."""
    config = digits_config(transport={"name": "dds", "domain_id": domain_id}, run={"rounds": 500},
                           robots={"step_time_s": 0.1})
    path = write_config(config, tmp_path / "config.yaml")
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "fleetlearn.cli", "run", str(path), "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env=node_env(),
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if background else None)
    return proc, run_dir


def assert_nothing_left(run_dir: Path) -> None:
    leftover = subprocess.run(["pgrep", "-f", str(run_dir)], capture_output=True, text=True).stdout.split()
    assert not leftover, "node processes outlived the run"


@pytest.mark.parametrize(("how", "background"), [
    ("ctrl-c", False),   # the terminal signals the whole process group
    ("SIGTERM", True),   # kill, timeout, systemd, docker stop: the runner only, started by a script
    ("SIGHUP", False),   # the terminal closed
])
def test_every_stop_signal_stops_every_process_and_keeps_results(tmp_path, domain_id, how, background) -> None:
    proc, run_dir = start_run(tmp_path, domain_id, background)
    try:
        wait_for_round(run_dir, 3)
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(getattr(signal, how))
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop_hung([proc], group=True)
        out, _ = proc.communicate()
        raise AssertionError(f"the run did not stop within 60 s of {how}; its output and stacks:\n{out}") from None
    finally:
        stop_hung([proc], group=True)
    assert proc.returncode == 0, out
    assert "run directory" in out
    for name in ("metrics.csv", "training.png", "link.png", "summary.json", "model.pt"):
        assert (run_dir / name).exists(), name
    assert finish_row(run_dir, "coordinator")["reason"] == "interrupted"
    for robot in ("robot_0", "robot_1", "robot_2"):
        finish_row(run_dir, robot)
    assert_nothing_left(run_dir)


def test_nodes_stop_cleanly_when_their_runner_is_killed(tmp_path, domain_id) -> None:
    """SIGKILL cannot be caught: the nodes get the parent-death signal (SIGTERM) and finish on their own."""
    proc, run_dir = start_run(tmp_path, domain_id)
    try:
        wait_for_round(run_dir, 3)
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 60
        while subprocess.run(["pgrep", "-f", str(run_dir)], capture_output=True).returncode == 0:
            assert time.monotonic() < deadline, "node processes outlived their killed runner"
            time.sleep(0.2)
    finally:
        stop_hung([proc], group=True)
    assert finish_row(run_dir, "coordinator")["reason"] == "interrupted"
    assert (run_dir / "model.pt").exists()
    for robot in ("robot_0", "robot_1", "robot_2"):
        finish_row(run_dir, robot)


def test_a_coordinator_that_no_robot_joins_gives_up_with_a_non_zero_exit(tmp_path, domain_id) -> None:
    config = digits_config(transport={"name": "dds", "domain_id": domain_id},
                           round={"start_wait_s": 0.5, "start_timeout_s": 2.0})
    path = write_config(config, tmp_path / "config.yaml")
    proc = subprocess.run(node_cmd("coordinator", path, tmp_path / "run"), env=os.environ.copy(), timeout=120,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "no robot joined" in proc.stderr
    assert finish_row(tmp_path / "run", "coordinator")["reason"] == "no robots"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_node_started_with_sigint_ignored_stops_on_every_stop_signal(tmp_path, domain_id, signum) -> None:
    """``cmd &`` in a script (nohup, CI, services) starts a process with SIGINT ignored; SIGINT is still
    how launch, the supervisor and a user stop a node, SIGTERM how schedulers and ``docker stop`` do."""
    config = digits_config(transport={"name": "dds", "domain_id": domain_id}, round={"start_timeout_s": 120.0})
    path = write_config(config, tmp_path / "config.yaml")
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(node_cmd("coordinator", path, run_dir), env=node_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 60
        while not (run_dir / "metrics" / "coordinator.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)  # its recorder is open; the rest of its set-up (DDS entities) takes milliseconds
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == 130
    finally:
        stop_hung([proc])
    assert finish_row(run_dir, "coordinator")["reason"] == "interrupted"
