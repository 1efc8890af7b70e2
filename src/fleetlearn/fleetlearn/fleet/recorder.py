"""Per-node metrics: one JSON line per event in the run directory, and a Metrics message on the bus."""

from __future__ import annotations

import math
import time
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..metrics_files import MetricsFile
from ..msgs import Header, Metrics
from ..transport import Bus
from .topics import metrics_topic

# What the Metrics topic carries (rqt_plot, progress lines): a message has no event field, so a reader takes
# a scored one for "eval" and any other for "round"; other events (finish, checkpoint, ...) go to the file only.
PUBLISHED_EVENTS = ("round", "eval")
# field name -> True for floating-point fields (cyclonedds annotates them as Annotated[float, ...])
_METRIC_FIELDS = {f.name: typing.get_args(f.type)[0] is float for f in fields(Metrics) if f.name != "header"}


class Recorder:
    """Writes ``metrics/<node>.jsonl`` and publishes round and eval rows on ``/<node>/metrics`` (scalars for
    rqt_plot).

    Without a bus it only writes the file, its rows timed by the wall clock (what the nodes of a
    run over processes use); without a run directory it only publishes.
    """

    def __init__(self, bus: Bus | None, node: str, run_dir: Path | None, resumed: dict[str, Any] | None = None) -> None:
        """``resumed``: the node goes on from a checkpoint (``MetricsFile``)."""
        self.bus = bus
        self.node = node
        self.rows: list[dict[str, Any]] = []
        self._file = None if run_dir is None else MetricsFile(run_dir, node, self.now(), resumed)
        if bus is not None:
            bus.advertise(metrics_topic(node), Metrics)

    def now(self) -> float:
        return time.time() if self.bus is None else self.bus.now()

    def record(self, event: str, **values: Any) -> dict[str, Any]:
        row = {"node": self.node, "event": event, "time": self.now(), **values}
        self.rows.append(row)
        if self._file is not None:
            self._file.write(row)
        if self.bus is not None and event in PUBLISHED_EVENTS:
            self.bus.publish(metrics_topic(self.node), self._message(row))
        return row

    def _message(self, row: dict[str, Any]) -> Metrics:
        msg = Metrics(header=Header.at(row["time"], self.node),
                      map50=math.nan, map50_95=math.nan, accuracy=math.nan, consensus_distance=math.nan)
        for name, is_float in _METRIC_FIELDS.items():
            value = row.get(name)
            if value is None:
                if is_float and name in row:  # recorded as not measured
                    setattr(msg, name, math.nan)
                continue
            if is_float:
                setattr(msg, name, float(value))
            elif isinstance(value, int | float) and math.isfinite(value):
                setattr(msg, name, max(0, int(value)))
        return msg

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def metrics_row(node: str, msg: Metrics) -> dict[str, Any]:
    """A Metrics message read back as the row it was made from, as far as a message tells: NaN is None
    (not measured), and the event, which the message does not carry, is "eval" when it has a score,
    else "round"."""
    row: dict[str, Any] = {}
    for name in _METRIC_FIELDS:
        value = getattr(msg, name)
        row[name] = None if isinstance(value, float) and math.isnan(value) else value
    scored = row["map50"] is not None or row["accuracy"] is not None
    return {"node": node, "event": "eval" if scored else "round", **row}
