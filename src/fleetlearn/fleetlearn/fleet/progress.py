"""The terminal's view of a run: a line per round and one per evaluation, from the nodes' metrics rows.

Rows are what a ``Recorder`` records: netsim reads them from the metrics files as they grow,
``watch_metrics`` turns the nodes' Metrics topics back into rows (runs in one process or over
processes). One printer serves all three.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from ..config import Config, robot_names
from ..msgs import Metrics
from ..transport import Bus
from . import topics
from .recorder import metrics_row


class Progress:
    """Prints the rounds of the coordinator (or of the gossip fleet's observer) with each robot's last round.

    ``shaped_bps`` (netsim) gives each robot's link rate as shaped now, shown beside the rate it measured.
    """

    def __init__(self, rounds: int, say: Callable[[str], None] = print,
                 shaped_bps: Callable[[str], float] | None = None) -> None:
        self.rounds = rounds
        self.say = say
        self.shaped_bps = shaped_bps
        self.robot_rows: dict[str, dict[str, Any]] = {}
        self.started = time.monotonic()
        self.last_round = 0

    def on_robot(self, row: dict[str, Any]) -> None:
        if row.get("event") == "round":
            self.robot_rows[row["node"]] = row

    def on_hub(self, row: dict[str, Any]) -> None:
        """A row of the coordinator, or of the gossip fleet's observer (node "fleet")."""
        if row.get("event") == "eval":
            self._eval(row)
        elif row.get("event") == "round" and row["round"] > self.last_round:
            self.last_round = row["round"]
            self.say(self._gossip_round(row) if row.get("consensus_distance") is not None else self._round(row))

    def _eval(self, row: dict[str, Any]) -> None:
        if row.get("map50") is not None:
            self.say(f"  eval after round {row['round']}: mAP@0.5 {row['map50']:.3f}  "
                     f"mAP@[.5:.95] {_fixed(row.get('map50_95'), '.3f')}")
        elif row.get("accuracy") is not None:
            self.say(f"  eval after round {row['round']}: accuracy {row['accuracy']:.3f}")

    def _round(self, row: dict[str, Any]) -> str:
        robots = " ".join(self._robot(name, r) for name, r in sorted(self.robot_rows.items()))
        return (f"round {row['round']:4d}/{self.rounds} | loss {_fixed(row['loss'], '7.4f')} | "
                f"robots {row['participants']} | uplink {_mb(row['total_bytes_received'])} "
                f"downlink {_mb(row['total_bytes_sent'])} | {row['round_time_s']:5.2f} s | {robots} | "
                f"{self._elapsed()}")

    def _gossip_round(self, row: dict[str, Any]) -> str:
        return (f"round {row['round']:4d}/{self.rounds} | loss {_fixed(row['loss'], '7.4f')} | consensus distance "
                f"{row['consensus_distance']:.3e} | uplink {_mb(row['total_bytes_received'])} | {self._elapsed()}")

    def _robot(self, name: str, row: dict[str, Any]) -> str:
        column = f"{name.split('_')[-1]}:K={row['k']}/{_budget(row['budget_bytes'])}"
        if self.shaped_bps is None:
            return column
        measured = "?" if row.get("throughput_bps") is None else f"{row['throughput_bps'] / 1e6:.2f}"
        return f"{column} {self.shaped_bps(name) / 1e6:g}/{measured}Mbit/s"

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:5.0f} s"


def watch_metrics(bus: Bus, config: Config, progress: Progress) -> None:
    """Feed ``progress`` from the coordinator's, the gossip observer's and the robots' Metrics topics."""
    for hub in ("coordinator", "fleet"):
        bus.subscribe(topics.metrics_topic(hub), Metrics, lambda m, n=hub: progress.on_hub(metrics_row(n, m)))
    for name in robot_names(config.robots.count):
        bus.subscribe(topics.metrics_topic(name), Metrics, lambda m, n=name: progress.on_robot(metrics_row(n, m)))


def _mb(n: int) -> str:
    return f"{n / 1e6:7.2f} MB"


def _budget(n: int) -> str:
    """A round's byte budget: kB on a radio link; an unlimited link's is astronomically large."""
    return f"{n / 1e3:.0f}kB" if n < 1e7 else f"{n / 1e6:.0f}MB" if n < 1e10 else "unlimited"


def _fixed(value: float | None, spec: str) -> str:
    """A figure the row may leave out (None, or NaN on a topic: not measured) written as nan."""
    return format(math.nan if value is None else value, spec)
