"""What the launch files start, as plain data: the nodes, their parameters and environment.

``launch/*.launch.py`` hand :data:`FLEET_ARGUMENTS` (and the others) and their plan to
``launch_description.describe``, which declares them and turns the plan for the given argument
values into launch_ros ``Node`` actions; the tests run the same plans as
processes, with the command lines launch_ros builds. Launch arguments arrive as strings: here
they become typed parameter values (``keep_ratio:=1`` is the double 1.0), and a bad one fails
the launch with a message naming the argument. An empty value leaves the setting to the
parameter file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleetlearn.algorithms import names
from fleetlearn.config import robot_names

PACKAGE = "fleetlearn_ros"
DISCOVERY_RANGES = ("OFF", "LOCALHOST", "SUBNET", "SYSTEM_DEFAULT")


def _integer(text: str) -> int:
    return int(text)


def _double(text: str) -> float:
    return float(text)  # "1" is 1.0, "inf" is no cap


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError("must be true or false")
    return text.lower() == "true"


def _domain_id(text: str) -> str:
    if not 0 <= int(text) <= 232:
        raise ValueError("must be in [0, 232]")
    return text


@dataclass(frozen=True)
class Argument:
    """A launch argument and what it sets: a node parameter, an environment variable, or the plan itself."""

    name: str
    default: str
    description: str
    parameter: str | None = None
    environment: str | None = None
    convert: Callable[[str], Any] = str
    choices: tuple[str, ...] | None = None

    def value(self, text: str) -> Any:
        if self.choices is not None and text not in self.choices:
            raise ValueError(f"launch argument {self.name}:={text!r}: must be one of {', '.join(self.choices)}")
        try:
            return self.convert(text)
        except ValueError as exc:
            raise ValueError(f"launch argument {self.name}:={text!r}: {exc}") from None


@dataclass(frozen=True)
class NodePlan:
    """One node to start: ``ros2 run fleetlearn_ros <executable> --ros-args -r __node:=<name> -r __ns:=<ns>``."""

    executable: str
    name: str
    namespace: str                 # absolute: "/" or "/robot_0"
    parameters: dict[str, Any]     # on top of the parameter file
    environment: dict[str, str]
    ends_launch: bool = False      # the launch shuts down when this node exits

    @property
    def full_name(self) -> str:
        return f"{self.namespace.rstrip('/')}/{self.name}"


PARAMS_FILE = "params_file"  # declared by each launch file: its default is a file in the package share

NUM_ROBOTS = Argument("num_robots", "3", "robots to start: robot_0 .. robot_{N-1} (sets robots.count)",
                      "robots.count", convert=_integer)
TRANSPORT = (
    Argument("domain_id", "", "ROS_DOMAIN_ID of the nodes (empty: inherit)", environment="ROS_DOMAIN_ID",
             convert=_domain_id),
    Argument("discovery_range", "LOCALHOST", "ROS_AUTOMATIC_DISCOVERY_RANGE: LOCALHOST keeps DDS on this host",
             environment="ROS_AUTOMATIC_DISCOVERY_RANGE", choices=DISCOVERY_RANGES),
    Argument("rmw_implementation", "", "RMW_IMPLEMENTATION, e.g. rmw_cyclonedds_cpp (empty: inherit)",
             environment="RMW_IMPLEMENTATION"),
    Argument("max_sample_bytes", "", "largest message accepted or sent, bytes (transport.max_sample_bytes)",
             "transport.max_sample_bytes", convert=_integer),
)
TRAINING = (
    Argument("algorithm", "", f"algorithm.name: {', '.join(names('ps'))} (ps); {', '.join(names('gossip'))} "
             "(gossip)", "algorithm.name"),
    Argument("keep_ratio", "", "fraction of entries sent per update (algorithm.keep_ratio)", "algorithm.keep_ratio",
             convert=_double),
    Argument("cap_bps", "", "per-robot uplink budget cap in bit/s, inf: none (link.cap_bps)", "link.cap_bps",
             convert=_double),
    Argument("rounds", "", "training rounds (run.rounds)", "run.rounds", convert=_integer),
    Argument("run_name", "", "results go to <run.output_dir>/<run_name> (empty: <launch>-<date>-<time>, new each "
             "launch)", "run.name"),
    Argument("use_sim_time", "false", "stamp diagnostics with /clock time (the protocol keeps wall-clock deadlines)",
             "use_sim_time", convert=_boolean),
)

RESUME = Argument("resume", "", "true: continue the run named by run_name from its coordinator's last checkpoint "
                  "(run.resume)", "run.resume", convert=_boolean)
FLEET_ARGUMENTS = (NUM_ROBOTS, *TRAINING, RESUME, *TRANSPORT)
GOSSIP_ARGUMENTS = (
    NUM_ROBOTS, *TRAINING,
    Argument("topology", "", "gossip.topology: ring, torus, full, edges or radius", "gossip.topology"),
    Argument("edges", "", "gossip.edges for topology edges, YAML: [[robot_0, robot_1], ...]", "gossip.edges"),
    Argument("radius", "", "gossip.radius for topology radius", "gossip.radius", convert=_double),
    *TRANSPORT,
)
ROBOT_ID = Argument("robot_id", "robot_0", "this robot: its namespace and id (robot_0, robot_1, ...)")
MODE = Argument("mode", "ps", "ps: a robot of a coordinator's fleet; gossip: a peer", choices=("ps", "gossip"))
ROBOT_ARGUMENTS = (
    ROBOT_ID,
    MODE,
    Argument("data_path", "", "this robot's data directory (task.data_root)", "task.data_root"),
    Argument("num_robots", "", "robots in the fleet (robots.count; empty: the parameter file's)", "robots.count",
             convert=_integer),
    *TRAINING,
    *TRANSPORT,
)


def _settings(arguments: Sequence[Argument], values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parameter overrides and environment from the given argument values (empty: not given)."""
    parameters: dict[str, Any] = {}
    environment: dict[str, str] = {}
    for argument in arguments:
        text = values.get(argument.name, argument.default)
        if text == "" or (argument.parameter is None and argument.environment is None):
            continue
        value = argument.value(text)
        if argument.parameter is not None:
            parameters[argument.parameter] = value
        else:
            environment[argument.environment] = value
    return parameters, environment


