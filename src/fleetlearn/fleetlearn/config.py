"""One validated configuration for a run (YAML), shared by the CLI, the ROS nodes and benchmarks.

Every section is a dataclass with defaults; loading checks unknown keys, types and
ranges, and fails with one :class:`ConfigError` whose message names the field,
e.g. ``algorithm.keep_ratio: must be in (0, 1], got 2.0``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import algorithms
from .transport import TRANSPORTS

# Optimiser steps per round on each robot in delta mode, unless set: at equal bytes and compute τ = 4 learnt
# most (benchmarks/convergence.py, README "Compressed training").
DEFAULT_LOCAL_STEPS = 4
VOC_YEARS = tuple(str(year) for year in range(2007, 2013))
DATASETS = {"detection": ("synthetic", "voc"), "classification": ("digits", "mnist", "cifar10")}


class ConfigError(ValueError):
    """A config value is missing, unknown, mistyped or out of range; the message names the field."""


def setting(default: Any = dataclasses.MISSING, doc: str = "", *, factory: Callable[[], Any] | None = None,
            inf: str | None = None) -> Any:
    """A config field and its description, the one source of ``fleetlearn config``'s comments and the ROS
    parameter's. ``inf``: what infinity means for a field that accepts it (else numbers must be finite)."""
    metadata = {"doc": doc, **({"inf": inf} if inf else {})}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def require(ok: bool, name: str, problem: str, value: Any) -> None:
    """Raise the one-line ConfigError ``<name>: <problem>, got <value>`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"{name}: {problem}, got {value!r}")


@dataclass
class RunConfig:
    name: str = setting("run", "run name: results go to <run.output_dir>/<run.name>/")
    output_dir: str = setting("runs", "directory that holds run directories (relative: to the node's working "
                                      "directory)")
    seed: int = setting(0, "seed of data partitions, model initialisation and random compressors")
    rounds: int = setting(60, "training rounds; the coordinator (or each peer) stops after this many")
    eval_every: int = setting(10, "rounds between evaluations of the global model (0: only at the end)")
    torch_threads: int = setting(1, "torch threads of this process (several nodes on one machine must not thrash)")
    checkpoint_every: int | None = setting(None, "rounds between coordinator checkpoints in <run dir>/checkpoints "
                                                 "(also written when it stops); unset: run.eval_every; 0: only "
                                                 "when it stops")
    resume: bool = setting(False, "the coordinator continues from the last good checkpoint in its run directory "
                                  "(fleetlearn ... --resume)")

    @property
    def checkpoint_period(self) -> int:
        """Rounds between checkpoints (0: only when a node stops)."""
        return self.eval_every if self.checkpoint_every is None else self.checkpoint_every

    def validate(self) -> None:
        require(self.rounds >= 1, "run.rounds", "must be >= 1", self.rounds)
        require(self.eval_every >= 0, "run.eval_every", "must be >= 0", self.eval_every)
        require(self.checkpoint_every is None or self.checkpoint_every >= 0, "run.checkpoint_every", "must be >= 0",
                self.checkpoint_every)
        require(self.torch_threads >= 1, "run.torch_threads", "must be >= 1", self.torch_threads)


@dataclass
class TransportConfig:
    name: str = setting("dds", "the bus: inproc (one process, simulated clock), dds (Cyclone DDS speaking ROS 2's "
                              "wire format) or ros (rclpy)")
    domain_id: int = setting(0, "DDS domain of every node of the run (ROS_DOMAIN_ID)")
    max_sample_bytes: int = setting(256 * 1024 * 1024, "largest message accepted or sent, bytes; larger samples are "
                                                       "rejected")

    def validate(self) -> None:
        require(self.name in TRANSPORTS, "transport.name", f"must be one of {', '.join(TRANSPORTS.names())}", self.name)
        require(0 <= self.domain_id <= 232, "transport.domain_id", "must be in [0, 232] (ROS 2's limit)",
                self.domain_id)
        require(self.max_sample_bytes >= 4096, "transport.max_sample_bytes", "must be >= 4096",
                self.max_sample_bytes)


@dataclass
class RobotOverride:
    batch_size: int | None = setting(None, "this robot's local batch size")
    step_time_s: float | None = setting(None, "this robot's extra compute time per local step, seconds")
    cap_bps: float | None = setting(None, "this robot's uplink cap, bit/s", inf="no cap")
    rate_bps: float | None = setting(None, "inproc only: this robot's simulated link rate, bit/s")
    data_root: str | None = setting(None, "this robot's own VOCdevkit parent (task.partition: local)")


@dataclass
class RobotsConfig:
    count: int = setting(3, "robots in the fleet (robot_0 .. robot_{count-1}); partitions the data")
    batch_size: int = setting(16, "local batch size of a robot")
    step_time_s: float = setting(0.0, "extra compute time per local step, seconds (models a slower robot)")
    heartbeat_s: float = setting(1.0, "seconds between RobotStatus heartbeats (and coordinator membership checks)")
    persist_memory: bool = setting(False, "each robot saves its error-feedback memory and optimiser state in "
                                          "<run dir>/checkpoints/<robot> (every run.checkpoint_every of its rounds "
                                          "and when it stops) and takes them back when it restarts; off: a "
                                          "restarted robot starts its memory at zero")
    overrides: dict[str, RobotOverride] = setting(doc="per-robot values by robot id, e.g. robot_1: {batch_size: 8}",
                                                  factory=dict)

    def validate(self) -> None:
        require(1 <= self.count <= 64, "robots.count", "must be in [1, 64]", self.count)
        require(self.batch_size >= 1, "robots.batch_size", "must be >= 1", self.batch_size)
        require(self.step_time_s >= 0, "robots.step_time_s", "must be >= 0", self.step_time_s)
        require(self.heartbeat_s > 0, "robots.heartbeat_s", "must be > 0", self.heartbeat_s)
        names = robot_names(self.count)
        for name, o in self.overrides.items():
            field_name = f"robots.overrides.{name}"
            require(name in names, field_name, f"is not a robot of this run ({names[0]}..)", name)
            for key, value, ok, problem in (("batch_size", o.batch_size, lambda v: v >= 1, "must be >= 1"),
                                            ("step_time_s", o.step_time_s, lambda v: v >= 0, "must be >= 0"),
                                            ("cap_bps", o.cap_bps, lambda v: v > 0, "must be > 0"),
                                            ("rate_bps", o.rate_bps, lambda v: v > 0, "must be > 0")):
                if value is not None:
                    require(ok(value), f"{field_name}.{key}", problem, value)

    def for_robot(self, name: str) -> RobotOverride:
        """This robot's settings with the fleet defaults filled in."""
        o = self.overrides.get(name, RobotOverride())
        return RobotOverride(batch_size=o.batch_size or self.batch_size,
                             step_time_s=self.step_time_s if o.step_time_s is None else o.step_time_s,
                             cap_bps=o.cap_bps, rate_bps=o.rate_bps, data_root=o.data_root)


