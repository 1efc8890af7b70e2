"""The rclpy nodes as separate processes, started with the commands the launch files run.

The fleets use config/fleet_smoke_params.yaml (the digits task) and run in the test's own
directory (run.output_dir is relative) on the test's own DDS domain, on loopback.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from diagnostic_msgs.msg import DiagnosticStatus

from fleetlearn_ros.launch_plan import fleet_plan, gossip_plan

pytestmark = [pytest.mark.ros, pytest.mark.slow]

SMOKE_PARAMS = Path(__file__).resolve().parents[2] / "config" / "fleet_smoke_params.yaml"


def rows(run_dir: Path, node: str) -> list[dict]:
    path = run_dir / "metrics" / f"{node}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def finish_row(run_dir: Path, node: str) -> dict:
    finished = [r for r in rows(run_dir, node) if r["event"] == "finish"]
    assert finished, f"{node} recorded no finish"
    return finished[-1]


def test_coordinator_and_robots_train_to_the_end_over_rclpy(tmp_path, nodes, listen) -> None:
    listener = listen("/coordinator/metrics")
    # Updates over 16 kB, so the robots measure their link's rate (smaller ones only measure latency).
    coordinator_plan, *robot_plans = fleet_plan({"num_robots": "2", "keep_ratio": "0.5", "cap_bps": "2e6",
                                                  "run_name": "fleet"})
    started = time.monotonic()
    # Start barrier: round 1 opens only once both robots joined, so a listener that has discovered the
    # coordinator before the robots start hears the whole run, however loaded the machine.
    nodes.start([coordinator_plan], SMOKE_PARAMS, tmp_path)
    assert listener.wait_for(lambda: listener.publishers("/coordinator/metrics") > 0
                             and listener.publishers("/diagnostics") > 0, 60), nodes.tail("coordinator")
    nodes.start(robot_plans, SMOKE_PARAMS, tmp_path)
    assert nodes.wait("coordinator", 150) == 0, nodes.tail("coordinator")
    for robot in ("robot_0_robot", "robot_1_robot"):
        assert nodes.wait(robot, 30) == 0, nodes.tail(robot)
    elapsed = time.monotonic() - started

    run_dir = tmp_path / "runs" / "fleet"
    coordinator = finish_row(run_dir, "coordinator")
    assert coordinator["round"] == 6 and coordinator["reason"] == "done"
    for robot in ("robot_0", "robot_1"):
        trained = [r for r in rows(run_dir, robot) if r["event"] == "round"]
        assert len(trained) >= 5, f"{robot} took part in {len(trained)} of 6 rounds"
        assert all(r["bytes_sent"] > 0 for r in trained)
        assert all(r["throughput_bps"] is None or r["throughput_bps"] > 0 for r in trained)  # None: not yet measured
    assert sorted(p.name for p in (run_dir / "config").iterdir()) == ["coordinator.yaml", "robot_0.yaml",
                                                                     "robot_1.yaml"]

    # What rqt_plot and rqt_runtime_monitor show: Metrics per round, diagnostics of every node.
    assert listener.wait_for(lambda: "coordinator: rounds" in listener.statuses
                             and listener.statuses["coordinator: rounds"][-1].message.startswith("finished"), 10)
    assert sorted({m.round for m in listener.metrics}) == [1, 2, 3, 4, 5, 6]
    names = set(listener.statuses)
    assert {"coordinator: rounds", "coordinator: robots", "coordinator: messages"} <= names
    final = listener.statuses["coordinator: rounds"][-1]
    assert (final.level, final.message) == (DiagnosticStatus.OK, "finished after 6 rounds")
    # On a loaded machine this listener can discover the short-lived robot processes too late to hear
    # them; what it does hear must be complete and healthy (their content is tested in test_diagnostics).
    robots = {f"{r}: {c}" for r in ("robot_0", "robot_1") for c in ("rounds", "link", "messages")}
    heard = {n for n in names if n.startswith("robot_")}
    assert heard <= robots, heard
    measured = [s for s in listener.statuses.get("robot_0: link", []) if s.message.startswith("measured")]
    assert all(s.level == DiagnosticStatus.OK for s in measured), [s.message for s in measured]
    assert all(s.level == DiagnosticStatus.OK for s in listener.statuses["coordinator: messages"])
    print(f"coordinator + 2 robots, 6 rounds over rclpy: {elapsed:.1f} s")

    for robot in ("robot_0", "robot_1"):
        row = finish_row(run_dir, robot)
        assert row["model_crc32"] == coordinator["model_crc32"], (robot, row, coordinator)
        assert row["model_version"] == coordinator["model_version"]


def test_ctrl_c_stops_coordinator_and_robot_cleanly(tmp_path, nodes) -> None:
    plans = fleet_plan({"num_robots": "1", "rounds": "500", "run_name": "interrupted"})
    procs = nodes.start(plans, SMOKE_PARAMS, tmp_path)
    run_dir = tmp_path / "runs" / "interrupted"
    deadline = time.monotonic() + 120
    while not any(r["event"] == "round" and r["round"] >= 2 for r in rows(run_dir, "coordinator")):
        assert time.monotonic() < deadline, nodes.tail("coordinator")
        time.sleep(0.2)
    for proc in procs.values():  # what ros2 launch does on Ctrl-C
        proc.send_signal(signal.SIGINT)
    assert nodes.wait("coordinator", 30) == 0, nodes.tail("coordinator")
    assert nodes.wait("robot_0_robot", 30) == 0, nodes.tail("robot_0_robot")
    assert finish_row(run_dir, "coordinator")["reason"] == "interrupted"
    assert (run_dir / "model.pt").exists()
    assert finish_row(run_dir, "robot_0")["round"] >= 2


def test_invalid_parameters_stop_the_node_with_one_line_naming_the_parameter(tmp_path, nodes) -> None:
    robot = fleet_plan({"num_robots": "1", "run_name": "invalid"})[1]
    out_of_range, no_namespace = tmp_path / "out_of_range", tmp_path / "no_namespace"
    out_of_range.mkdir()
    no_namespace.mkdir()
    nodes.start([robot], SMOKE_PARAMS, out_of_range, ["-p", "algorithm.keep_ratio:=2.0"])
    nodes.start([dataclasses.replace(robot, namespace="/")], SMOKE_PARAMS, no_namespace)
    expected = {
        "robot_0_robot": "robot_node: invalid parameter algorithm.keep_ratio: must be in (0, 1], got 2.0",
        "robot": "robot_node: invalid parameter robot_id (from the namespace '/'): must be robot_0 "
                 "(robots.count is 1), got ''",
    }
    for key, line in expected.items():
        assert nodes.wait(key, 60) == 2, nodes.tail(key)
        errors = [text for text in nodes.logs[key].read_text().splitlines() if "invalid parameter" in text]
        assert errors == [line], nodes.tail(key)


def signal_until_exit(procs: list[subprocess.Popen], timeout_s: float = 60.0) -> list[int | None]:
    """SIGINT and SIGTERM in turn, every 20 ms, to each node until it exits, as launch and docker signal nodes
    that are already leaving; the exit codes (None: still running after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    for sig in itertools.cycle((signal.SIGINT, signal.SIGTERM)):
        running = [p for p in procs if p.poll() is None]
        if not running or time.monotonic() > deadline:
            return [p.poll() for p in procs]
        for proc in running:
            proc.send_signal(sig)
        time.sleep(0.02)
    raise AssertionError("unreachable")


def test_signals_while_the_nodes_end_leave_their_exit_code_alone(tmp_path, nodes) -> None:
    """What launch does at the end of a run: the coordinator's exit shuts the launch down, and its SIGINT
    (SIGTERM after a while) reaches robots that are already tearing down (which takes seconds)."""
    plans = fleet_plan({"num_robots": "2", "rounds": "3", "run_name": "ending"})
    procs = nodes.start(plans, SMOKE_PARAMS, tmp_path)
    run_dir = tmp_path / "runs" / "ending"
    names = {"coordinator": "coordinator", "robot_0_robot": "robot_0", "robot_1_robot": "robot_1"}
    finished_at: dict[str, float] = {}
    signalled: set[str] = set()
    signals = itertools.cycle((signal.SIGINT, signal.SIGTERM))
    deadline = time.monotonic() + 150
    while any(p.poll() is None for p in procs.values()):
        assert time.monotonic() < deadline, {key: nodes.tail(key) for key in procs}
        for key, node in names.items():
            if key not in finished_at and any(r["event"] == "finish" for r in rows(run_dir, node)):
                finished_at[key] = time.monotonic()
            # past the half second a node gives its last messages: into its teardown
            if key in finished_at and time.monotonic() - finished_at[key] > 0.6 and procs[key].poll() is None:
                procs[key].send_signal(next(signals))
                signalled.add(key)
        time.sleep(0.02)
    assert {key: p.returncode for key, p in procs.items()} == dict.fromkeys(procs, 0), \
        {key: nodes.tail(key) for key in procs}
    assert signalled, "every node had ended before a signal reached it: nothing was tested"
    assert finish_row(run_dir, "coordinator")["reason"] == "done"
    assert [finish_row(run_dir, robot)["round"] for robot in ("robot_0", "robot_1")] == [3, 3]


def test_an_invalid_parameter_exits_2_whatever_signals_arrive_meanwhile(tmp_path, nodes) -> None:
    robot = fleet_plan({"num_robots": "1", "run_name": "invalid"})[1]
    proc = nodes.start([robot], SMOKE_PARAMS, tmp_path, ["-p", "algorithm.keep_ratio:=2.0"])["robot_0_robot"]
    line = "robot_node: invalid parameter algorithm.keep_ratio: must be in (0, 1], got 2.0"
    deadline = time.monotonic() + 60
    while line not in nodes.logs["robot_0_robot"].read_text():  # it failed and now ends
        assert time.monotonic() < deadline and proc.poll() is None, nodes.tail("robot_0_robot")
        time.sleep(0.005)
    assert signal_until_exit([proc]) == [2], nodes.tail("robot_0_robot")


def test_gossip_peers_run_over_rclpy(tmp_path, nodes, listen) -> None:
    listener = listen("/robot_0/metrics")
    plans = gossip_plan({"num_robots": "2", "algorithm": "choco", "keep_ratio": "0.1", "rounds": "5",
                         "run_name": "gossip"})
    nodes.start(plans, SMOKE_PARAMS, tmp_path)
    for peer in ("robot_0_peer", "robot_1_peer"):
        assert nodes.wait(peer, 150) == 0, nodes.tail(peer)
    run_dir = tmp_path / "runs" / "gossip"
    for robot in ("robot_0", "robot_1"):
        mixed = [r for r in rows(run_dir, robot) if r["event"] == "round"]
        assert [r["round"] for r in mixed] == [1, 2, 3, 4, 5]
        assert finish_row(run_dir, robot)["round"] == 5
    assert listener.wait_for(lambda: "robot_0: neighbours" in listener.statuses, 10)
    seen = {m.round for m in listener.metrics}  # the listener may match after round 1 was published
    assert 5 in seen and seen <= {1, 2, 3, 4, 5}, seen
    assert listener.statuses["robot_0: rounds"][-1].message == "finished after 5 rounds"
