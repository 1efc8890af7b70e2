"""The one mapping between ROS parameters and the fleetlearn run ``Config``.

Every field of :class:`fleetlearn.config.Config` is a read-only ROS parameter with the
field's dotted name (``algorithm.keep_ratio``), its type, its default and its description
(the field's own, from ``config.py`` or the algorithm registry), except the few in
:data:`NOT_PARAMETERS`, each for the reason given there. Derived from the dataclasses, so a
new config field, or a new method's option, becomes a parameter without an edit here.

- A field whose default is null is a typed parameter that starts unset; unset means null
  (``optimizer.lr`` unset: the model's own recipe).
- Structured fields (lists, mappings) are YAML text in a string parameter, e.g.
  ``gossip.edges: "[[robot_0, robot_1], [robot_1, robot_2]]"``.

No rclpy here: the nodes, the launch plans and the tests share this module.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from fleetlearn.config import Config, ConfigError, config_from_dict

# ROS parameter types, by rclpy's ``Parameter.Type`` member names.
BOOL, INTEGER, DOUBLE, STRING = "BOOL", "INTEGER", "DOUBLE", "STRING"
_SCALAR_TYPES = {bool: BOOL, int: INTEGER, float: DOUBLE, str: STRING}

NOT_PARAMETERS: dict[str, str] = {
    "mode": "the node decides: coordinator_node and robot_node run ps, peer_node runs gossip",
    "transport.name": "always ros: the node itself is the bus",
    "transport.domain_id": "ROS_DOMAIN_ID chooses the domain, as for every ROS node",
    "robots.overrides": "a per-robot block in the parameter file (/robot_1/**) sets that robot's own values",
    "link.rate_bps": "inproc simulation only; real links are measured",
    "link.latency_s": "inproc simulation only; real links are measured",
    "link.downlink_rate_bps": "inproc simulation only; real links are measured",
    "network": "fleetlearn netsim shapes host network namespaces; in docker, docker/entrypoint.sh shapes the link",
}

ROBOT_ID_DESCRIPTION = "this robot's id, robot_0 .. robot_{robots.count-1}; empty: the node's namespace"
DIAGNOSTICS_PERIOD_DESCRIPTION = "seconds between DiagnosticArray messages on /diagnostics"


@dataclass(frozen=True)
class ParamSpec:
    """One declared ROS parameter."""

    name: str
    type: str          # BOOL | INTEGER | DOUBLE | STRING (rclpy Parameter.Type member names)
    default: Any       # None: declared unset (the config's null)
    description: str
    yaml: bool = False  # a STRING holding YAML text (a list or mapping field)


def _walk(cls: type, defaults: Any, prefix: str) -> Iterator[ParamSpec]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        name = prefix + f.name
        if name in NOT_PARAMETERS:
            continue
        hint, default = hints[f.name], getattr(defaults, f.name)
        if dataclasses.is_dataclass(hint):
            yield from _walk(hint, default, name + ".")
            continue
        description = f.metadata.get("doc", "")
        ros_type = _SCALAR_TYPES.get(_without_none(hint))
        if ros_type is None:
            yield ParamSpec(name, STRING, yaml.safe_dump(default, default_flow_style=True).strip(), description, True)
        elif ros_type == DOUBLE and default is not None:
            yield ParamSpec(name, ros_type, float(default), description)  # a float field may default to 1
        else:
            yield ParamSpec(name, ros_type, default, description)


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return options[0] if len(options) == 1 else hint
    return hint


CONFIG_PARAMETERS: tuple[ParamSpec, ...] = tuple(_walk(Config, Config(), ""))


def node_parameters(role: str) -> tuple[ParamSpec, ...]:
    """Every parameter the node of ``role`` (coordinator, robot, peer) declares."""
    extra = [ParamSpec("diagnostics_period_s", DOUBLE, 1.0, DIAGNOSTICS_PERIOD_DESCRIPTION)]
    if role != "coordinator":
        extra.append(ParamSpec("robot_id", STRING, "", ROBOT_ID_DESCRIPTION))
    return (*CONFIG_PARAMETERS, *extra)


def ros_type_of(value: Any) -> str | None:
    """The ROS parameter type a YAML or Python value has (None for arrays and others)."""
    return _SCALAR_TYPES.get(type(value))


def config_from_parameters(values: Mapping[str, Any], mode: str, transport: Mapping[str, Any]) -> Config:
    """The validated run Config from parameter values (None: unset); ConfigError names the parameter."""
    data: dict[str, Any] = {"mode": mode, "transport": dict(transport)}
    for spec in CONFIG_PARAMETERS:
        value = values.get(spec.name)
        if value is None:
            continue
        if spec.yaml:
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError as exc:
                raise ConfigError(f"{spec.name}: not valid YAML: {exc}".replace("\n", " ")) from None
        *sections, field_name = spec.name.split(".")
        node = data
        for section in sections:
            node = node.setdefault(section, {})
        node[field_name] = value
    return config_from_dict(data)
