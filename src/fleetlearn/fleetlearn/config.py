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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PS_ALGORITHMS = ("dense", "topk", "randomk", "threshold", "qsgd", "fp16", "bf16", "signsgd_mv", "signsgd_fv")
SIGN_ALGORITHMS = ("signsgd_mv", "signsgd_fv")  # vote on gradient signs: always gradient mode
# Optimiser steps per round on each robot in delta mode, unless set: at equal bytes and compute τ = 4 learnt
# most (benchmarks/convergence.py, README "Compressed training").
DEFAULT_LOCAL_STEPS = 4
GOSSIP_ALGORITHMS = ("choco", "adagossip", "malcom")
VOC_YEARS = tuple(str(year) for year in range(2007, 2013))
DATASETS = {"detection": ("synthetic", "voc"), "classification": ("digits", "mnist", "cifar10")}


class ConfigError(ValueError):
    """A config value is missing, unknown, mistyped or out of range; the message names the field."""


def _check(ok: bool, name: str, problem: str, value: Any) -> None:
    if not ok:
        raise ConfigError(f"{name}: {problem}, got {value!r}")


@dataclass
class RunConfig:
    name: str = "run"
    output_dir: str = "runs"
    seed: int = 0
    rounds: int = 60
    eval_every: int = 10          # rounds between evaluations (0: only at the end)
    torch_threads: int = 1        # per process: a fleet on one machine must not thrash

    def validate(self) -> None:
        _check(self.rounds >= 1, "run.rounds", "must be >= 1", self.rounds)
        _check(self.eval_every >= 0, "run.eval_every", "must be >= 0", self.eval_every)
        _check(self.torch_threads >= 1, "run.torch_threads", "must be >= 1", self.torch_threads)


@dataclass
class TransportConfig:
    name: str = "dds"             # inproc | dds | ros
    domain_id: int = 0
    max_sample_bytes: int = 256 * 1024 * 1024

    def validate(self) -> None:
        _check(self.name in ("inproc", "dds", "ros"), "transport.name", "must be inproc, dds or ros", self.name)
        _check(0 <= self.domain_id <= 232, "transport.domain_id", "must be in [0, 232] (ROS 2's limit)", self.domain_id)
        _check(self.max_sample_bytes >= 4096, "transport.max_sample_bytes", "must be >= 4096",
               self.max_sample_bytes)


@dataclass
class RobotOverride:
    batch_size: int | None = None
    step_time_s: float | None = None   # extra compute time per local step (heterogeneous robots)
    cap_bps: float | None = field(default=None, metadata={"inf": "no cap"})
    rate_bps: float | None = None      # inproc link model rate
    data_root: str | None = None       # this robot's own VOCdevkit parent (task.partition: local)


@dataclass
class RobotsConfig:
    count: int = 3
    batch_size: int = 16
    step_time_s: float = 0.0
    heartbeat_s: float = 1.0
    overrides: dict[str, RobotOverride] = field(default_factory=dict)

    def validate(self) -> None:
        _check(1 <= self.count <= 64, "robots.count", "must be in [1, 64]", self.count)
        _check(self.batch_size >= 1, "robots.batch_size", "must be >= 1", self.batch_size)
        _check(self.step_time_s >= 0, "robots.step_time_s", "must be >= 0", self.step_time_s)
        _check(self.heartbeat_s > 0, "robots.heartbeat_s", "must be > 0", self.heartbeat_s)
        names = robot_names(self.count)
        for name, o in self.overrides.items():
            field_name = f"robots.overrides.{name}"
            _check(name in names, field_name, f"is not a robot of this run ({names[0]}..)", name)
            for key, value, ok, problem in (("batch_size", o.batch_size, lambda v: v >= 1, "must be >= 1"),
                                            ("step_time_s", o.step_time_s, lambda v: v >= 0, "must be >= 0"),
                                            ("cap_bps", o.cap_bps, lambda v: v > 0, "must be > 0"),
                                            ("rate_bps", o.rate_bps, lambda v: v > 0, "must be > 0")):
                if value is not None:
                    _check(ok(value), f"{field_name}.{key}", problem, value)

    def for_robot(self, name: str) -> RobotOverride:
        """This robot's settings with the fleet defaults filled in."""
        o = self.overrides.get(name, RobotOverride())
        return RobotOverride(batch_size=o.batch_size or self.batch_size,
                             step_time_s=self.step_time_s if o.step_time_s is None else o.step_time_s,
                             cap_bps=o.cap_bps, rate_bps=o.rate_bps, data_root=o.data_root)