@dataclass
class SyntheticConfig:
    num_train: int = setting(1200, "synthetic set: training images")
    num_val: int = setting(200, "synthetic set: validation images")
    image_size: int = setting(128, "synthetic set: image size, pixels")
    seed: int = setting(0, "synthetic set: generator seed")


@dataclass
class TaskConfig:
    kind: str = setting("detection", "detection or classification")
    model: str | None = setting(None, "model name; unset: fcos_tiny (detection) or small_cnn (classification)")
    dataset: str | None = setting(None, "detection: synthetic or voc; classification: digits, mnist or cifar10")
    data_root: str = setting("data", "data directory (a robot's own disk); the synthetic set is generated here on "
                                     "first use")
    voc_year: str = setting("2007", "PASCAL VOC year under <task.data_root>/VOCdevkit")
    train_split: str = setting("train", "VOC image set the robots train on")
    val_split: str = setting("val", "VOC image set the coordinator evaluates on")
    image_size: int = setting(128, "detection input size, pixels")
    max_val_images: int = setting(200, "validation images scored per evaluation (0: all)")
    partition: str = setting("iid", "split of the training images: iid, dirichlet, scene, shared (every robot draws "
                                    "from all), or local (every image of this robot's own task.data_root)")
    alpha: float = setting(0.5, "Dirichlet concentration of the dirichlet partition (small: skewed robots)")
    weights_path: str | None = setting(None, "initial model weights file; unset: train from scratch")
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)

    def validate(self) -> None:
        require(self.kind in DATASETS, "task.kind", "must be detection or classification", self.kind)
        datasets = DATASETS[self.kind]
        if self.dataset is None:  # the built-in set of the kind, so task.kind alone switches tasks
            self.dataset = datasets[0]
        require(self.dataset in datasets, "task.dataset", f"{self.kind} reads {', '.join(datasets)}", self.dataset)
        if self.model is not None:  # the registries import torch: only looked up when a model is named
            models = _model_names(self.kind)
            require(self.model in models, "task.model", f"{self.kind} models are {', '.join(models)}", self.model)
        require(self.partition in ("iid", "dirichlet", "scene", "shared", "local"), "task.partition",
                "must be iid, dirichlet, scene, shared or local", self.partition)
        require(self.kind == "detection" or self.partition in ("iid", "shared"), "task.partition",
                "classification splits iid or shared", self.partition)
        require(self.partition != "local" or self.dataset == "voc", "task.partition",
                "local trains each robot on its own VOCdevkit: needs task.dataset voc", self.partition)
        require(self.voc_year in VOC_YEARS, "task.voc_year", f"must be one of {', '.join(VOC_YEARS)}", self.voc_year)
        require(self.alpha > 0, "task.alpha", "must be > 0", self.alpha)
        require(self.image_size >= 32, "task.image_size", "must be >= 32", self.image_size)


