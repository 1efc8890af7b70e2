"""Node processes inside their namespaces: ``ip netns exec NS python -m fleetlearn.cli coordinator|robot``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..stopping import die_with_parent
from ..transport.dds_config import cyclone_config
from .network import INTERFACE
from .plan import COORDINATOR

MAX_PARTICIPANTS = 4  # one participant per namespace; a few spare indices for a restarting node


@dataclass
class NodeProcess:
    name: str
    proc: subprocess.Popen

    @property
    def running(self) -> bool:
        return self.proc.poll() is None


def node_env(peers: list[str], torch_threads: int) -> dict[str, str]:
    """Cyclone on the node's veth only, unicast discovery to every node's address, loopback unused."""
    return {**os.environ, "CYCLONEDDS_URI": cyclone_config(INTERFACE, tuple(peers), MAX_PARTICIPANTS),
            "OMP_NUM_THREADS": str(torch_threads)}


def start_node(name: str, namespace: str, config_path: Path, run_dir: Path, env: dict[str, str]) -> NodeProcess:
    role = "coordinator" if name == COORDINATOR else "robot"
    cmd = ["ip", "netns", "exec", namespace, sys.executable, "-m", "fleetlearn.cli", role, str(config_path),
           "--run-dir", str(run_dir)]
    if role == "robot":
        cmd += ["--name", name]
    # netsim killed (even by SIGKILL) stops every node; the namespaces it made then stay until `ip netns del`
    return NodeProcess(name, subprocess.Popen(cmd, env=env, preexec_fn=die_with_parent()))


def stop_nodes(nodes: list[NodeProcess], grace_s: float = 10.0) -> None:
    """Ask every running node to finish (SIGINT, as Ctrl-C would), then kill what is left after the grace."""
    for node in nodes:
        if node.running:
            node.proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(n.running for n in nodes):
        time.sleep(0.1)
    for node in nodes:
        if node.running:
            node.proc.kill()
        node.proc.wait()
