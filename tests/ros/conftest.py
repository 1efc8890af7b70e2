"""Fixtures of the ROS packaging tests: node processes started as launch_ros starts them, and a listener.

``start_nodes`` runs the plans of :mod:`fleetlearn_ros.launch_plan` with the command lines
launch_ros builds for a ``Node`` action (``<exe> --ros-args -r __node:=N -r __ns:=NS
--params-file FILE --params-file OVERRIDES``, the overrides file keyed by the node's full
name), so these tests start what ``ros2 launch`` starts.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetlearn_ros.launch_plan import NodePlan

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO / "src" / "fleetlearn_ros"


def node_executable(name: str, prefix: Path | None = None) -> Path:
    """Where an install put a console script: lib/fleetlearn_ros (colcon, ros2 run) or bin (pip -e) under
    ``prefix`` (default: this venv)."""
    prefix = Path(sys.prefix) if prefix is None else prefix
    for folder in (prefix / "lib" / "fleetlearn_ros", prefix / "bin"):
        if (folder / name).exists():
            return folder / name
    pytest.fail(f"{name} is not installed under {prefix}: run scripts/setup.sh (pip install -e src/fleetlearn_ros)")


def node_command(plan: NodePlan, params_file: Path, overrides_dir: Path, prefix: Path | None = None) -> list[str]:
    """The command line launch_ros runs for ``Node(..., parameters=[params_file, plan.parameters])``."""
    overrides = overrides_dir / f"launch_params_{plan.full_name.strip('/').replace('/', '_')}.yaml"
    overrides.write_text(yaml.safe_dump({plan.full_name: {"ros__parameters": plan.parameters}}))
    return [str(node_executable(plan.executable, prefix)), "--ros-args", "-r", f"__node:={plan.name}",
            "-r", f"__ns:={plan.namespace}", "--params-file", str(params_file), "--params-file", str(overrides)]


@pytest.fixture
def launch_command() -> Callable[[NodePlan, Path, Path], list[str]]:
    return node_command


class Nodes:
    """Node processes of one test, each logging to <cwd>/<node>.log; whatever still runs is killed at the end."""

    def __init__(self, domain_id: int) -> None:
        self.domain_id = domain_id
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(self, plans: Sequence[NodePlan], params_file: Path, cwd: Path, extra_args: Sequence[str] = (),
              prefix: Path | None = None, env: dict[str, str] | None = None) -> dict[str, subprocess.Popen]:
        """Start the plans' nodes from the install under ``prefix`` (default: this venv) in environment
        ``env`` (default: this process's)."""
        for plan in plans:
            node_env = {**(os.environ if env is None else env), **plan.environment,
                        "ROS_DOMAIN_ID": str(self.domain_id), "PYTHONUNBUFFERED": "1"}
            key = plan.full_name.strip("/").replace("/", "_")
            self.logs[key] = cwd / f"{key}.log"
            with self.logs[key].open("w") as log:
                self.procs[key] = subprocess.Popen([*node_command(plan, params_file, cwd, prefix), *extra_args],
                                                   cwd=cwd, env=node_env, stdout=log, stderr=subprocess.STDOUT)
        return self.procs

    def wait(self, key: str, timeout_s: float) -> int:
        try:
            return self.procs[key].wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{key} still runs after {timeout_s:.0f} s; its log ends:\n{self.tail(key)}")

    def tail(self, key: str, lines: int = 25) -> str:
        return "\n".join(self.logs[key].read_text(errors="replace").splitlines()[-lines:])

    def kill_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def nodes(domain_id: int) -> Iterator[Nodes]:
    started = Nodes(domain_id)
    try:
        yield started
    finally:
        started.kill_all()


class Listener:
    """An rclpy node of the test's own that keeps what arrives on /diagnostics and a Metrics topic."""

    def __init__(self, domain_id: int, metrics_topic: str) -> None:
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile

        from fleetlearn_msgs.msg import Metrics

        self.statuses: dict[str, list[Any]] = {}   # status name -> every DiagnosticStatus received
        self.metrics: list[Any] = []
        self._lock = threading.Lock()
        self._context = Context()
        rclpy.init(context=self._context, domain_id=domain_id)
        self._node = rclpy.create_node("test_listener", context=self._context)
        self._node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, QoSProfile(depth=100))
        self._node.create_subscription(Metrics, metrics_topic, self._on_metrics, QoSProfile(depth=100))
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self._node)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True, name="test-listener")
        self._thread.start()

    def _spin(self) -> None:
        while not self._stop.is_set():
            self._executor.spin_once(timeout_sec=0.1)

    def _on_diagnostics(self, msg: Any) -> None:
        with self._lock:
            for status in msg.status:
                self.statuses.setdefault(status.name, []).append(status)

    def _on_metrics(self, msg: Any) -> None:
        with self._lock:
            self.metrics.append(msg)

    def publishers(self, topic: str) -> int:
        """Writers on ``topic`` this listener's participant has discovered (ROS graph)."""
        return self._node.count_publishers(topic)

    def wait_for(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if condition():
                    return True
            time.sleep(0.1)
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._executor.shutdown(timeout_sec=1.0)
        self._node.destroy_node()
        self._context.try_shutdown()


@pytest.fixture
def listen(domain_id: int) -> Iterator[Callable[[str], Listener]]:
    listeners: list[Listener] = []

    def make(metrics_topic: str) -> Listener:
        listeners.append(Listener(domain_id, metrics_topic))
        return listeners[-1]

    try:
        yield make
    finally:
        for listener in listeners:
            with contextlib.suppress(Exception):
                listener.close()