def _stamped(launch: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """One run directory per launch: every node of this launch writes into the same new one."""
    return {"run.name": f"{launch}-{dt.datetime.now():%Y%m%d-%H%M%S}", **parameters}


def fleet_plan(values: Mapping[str, str]) -> list[NodePlan]:
    """fleet.launch.py: the coordinator (its exit ends the launch) and robot_0 .. robot_{N-1}."""
    parameters, environment = _settings(FLEET_ARGUMENTS, values)
    if parameters.get("run.resume") and "run.name" not in parameters:
        raise ValueError("launch argument resume:=true: name the run to continue with run_name:=NAME")
    parameters = _stamped("fleet", parameters)
    robots = [NodePlan("robot_node", "robot", f"/{robot}", parameters, environment)
              for robot in robot_names(_count(parameters))]
    return [NodePlan("coordinator_node", "coordinator", "/", parameters, environment, ends_launch=True), *robots]


def gossip_plan(values: Mapping[str, str]) -> list[NodePlan]:
    """gossip.launch.py: peers robot_0 .. robot_{N-1}, no coordinator."""
    parameters, environment = _settings(GOSSIP_ARGUMENTS, values)
    parameters = _stamped("gossip", parameters)
    return [NodePlan("peer_node", "peer", f"/{robot}", parameters, environment)
            for robot in robot_names(_count(parameters))]


def robot_plan(values: Mapping[str, str]) -> list[NodePlan]:
    """robot.launch.py: one robot (or gossip peer) on its own machine; its exit ends the launch."""
    parameters, environment = _settings(ROBOT_ARGUMENTS, values)
    parameters = _stamped("robot", parameters)
    robot = ROBOT_ID.value(values.get(ROBOT_ID.name, ROBOT_ID.default))
    gossip = MODE.value(values.get(MODE.name, MODE.default)) == "gossip"
    executable, name = ("peer_node", "peer") if gossip else ("robot_node", "robot")
    return [NodePlan(executable, name, f"/{robot}", parameters, environment, ends_launch=True)]


def _count(parameters: Mapping[str, Any]) -> int:
    count = parameters["robots.count"]
    if not 1 <= count <= 64:
        raise ValueError(f"launch argument {NUM_ROBOTS.name}:={count}: must be in [1, 64]")
    return count