@dataclass
class SyntheticConfig:
    num_train: int = 1200
    num_val: int = 200
    image_size: int = 128
    seed: int = 0


@dataclass
class TaskConfig:
    kind: str = "detection"       # detection | classification
    model: str | None = None      # None: fcos_tiny (detection) or small_cnn (classification)
    dataset: str | None = None    # detection: synthetic | voc; classification: digits | mnist | cifar10 (None: first)
    data_root: str = "data"
    voc_year: str = "2007"
    train_split: str = "train"
    val_split: str = "val"
    image_size: int = 128
    max_val_images: int = 200
    partition: str = "iid"        # iid | dirichlet | scene | shared (all draw from all) | local (own disk)
    alpha: float = 0.5
    weights_path: str | None = None
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)

    def validate(self) -> None:
        _check(self.kind in DATASETS, "task.kind", "must be detection or classification", self.kind)
        datasets = DATASETS[self.kind]
        if self.dataset is None:  # the built-in set of the kind, so task.kind alone switches tasks
            self.dataset = datasets[0]
        _check(self.dataset in datasets, "task.dataset", f"{self.kind} reads {', '.join(datasets)}", self.dataset)
        if self.model is not None:  # the registries import torch: only looked up when a model is named
            models = _model_names(self.kind)
            _check(self.model in models, "task.model", f"{self.kind} models are {', '.join(models)}", self.model)
        _check(self.partition in ("iid", "dirichlet", "scene", "shared", "local"), "task.partition",
               "must be iid, dirichlet, scene, shared or local", self.partition)
        _check(self.kind == "detection" or self.partition in ("iid", "shared"), "task.partition",
               "classification splits iid or shared", self.partition)
        _check(self.partition != "local" or self.dataset == "voc", "task.partition",
               "local trains each robot on its own VOCdevkit: needs task.dataset voc", self.partition)
        _check(self.voc_year in VOC_YEARS, "task.voc_year", f"must be one of {', '.join(VOC_YEARS)}", self.voc_year)
        _check(self.alpha > 0, "task.alpha", "must be > 0", self.alpha)
        _check(self.image_size >= 32, "task.image_size", "must be >= 32", self.image_size)


@dataclass
class OptimConfig:
    """The real torch optimiser: each robot's (update delta) or the coordinator's (gradient); None takes the
    model's recipe. Warm-up and cosine count rounds; the schedule spans local_steps optimiser steps a round."""

    name: str | None = None       # sgd | adamw
    lr: float | None = None
    momentum: float | None = None
    weight_decay: float | None = None
    warmup_rounds: int | None = None
    cosine: bool = True           # cosine decay of the LR over run.rounds

    def validate(self) -> None:
        if self.name is not None:
            _check(self.name in ("sgd", "adamw"), "optimizer.name", "must be sgd or adamw", self.name)
        if self.lr is not None:
            _check(self.lr > 0 and math.isfinite(self.lr), "optimizer.lr", "must be a positive number", self.lr)
        if self.momentum is not None:
            _check(0 <= self.momentum < 1, "optimizer.momentum", "must be in [0, 1)", self.momentum)
        if self.warmup_rounds is not None:
            _check(self.warmup_rounds >= 0, "optimizer.warmup_rounds", "must be >= 0", self.warmup_rounds)


