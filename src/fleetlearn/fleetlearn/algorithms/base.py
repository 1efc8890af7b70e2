"""What an algorithm is, as the fleet sees it: one declarative entry per method.

An :class:`Algorithm` names the parts a run is built from (robot-side compressor, server
aggregator or gossip mixing rule, downlink codec), the update kinds it runs, and its own
config fields (:class:`Option`). Robots, coordinator, peers, config validation, ``fleetlearn
config`` and the ROS parameter declarations all ask the entry; none of them switch on names.

Entries are declarations: they import no torch, so validating a config stays cheap. The
parts they name are built from their own registries (``compress``, ``aggregate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..registry import Registry

if TYPE_CHECKING:
    from ..compress import FlatLayout
    from ..config import Config
    from ..task import Task

Params = dict[str, Any]
Problem = tuple[str, str, Any]  # (config field, what is wrong with it, its value): one ConfigError line
# The parameter-server update kinds: the robots' compressed model change after local steps of
# their own optimiser (delta), or one gradient for the coordinator's optimiser (gradient).
DELTA, GRADIENT = "delta", "gradient"


@dataclass(frozen=True)
class Option:
    """One field of an algorithm: ``algorithm.<name>`` in the config and a read-only ROS parameter.

    Several algorithms may read the same option (Top-K's ``keep_ratio`` also sizes CHOCO's
    residuals): they share one declaration, so the field has one type, default and description.
    """

    name: str
    type: Any                     # float, int, bool, str (or "T | None" for an optional field)
    default: Any
    doc: str
    choices: tuple[Any, ...] | None = None
    valid: Callable[[Any], bool] | None = None
    problem: str = ""             # what ``valid`` requires, e.g. "must be in (0, 1]"

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable (None: it is)."""
        if self.choices is not None and value not in self.choices:
            *head, last = [str(c) for c in self.choices]
            return f"must be {', '.join(head)} or {last}" if head else f"must be {last}"
        if self.valid is not None and value is not None and not self.valid(value):
            return self.problem
        return None


def no_params(*_: Any) -> Params:
    return {}


@dataclass(frozen=True)
class Algorithm:
    """One method: everything a fleet needs to run it, by the names of its parts."""

    name: str
    mode: str                                    # "ps" (parameter server) or "gossip"
    summary: str                                 # one line for docs and parameter descriptions
    compressor: str                              # the robots' compressor; also the codec on the wire
    # (algorithm config, the model's tensor layout or None) -> the compressor's keyword arguments
    compressor_params: Callable[[Any, FlatLayout | None], Params] = no_params
    options: tuple[Option, ...] = ()             # the config fields it reads
    # parameter-server mode
    # Update kinds it runs, the first its default. Compressed methods send deltas only: a compressed gradient
    # through the coordinator's optimiser learns a tenth of dense (README "Compressed training").
    updates: tuple[str, ...] = (DELTA,)
    aggregator: str = "mean"                     # the coordinator's rule (aggregate.AGGREGATORS)
    aggregator_params: Callable[[Any], Params] = no_params
    # The global step's codec (a compressor name) and its arguments. The default, Top-K keeping every entry
    # the average moved (the union of the robots' supports), in the method's value type. A biased downlink
    # codec keeps what it drops in the coordinator's error feedback, as robots do on the uplink, unless the
    # method's step is already the codec's.
    downlink: str = "topk"
    downlink_params: Callable[[Any], Params] = lambda a: {"keep_ratio": 1.0, "value_type": a.value_dtype}
    downlink_error_feedback: bool = True         # False: the step is the codec's by construction (signSGD's)
    # gossip mode
    rule: str | None = None                      # the consensus step (aggregate.RULES)
    rule_params: Callable[[Any, Task], Params] = no_params   # (algorithm config, the peer's task)
    check: Callable[[Config], Problem | None] | None = None  # the method's own rule across config sections

    def reads(self, option: str) -> bool:
        return any(o.name == option for o in self.options)


ALGORITHMS: Registry[Algorithm] = Registry("algorithm")
MODES = ("ps", "gossip")


def register(entry: Algorithm) -> Algorithm:
    """Add a method; each method's module calls it once (``fleetlearn.algorithms`` imports them all)."""
    if entry.mode not in MODES:
        raise ValueError(f"algorithm {entry.name!r}: mode must be ps or gossip, got {entry.mode!r}")
    return ALGORITHMS.add(entry.name, entry)