@dataclass
class OptimConfig:
    """The real torch optimiser: each robot's (update delta) or the coordinator's (gradient); None takes the
    model's recipe. Warm-up and cosine count rounds; the schedule spans local_steps optimiser steps a round."""

    name: str | None = setting(None, "sgd or adamw, run by each robot (update delta) or the coordinator (gradient); "
                                     "unset: the model's recipe")
    lr: float | None = setting(None, "learning rate; unset: the model's recipe")
    momentum: float | None = setting(None, "SGD momentum; unset: the model's recipe")
    weight_decay: float | None = setting(None, "weight decay; unset: the model's recipe")
    warmup_rounds: int | None = setting(None, "rounds of linear LR warm-up; unset: the model's recipe")
    cosine: bool = setting(True, "cosine decay of the learning rate over run.rounds")

    def validate(self) -> None:
        if self.name is not None:
            require(self.name in ("sgd", "adamw"), "optimizer.name", "must be sgd or adamw", self.name)
        if self.lr is not None:
            require(self.lr > 0 and math.isfinite(self.lr), "optimizer.lr", "must be a positive number", self.lr)
        if self.momentum is not None:
            require(0 <= self.momentum < 1, "optimizer.momentum", "must be in [0, 1)", self.momentum)
        if self.warmup_rounds is not None:
            require(self.warmup_rounds >= 0, "optimizer.warmup_rounds", "must be >= 0", self.warmup_rounds)


