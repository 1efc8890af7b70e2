"""Run directory results: merged CSV of every node's metrics and the PNG plots a person reads."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

from .config import Config, load_config, robot_names
from .metrics_files import RESUME_EVENT, load_rows, metrics_path, node_rows

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns and not isinstance(row[k], dict | list)]
    with Path(path).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _series(rows, node_prefix: str, event: str, x: str, y: str) -> dict[str, tuple[list, list]]:
    out: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for r in rows:
        if r.get("event") != event or not r["node"].startswith(node_prefix) or x not in r or y not in r:
            continue
        if r[y] is not None and not (isinstance(r[y], float) and math.isnan(r[y])):
            out[r["node"]][0].append(r[x])
            out[r["node"]][1].append(r[y])
    return dict(out)


def _plot(ax, series: dict[str, tuple[list, list]], xlabel: str, ylabel: str, title: str, logx: bool = False,
          marker: str = "") -> None:
    for name, (xs, ys) in sorted(series.items()):
        ax.plot(xs, ys, marker=marker, label=name, linewidth=1.2, markersize=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if logx:
        ax.set_xscale("log")
    ax.grid(True, alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=7)


def plot_run(run_dir: Path, rows: list[dict[str, Any]] | None = None) -> list[Path]:
    """training.png (score and loss vs rounds and vs uplink bytes) and link.png (per-robot link and K)."""
    run_dir = Path(run_dir)
    rows = load_rows(run_dir) if rows is None else rows
    hub = "coordinator" if any(r["node"] == "coordinator" for r in rows) else "fleet"
    metric = "map50" if any(r.get("map50") is not None for r in rows if r.get("event") == "eval") else "accuracy"
    label = {"map50": "mAP@0.5", "accuracy": "accuracy"}[metric]
    made = []
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    _plot(axes[0, 0], _series(rows, hub, "eval", "round", metric), "round", label, f"{label} vs rounds", marker="o")
    _plot(axes[0, 1], _series(rows, hub, "eval", "total_bytes_received", metric), "uplink bytes (all robots)",
          label, f"{label} vs uplink bytes", marker="o")
    _plot(axes[1, 0], _series(rows, hub, "round", "round", "loss"), "round", "training loss", "loss vs rounds")
    _plot(axes[1, 1], _series(rows, hub, "round", "total_bytes_received", "loss"), "uplink bytes (all robots)",
          "training loss", "loss vs uplink bytes")
    for resume in (r for r in rows if r.get("event") == RESUME_EVENT and r.get("node") == hub):
        for ax in (axes[0, 0], axes[1, 0]):  # the coordinator went back to a checkpoint here
            ax.axvline(resume["round"], color="red", linestyle=":", linewidth=1)
            ax.annotate(f"resumed (lost {resume.get('rounds_lost', '?')})", (resume["round"], 1), rotation=90,
                        xycoords=("data", "axes fraction"), fontsize=7, color="red", va="top", ha="right")
    fig.tight_layout()
    made.append(run_dir / "training.png")
    fig.savefig(made[-1], dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    _plot(axes[0, 0], _series(rows, "robot", "round", "round", "k"), "round", "K (entries sent)", "K per round")
    _plot(axes[1, 0], _series(rows, "robot", "round", "round", "bytes_sent"), "round", "bytes",
          "encoded update size per round")
    if hub == "fleet":
        _plot(axes[0, 1], _series(rows, "fleet", "round", "round", "consensus_distance"), "round",
              "mean squared distance to the average", "consensus distance")
        axes[0, 1].set_yscale("log")
        _plot(axes[1, 1], _series(rows, "robot", "round", "round", "sparsity"), "round", "fraction of zeros",
              "model sparsity")
    else:
        _plot(axes[0, 1], _series(rows, "robot", "round", "round", "budget_bytes"), "round", "bytes",
              "uplink budget per round")
        throughput = _series(rows, "robot", "round", "round", "throughput_bps")
        _plot(axes[1, 1], throughput, "round", "bits/s", "measured uplink throughput")
        if any(y > 0 for _, ys in throughput.values() for y in ys):  # none measured: no delivery feedback
            axes[1, 1].set_yscale("log")
    fig.tight_layout()
    made.append(run_dir / "link.png")
    fig.savefig(made[-1], dpi=110)
    plt.close(fig)
    return made


def rounds_done(rows: list[dict[str, Any]]) -> int:
    """Global steps made: the coordinator's count when it finished (its round numbers go past it when rounds
    are announced again or it resumed), else the highest round recorded."""
    ends = [r["rounds_done"] for r in rows if r.get("event") == "finish" and "rounds_done" in r]
    if ends:
        return ends[-1]
    return max((r.get("round", 0) for r in rows if r.get("node") in ("coordinator", "fleet")), default=0)


def finish_run(run_dir: Path) -> dict[str, Any]:
    """Write metrics.csv and the plots; return the summary the CLI prints."""
    run_dir = Path(run_dir)
    rows = load_rows(run_dir)
    write_csv(rows, run_dir / "metrics.csv")
    plots = plot_run(run_dir, rows)
    evals = [r for r in rows if r.get("node") in ("coordinator", "fleet") and r.get("event") == "eval"]
    robot_rounds = [r for r in rows if r.get("node", "").startswith("robot") and r.get("event") == "round"]
    summary = {
        "run_dir": str(run_dir),
        "rounds": rounds_done(rows),
        "final_map50": evals[-1]["map50"] if evals else None,
        "final_map50_95": evals[-1].get("map50_95") if evals else None,
        "final_accuracy": evals[-1].get("accuracy") if evals else None,
        "uplink_bytes": sum(r.get("bytes_sent", 0) for r in robot_rounds),
        "dense_fp32_uplink_bytes": sum(r.get("dense_bytes", 0) for r in robot_rounds),
        # global steps and snapshots, as the coordinator counted them (the progress line's figure)
        "downlink_bytes": max((r.get("total_bytes_sent", 0) for r in rows if r.get("node") == "coordinator"),
                              default=0),
        "dense_fp32_downlink_bytes": sum(r.get("dense_bytes", 0) for r in rows
                                         if r.get("node") == "coordinator" and r.get("event") == "round"),
        "updates_sent": len(robot_rounds),
        "plots": [str(p) for p in plots],
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    """The summary of ``finish_run`` as a person reads it at the end of a run."""
    up, dense = summary["uplink_bytes"], summary["dense_fp32_uplink_bytes"]
    final = summary["final_map50"]
    print()
    if summary.get("final_accuracy") is not None:
        print(f"final accuracy: {summary['final_accuracy']:.3f}")
    else:
        print(f"final mAP@0.5: {final:.3f}" if final is not None else "final mAP@0.5: not evaluated")
    if up:
        print(f"uplink: {up / 1e6:.2f} MB sent in {summary['updates_sent']} updates; dense fp32 would have sent "
              f"{dense / 1e6:.1f} MB ({dense / up:.1f}x more)")
        down, dense_down = summary["downlink_bytes"], summary.get("dense_fp32_downlink_bytes", 0)
        if down and dense_down:
            print(f"downlink: {down / 1e6:.2f} MB (global steps and snapshots); dense fp32 steps alone "
                  f"{dense_down / 1e6:.1f} MB; uplink + downlink {(dense + dense_down) / (up + down):.1f}x fewer "
                  "bytes than dense")
    print(f"run directory: {summary['run_dir']}  (metrics.csv, metrics/*.jsonl, training.png, link.png, model.pt)")


def check_run(run_dir: Path) -> list[str]:
    """Why a run directory does not show a complete run, one line each (empty: it does).

    Complete: every node of the configured fleet recorded its finish since its last start, the
    coordinator (each peer, in gossip) finished all ``run.rounds`` rounds rather than being stopped,
    and every robot ended on the coordinator's final model, bit for bit. This is the check after a
    ``ros2 launch`` or compose run, whose exit code does not say whether its nodes succeeded.
    """
    run_dir = Path(run_dir)
    config = _run_config(run_dir)
    if config is None:
        return [f"{run_dir}: no config.yaml or config/*.yaml: the nodes did not start"]
    gossip = config.mode == "gossip"
    nodes = robot_names(config.robots.count) if gossip else ["coordinator", *robot_names(config.robots.count)]
    finished: dict[str, dict[str, Any]] = {}
    problems = []
    for node in nodes:
        path = metrics_path(run_dir, node)
        ends = [r for r in node_rows(path) if r.get("event") == "finish"]
        if not path.exists():
            problems.append(f"{node}: no metrics/{node}.jsonl: it did not start (or its file was not gathered here)")
        elif not ends:
            problems.append(f"{node}: no finish recorded since it started: it failed or was killed (see its log)")
        else:
            finished[node] = ends[-1]
    rounds = config.run.rounds
    for node in nodes if gossip else ["coordinator"]:
        end = finished.get(node, {})
        reason = end.get("reason", "done")  # robots and peers record no reason
        done = end.get("rounds_done", end.get("round"))  # a coordinator's round numbers go past it (re-announced
        # rounds, a resume); a peer's are its rounds
        if end and (done != rounds or reason != "done"):
            why = "" if reason == "done" else f" ({reason})"
            problems.append(f"{node}: finished after {done} of {rounds} rounds{why}")
    final = finished.get("coordinator")
    for node in [] if gossip or final is None else robot_names(config.robots.count):
        end = finished.get(node)
        if end is not None and (end.get("model_version"), end.get("model_crc32")) != \
                (final["model_version"], final["model_crc32"]):
            problems.append(f"{node}: ended on model version {end.get('model_version')} (crc {end.get('model_crc32')}),"
                            f" not the coordinator's final {final['model_version']} (crc {final['model_crc32']})")
    return problems


def _run_config(run_dir: Path) -> Config | None:
    """config.yaml (fleetlearn run), else the coordinator's or any node's own (ROS nodes write config/<node>.yaml)."""
    nodes = sorted((run_dir / "config").glob("*.yaml"), key=lambda p: p.stem != "coordinator")
    path = next((p for p in [run_dir / "config.yaml", *nodes] if p.exists()), None)
    return None if path is None else load_config(path)
