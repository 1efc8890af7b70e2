"""Running a fleet from a Config: the run directory, the nodes (in one process or one per node), the report.

``run_fleet`` prepares the run directory (config.yaml, metrics/), runs the nodes (progress on the
terminal from their Metrics topics), and on the end or on Ctrl-C writes what was recorded:
metrics.csv, the plots and summary.json.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .config import Config, ConfigError
from .fleet.build import partitions
from .fleet.inproc import run_inproc
from .fleet.processes import run_processes
from .report import finish_run


def prepare_run_dir(config: Config, run_dir: Path | None = None) -> Path:
    """``runs/<name>-<timestamp>/`` with the config used written into it; resuming, the run directory named
    (its metrics go on)."""
    if run_dir is None and config.run.resume:
        raise ConfigError("run.resume: name the run directory to resume (--run-dir)")
    if run_dir is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = Path(config.run.output_dir) / f"{config.run.name}-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    if not config.run.resume:
        for old in (run_dir / "metrics").glob("*.jsonl"):  # a run directory holds one run
            old.unlink()
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
    return run_dir


def run_fleet(config: Config, run_dir: Path | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run a whole fleet as configured; returns the summary (also in ``summary.json``)."""
    run_dir = prepare_run_dir(config, run_dir)
    say(f"run directory: {run_dir}")
    partitions(config)  # make the data (synthetic set on first use) once, before any node starts
    try:
        if config.transport.name == "inproc":
            run_inproc(config, run_dir, say)
        else:
            run_processes(config, run_dir, say)
    except KeyboardInterrupt:
        say("interrupted: keeping what was recorded")
    return finish_run(run_dir)
