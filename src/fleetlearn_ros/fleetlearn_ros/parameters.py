"""The one mapping between ROS parameters and the fleetlearn run ``Config``.

Every field of :class:`fleetlearn.config.Config` is a read-only ROS parameter with the
field's dotted name (``algorithm.keep_ratio``), its type, its default and a description,
except the few in :data:`NOT_PARAMETERS`, each for the reason given there. Derived from
the dataclasses, so a new config field becomes a parameter without an edit here.

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

DESCRIPTIONS: dict[str, str] = {
    "run.name": "run name: results go to <run.output_dir>/<run.name>/",
    "run.output_dir": "directory that holds run directories (relative: to the node's working directory)",
    "run.seed": "seed of data partitions, model initialisation and random compressors",
    "run.rounds": "training rounds; the coordinator (or each peer) stops after this many",
    "run.eval_every": "rounds between evaluations of the global model (0: only at the end)",
    "run.torch_threads": "torch threads of this process (several nodes on one machine must not thrash)",
    "transport.max_sample_bytes": "largest message accepted or sent, bytes; larger samples are rejected",
    "robots.count": "robots in the fleet (robot_0 .. robot_{count-1}); partitions the data",
    "robots.batch_size": "local batch size of a robot",
    "robots.step_time_s": "extra compute time per local step, seconds (models a slower robot)",
    "robots.heartbeat_s": "seconds between RobotStatus heartbeats (and coordinator membership checks)",
    "task.kind": "detection or classification",
    "task.model": "model name; unset: fcos_tiny (detection) or small_cnn (classification)",
    "task.dataset": "detection: synthetic or voc; classification: digits, mnist or cifar10",
    "task.data_root": "data directory (a robot's own disk); the synthetic set is generated here on first use",
    "task.voc_year": "PASCAL VOC year under <task.data_root>/VOCdevkit",
    "task.train_split": "VOC image set the robots train on",
    "task.val_split": "VOC image set the coordinator evaluates on",
    "task.image_size": "detection input size, pixels",
    "task.max_val_images": "validation images scored per evaluation (0: all)",
    "task.partition": "split of the training images: iid, dirichlet, scene, shared (every robot draws from all), "
                      "or local (every image of this robot's own task.data_root)",
    "task.alpha": "Dirichlet concentration of the dirichlet partition (small: skewed robots)",
    "task.weights_path": "initial model weights file; unset: train from scratch",
    "task.synthetic.num_train": "synthetic set: training images",
    "task.synthetic.num_val": "synthetic set: validation images",
    "task.synthetic.image_size": "synthetic set: image size, pixels",
    "task.synthetic.seed": "synthetic set: generator seed",
    "optimizer.name": "sgd or adamw, run by each robot (update delta) or the coordinator (gradient); "
                      "unset: the model's recipe",
    "optimizer.lr": "learning rate; unset: the model's recipe",
    "optimizer.momentum": "SGD momentum; unset: the model's recipe",
    "optimizer.weight_decay": "weight decay; unset: the model's recipe",
    "optimizer.warmup_rounds": "rounds of linear LR warm-up; unset: the model's recipe",
    "optimizer.cosine": "cosine decay of the learning rate over run.rounds",
    "algorithm.name": "dense, topk, randomk, threshold, qsgd, fp16, bf16, signsgd_mv, signsgd_fv (ps) "
                      "or choco, adagossip, malcom (gossip)",
    "algorithm.keep_ratio": "fraction of entries a sparsifier keeps; the upper bound of adaptive K",
    "algorithm.threshold": "threshold sparsifier: sends every entry with |value| >= threshold",
    "algorithm.scope": "Top-K over the whole model (global) or per layer (layer)",
    "algorithm.value_dtype": "encoding of kept values: fp32, fp16, bf16 or int8",
    "algorithm.error_feedback": "keep what compression dropped and add it to the next update",
    "algorithm.k_controller": "how K is chosen each step: fixed, norm (norm-proportional) or rd (rate-distortion)",
    "algorithm.qsgd_levels": "quantisation levels s of qsgd and of Malcom-PSGD's dither",
    "algorithm.quant_bucket": "quantisers: entries that share one norm (bucket size)",
    "algorithm.quant_norm": "Malcom-PSGD dither norm: l2 (sparse levels) or linf (dense levels, lower variance)",
    "algorithm.update": "delta: each robot runs the optimiser and sends its compressed model change; gradient: "
                        "the coordinator's optimiser (dense and signSGD only); unset: gradient for signSGD, else delta",
    "algorithm.local_steps": "optimiser steps per round on each robot; unset: 4 with update delta, 1 with gradient",
    "algorithm.weight_by_batch": "mean aggregation: weight each robot's update by its batch size",
    "algorithm.server_lr": "coordinator step size applied to the aggregate",
    "algorithm.server_momentum": "coordinator momentum on the aggregate",
    "algorithm.downlink_keep_ratio": "keep ratio of the compressed global step; unset: every entry the robots sent",
    "algorithm.vote_warmup_rounds": "signSGD-FV: rounds of plain majority vote before weighting",
    "algorithm.vote_forgetting": "signSGD-FV: forgetting factor of the agreement counters",
    "algorithm.vote_per_coordinate": "signSGD-FV: per-coordinate weights instead of one per robot",
    "algorithm.gamma": "gossip consensus step size",
    "algorithm.l1": "Malcom-PSGD l1 weight",
    "algorithm.sign_ties": "signSGD: a zero gradient entry is sent as a fair coin (random) or as +1 (plus)",
    "algorithm.signum_momentum": "signSGD: momentum before the sign (Signum); 0: plain signSGD",
    "link.cap_bps": "configured uplink cap, bit/s; the byte budget uses min(measured, cap); .inf: no cap",
    "link.comm_time_s": "uplink time granted per round, seconds: budget = rate x comm_time",
    "link.initial_bps": "rate assumed before anything was measured, bit/s",
    "round.deadline_s": "seconds a round collects updates; later ones are not aggregated",
    "round.min_robots": "updates a round needs to make a step",
    "round.robot_timeout_s": "a robot silent this long is dropped from the fleet",
    "round.start_wait_s": "the first round waits this long for the whole fleet, then starts with min_robots",
    "round.start_timeout_s": "with no robot at all after this many seconds, the coordinator gives up",
    "gossip.topology": "who gossips with whom: ring, torus, full, edges or radius",
    "gossip.edges": "topology edges: YAML list of robot pairs, e.g. [[robot_0, robot_1]]",
    "gossip.positions": "topology radius: YAML mapping robot -> [x, y]",
    "gossip.radius": "topology radius: robots closer than this are neighbours",
    "gossip.schedule": "topology changes: YAML list of {round, edges | positions}",
    "gossip.round_period_s": "seconds between a peer's gossip rounds",
    "gossip.deadline_s": "a neighbour's residual must arrive within this, or it is left out of the round",
    "gossip.dead_after_rounds": "a neighbour silent this many rounds is not waited for (mixed again if it returns)",
    "gossip.same_init": "every robot starts from the model of run.seed",
    "gossip.train": "false: gossip the initial models only (consensus tests, gamma tuning)",
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
        description = DESCRIPTIONS.get(name, f"fleetlearn config field {name} (see fleetlearn/config.py)")
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