class AlgorithmFields:
    """What every method shares; :data:`AlgorithmConfig` adds each registered method's own options
    (``fleetlearn.algorithms``), flat as ``algorithm.<option>`` in YAML and ROS parameters."""

    name: str
    update: str | None
    local_steps: int | None

    @property
    def entry(self) -> algorithms.Algorithm:
        """The registry entry of this method."""
        return algorithms.algorithm(self.name)

    @property
    def sends_deltas(self) -> bool:
        """Robots run the optimiser and send model deltas (else gradients for the coordinator's optimiser)."""
        return self.update == algorithms.DELTA

    def validate(self) -> None:
        require(self.name in algorithms.ALGORITHMS, "algorithm.name", f"must be one of {', '.join(algorithms.names())}",
                self.name)
        for option in algorithms.options():
            problem = option.check(getattr(self, option.name))
            require(problem is None, f"algorithm.{option.name}", problem or "", getattr(self, option.name))
        self._resolve_update()
        v = self
        require(v.value_dtype in ("fp32", "fp16", "bf16", "int8"), "algorithm.value_dtype",
                "must be fp32, fp16, bf16 or int8", v.value_dtype)
        require(v.server_lr > 0, "algorithm.server_lr", "must be > 0", v.server_lr)
        require(0 <= v.server_momentum < 1, "algorithm.server_momentum", "must be in [0, 1)", v.server_momentum)
        if v.downlink_keep_ratio is not None:
            require(0 < v.downlink_keep_ratio <= 1, "algorithm.downlink_keep_ratio", "must be in (0, 1]",
                    v.downlink_keep_ratio)

    def _resolve_update(self) -> None:
        """Fill ``update`` and ``local_steps`` from the method's entry; refuse an update kind it cannot run.

        A compressed gradient fed to the coordinator's optimiser (AdamW, momentum) learnt a tenth of dense:
        the step is dense, so the downlink re-sparsifies it through a second error feedback, and stale
        error-feedback entries become sign-like Adam steps. Robots that run the optimiser themselves and
        send their compressed model change learn at dense's pace (README "Compressed training").
        """
        runs = self.entry.updates
        if self.update is None:
            self.update = runs[0]
        require(self.update in (algorithms.DELTA, algorithms.GRADIENT), "algorithm.update",
                "must be delta or gradient", self.update)
        if self.update not in runs:
            why = (f"{self.name} sends compressed model changes (delta) only: a compressed gradient through the "
                    "coordinator's optimiser learns a tenth of dense (README: Compressed training)"
                    if self.update == algorithms.GRADIENT else f"{self.name} runs in gradient mode only")
            require(False, "algorithm.update", why, self.update)
        if self.local_steps is None:
            self.local_steps = DEFAULT_LOCAL_STEPS if self.update == algorithms.DELTA else 1
        require(self.local_steps >= 1, "algorithm.local_steps", "must be >= 1", self.local_steps)
        require(self.update == algorithms.DELTA or self.local_steps == 1, "algorithm.local_steps",
                "gradient mode makes one coordinator step per round: must be 1 (or algorithm.update: delta)",
                self.local_steps)


def _algorithm_config() -> type:
    """The algorithm section: the shared fields, then every registered method's options."""
    ps, gossip = ", ".join(algorithms.names("ps")), ", ".join(algorithms.names("gossip"))
    shared = [
        ("name", str, setting(algorithms.DEFAULT, f"the method: {ps} (ps) or {gossip} (gossip)")),
        ("update", str | None, setting(None, "delta: each robot runs the optimiser and sends its compressed model "
                                             "change; gradient: the coordinator's optimiser (dense and signSGD "
                                             "only); unset: the method's own (gradient for signSGD, else delta)")),
        ("local_steps", int | None, setting(None, f"optimiser steps per round on each robot; unset: "
                                                  f"{DEFAULT_LOCAL_STEPS} with update delta, 1 with gradient")),
        ("value_dtype", str, setting("fp16", "encoding of kept values (sparse uplinks, the downlink): fp32, fp16, "
                                             "bf16 or int8")),
        ("server_lr", float, setting(1.0, "coordinator step size applied to the averaged model change")),
        ("server_momentum", float, setting(0.0, "coordinator momentum on the averaged model change (the downlink "
                                                "grows toward dense: it spreads over every entry ever sent)")),
        ("downlink_keep_ratio", float | None, setting(None, "keep ratio of the compressed global step; unset: "
                                                            "every entry the robots sent")),
    ]
    own = [(o.name, o.type, setting(o.default, o.doc)) for o in algorithms.options()]
    cls = dataclasses.make_dataclass("AlgorithmConfig", shared + own, bases=(AlgorithmFields,))
    cls.__module__ = __name__  # pickling and repr find it here
    return cls


