"""What the three fleetlearn nodes share: parameters to Config, the RosBus, diagnostics, a clean stop.

A node declares every setting as a read-only typed parameter (:mod:`fleetlearn_ros.parameters`),
builds the validated run Config from them, wraps itself in a ``RosBus`` and runs the same fleet
logic as ``fleetlearn coordinator`` / ``fleetlearn robot``. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops it
cleanly: the fleet object finishes (a coordinator announces the end and saves the model, a robot
says it is leaving), the last messages get a moment to leave, and the exit code is 0. Invalid
parameters end it with one line naming the parameter and exit code 2.

Topic names are absolute (``/fleet/round``, ``/robot_1/update``): in its namespace ``/robot_1`` a
robot's own topics are its relative ones (``update``, ``metrics``, ``link``), so no remapping is
needed; use one namespace level per robot.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import signal
import sys
from abc import ABC, abstractmethod
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import rclpy
import torch
import yaml
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.exceptions import InvalidParameterTypeException
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.signals import SignalHandlerOptions

from fleetlearn.config import ConfigError, robot_names
from fleetlearn.fleet.coordinator import Coordinator
from fleetlearn.transport.ros import RosBus, use_ros_defaults

from .diagnostics import Watch, messages
from .parameters import BOOL, DOUBLE, INTEGER, STRING, config_from_parameters, node_parameters

_TYPE_WORDS = {BOOL: "true or false", INTEGER: "an integer", DOUBLE: "a double (write 1.0, not 1)",
               STRING: "a string"}


class FleetNode(Node, ABC):
    """An rclpy node that runs one fleetlearn role on a RosBus wrapped around itself."""

    role: ClassVar[str]   # coordinator | robot | peer: also the default node name
    mode: ClassVar[str]   # ps | gossip

    def __init__(self) -> None:
        super().__init__(self.role)
        values = declare_parameters(self, self.role)
        self.config = config_from_parameters(values, self.mode,
                                             {"name": "ros", "domain_id": self.context.get_domain_id()})
        self.node_id = self._node_id(values["robot_id"]) if "robot_id" in values else "coordinator"
        period = values["diagnostics_period_s"]
        if not period > 0:
            raise ConfigError(f"diagnostics_period_s: must be > 0, got {period!r}")
        torch.set_num_threads(self.config.run.torch_threads)
        self.run_dir = Path(self.config.run.output_dir) / self.config.run.name
        self._record_config()
        self.bus = RosBus(node=self, max_sample_bytes=self.config.transport.max_sample_bytes)
        self.fleet = self.make_fleet()
        self._rejects = Watch(self.bus.now())
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.bus.call_every(period, self.publish_diagnostics)
        self.get_logger().info(f"{self.node_id}: {self.config.mode} fleet of {self.config.robots.count} robots, "
                               f"{self.config.algorithm.name}; results in {self.run_dir}")

    # -- what each role defines ---------------------------------------------------------
    @abstractmethod
    def make_fleet(self) -> Any:
        """The fleet object (Coordinator, Robot, Peer) on ``self.bus``."""

    @abstractmethod
    def statuses(self, now: float) -> list[DiagnosticStatus]:
        """This node's diagnostics, without the messages status every node has."""

    @abstractmethod
    def rejected(self) -> Counter[str]:
        """Messages dropped so far, by reason (the bus guard's and the fleet object's own checks)."""

    @abstractmethod
    def finish_interrupted(self) -> None:
        """Stop the fleet object cleanly on Ctrl-C or SIGTERM."""

    # -- running ----------------------------------------------------------------------
    def finished(self) -> None:
        """After the fleet work ended by itself: the last diagnostics, and a moment for the last messages to leave."""
        self.publish_diagnostics()
        self.bus.spin(timeout_s=0.5)

    def stop(self) -> None:
        """Stop on a signal: the fleet object finishes cleanly (see ``finish_interrupted``)."""
        self.finish_interrupted()
        self.publish_diagnostics()
        self.bus.spin(timeout_s=0.3)

    def publish_diagnostics(self) -> None:
        now = self.bus.now()
        msg = DiagnosticArray(status=[*self.statuses(now), messages(self.node_id, self.rejected(), self._rejects, now)])
        msg.header.stamp = self.get_clock().now().to_msg()  # sim time under use_sim_time
        self._diagnostics.publish(msg)

    def _node_id(self, robot_id: str) -> str:
        """The robot id: the ``robot_id`` parameter, or else the last part of the node's namespace."""
        names = robot_names(self.config.robots.count)
        chosen = robot_id or self.get_namespace().rsplit("/", 1)[-1]
        if chosen not in names:
            source = "robot_id" if robot_id else f"robot_id (from the namespace {self.get_namespace()!r})"
            allowed = names[0] if len(names) == 1 else f"one of {names[0]} .. {names[-1]}"
            raise ConfigError(f"{source}: must be {allowed} (robots.count is {len(names)}), got {chosen!r}")
        return chosen

    def _record_config(self) -> None:
        path = self.run_dir / "config" / f"{self.node_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.config.to_dict(), sort_keys=False))