@dataclass
class AlgorithmConfig:
    name: str = "topk"            # PS_ALGORITHMS (parameter-server mode) or GOSSIP_ALGORITHMS
    keep_ratio: float = 0.01      # fraction of entries kept (sparsifiers); upper bound for adaptive K
    threshold: float = 1e-3       # threshold sparsifier: entries with |a| >= threshold (after error feedback)
    scope: str = "global"         # global | layer  (Top-K)
    value_dtype: str = "fp16"     # fp32 | fp16 | bf16 | int8
    error_feedback: bool = True
    k_controller: str = "fixed"   # fixed | norm | rd
    qsgd_levels: int = 16         # quantisers (qsgd, Malcom's dither): levels s
    quant_bucket: int = 512       # quantisers: entries per norm (QSGD's bucket)
    quant_norm: str = "l2"        # Malcom's dither: l2 (sparse levels) | linf (dense levels, low variance)
    # delta: each robot runs its optimiser for local_steps and sends the model change; the coordinator
    # averages. gradient: robots send one gradient; the coordinator's optimiser steps (dense and signSGD only).
    update: str | None = None     # None: gradient for signSGD, delta otherwise
    local_steps: int | None = None  # optimiser steps per round on each robot; None: DEFAULT_LOCAL_STEPS (delta), 1
    weight_by_batch: bool = False  # mean aggregation: weight each update by the samples behind it (its batch)
    server_lr: float = 1.0
    server_momentum: float = 0.0
    downlink_keep_ratio: float | None = None   # None: every entry the robots sent (their supports' union)
    signum_momentum: float = 0.0  # signSGD: momentum before the sign (Signum); 0 = plain signSGD
    sign_ties: str = "random"     # signSGD: what a zero entry is sent as: random (a fair coin) | plus (+1)
    vote_warmup_rounds: int = 100  # signSGD-FV: plain majority vote for the first rounds
    vote_forgetting: float = 1.0
    vote_per_coordinate: bool = False
    gamma: float = 0.5            # gossip consensus step
    l1: float = 0.0               # Malcom-PSGD ℓ1 weight

    @property
    def sends_deltas(self) -> bool:
        """Robots run the optimiser and send model deltas (else gradients for the coordinator's optimiser)."""
        return self.update == "delta"

    def validate(self) -> None:
        self._resolve_update()
        _check(0 < self.keep_ratio <= 1, "algorithm.keep_ratio", "must be in (0, 1]", self.keep_ratio)
        _check(0 <= self.threshold < math.inf, "algorithm.threshold", "must be finite and >= 0", self.threshold)
        _check(self.scope in ("global", "layer"), "algorithm.scope", "must be global or layer", self.scope)
        _check(self.value_dtype in ("fp32", "fp16", "bf16", "int8"), "algorithm.value_dtype",
               "must be fp32, fp16, bf16 or int8", self.value_dtype)
        _check(self.k_controller in ("fixed", "norm", "rd"), "algorithm.k_controller", "must be fixed, norm or rd",
               self.k_controller)
        _check(self.qsgd_levels >= 1, "algorithm.qsgd_levels", "must be >= 1", self.qsgd_levels)
        _check(self.quant_bucket >= 1, "algorithm.quant_bucket", "must be >= 1", self.quant_bucket)
        _check(self.quant_norm in ("l2", "linf"), "algorithm.quant_norm", "must be l2 or linf", self.quant_norm)
        _check(self.server_lr > 0, "algorithm.server_lr", "must be > 0", self.server_lr)
        _check(0 <= self.server_momentum < 1, "algorithm.server_momentum", "must be in [0, 1)",
               self.server_momentum)
        _check(self.name in PS_ALGORITHMS + GOSSIP_ALGORITHMS, "algorithm.name",
               f"must be one of {', '.join(PS_ALGORITHMS + GOSSIP_ALGORITHMS)}", self.name)
        _check(0 <= self.signum_momentum < 1, "algorithm.signum_momentum", "must be in [0, 1)", self.signum_momentum)
        _check(self.sign_ties in ("random", "plus"), "algorithm.sign_ties", "must be random or plus", self.sign_ties)
        _check(0 < self.vote_forgetting <= 1, "algorithm.vote_forgetting", "must be in (0, 1]", self.vote_forgetting)
        if self.downlink_keep_ratio is not None:
            _check(0 < self.downlink_keep_ratio <= 1, "algorithm.downlink_keep_ratio", "must be in (0, 1]",
                   self.downlink_keep_ratio)


    def _resolve_update(self) -> None:
        """Fill ``update`` and ``local_steps`` from the algorithm, and refuse a gradient mode that cannot learn.

        A compressed gradient fed to the coordinator's optimiser (AdamW, momentum) learnt a tenth of dense:
        the step is dense, so the downlink re-sparsifies it through a second error feedback, and stale
        error-feedback entries become sign-like Adam steps. Robots that run the optimiser themselves and
        send their compressed model change learn at dense's pace (README "Compressed training").
        """
        signs = self.name in SIGN_ALGORITHMS
        if self.update is None:
            self.update = "gradient" if signs else "delta"
        _check(self.update in ("delta", "gradient"), "algorithm.update", "must be delta or gradient", self.update)
        if self.update == "gradient":
            _check(self.name == "dense" or signs, "algorithm.update",
                   f"gradient mode sends {self.name} gradients to the coordinator's optimiser, which learns a tenth "
                   "of dense under compression (README: Compressed training); dense and signSGD only, use delta",
                   self.update)
        else:
            _check(not signs, "algorithm.update", f"{self.name} votes on gradient signs: must be gradient",
                   self.update)
        if self.local_steps is None:
            self.local_steps = DEFAULT_LOCAL_STEPS if self.update == "delta" else 1
        _check(self.local_steps >= 1, "algorithm.local_steps", "must be >= 1", self.local_steps)
        _check(self.update == "delta" or self.local_steps == 1, "algorithm.local_steps",
               "gradient mode makes one coordinator step per round: must be 1 (or algorithm.update: delta)",
               self.local_steps)