AlgorithmConfig = _algorithm_config()


@dataclass
class LinkConfig:
    cap_bps: float | None = setting(1e6, "configured uplink cap, bit/s; the byte budget uses min(measured, cap); "
                                         ".inf: no cap", inf="no cap")
    comm_time_s: float = setting(1.0, "uplink time granted per round, seconds: budget = rate x comm_time")
    rate_bps: float | None = setting(None, "inproc only: each robot's simulated uplink rate, bit/s (null: "
                                           "unlimited)")
    downlink_rate_bps: float | None = setting(None, "inproc only: the coordinator's simulated broadcast rate, "
                                                    "bit/s (null: unlimited)")
    latency_s: float = setting(0.0, "inproc only: simulated one-way latency, seconds")
    initial_bps: float = setting(1e6, "rate assumed before anything was measured, bit/s")

    def validate(self) -> None:
        if self.cap_bps is not None:
            require(self.cap_bps > 0, "link.cap_bps", "must be > 0 (or null for no cap)", self.cap_bps)
        require(self.comm_time_s > 0, "link.comm_time_s", "must be > 0", self.comm_time_s)
        for name in ("rate_bps", "downlink_rate_bps"):
            value = getattr(self, name)
            require(value is None or value > 0, f"link.{name}", "must be > 0 (or null for unlimited)", value)
        require(self.latency_s >= 0, "link.latency_s", "must be >= 0", self.latency_s)
        require(self.initial_bps > 0, "link.initial_bps", "must be > 0", self.initial_bps)


@dataclass
class RoundConfig:
    deadline_s: float = setting(20.0, "seconds a round collects updates; later ones are not aggregated")
    min_robots: int = setting(1, "updates a round needs to make a step")
    robot_timeout_s: float = setting(10.0, "a robot silent this long is dropped from the fleet")
    start_wait_s: float = setting(30.0, "the first round waits this long for the whole fleet, then starts with "
                                        "min_robots")
    start_timeout_s: float = setting(300.0, "with no robot at all after this many seconds, the coordinator gives up")

    def validate(self) -> None:
        require(self.deadline_s > 0, "round.deadline_s", "must be > 0", self.deadline_s)
        require(self.min_robots >= 1, "round.min_robots", "must be >= 1", self.min_robots)
        require(self.robot_timeout_s > 0, "round.robot_timeout_s", "must be > 0", self.robot_timeout_s)


@dataclass
class LinkShape:
    """One robot's shaped uplink in ``fleetlearn netsim``."""

    rate_bps: float | None = setting(None, "tc rate, bit/s (null: network.rate_bps)")
    loss: float | None = setting(None, "random drop probability (null: network.loss)")


@dataclass
class RateChange:
    """A scheduled change of one robot's link, at a coordinator round or a time since start."""

    robot: str = setting("", "the robot whose link changes")
    round: int | None = setting(None, "at this coordinator round (or set time_s)")
    time_s: float | None = setting(None, "at this many seconds after the start (or set round)")
    rate_bps: float | None = setting(None, "the new rate, bit/s (null: unchanged)")
    loss: float | None = setting(None, "the new drop probability (null: unchanged)")


