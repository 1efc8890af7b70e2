"""Every setting is a typed, described ROS parameter; the parameter files validate node by node.

The parameter files are read by rcl itself: each case creates an rclpy node with the command-line
arguments launch_ros would give it, declares the node's parameters on it and builds the Config.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import rclpy
from rclpy.context import Context
from rclpy.node import Node

from fleetlearn import algorithms
from fleetlearn.config import Config, ConfigError
from fleetlearn_ros.fleet_node import declare_parameters
from fleetlearn_ros.launch_plan import NodePlan, fleet_plan, gossip_plan
from fleetlearn_ros.parameters import (
    CONFIG_PARAMETERS,
    NOT_PARAMETERS,
    config_from_parameters,
    node_parameters,
)

pytestmark = pytest.mark.ros

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
ROLES = {"coordinator_node": ("coordinator", "ps"), "robot_node": ("robot", "ps"), "peer_node": ("peer", "gossip")}


def config_fields(cls: type = Config, prefix: str = "") -> Iterator[str]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            yield from config_fields(hints[f.name], f"{prefix}{f.name}.")
        else:
            yield prefix + f.name


def test_every_config_field_is_a_parameter_or_left_out_for_a_reason() -> None:
    names = {spec.name for spec in CONFIG_PARAMETERS}
    for field in config_fields():
        left_out = [key for key in NOT_PARAMETERS if field == key or field.startswith(key + ".")]
        assert (field in names) != bool(left_out), field
    for key in NOT_PARAMETERS:
        assert any(f == key or f.startswith(key + ".") for f in config_fields()), f"{key} is no config field"


def test_every_parameter_has_a_description_of_its_own() -> None:
    """The descriptions are the config fields' own (config.py, each method's options): one source."""
    undescribed = sorted(spec.name for spec in CONFIG_PARAMETERS if not spec.description)
    assert not undescribed, f"config fields without a description: {undescribed}"
    descriptions = [spec.description for spec in CONFIG_PARAMETERS]
    assert len(set(descriptions)) == len(descriptions), "two parameters share one description"
    keep_ratio = next(o for o in algorithms.options() if o.name == "keep_ratio")
    assert {s.name: s.description for s in CONFIG_PARAMETERS}["algorithm.keep_ratio"] == keep_ratio.doc
    for role in ("coordinator", "robot", "peer"):
        assert all(spec.description for spec in node_parameters(role))


def test_the_defaults_are_the_config_defaults() -> None:
    values = {spec.name: spec.default for spec in CONFIG_PARAMETERS}
    config = config_from_parameters(values, "ps", {"name": "ros", "domain_id": 0})
    expected = Config()
    expected.transport.name = "ros"
    assert config.to_dict() == expected.validate().to_dict()  # validation fills the kind's dataset


@contextmanager
def rclpy_node(plan: NodePlan, cli_args: list[str], domain_id: int) -> Iterator[Node]:
    context = Context()
    rclpy.init(context=context, domain_id=domain_id)
    node = Node(plan.name, context=context, cli_args=cli_args, start_parameter_services=False, enable_rosout=False)
    try:
        yield node
    finally:
        node.destroy_node()
        context.try_shutdown()


def node_config(plan: NodePlan, cli_args: list[str], domain_id: int) -> Config:
    role, mode = ROLES[plan.executable]
    with rclpy_node(plan, cli_args, domain_id) as node:
        values = declare_parameters(node, role)
    return config_from_parameters(values, mode, {"name": "ros", "domain_id": domain_id})


CASES = {  # parameter file -> the nodes its launch file starts with it
    "fleet_params.yaml": fleet_plan({}),
    "compose_params.yaml": fleet_plan({}),
    "compose_ci_params.yaml": fleet_plan({}),  # docker/compose.ci.yaml starts the same nodes
    "fleet_smoke_params.yaml": fleet_plan({"num_robots": "2"}) + gossip_plan({"num_robots": "2",
                                                                             "algorithm": "choco"}),
    "gossip_params.yaml": gossip_plan({"num_robots": "4"}),
}


@pytest.mark.parametrize("params_file", sorted(CASES))
def test_each_node_builds_a_valid_config_from_the_parameter_file(params_file, domain_id, tmp_path,
                                                                 launch_command) -> None:
    configs = {}
    for plan in CASES[params_file]:
        cli_args = launch_command(plan, CONFIG_DIR / params_file, tmp_path)[1:]
        configs[plan.full_name] = node_config(plan, cli_args, domain_id)
    if params_file == "fleet_params.yaml":  # the per-robot blocks reach their robot only
        caps = {name: c.link.cap_bps for name, c in configs.items()}
        assert caps == {"/coordinator": 1e6, "/robot_0/robot": 1e6, "/robot_1/robot": 5e5, "/robot_2/robot": 1e6}
        assert configs["/robot_2/robot"].robots.step_time_s == 0.2
        assert configs["/robot_0/robot"].robots.step_time_s == 0.0


def test_every_parameter_file_in_config_is_checked() -> None:
    assert {p.name for p in CONFIG_DIR.glob("*_params.yaml")} == set(CASES)


@pytest.mark.parametrize(("given", "message"), [
    ("algorithm.keep_ratio:=2.0", "algorithm.keep_ratio: must be in (0, 1], got 2.0"),
    ("run.torch_threads:=1.5", "run.torch_threads: must be an integer, got 1.5"),
    ("link.initial_bps:=1000000", "link.initial_bps: must be a double (write 1.0, not 1), got 1000000"),
    ("algorithm.keep_ration:=0.1", "algorithm.keep_ration: not a parameter of robot_node "
                                   "(did you mean algorithm.keep_ratio?)"),
    ('gossip.edges:="[[robot_0, robot_1"', "gossip.edges: not valid YAML"),
    ("task.partition:=random", "task.partition: must be iid, dirichlet, scene, shared or local, got 'random'"),
])
def test_an_invalid_parameter_is_named_in_the_error(given, message, domain_id, tmp_path, launch_command) -> None:
    plan = fleet_plan({})[1]
    cli_args = [*launch_command(plan, CONFIG_DIR / "fleet_params.yaml", tmp_path)[1:], "-p", given]
    with pytest.raises(ConfigError) as error:
        node_config(plan, cli_args, domain_id)
    assert str(error.value).startswith(message)


def test_parameters_are_read_only_and_described_on_the_node(domain_id, tmp_path, launch_command) -> None:
    plan = fleet_plan({})[0]
    cli_args = launch_command(plan, CONFIG_DIR / "fleet_params.yaml", tmp_path)[1:]
    with rclpy_node(plan, cli_args, domain_id) as node:
        declare_parameters(node, "coordinator")
        descriptor = node.describe_parameter("algorithm.keep_ratio")
        spec = next(s for s in CONFIG_PARAMETERS if s.name == "algorithm.keep_ratio")
        assert descriptor.read_only and descriptor.description == spec.description
        assert node.get_parameter("algorithm.keep_ratio").value == 0.01
        assert node.get_parameter_or("optimizer.lr").value is None, "unset: the model's recipe"
        assert not node.set_parameters([rclpy.parameter.Parameter("run.rounds", value=5)])[0].successful
