"""A run directory's ``metrics/<node>.jsonl``: how a node appends its rows and how they are read back.

One JSON line per event. A node started again under the same run directory (a ROS run name
reused) appends to its file after a new start line, and readers take each file from its last
start on. A coordinator resumed from a checkpoint appends a ``resume`` line instead: the run
goes on, and its rows before and after read as one run with the restart visible. Writer and
readers live here together, below the nodes that write and the report that reads, so neither
depends on the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

START_EVENT = "start"  # the first line a node writes each time it starts
RESUME_EVENT = "resume"  # ... or, resumed from a checkpoint, this one


def metrics_path(run_dir: Path, node: str) -> Path:
    return Path(run_dir) / "metrics" / f"{node}.jsonl"


class MetricsFile:
    """Appends one node's rows to its file, line-buffered so a reader sees each row as soon as it is written."""

    def __init__(self, run_dir: Path, node: str, started: float, resumed: dict[str, Any] | None = None) -> None:
        """``resumed``: what the node resumed from (a ``resume`` line with these fields, not a new start)."""
        path = metrics_path(run_dir, node)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", buffering=1)
        first = {"event": START_EVENT} if resumed is None else {"event": RESUME_EVENT, **resumed}
        self.write({"node": node, **first, "time": started})

    def write(self, row: dict[str, Any]) -> None:
        self._file.write(json.dumps(row, default=_jsonable) + "\n")

    def close(self) -> None:
        self._file.close()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def load_rows(run_dir: Path) -> list[dict[str, Any]]:
    """Every metrics row of every node since the node last started, in time order."""
    rows = [row for path in sorted((Path(run_dir) / "metrics").glob("*.jsonl")) for row in node_rows(path)]
    return sorted(rows, key=lambda r: r.get("time", 0.0))


def node_rows(path: Path, since_start: bool = True) -> list[dict[str, Any]]:
    """One node's metrics file from its last start on (``since_start`` false: all of it; none if it does not
    exist yet). ``resume`` lines are rows like any other."""
    rows: list[dict[str, Any]] = []
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by Ctrl-C, or still being written
        if row.get("event") == START_EVENT:
            if since_start:
                rows.clear()  # what came before belongs to an earlier run
        else:
            rows.append(row)
    return rows
