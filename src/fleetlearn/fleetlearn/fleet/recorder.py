"""Per-node metrics: one JSON line per event in the run directory, and a Metrics message on the bus."""

from __future__ import annotations

import json
import math
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..msgs import Header, Metrics
from ..transport import Bus
from .topics import metrics_topic

START_EVENT = "start"  # the first line a recorder writes to its file

# field name -> True for floating-point fields (cyclonedds annotates them as Annotated[float, ...])
_METRIC_FIELDS = {f.name: typing.get_args(f.type)[0] is float for f in fields(Metrics) if f.name != "header"}


class Recorder:
    """Writes ``metrics/<node>.jsonl`` and publishes ``/<node>/metrics`` (scalars for rqt_plot)."""

    def __init__(self, bus: Bus, node: str, run_dir: Path | None) -> None:
        self.bus = bus
        self.node = node
        self.rows: list[dict[str, Any]] = []
        self._file = None
        if run_dir is not None:
            path = Path(run_dir) / "metrics" / f"{node}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", buffering=1)
            # a node started again under the same run directory (a ROS run name reused) appends:
            # the report reads each file from its last start on
            self._file.write(json.dumps({"node": node, "event": START_EVENT, "time": bus.now()}) + "\n")
        bus.advertise(metrics_topic(node), Metrics)

    def record(self, event: str, **values: Any) -> dict[str, Any]:
        row = {"node": self.node, "event": event, "time": self.bus.now(), **values}
        self.rows.append(row)
        if self._file is not None:
            self._file.write(json.dumps(row, default=_jsonable) + "\n")
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


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