@dataclass
class LinkConfig:
    cap_bps: float | None = field(default=1e6, metadata={"inf": "no cap"})  # per-robot uplink cap (None too)
    comm_time_s: float = 1.0      # uplink time granted per round: budget = throughput x comm_time
    rate_bps: float | None = None  # inproc only: simulated link rate (None: unlimited)
    downlink_rate_bps: float | None = None  # inproc only: the coordinator's simulated broadcast rate (None: unlimited)
    latency_s: float = 0.0        # inproc only: simulated one-way latency
    initial_bps: float = 1e6      # prior before anything was measured, when no cap is set

    def validate(self) -> None:
        if self.cap_bps is not None:
            _check(self.cap_bps > 0, "link.cap_bps", "must be > 0 (or null for no cap)", self.cap_bps)
        _check(self.comm_time_s > 0, "link.comm_time_s", "must be > 0", self.comm_time_s)
        for name in ("rate_bps", "downlink_rate_bps"):
            value = getattr(self, name)
            _check(value is None or value > 0, f"link.{name}", "must be > 0 (or null for unlimited)", value)
        _check(self.latency_s >= 0, "link.latency_s", "must be >= 0", self.latency_s)
        _check(self.initial_bps > 0, "link.initial_bps", "must be > 0", self.initial_bps)


@dataclass
class RoundConfig:
    deadline_s: float = 20.0      # updates arriving later are not aggregated
    min_robots: int = 1           # a round needs this many updates to make a step
    robot_timeout_s: float = 10.0  # a silent robot is dropped after this
    start_wait_s: float = 30.0    # the first round waits this long for the whole fleet, then starts with min_robots
    start_timeout_s: float = 300.0  # with no robot at all after this, the coordinator gives up

    def validate(self) -> None:
        _check(self.deadline_s > 0, "round.deadline_s", "must be > 0", self.deadline_s)
        _check(self.min_robots >= 1, "round.min_robots", "must be >= 1", self.min_robots)
        _check(self.robot_timeout_s > 0, "round.robot_timeout_s", "must be > 0", self.robot_timeout_s)


@dataclass
class LinkShape:
    """One robot's shaped uplink in ``fleetlearn netsim``."""

    rate_bps: float | None = None  # tc rate (None: the network default)
    loss: float | None = None      # random drop probability (iptables statistic; None: the default)


@dataclass
class RateChange:
    """A scheduled change of one robot's link, at a coordinator round or a time since start."""

    robot: str = ""
    round: int | None = None
    time_s: float | None = None
    rate_bps: float | None = None
    loss: float | None = None


@dataclass
class NetworkConfig:
    """Shaped links for ``fleetlearn netsim`` (network namespaces, tc, iptables)."""

    subnet: str = "10.213.0.0/24"  # addresses used only inside the namespaces netsim makes
    rate_bps: float = 10e6         # default per-robot uplink rate
    loss: float = 0.0
    burst_bytes: int = 4_000       # tc tbf bucket: small, or small updates look faster than the link
    robots: dict[str, LinkShape] = field(default_factory=dict)
    schedule: list[RateChange] = field(default_factory=list)

    def validate(self) -> None:
        _check(self.rate_bps > 0, "network.rate_bps", "must be > 0", self.rate_bps)
        _check(0 <= self.loss < 1, "network.loss", "must be in [0, 1)", self.loss)
        for i, change in enumerate(self.schedule):
            name = f"network.schedule[{i}]"
            _check(bool(change.robot), f"{name}.robot", "must name a robot", change.robot)
            _check((change.round is None) != (change.time_s is None), name, "needs exactly one of round, time_s",
                   change)