@dataclass
class NetworkConfig:
    """Shaped links for ``fleetlearn netsim`` (network namespaces, tc, iptables)."""

    subnet: str = setting("10.213.0.0/24", "addresses used only inside the namespaces netsim makes")
    rate_bps: float = setting(10e6, "each robot's uplink rate, bit/s, unless network.robots sets its own")
    loss: float = setting(0.0, "each robot's random drop probability, unless network.robots sets its own")
    burst_bytes: int = setting(4_000, "tc tbf bucket, bytes: small, or small updates look faster than the link")
    robots: dict[str, LinkShape] = setting(doc="per-robot links by robot id: {rate_bps, loss}", factory=dict)
    schedule: list[RateChange] = setting(doc="link changes during the run: [{robot, round or time_s, rate_bps, "
                                             "loss}]", factory=list)

    def validate(self) -> None:
        require(self.rate_bps > 0, "network.rate_bps", "must be > 0", self.rate_bps)
        require(0 <= self.loss < 1, "network.loss", "must be in [0, 1)", self.loss)
        for i, change in enumerate(self.schedule):
            name = f"network.schedule[{i}]"
            require(bool(change.robot), f"{name}.robot", "must name a robot", change.robot)
            require((change.round is None) != (change.time_s is None), name, "needs exactly one of round, time_s",
                    change)


@dataclass
class TopologyChange:
    """From ``round`` on, the gossip graph uses these edges or robot positions."""

    round: int = setting(0, "the first round of this graph")
    edges: list[list[str]] | None = setting(None, "the graph's robot pairs (or set positions)")
    positions: dict[str, list[float]] | None = setting(None, "robot positions, linked within gossip.radius")


@dataclass
class GossipConfig:
    """Decentralised mode: who talks to whom, and how rounds are paced."""

    topology: str = setting("ring", "who gossips with whom: ring, torus, full, edges or radius")
    edges: list[list[str]] = setting(doc="topology edges: YAML list of robot pairs, e.g. [[robot_0, robot_1]]",
                                     factory=list)
    positions: dict[str, list[float]] = setting(doc="topology radius: YAML mapping robot -> [x, y]", factory=dict)
    radius: float = setting(1.0, "topology radius: robots closer than this are neighbours")
    schedule: list[TopologyChange] = setting(doc="topology changes: YAML list of {round, edges | positions}",
                                             factory=list)
    round_period_s: float = setting(1.0, "seconds between a peer's gossip rounds")
    deadline_s: float = setting(0.8, "a neighbour's residual must arrive within this, or it is left out of the round")
    dead_after_rounds: int = setting(3, "a neighbour silent this many rounds is not waited for (mixed again if it "
                                        "returns)")
    same_init: bool = setting(True, "every robot starts from the model of run.seed")
    train: bool = setting(True, "false: gossip the initial models only (consensus tests, gamma tuning)")

    def validate(self) -> None:
        require(self.topology in ("ring", "torus", "full", "edges", "radius"), "gossip.topology",
                "must be ring, torus, full, edges or radius", self.topology)
        require(self.radius > 0, "gossip.radius", "must be > 0", self.radius)
        require(self.round_period_s > 0, "gossip.round_period_s", "must be > 0", self.round_period_s)
        require(self.deadline_s > 0, "gossip.deadline_s", "must be > 0", self.deadline_s)


