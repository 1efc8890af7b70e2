"""The launch files under `ros2 launch`'s rules, the package layout, and the rqt perspective.

`launch` and `launch_ros` have no wheels here, so each launch file is imported against a small
stand-in of the API it uses, with the real keyword signatures, and run as `ros2 launch` runs it:
declared arguments take their defaults unless given as name:=value, choices are enforced, then
the opaque function makes the Node actions. On a ROS install, src/fleetlearn_ros/test runs the
launch files with the real API (colcon test).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from install_testing import setup_arguments

from fleetlearn_ros import launch_plan
from fleetlearn_ros.launch_plan import NodePlan
from fleetlearn_ros.parameters import node_parameters, ros_type_of

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO / "src" / "fleetlearn_ros"
LAUNCH_FILES = {  # launch file -> its plan, its arguments, its default parameter file
    "fleet.launch.py": (launch_plan.fleet_plan, launch_plan.FLEET_ARGUMENTS, "fleet_params.yaml"),
    "gossip.launch.py": (launch_plan.gossip_plan, launch_plan.GOSSIP_ARGUMENTS, "gossip_params.yaml"),
    "robot.launch.py": (launch_plan.robot_plan, launch_plan.ROBOT_ARGUMENTS, "fleet_params.yaml"),
}
ROLES = {"coordinator_node": "coordinator", "robot_node": "robot", "peer_node": "peer"}


# -- a stand-in for the parts of launch / launch_ros the launch files use -------------------
class LaunchDescription:
    def __init__(self, initial_entities: list | None = None) -> None:
        self.entities = list(initial_entities or [])


class DeclareLaunchArgument:
    def __init__(self, name: str, *, default_value: Any = None, description: str | None = None,
                 choices: list[str] | None = None, **kwargs: Any) -> None:
        assert choices is None or (isinstance(choices, list) and choices), "choices: a non-empty list or None"
        self.name, self.default_value, self.description, self.choices = name, default_value, description, choices


class OpaqueFunction:
    def __init__(self, *, function: Any, args: list | None = None, kwargs: dict | None = None, **rest: Any) -> None:
        self.function, self.args, self.kwargs = function, args or [], kwargs or {}


class Shutdown:
    def __init__(self, *, reason: str = "reason not given", **kwargs: Any) -> None:
        self.reason = reason


class LaunchConfiguration:
    def __init__(self, variable_name: str, *, default: Any = None) -> None:
        self.variable_name = variable_name

    def perform(self, context: Any) -> str:
        return context.launch_configurations[self.variable_name]


class FindPackageShare:
    def __init__(self, package: str) -> None:
        self.package = package

    def perform(self, context: Any) -> str:
        return str(context.shares[self.package])


class PathJoinSubstitution:
    def __init__(self, substitutions: list) -> None:
        self.substitutions = substitutions

    def perform(self, context: Any) -> str:
        return os.path.join(*(s if isinstance(s, str) else s.perform(context) for s in self.substitutions))


EXECUTE_PROCESS_KEYWORDS = {  # launch.actions.ExecuteProcess (and ExecuteLocal) keyword arguments
    "cmd", "prefix", "name", "cwd", "env", "additional_env", "shell", "sigterm_timeout", "sigkill_timeout",
    "emulate_tty", "output", "output_format", "cached_output", "log_cmd", "on_exit", "respawn", "respawn_delay",
    "respawn_max_retries", "condition"}


class Node:
    def __init__(self, *, executable: str, package: str | None = None, name: str | None = None,
                 namespace: str | None = None, exec_name: str | None = None, parameters: list | None = None,
                 remappings: list | None = None, ros_arguments: list | None = None, arguments: list | None = None,
                 **kwargs: Any) -> None:
        unknown = set(kwargs) - EXECUTE_PROCESS_KEYWORDS
        assert not unknown, f"launch_ros Node takes no {unknown}"
        self.executable, self.package, self.name, self.namespace = executable, package, name, namespace
        self.parameters, self.kwargs = parameters, kwargs


STUBS = {
    "launch": {"LaunchDescription": LaunchDescription},
    "launch.actions": {"DeclareLaunchArgument": DeclareLaunchArgument, "OpaqueFunction": OpaqueFunction,
                       "Shutdown": Shutdown},
    "launch.substitutions": {"LaunchConfiguration": LaunchConfiguration,
                             "PathJoinSubstitution": PathJoinSubstitution},
    "launch_ros": {},
    "launch_ros.actions": {"Node": Node},
    "launch_ros.substitutions": {"FindPackageShare": FindPackageShare},
}


@pytest.fixture
def launch_api(monkeypatch) -> None:
    try:  # (the workspace's launch/ folder is an importable namespace package: look for the API itself)
        real = importlib.util.find_spec("launch.actions") is not None
    except ModuleNotFoundError:
        real = False
    if real:
        pytest.skip("the real launch API is installed: src/fleetlearn_ros/test runs the launch files with it")
    for name, members in STUBS.items():
        module = types.ModuleType(name)
        module.__dict__.update(members)
        monkeypatch.setitem(sys.modules, name, module)


def ros2_launch(launch_file: str, arguments: dict[str, str]) -> tuple[list[DeclareLaunchArgument], list[Node]]:
    """What `ros2 launch fleetlearn_ros <launch_file> name:=value ...` declares and starts."""
    spec = importlib.util.spec_from_file_location(launch_file.replace(".", "_"), REPO / "launch" / launch_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = types.SimpleNamespace(launch_configurations=dict(arguments), shares={"fleetlearn_ros": PACKAGE_DIR})
    declared, started = [], []
    for entity in module.generate_launch_description().entities:
        if isinstance(entity, DeclareLaunchArgument):
            declared.append(entity)
            if entity.name not in context.launch_configurations:
                default = entity.default_value
                context.launch_configurations[entity.name] = default if isinstance(default, str) else \
                    default.perform(context)
            value = context.launch_configurations[entity.name]
            if entity.choices is not None and value not in entity.choices:
                raise RuntimeError(f'Argument "{entity.name}" provided value "{value}" is not valid')
        elif isinstance(entity, OpaqueFunction):
            started += entity.function(context, *entity.args, **entity.kwargs)
    return declared, started


def without_run_name(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parameters.items() if k != "run.name"}  # stamped with the launch time


SAMPLE_ARGUMENTS = {
    "fleet.launch.py": {"num_robots": "2", "keep_ratio": "1", "cap_bps": "inf", "domain_id": "7"},
    "gossip.launch.py": {"num_robots": "4", "topology": "edges", "edges": "[[robot_0, robot_1]]"},
    "robot.launch.py": {"robot_id": "robot_2", "mode": "gossip", "data_path": "/data", "use_sim_time": "true"},
}


@pytest.mark.parametrize("launch_file", sorted(LAUNCH_FILES))
@pytest.mark.parametrize("given", ["defaults", "sample"])
def test_the_launch_file_starts_its_plan(launch_api, launch_file, given) -> None:
    plan, arguments, params_file = LAUNCH_FILES[launch_file]
    cli = {} if given == "defaults" else SAMPLE_ARGUMENTS[launch_file]
    declared, started = ros2_launch(launch_file, cli)

    assert [a.name for a in declared] == [launch_plan.PARAMS_FILE, *(a.name for a in arguments)]
    assert all(a.description for a in declared)
    expected: list[NodePlan] = plan(cli)
    assert [(n.executable, n.name, n.namespace) for n in started] == \
        [(p.executable, p.name, p.namespace) for p in expected]
    for node, want in zip(started, expected, strict=True):
        assert node.package == "fleetlearn_ros"
        path, overrides = node.parameters
        assert Path(path) == PACKAGE_DIR / "config" / params_file and Path(path).is_file()
        assert without_run_name(overrides) == without_run_name(want.parameters)
        assert overrides["run.name"].startswith(launch_file.split(".")[0] + "-")
        assert node.kwargs["additional_env"] == want.environment
        assert isinstance(node.kwargs["on_exit"], Shutdown) == want.ends_launch


def test_arguments_become_typed_parameters_the_nodes_declare() -> None:
    coordinator, robot_0, robot_1 = launch_plan.fleet_plan(SAMPLE_ARGUMENTS["fleet.launch.py"])
    assert without_run_name(robot_0.parameters) == {"robots.count": 2, "algorithm.keep_ratio": 1.0,
                                                    "link.cap_bps": float("inf"), "use_sim_time": False}
    assert robot_0.environment == {"ROS_DOMAIN_ID": "7", "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    assert (robot_1.namespace, coordinator.ends_launch, robot_1.ends_launch) == ("/robot_1", True, False)
    all_set = {a.name: "1" for a in launch_plan.GOSSIP_ARGUMENTS if a.parameter}
    all_set.update(algorithm="choco", topology="ring", edges="[]", run_name="r", use_sim_time="false", resume="true")
    for plan in (*launch_plan.fleet_plan(all_set), *launch_plan.gossip_plan(all_set),
                 *launch_plan.robot_plan(SAMPLE_ARGUMENTS["robot.launch.py"])):
        declared = {spec.name: spec.type for spec in node_parameters(ROLES[plan.executable])}
        declared["use_sim_time"] = "BOOL"
        for name, value in plan.parameters.items():
            assert declared.get(name) == ros_type_of(value), f"{plan.executable}: {name}={value!r}"


@pytest.mark.parametrize(("plan", "arguments", "message"), [
    (launch_plan.fleet_plan, {"num_robots": "three"}, "launch argument num_robots:='three'"),
    (launch_plan.fleet_plan, {"num_robots": "0"}, "launch argument num_robots:=0: must be in [1, 64]"),
    (launch_plan.fleet_plan, {"keep_ratio": "a lot"}, "launch argument keep_ratio:='a lot'"),
    (launch_plan.fleet_plan, {"use_sim_time": "yes"}, "launch argument use_sim_time:='yes': must be true or false"),
    (launch_plan.fleet_plan, {"resume": "true"}, "launch argument resume:=true: name the run to continue"),
    (launch_plan.gossip_plan, {"domain_id": "300"}, "launch argument domain_id:='300': must be in [0, 232]"),
    (launch_plan.robot_plan, {"discovery_range": "LAN"}, "launch argument discovery_range:='LAN': must be one of"),
])
def test_a_bad_argument_fails_the_launch_naming_it(plan, arguments, message) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace("(", r"\(")):
        plan(arguments)


def test_ros2_launch_rejects_a_value_outside_the_choices(launch_api) -> None:
    with pytest.raises(RuntimeError, match="mode"):
        ros2_launch("robot.launch.py", {"mode": "solo"})


def test_the_package_installs_its_nodes_launch_files_and_parameter_files(monkeypatch) -> None:
    setup = setup_arguments(PACKAGE_DIR, monkeypatch)
    scripts = dict(line.replace(" ", "").split("=") for line in setup["entry_points"]["console_scripts"])
    assert set(scripts) == set(ROLES)
    for target in scripts.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), target
    data = dict(setup["data_files"])
    assert sorted(Path(p).name for p in data["share/fleetlearn_ros/launch"]) == sorted(LAUNCH_FILES)
    assert sorted(p.name for p in (REPO / "launch").glob("*.launch.py")) == sorted(LAUNCH_FILES)
    installed_config = {Path(p).name for p in data["share/fleetlearn_ros/config"]}
    assert {"fleet_params.yaml", "gossip_params.yaml", "fleet_smoke_params.yaml", "compose_params.yaml",
            "cyclonedds_loopback.xml", "fleetlearn.perspective"} <= installed_config
    for files in data.values():
        assert all((PACKAGE_DIR / f).is_file() for f in files), files
    assert (PACKAGE_DIR / "launch").resolve() == REPO / "launch"
    assert (PACKAGE_DIR / "config").resolve() == REPO / "config"


def test_launch_files_name_only_what_exists() -> None:
    """Whatever a launch file names literally: the package, its plan module's names, parameter files."""
    names = set(dir(launch_plan))
    for launch_file in LAUNCH_FILES:
        tree = ast.parse((REPO / "launch" / launch_file).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "fleetlearn_ros.launch_plan":
                assert {alias.name for alias in node.names} <= names
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".yaml"):
                assert (REPO / "config" / node.value).is_file(), node.value


