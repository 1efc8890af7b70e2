"""A fleet as one process per node over DDS / rclpy: what each process runs, and the supervisor that starts them."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from ..config import Config, robot_names
from ..stopping import die_with_parent
from ..transport import make_bus
from .coordinator import Coordinator
from .nodes import make_coordinator, make_peer, make_robot
from .observer import score_final_models
from .peer import Peer
from .progress import Progress, watch_metrics
from .robot import Robot

log = logging.getLogger(__name__)


def run_node(config: Config, role: str, run_dir: Path | None, robot_id: str | None = None) -> int:
    """One node in this process (``fleetlearn coordinator`` / ``fleetlearn robot``); Ctrl-C stops it cleanly."""
    torch.set_num_threads(config.run.torch_threads)
    t = config.transport
    name = robot_id or "coordinator"
    bus = make_bus(t.name, name, domain_id=t.domain_id, max_sample_bytes=t.max_sample_bytes)
    node: Coordinator | Robot | Peer
    try:
        if role == "coordinator":
            node = make_coordinator(bus, config, run_dir)
        else:
            node = (make_peer if role == "peer" else make_robot)(bus, config, name, run_dir)
        bus.spin(until=lambda: node.done)
        bus.spin(timeout_s=0.5)  # let the last messages leave
        if isinstance(node, Coordinator) and node.finish_reason != "done":
            return 1  # e.g. no robot joined: say so to whoever started this process
    except KeyboardInterrupt:  # SIGINT, SIGTERM or SIGHUP (fleetlearn.stopping): the rest are ignored
        log.info("%s: interrupted; stopping", name)
        if "node" in locals():
            node.finish(*(("interrupted",) if role == "coordinator" else ()))
            bus.spin(timeout_s=0.3)
        return 130
    finally:
        bus.close()
    return 0


def run_processes(config: Config, run_dir: Path, say: Callable[[str], None] = print) -> int:
    """A coordinator process and one process per robot, over ``config.transport``."""
    base = [sys.executable, "-m", "fleetlearn.cli"]
    config_path = str(run_dir / "config.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": str(config.run.torch_threads)}
    gossip = config.mode == "gossip"
    start = die_with_parent()  # a runner killed even by SIGKILL leaves no node behind
    procs = [] if gossip else [subprocess.Popen([*base, "coordinator", config_path, "--run-dir", str(run_dir)],
                                                env=env, preexec_fn=start)]
    role = "peer" if gossip else "robot"
    procs += [subprocess.Popen([*base, role, config_path, "--name", name, "--run-dir", str(run_dir)], env=env,
                               preexec_fn=start)
              for name in robot_names(config.robots.count)]
    watcher = make_bus(config.transport.name, "progress", domain_id=config.transport.domain_id)
    watch_metrics(watcher, config, Progress(config.run.rounds, say))
    try:
        if gossip:
            watcher.spin(until=lambda: all(p.poll() is not None for p in procs))
        else:
            watcher.spin(until=lambda: procs[0].poll() is not None)
            deadline = time.monotonic() + 30
            for proc in procs[1:]:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        say("interrupted: stopping every node ...")
    except subprocess.TimeoutExpired:
        say("some robots did not stop after the coordinator; stopping them")
    finally:
        watcher.close()
        _stop(procs)
    if gossip:
        score_final_models(config, run_dir)
    return max(p.returncode or 0 for p in procs)



def _stop(procs: list[subprocess.Popen], grace_s: float = 20.0) -> None:
    """Ask every node still running to finish (SIGINT; one that got the terminal's Ctrl-C too ignores it),
    then kill any still up after the grace."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace_s
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