@dataclass
class Config:
    mode: str = setting("ps", "ps (robots and a coordinator) or gossip (peers average with their neighbours)")
    run: RunConfig = field(default_factory=RunConfig)
    transport: TransportConfig = field(default_factory=TransportConfig)
    robots: RobotsConfig = field(default_factory=RobotsConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    optimizer: OptimConfig = field(default_factory=OptimConfig)
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig)
    link: LinkConfig = field(default_factory=LinkConfig)
    round: RoundConfig = field(default_factory=RoundConfig)
    gossip: GossipConfig = field(default_factory=GossipConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)

    def validate(self) -> Config:
        require(self.mode in ("ps", "gossip"), "mode", "must be ps or gossip", self.mode)
        allowed = algorithms.names(self.mode)
        require(self.algorithm.name in allowed, "algorithm.name", f"mode {self.mode} runs {', '.join(allowed)}",
                self.algorithm.name)
        if self.mode == "gossip":
            require(self.algorithm.local_steps in (None, 1), "algorithm.local_steps",
                    "gossip peers take one optimiser step per round: must be 1", self.algorithm.local_steps)
            require(self.algorithm.update in (None, "delta"), "algorithm.update",
                    "gossip peers run their own optimiser and exchange models: must be delta", self.algorithm.update)
            self.algorithm.local_steps = 1
        for f in dataclasses.fields(self):
            section = getattr(self, f.name)
            if hasattr(section, "validate"):
                section.validate()
        check = self.algorithm.entry.check  # the method's own rule across sections
        problem = check(self) if check is not None else None
        if problem is not None:
            require(False, *problem)
        require(self.round.min_robots <= self.robots.count, "round.min_robots", "must be <= robots.count",
                self.round.min_robots)
        for name, override in self.robots.overrides.items():
            require(override.data_root is None or self.task.partition == "local",
                    f"robots.overrides.{name}.data_root", "is read only with task.partition local",
                    override.data_root)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def config_yaml(config: Any, indent: str = "") -> str:
    """``config`` as YAML that loads back to it, each field under its description as a comment
    (``fleetlearn config``): the file a user starts an experiment from."""
    lines = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if doc := f.metadata.get("doc"):
            lines.append(f"{indent}# {doc}")
        if dataclasses.is_dataclass(value):
            lines += [f"{indent}{f.name}:", config_yaml(value, indent + "  ").rstrip("\n")]
            continue
        text = yaml.safe_dump({f.name: _plain(value)}, default_flow_style=True, sort_keys=False, width=10**6)
        lines.append(indent + text.strip()[1:-1])  # "{name: value}" -> "name: value"
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    """Lists and mappings of dataclasses as plain YAML data."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


def robot_names(count: int) -> list[str]:
    """Robot ids are ROS names: robot_0, robot_1, ..."""
    return [f"robot_{i}" for i in range(count)]


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'}: must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            raise ConfigError(f"{path + '.' if path else ''}{key}: unknown field (known: {', '.join(sorted(fields))})")
    values = {k: _convert(hints[k], v, f"{path + '.' if path else ''}{k}", "inf" in fields[k].metadata)
              for k, v in data.items()}
    return cls(**values)


def _convert(hint: Any, value: Any, path: str, allow_inf: bool = False) -> Any:
    """``value`` as type ``hint``; numbers must be finite unless the field gives infinity a meaning."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, path, allow_inf)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path)
    if origin is list:
        (item_type,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{path}: must be a list, got {value!r}")
        return [_convert(item_type, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, value_type = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: must be a mapping, got {value!r}")
        return {str(k): _convert(value_type, v, f"{path}.{k}") for k, v in value.items()}
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads 2.0e6 (no sign in the exponent) as a string
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{path}: must be a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: must be a number, got {value!r}")
        if not (math.isfinite(value) or (allow_inf and value == math.inf)):
            raise ConfigError(f"{path}: must be a finite number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: must be an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: must be true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: must be a string, got {value!r}")
        return value
    raise ConfigError(f"{path}: unsupported type {hint}")


def config_from_dict(data: dict[str, Any]) -> Config:
    return _build(Config, data, "").validate()


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Load a YAML config; ``overrides`` are ``section.field=value`` strings (YAML values)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping of sections, got {type(data).__name__}")
    return config_from_dict(apply_overrides(data, overrides or []))


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b=value`` overrides to a nested dict (values parsed as YAML)."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r}: expected section.field=value")
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part} is not a section")
        try:
            node[leaf] = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"override {item!r}: not a valid YAML value: {exc}".replace("\n", " ")) from None
    return data


def _model_names(kind: str) -> list[str]:
    if kind == "classification":
        from .task.classification import CLASSIFIERS

        return CLASSIFIERS.names()
    from .task.models import MODELS

    return MODELS.names()
