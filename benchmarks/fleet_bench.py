"""Shared pieces of the fleet benchmarks: run a configured fleet, read its curves, compare paired seeds."""

from __future__ import annotations

import json
import math
import statistics
import tempfile
from pathlib import Path
from typing import Any

from fleetlearn.codec import max_sparse_k
from fleetlearn.config import Config, config_from_dict
from fleetlearn.metrics_files import node_rows
from fleetlearn.run import run_fleet

RESULTS = Path(__file__).resolve().parent / "results"
MESSAGE_OVERHEAD_BYTES = 512  # CompressedUpdate fields around the payload (the robot takes them off its budget)
NO_BUDGET_S = 1e6             # comm_time of fixed-K methods: a budget that never binds (their K is fixed by design)


def keep_ratio_fitting(budget_bytes: float, d: int, value_type: str = "fp16") -> float:
    """keep_ratio of the largest Top-K whose update message always fits ``budget_bytes``."""
    return (max_sparse_k(int(budget_bytes) - MESSAGE_OVERHEAD_BYTES, d, value_type) or 1) / d


def run_curve(config: Config, metric: str) -> dict[str, Any]:
    """Run ``config``; return its evaluation curve (round, metric, cumulative bytes, clock) and totals."""
    hub = "fleet" if config.mode == "gossip" else "coordinator"
    with tempfile.TemporaryDirectory() as tmp:
        summary = run_fleet(config, Path(tmp) / "run", say=lambda line: None)
        rows = node_rows(Path(tmp) / "run" / "metrics" / f"{hub}.jsonl")
        robot_rows = [node_rows(path) for path in sorted((Path(tmp) / "run" / "metrics").glob("robot_*.jsonl"))]
    evals = [r for r in rows if r["event"] == "eval"]
    rounds = [r for r in rows if r["event"] == "round"]
    return {
        "consensus_distance": [r.get("consensus_distance") for r in rounds],
        "round_bytes": [r["total_bytes_received"] for r in rounds],
        "rounds": [r["round"] for r in evals],
        "metric": [r.get(metric) for r in evals],
        "uplink_bytes": [r["total_bytes_received"] for r in evals],
        "downlink_bytes": [r.get("total_bytes_sent", 0) for r in evals],
        # training time on the bus clock (simulated seconds inproc), from the opening of round 1
        "time_s": [r["time"] - training_start(rounds) for r in evals],
        "sent_bytes": [sent_by_round(robot_rows, r["round"]) for r in evals],
        "final": evals[-1].get(metric) if evals else None,
        "total_uplink_bytes": summary["uplink_bytes"],
        "total_downlink_bytes": summary["downlink_bytes"],
        "loss": [r["loss"] for r in rounds],
        "sparsity": rounds[-1].get("sparsity") if rounds else None,
    }


def training_start(rounds: list[dict[str, Any]]) -> float:
    """When the first round opened, on the bus clock: the fleet's set-up (joins, snapshots) ends there."""
    first = rounds[0] if rounds else {}
    return first.get("time", 0.0) - first.get("round_time_s", 0.0)


def sent_by_round(robot_rows: list[list[dict[str, Any]]], round_number: int) -> int:
    """Update bytes every robot had sent by ``round_number``, late or rejected ones included."""
    total = 0
    for rows in robot_rows:
        sent = [r["total_bytes_sent"] for r in rows if r["event"] == "round" and r["round"] <= round_number]
        total += sent[-1] if sent else 0
    return total


def first_reaching(curve: dict[str, Any], target: float, key: str) -> float:
    """The first value of ``key`` at which the metric reaches ``target`` (inf if never)."""
    for value, metric in zip(curve[key], curve["metric"], strict=True):
        if metric is not None and metric >= target:
            return float(value)
    return math.inf


def paired(a: list[float], b: list[float]) -> dict[str, float]:
    """Mean ± standard error of the paired differences a − b (finite pairs only)."""
    diffs = [x - y for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)]
    if not diffs:
        return {"mean": math.nan, "sem": math.nan, "n": 0}
    sem = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.nan
    return {"mean": statistics.fmean(diffs), "sem": sem, "n": len(diffs)}


def make_config(base: dict[str, Any], **sections: dict[str, Any]) -> Config:
    data = json.loads(json.dumps(base))
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return config_from_dict(data)


def save(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=float))
    return path


def save_figure(fig: Any, name: str) -> Path:
    """``benchmarks/results/<name>.png`` (the folder is made on first use); closes the figure."""
    import matplotlib.pyplot as plt

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