@dataclass
class TopologyChange:
    """From ``round`` on, the gossip graph uses these edges or robot positions."""

    round: int = 0
    edges: list[list[str]] | None = None
    positions: dict[str, list[float]] | None = None


@dataclass
class GossipConfig:
    """Decentralised mode: who talks to whom, and how rounds are paced."""

    topology: str = "ring"        # ring | torus | full | edges | radius
    edges: list[list[str]] = field(default_factory=list)        # topology "edges": [[robot_0, robot_1], ...]
    positions: dict[str, list[float]] = field(default_factory=dict)  # topology "radius": robot -> [x, y]
    radius: float = 1.0
    schedule: list[TopologyChange] = field(default_factory=list)
    round_period_s: float = 1.0   # each robot starts a round on its own clock this often
    deadline_s: float = 0.8       # a neighbour's residual must arrive within this, or it is left out
    dead_after_rounds: int = 3    # a neighbour silent this many rounds is not waited for (still mixed if it returns)
    same_init: bool = True        # every robot starts from the model of run.seed (copies need no first exchange)
    train: bool = True            # false: pure gossip of the initial models (consensus tests, gamma tuning)

    def validate(self) -> None:
        _check(self.topology in ("ring", "torus", "full", "edges", "radius"), "gossip.topology",
               "must be ring, torus, full, edges or radius", self.topology)
        _check(self.radius > 0, "gossip.radius", "must be > 0", self.radius)
        _check(self.round_period_s > 0, "gossip.round_period_s", "must be > 0", self.round_period_s)
        _check(self.deadline_s > 0, "gossip.deadline_s", "must be > 0", self.deadline_s)


@dataclass
class Config:
    mode: str = "ps"              # ps (parameter server) | gossip
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
        _check(self.mode in ("ps", "gossip"), "mode", "must be ps or gossip", self.mode)
        allowed = PS_ALGORITHMS if self.mode == "ps" else GOSSIP_ALGORITHMS
        _check(self.algorithm.name in allowed, "algorithm.name", f"mode {self.mode} runs {', '.join(allowed)}",
               self.algorithm.name)
        if self.mode == "gossip":
            _check(self.algorithm.local_steps in (None, 1), "algorithm.local_steps",
                   "gossip peers take one optimiser step per round: must be 1", self.algorithm.local_steps)
            _check(self.algorithm.update in (None, "delta"), "algorithm.update",
                   "gossip peers run their own optimiser and exchange models: must be delta", self.algorithm.update)
            self.algorithm.local_steps = 1
        for f in dataclasses.fields(self):
            section = getattr(self, f.name)
            if hasattr(section, "validate"):
                section.validate()
        if self.algorithm.name in SIGN_ALGORITHMS:
            self._check_sign_step()
        _check(self.round.min_robots <= self.robots.count, "round.min_robots", "must be <= robots.count",
               self.round.min_robots)
        for name, override in self.robots.overrides.items():
            _check(override.data_root is None or self.task.partition == "local",
                   f"robots.overrides.{name}.data_root", "is read only with task.partition local",
                   override.data_root)
        return self

    def _check_sign_step(self) -> None:
        """signSGD's global step is −lr·vote, one bit per entry on the downlink. A stateful or decaying
        optimiser on the coordinator (the detector's recipe is AdamW) makes that step dense-valued, and the
        1-bit downlink would re-compress it through a second error feedback: the loss that broke compressed
        gradients. Signum's momentum lives on the robots (algorithm.signum_momentum)."""
        o = self.optimizer
        for name, value, wanted in (("name", o.name, "sgd"), ("momentum", o.momentum, 0.0),
                                    ("weight_decay", o.weight_decay, 0.0)):
            _check(value == wanted, f"optimizer.{name}",
                   f"{self.algorithm.name} steps x - lr * vote on the coordinator: set it to {wanted} "
                   "(a stateful optimiser makes the 1-bit step lossy)", value)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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

        return sorted(CLASSIFIERS)
    from .task.models import model_names

    return model_names()
