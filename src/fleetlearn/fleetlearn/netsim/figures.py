"""The netsim figures and their data: measured vs shaped rate, K and bytes per round, round times.

Written into the run directory: ``netsim_throughput.png``, ``netsim_updates.png``,
``netsim_rounds.png``, the per-robot-round table ``netsim_rounds.csv`` and
``netsim_summary.json`` (how close each robot's measured rate came to its shaped one,
and how many rounds met the deadline).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from ..metrics_files import load_rows
from ..report import write_csv
from .linklog import read_link_log

WARMUP_ROUNDS = 3   # a robot's first rounds run on the prior rate, before anything was measured
SETTLE_ROUNDS = 3   # rounds a robot needs after a link change before its estimate counts again


def robot_round_table(run_dir: Path) -> list[dict[str, Any]]:
    """One row per robot round: what it sent, what it measured, and the rate netsim had set at that time."""
    events = read_link_log(run_dir)
    start = next((e["time"] for e in events if e["event"] == "start"), None)
    links = [e for e in events if e["event"] == "link"]
    if start is None:
        return []
    table = []
    rows = [r for r in load_rows(run_dir) if r.get("event") == "round" and r.get("node", "").startswith("robot")]
    for robot in sorted({r["node"] for r in rows}):
        changes = [e for e in links if e["robot"] == robot]
        last_change_seen = None
        since_change = 0
        for index, row in enumerate(r for r in rows if r["node"] == robot):
            current = [e for e in changes if e["time"] <= row["time"]]
            link = current[-1] if current else changes[0]
            if link is not last_change_seen:
                last_change_seen, since_change = link, 0
            since_change += 1
            table.append({
                "robot": robot, "round": row["round"], "time_s": round(row["time"] - start, 3),
                "shaped_rate_bps": link["rate_bps"], "loss": link["loss"],
                "throughput_bps": row["throughput_bps"], "usable_bps": row["usable_bps"], "k": row["k"],
                "bytes_sent": row["bytes_sent"], "budget_bytes": row["budget_bytes"],
                "settled": index >= WARMUP_ROUNDS and (link["cause"] == "start" or since_change > SETTLE_ROUNDS),
            })
    return table


def summarize(table: list[dict[str, Any]], coordinator: list[dict[str, Any]], deadline_s: float,
              robots: int) -> dict[str, Any]:
    per_robot = {}
    for robot in sorted({r["robot"] for r in table}):
        settled = [r for r in table if r["robot"] == robot and r["settled"] and r["throughput_bps"]]
        ratios = [r["throughput_bps"] / r["shaped_rate_bps"] for r in settled]
        per_robot[robot] = {
            "settled_rounds": len(settled),
            "median_measured_over_shaped": statistics.median(ratios) if ratios else None,
            "worst_relative_error": max((abs(x - 1) for x in ratios), default=None),
        }
    times = [r["round_time_s"] for r in coordinator]
    met = [r for r in coordinator if r["participants"] == robots and r["round_time_s"] < deadline_s]
    return {"robots": per_robot, "rounds": {
        "count": len(coordinator), "deadline_s": deadline_s, "met_deadline_with_every_robot": len(met),
        "median_round_time_s": statistics.median(times) if times else None,
        "max_round_time_s": max(times, default=None),
    }}


def write_netsim_figures(run_dir: Path) -> dict[str, Any]:
    """Write the netsim figures and data; returns the summary (also ``netsim_summary.json``)."""
    run_dir = Path(run_dir)
    events = read_link_log(run_dir)
    start = next((e for e in events if e["event"] == "start"), None)
    table = robot_round_table(run_dir)
    write_csv(table, run_dir / "netsim_rounds.csv")
    coordinator = [r for r in load_rows(run_dir) if r.get("node") == "coordinator" and r.get("event") == "round"]
    deadline = start["deadline_s"] if start else float("nan")
    summary = summarize(table, coordinator, deadline, len({r["robot"] for r in table}))
    figures = [_plot_throughput(run_dir, table, events, start["time"] if start else 0.0),
               _plot_updates(run_dir, table), _plot_rounds(run_dir, coordinator, events, deadline)]
    summary["figures"] = [str(f) for f in figures]
    (run_dir / "netsim_summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _plot_throughput(run_dir: Path, table: list[dict[str, Any]], events: list[dict[str, Any]],
                     start: float) -> Path:
    robots = sorted({r["robot"] for r in table}) or ["(no robot rounds)"]
    fig, axes = plt.subplots(len(robots), 1, figsize=(10, 2.6 * len(robots)), sharex=True, squeeze=False)
    first, end = min((r["time_s"] for r in table), default=0.0), max((r["time_s"] for r in table), default=1.0)
    for ax, robot in zip(axes[:, 0], robots, strict=True):
        steps = [e for e in events if e["event"] == "link" and e["robot"] == robot]
        if steps:
            xs = [e["time"] - start for e in steps] + [end]
            ys = [e["rate_bps"] / 1e6 for e in steps]
            ax.step(xs, [*ys, ys[-1]], where="post", color="black", linewidth=1.5, label="shaped (tc tbf)")
        rows = [r for r in table if r["robot"] == robot and r["throughput_bps"]]  # None: nothing measured yet
        ax.plot([r["time_s"] for r in rows], [r["throughput_bps"] / 1e6 for r in rows], "o-", markersize=3,
                linewidth=1, label="measured (acks)")
        ax.plot([r["time_s"] for r in rows], [r["usable_bps"] / 1e6 for r in rows], "--", linewidth=1,
                label="budget rate")
        ax.set_ylabel("Mbit/s")
        ax.set_title(robot, fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlim(max(0.0, first - 1.0), end + 0.5)  # node start-up before the first round is left out
    axes[-1, 0].set_xlabel("seconds since the network was made")
    fig.suptitle("measured uplink throughput vs the shaped rate")
    fig.tight_layout()
    return _save(fig, run_dir / "netsim_throughput.png")


def _plot_updates(run_dir: Path, table: list[dict[str, Any]]) -> Path:
    fig, (ax_k, ax_bytes) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for robot in sorted({r["robot"] for r in table}):
        rows = [r for r in table if r["robot"] == robot]
        rounds = [r["round"] for r in rows]
        ax_k.plot(rounds, [r["k"] for r in rows], "o-", markersize=3, linewidth=1, label=robot)
        line, = ax_bytes.plot(rounds, [r["bytes_sent"] / 1e3 for r in rows], "o-", markersize=3, linewidth=1,
                              label=f"{robot} sent")
        ax_bytes.plot(rounds, [r["budget_bytes"] / 1e3 for r in rows], "--", color=line.get_color(), linewidth=1,
                      label=f"{robot} budget")
    ax_k.set_ylabel("K (entries sent)")
    ax_k.set_title("K per round")
    ax_bytes.set_ylabel("kB")
    ax_bytes.set_xlabel("round")
    ax_bytes.set_title("update bytes and budget per round")
    for ax in (ax_k, ax_bytes):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, run_dir / "netsim_updates.png")


def _plot_rounds(run_dir: Path, coordinator: list[dict[str, Any]], events: list[dict[str, Any]],
                 deadline: float) -> Path:
    fig, ax = plt.subplots(figsize=(10, 3.5))
    ax.plot([r["round"] for r in coordinator], [r["round_time_s"] for r in coordinator], "o-", markersize=3,
            linewidth=1, label="round completion time")
    ax.axhline(deadline, color="red", linestyle="--", linewidth=1, label="deadline")
    for e in events:
        if e["event"] == "link" and e["cause"] != "start":
            ax.axvline(e["coordinator_round"] + 1, color="gray", linestyle=":", linewidth=1)
            ax.annotate(f"{e['robot']} → {e['rate_bps'] / 1e6:g} Mbit/s", (e["coordinator_round"] + 1, deadline),
                        fontsize=7, rotation=90, va="top")
    ax.set_xlabel("round")
    ax.set_ylabel("seconds")
    ax.set_title("round completion times")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, run_dir / "netsim_rounds.png")


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
