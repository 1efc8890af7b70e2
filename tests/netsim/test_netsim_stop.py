"""SIGTERM or SIGHUP in the middle of a netsim run with random loss: nodes finish, every namespace and rule
goes."""

from __future__ import annotations

import re
import signal
import subprocess

import pytest
from fleet_testing import digits_config, read_rows, write_config

from fleetlearn.netsim.linklog import read_link_log

from .netsim_testing import host_network_state, needs_netns, start_netsim, wait_for_round

pytestmark = needs_netns("ip", "tc", "iptables")


def in_namespace(ns: str, *cmd: str) -> str:
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_stops_the_nodes_and_removes_the_network(tmp_path, signum) -> None:
    config = digits_config(transport={"name": "dds"}, run={"rounds": 500, "eval_every": 0},
                           algorithm={"keep_ratio": 1.0}, link={"cap_bps": None},
                           network={"rate_bps": 20e6, "robots": {"robot_1": {"rate_bps": 3e6, "loss": 0.002}}})
    path = write_config(config, tmp_path / "config.yaml")
    run_dir = tmp_path / "run"
    before = host_network_state()
    proc = start_netsim(path, run_dir)
    try:
        wait_for_round(run_dir, 2, proc)
        prefix = next(e["prefix"] for e in read_link_log(run_dir) if e["event"] == "start")
        robot_ns = f"{prefix}-robot_1"
        assert {f"{prefix}-{n}" for n in ("hub", "coordinator", "robot_0", "robot_1", "robot_2")} <= \
            set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())
        rules = in_namespace(robot_ns, "iptables", "-S")
        drop = re.search(r"-m statistic --mode random --probability ([0-9.]+) -j DROP", rules)
        assert drop and float(drop.group(1)) == pytest.approx(0.002, rel=1e-3)
        assert "rate 3Mbit" in in_namespace(robot_ns, "tc", "qdisc", "show", "dev", "fleet0")
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=60)
    finally:
        stop(proc)
    assert proc.returncode == 130, out
    for node in ("coordinator", "robot_0", "robot_1", "robot_2"):
        finish = [r for r in read_rows(run_dir, node) if r["event"] == "finish"]
        assert finish, f"{node} did not finish cleanly"
    assert finish_reason(run_dir) == "interrupted"
    after = host_network_state()
    assert not [ns for ns in after["netns"] if ns.startswith(prefix)], after["netns"]
    assert after["links"] <= before["links"]
    assert after["iptables"] == before["iptables"]
    assert subprocess.run(["pgrep", "-f", str(run_dir)], capture_output=True).returncode == 1, "nodes outlived the run"
    for name in ("metrics.csv", "netsim_throughput.png", "netsim_summary.json"):
        assert (run_dir / name).exists(), name


def stop(proc: subprocess.Popen) -> None:
    """After a failed check: SIGTERM so netsim still cleans up, SIGKILL only if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def finish_reason(run_dir) -> str:
    return next(r for r in read_rows(run_dir, "coordinator") if r["event"] == "finish")["reason"]