def declare_parameters(node: Node, role: str) -> dict[str, Any]:
    """Declare every parameter of ``role`` on ``node``; their values (None: unset) or a ConfigError naming one."""
    specs = node_parameters(role)
    # What --params-file and -p gave this node: rclpy keeps it, without a public accessor.
    given: dict[str, Parameter] = node._parameter_overrides
    values: dict[str, Any] = {}
    for spec in specs:
        default = Parameter.Type[spec.type] if spec.default is None else spec.default  # a type: declared unset
        descriptor = ParameterDescriptor(description=spec.description, read_only=True)
        try:
            values[spec.name] = node.declare_parameter(spec.name, default, descriptor).value
        except InvalidParameterTypeException:
            wrong = given[spec.name].value
            raise ConfigError(f"{spec.name}: must be {_TYPE_WORDS[spec.type]}, got {wrong!r}") from None
    unknown = [name for name in given if not node.has_parameter(name) and not name.startswith("qos_overrides.")]
    if unknown:
        close = difflib.get_close_matches(unknown[0], [spec.name for spec in specs], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"{unknown[0]}: not a parameter of {role}_node{hint}")
    return values


class Signals:
    """SIGINT, SIGTERM and SIGHUP (Ctrl-C, ``docker stop``, launch's shutdown, a closed terminal) for a
    node's whole life.

    While the node starts they interrupt the start (KeyboardInterrupt); once it runs they ask it
    to stop, which its spin loop checks every 50 ms; once it ends the process ignores them to its
    very exit, so that its teardown always finishes and the exit code is the node's own (launch
    signals nodes that are already leaving: killed by it, a node would exit -2).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.running = False      # the node is built: a signal asks it to stop instead of interrupting
        self.stop_requested = False
        for sig in self.SIGNALS:
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        if not self.running:
            self.ignore()         # one interruption
            raise KeyboardInterrupt

    def ignore(self) -> None:
        """Ignore them from now on. SIG_IGN itself, not a Python handler that does nothing: the
        interpreter resets Python handlers to the default (killing) action while it shuts down."""
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


def parse_arguments(node_class: type[FleetNode], args: list[str] | None) -> None:
    """``--help`` prints what the node does and exits 0; any argument outside --ros-args is an error."""
    from rclpy.utilities import remove_ros_args

    name = f"{node_class.role}_node"
    parser = argparse.ArgumentParser(
        prog=name, description=sys.modules[node_class.__module__].__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="ROS arguments go after --ros-args: --params-file FILE, -p name:=value, -r __ns:=/robot_N, ...; "
               "every run setting is a parameter (ros2 param describe; src/fleetlearn_ros/README.md).")
    parser.parse_args(remove_ros_args(sys.argv if args is None else args)[1:])


def run(node_class: type[FleetNode], args: list[str] | None = None) -> int:
    """Run one node until its fleet work is done or it is stopped; the process exit code
    (0, or 2 for invalid parameters), whatever signals arrive while it ends."""
    parse_arguments(node_class, args)
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s] [%(name)s]: %(message)s")
    signals = Signals()
    use_ros_defaults()  # before the first participant
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    node: FleetNode | None = None
    error: Exception | None = None
    try:
        try:
            node = node_class()
            signals.running = True
            node.bus.spin(until=lambda: node.fleet.done or signals.stop_requested)
        except (ConfigError, FileNotFoundError) as exc:  # FileNotFoundError: data the parameters name
            error = exc
    except KeyboardInterrupt:  # a signal while starting (or while the start failed): nothing to finish
        pass
    signals.ignore()
    if error is not None:
        what = "invalid parameter " if isinstance(error, ConfigError) else ""
        print(f"{node_class.role}_node: {what}{error}", file=sys.stderr, flush=True)
    if node is not None:
        if node.fleet.done:
            node.finished()
        else:
            node.stop()
        node.bus.close()
        node.destroy_node()
    rclpy.try_shutdown()
    if error is not None:
        return 2
    fleet = node.fleet if node is not None else None
    gave_up = isinstance(fleet, Coordinator) and fleet.finish_reason not in ("done", "interrupted")
    return 1 if gave_up else 0  # the coordinator gave up (no robot joined): launch and compose should see it