def test_the_rqt_perspective_plots_metrics_of_every_robot() -> None:
    perspective = json.loads((REPO / "config" / "fleetlearn.perspective").read_text())
    manager = perspective["groups"]["pluginmanager"]
    running = ast.literal_eval(manager["keys"]["running-plugins"]["repr"])
    assert running == {"rqt_plot/Plot": [1, 2, 3, 4], "rqt_runtime_monitor/RuntimeMonitor": [1]}
    metrics_fields = {line.split()[1] for line in (REPO / "src" / "fleetlearn_msgs" / "msg" / "Metrics.msg")
                      .read_text().splitlines() if line and not line.startswith("#")}
    plotted: dict[str, set[str]] = {}
    for serial in running["rqt_plot/Plot"]:
        settings = manager["groups"][f"plugin__rqt_plot__Plot__{serial}"]["groups"]["plugin"]["keys"]
        values = {key: ast.literal_eval(value["repr"]) for key, value in settings.items()}
        assert values["autoscroll"] is True and len(values["x_limits"]) == len(values["y_limits"]) == 2
        for topic in values["topics"]:
            _, node, name, field = topic.split("/")
            assert name == "metrics" and field in metrics_fields, topic
            plotted.setdefault(field, set()).add(node)
    robots = {f"robot_{i}" for i in range(int(launch_plan.NUM_ROBOTS.default))}
    assert {field for field, nodes in plotted.items() if robots <= nodes} == {"loss", "k", "throughput_bps"}
    assert "coordinator" in plotted["map50"]
