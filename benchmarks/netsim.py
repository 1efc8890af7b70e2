"""Netsim benchmark: wall-clock time and uplink bytes to a target accuracy on heterogeneous shaped links.

Every run is a real ``fleetlearn netsim`` fleet (needs root) on the compressed-training recipe
(each robot takes 4 optimiser steps a round and sends its compressed model change with error
feedback; README "Compressed training"): four robots on links of
1, 2, 5 and 10 Mbit/s (tc tbf), one link dropping at round 10 (``--drop fast``: the 10 Mbit/s
one to 1 Mbit/s; ``--drop slowest``: the 1 Mbit/s one to 0.25 Mbit/s; ``none``); one round
deadline for every method. Methods, paired by seed (same data split and initial model):

- ``dense``: fp32 model changes, whatever the link;
- ``topk_fixed_slowest``: a fixed K whose update fits the slowest link (as the run starts) in ``comm_time_s``;
- ``topk_fixed_average``: a fixed K sized for the average link (slow robots miss the deadline);
- ``topk_fixed_hindsight``: sized for the slowest rate of the whole run, drop included (a K chosen
  knowing the future; run only where that differs from ``topk_fixed_slowest``);
- ``topk_adaptive``: K from each robot's measured rate x ``comm_time_s`` (``keep_ratio: 1``, no cap).

Fixed methods get a budget that never binds (their K is fixed by design). Time to target
is training time: from the opening of round 1 (node start-up excluded) to the evaluation that
first reaches the target, the coordinator's evaluation pauses taken out (they measure, they do
not train); a run stops there (SIGTERM, which netsim handles cleanly). The summary splits each
seed's time ratio into its rounds ratio and its time-per-round ratio. Adaptive K
runs first in each seed; every other method then gets ``--limit-factor`` times its time
(default 5, the dense goal): a method that has not reached the target by then is stopped,
and its ratio to adaptive K is reported as a bound (``dense_over_adaptive >= 5``), still a
measurement. ``--comm-time`` resizes every K (adaptive and fixed) for another link time per
round, to check a comparison against the setting. Prints JSON, writes
``benchmarks/results/netsim.json`` and ``netsim.png``.

    sudo .venv/bin/python benchmarks/netsim.py [--quick] [--seeds 0,1,2] [--task classification|detection]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import matplotlib
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from fleet_bench import NO_BUDGET_S, RESULTS, keep_ratio_fitting

from fleetlearn.config import config_from_dict
from fleetlearn.fleet.build import build_task
from fleetlearn.netsim import NetsimError
from fleetlearn.netsim.host import check_host
from fleetlearn.netsim.tail import JsonlTail

LINKS_BPS = {"robot_0": 1e6, "robot_1": 2e6, "robot_2": 5e6, "robot_3": 10e6}
SLOWEST_BPS = min(LINKS_BPS.values())  # as the run starts
DROPS = {"fast": {"robot": "robot_3", "round": 10, "rate_bps": 1e6},
         "slowest": {"robot": "robot_0", "round": 10, "rate_bps": 0.25e6}}
BURST_BYTES = 1600            # one full packet: a bigger tbf bucket lets small updates look faster than the link
# adaptive first: its time sets the others' limit
METHODS = ("topk_adaptive", "topk_fixed_slowest", "topk_fixed_average", "topk_fixed_hindsight", "dense")
FIXED = ("topk_fixed_slowest", "topk_fixed_average", "topk_fixed_hindsight")
GOALS = {"adaptive_vs_best_fixed_time_max": 0.5, "dense_vs_adaptive_time_min": 5.0}

TASKS: dict[str, dict[str, Any]] = {
    "classification": {
        "config": {"task": {"kind": "classification", "dataset": "digits"},
                   "optimizer": {"name": "adamw", "lr": 0.005}, "robots": {"batch_size": 32}},
        "metric": "accuracy", "target": 0.85, "comm_time_s": 0.15, "deadline_s": 0.5, "eval_every": 2,
        "max_rounds": 150,
    },
    "detection": {
        "config": {"task": {"kind": "detection", "dataset": "synthetic"}, "robots": {"batch_size": 8}},
        "metric": "map50", "target": 0.10, "comm_time_s": 0.5, "deadline_s": 1.5, "eval_every": 5,
        "max_rounds": 400,
    },
}


def base_config(task: dict[str, Any], seed: int, rounds: int, drop: dict[str, Any] | None) -> dict[str, Any]:
    return {
        **task["config"],
        "transport": {"name": "dds"},
        "run": {"name": "netsim-bench", "seed": seed, "rounds": rounds, "eval_every": task["eval_every"]},
        "robots": {**task["config"].get("robots", {}), "count": len(LINKS_BPS), "heartbeat_s": 0.5},
        "round": {"deadline_s": task["deadline_s"], "min_robots": 1, "robot_timeout_s": 10.0},
        "network": {"burst_bytes": BURST_BYTES, "robots": {r: {"rate_bps": bps} for r, bps in LINKS_BPS.items()},
                    "schedule": [drop] if drop else []},
    }


def method_sections(method: str, d: int, task: dict[str, Any], drop: dict[str, Any] | None) -> dict[str, Any]:
    comm = task["comm_time_s"]
    if method == "dense":
        return {"algorithm": {"name": "dense"}, "link": {"comm_time_s": NO_BUDGET_S}}
    if method == "topk_adaptive":
        return {"algorithm": {"name": "topk", "keep_ratio": 1.0, "value_dtype": "fp16"},
                "link": {"cap_bps": None, "comm_time_s": comm}}
    rate = {"topk_fixed_slowest": SLOWEST_BPS, "topk_fixed_average": statistics.mean(LINKS_BPS.values()),
            "topk_fixed_hindsight": slowest_ever(drop)}[method]
    return {"algorithm": {"name": "topk", "keep_ratio": keep_ratio_fitting(rate * comm / 8, d),
                          "value_dtype": "fp16"},
            "link": {"cap_bps": None, "comm_time_s": NO_BUDGET_S}}


def slowest_ever(drop: dict[str, Any] | None) -> float:
    """The slowest rate any link has during the run, the scheduled drop included."""
    return min(SLOWEST_BPS, drop["rate_bps"]) if drop else SLOWEST_BPS


def run_once(config: dict[str, Any], metric: str, target: float, workdir: Path,
             limit_s: float | None = None, startup_s: float = 60.0) -> dict[str, Any]:
    """One netsim run until the target is reached, ``limit_s`` of training time passed since round 1
    opened (then SIGTERM), or the rounds run out. A fleet that never completes a round (dense updates
    that never fit the deadline) is timed from ``startup_s`` after launch, the start-up a run needs."""
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    run_dir = workdir / "run"
    launched = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "fleetlearn.netsim", str(config_path), "--run-dir", str(run_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    coordinator = JsonlTail(run_dir / "metrics" / "coordinator.jsonl")
    reached = None
    first_round_at = None
    evaluating = 0.0  # the coordinator's evaluation pauses so far: not training time
    stopped = False
    while proc.poll() is None and reached is None:
        new = coordinator.read()
        evals = [r for r in new if r["event"] == "eval"]
        reached = next((r for r in evals if (r.get(metric) or 0) >= target), None)
        evaluating += sum(r["eval_time_s"] for r in evals)
        if first_round_at is None and any(r["event"] == "round" for r in new):
            first_round_at = time.monotonic()
        opened = first_round_at if first_round_at is not None else launched + startup_s
        if limit_s is not None and time.monotonic() - opened - evaluating > limit_s:
            stopped = True
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    if proc.returncode not in (0, 130):
        raise RuntimeError(f"netsim failed ({proc.returncode}): {err.strip()[-2000:]}")
    result = outcome(run_dir, metric, reached)
    if stopped and reached is None:
        result["time_s"] = max(result["time_s"], round(limit_s, 2))  # not reached within the limit: a lower bound
    result["startup_s"] = round(first_round_at - launched, 2) if first_round_at is not None else None
    return result


def outcome(run_dir: Path, metric: str, reached: dict[str, Any] | None) -> dict[str, Any]:
    rows = [json.loads(line) for path in sorted((run_dir / "metrics").glob("*.jsonl"))
            for line in path.read_text().splitlines() if line.strip()]
    rounds = sorted((r for r in rows if r["node"] == "coordinator" and r["event"] == "round"), key=lambda r: r["round"])
    evals = [r for r in rows if r["node"] == "coordinator" and r["event"] == "eval"]
    sends = [r for r in rows if r["node"].startswith("robot") and r["event"] == "round"]
    # from the opening of round 1; when no round ever completed, from the first update sent
    first_send = min((r["time"] for r in sends), default=0.0)
    start = rounds[0]["time"] - rounds[0]["round_time_s"] if rounds else first_send
    end = reached["time"] if reached else max((r["time"] for r in rounds + sends), default=start)
    until_end = [r for r in rounds if r["time"] <= end]
    sent = sum(r["bytes_sent"] for r in sends if r["time"] <= end)

    def training_time(t: float) -> float:
        """Seconds since round 1 opened, the coordinator's evaluation pauses taken out."""
        return t - start - sum(e["eval_time_s"] for e in evals if e["time"] <= t)

    return {
        "reached": reached is not None,
        "time_s": round(training_time(end), 2),
        "evaluation_s": round(sum(e["eval_time_s"] for e in evals if e["time"] <= end), 2),
        "rounds": reached["round"] if reached else len(rounds),
        "uplink_bytes_sent": sent,
        "uplink_bytes_aggregated": until_end[-1]["total_bytes_received"] if until_end else 0,
        "mean_updates_aggregated_per_round": round(statistics.mean(r["participants"] for r in until_end), 2)
        if until_end else 0.0,
        "median_round_time_s": round(statistics.median(r["round_time_s"] for r in until_end), 3) if until_end else None,
        "curve": [(round(training_time(r["time"]), 2), r.get(metric)) for r in evals],
        "run_dir": str(run_dir),
    }


def summarize(runs: dict[str, list[dict[str, Any]]], seeds: list[int]) -> dict[str, Any]:
    def median_time(method: str) -> float:
        times = [r["time_s"] if r["reached"] else float("inf") for r in runs[method]]
        return statistics.median(times)

    best_fixed = min((m for m in FIXED if m in runs), key=median_time)
    ratios, speedups, round_ratios = [], [], []
    for i in range(len(seeds)):
        adaptive, fixed = runs["topk_adaptive"][i], runs[best_fixed][i]
        ratios.append(time_ratio(adaptive, fixed))
        speedups.append(time_ratio(runs["dense"][i], adaptive) if "dense" in runs else None)
        if adaptive["reached"] and fixed["reached"]:  # the time ratio = rounds ratio x round-time ratio
            round_ratios.append({"rounds": round(adaptive["rounds"] / fixed["rounds"], 3),
                                 "time_per_round": round(adaptive["time_s"] / adaptive["rounds"]
                                                         / (fixed["time_s"] / fixed["rounds"]), 3)})
    median_ratio, median_speedup = median_of(ratios), median_of(speedups)
    return {
        "best_fixed": best_fixed,
        "adaptive_over_best_fixed_time_per_seed": ratios,
        "adaptive_over_best_fixed_per_seed_split": round_ratios,
        "dense_over_adaptive_time_per_seed": speedups,
        "median_adaptive_over_best_fixed_time": median_ratio,
        "median_dense_over_adaptive_time": median_speedup,
        "goals_met": {
            "adaptive <= 0.5x best fixed time": median_ratio is not None and median_ratio["bound"] != ">="
            and median_ratio["value"] <= GOALS["adaptive_vs_best_fixed_time_max"],
            "adaptive >= 5x faster than dense": None if "dense" not in runs else median_speedup is not None
            and median_speedup["bound"] != "<=" and median_speedup["value"] >= GOALS["dense_vs_adaptive_time_min"],
        },
    }


def time_ratio(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    """a's time over b's; where one was stopped before the target, its time is a lower bound."""
    if not (a["reached"] or b["reached"]):
        return None
    bound = "=" if a["reached"] and b["reached"] else (">=" if b["reached"] else "<=")
    return {"value": round(a["time_s"] / b["time_s"], 3), "bound": bound}


def median_of(ratios: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The median ratio; a bound when the median seed's ratio is one."""
    known = sorted((r for r in ratios if r is not None), key=lambda r: r["value"])
    return known[len(known) // 2] if known else None


def plot(runs: dict[str, list[dict[str, Any]]], metric: str, target: float, path: Path) -> None:
    fig, (ax_curve, ax_time, ax_bytes) = plt.subplots(1, 3, figsize=(15, 4.2))
    methods = [m for m in METHODS if runs.get(m)]
    for method in methods:
        xs, ys = zip(*runs[method][0]["curve"], strict=True) if runs[method][0]["curve"] else ((), ())
        ax_curve.plot(xs, ys, "o-", markersize=3, linewidth=1, label=method)
    ax_curve.axhline(target, color="gray", linestyle="--", linewidth=1)
    ax_curve.set_xlabel("training seconds since round 1, evaluations excluded (first seed)")
    ax_curve.set_ylabel(metric)
    ax_curve.legend(fontsize=7)
    for ax, key, label in ((ax_time, "time_s", "seconds to target"), (ax_bytes, "uplink_bytes_sent", "uplink bytes")):
        for i, method in enumerate(methods):
            reached = [r[key] for r in runs[method] if r["reached"]]
            stopped = [r[key] for r in runs[method] if not r["reached"]]  # lower bounds: stopped at the limit
            median_bound = len(stopped) > len(reached)
            ax.bar(i, statistics.median([r[key] for r in runs[method]]), color=f"C{i}", alpha=0.6,
                   hatch="//" if median_bound else None)
            ax.plot([i] * len(reached), reached, "ko", markersize=3)
            ax.plot([i] * len(stopped), stopped, "k^", markersize=4, fillstyle="none")
        ax.set_xticks(range(len(methods)), methods, rotation=20, fontsize=7)
        ax.set_ylabel(label)
        ax.set_yscale("log")
    ax_time.set_title("training time to target (dots: seeds; ^ hatched: stopped, a bound)", fontsize=9)
    ax_bytes.set_title("uplink bytes sent to target (or until stopped)", fontsize=9)
    for ax in (ax_curve, ax_time, ax_bytes):
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="classification")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 0,1,2; --quick 0,1)")
    parser.add_argument("--quick", action="store_true", help="two seeds")
    parser.add_argument("--target", type=float, help="target accuracy (classification) or mAP@0.5 (detection)")
    parser.add_argument("--output", type=Path, default=RESULTS / "netsim.json")
    parser.add_argument("--drop", choices=[*DROPS, "none"], default="fast",
                        help="which link drops at round 10: fast (10 -> 1 Mbit/s), slowest (1 -> 0.25), none")
    parser.add_argument("--deadline", type=float, help="round deadline in seconds (default: the task's)")
    parser.add_argument("--comm-time", type=float,
                        help="seconds of link time every K is sized for (default: the task's)")
    parser.add_argument("--keep-runs", type=Path, help="keep each run directory under this folder (default: discard)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS))
    parser.add_argument("--limit-factor", type=float, default=5.0,
                        help="stop other methods at this multiple of adaptive K's time to target (0: never)")
    args = parser.parse_args(argv)
    task = {**TASKS[args.task], **({"deadline_s": args.deadline} if args.deadline else {}),
            **({"comm_time_s": args.comm_time} if args.comm_time else {})}
    target = task["target"] if args.target is None else args.target
    seeds = [int(s) for s in (args.seeds or ("0,1" if args.quick else "0,1,2")).split(",")]
    try:
        check_host(needs_iptables=False)
    except NetsimError as exc:
        sys.exit(f"benchmarks/netsim.py: {exc}")
    drop = DROPS.get(args.drop)
    d = build_task(config_from_dict(base_config(task, 0, 1, drop))).num_params
    unknown = set(args.methods.split(",")) - set(METHODS)
    if unknown:
        sys.exit(f"benchmarks/netsim.py: --methods: unknown {', '.join(sorted(unknown))}; "
                 f"choose from {', '.join(METHODS)}")
    methods = [m for m in METHODS if m in args.methods.split(",")
               and not (m == "topk_fixed_hindsight" and slowest_ever(drop) == SLOWEST_BPS)]
    if "topk_adaptive" not in methods or not set(FIXED) & set(methods):
        sys.exit("benchmarks/netsim.py: --methods: needs topk_adaptive and at least one fixed K")
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    settings = {m: method_sections(m, d, task, drop) for m in methods}
    with tempfile.TemporaryDirectory(prefix="netsim-bench-") as tmp:
        root = args.keep_runs or Path(tmp)
        for seed in seeds:
            for method in methods:
                config = {**base_config(task, seed, task["max_rounds"], drop), **settings[method]}
                config_from_dict(config)  # fail before any netsim run on a bad setting
                workdir = root / f"{method}-seed{seed}"
                workdir.mkdir(parents=True)
                adaptive = runs.get("topk_adaptive") or [{}]
                reference = adaptive[-1] if adaptive[-1].get("seed") == seed and method != "topk_adaptive" else {}
                limit = args.limit_factor * reference["time_s"] if args.limit_factor and reference.get("reached") \
                    else None
                result = run_once(config, task["metric"], target, workdir, limit, reference.get("startup_s") or 60.0)
                result.pop("run_dir")
                runs[method].append({"seed": seed, **result})
                print(f"seed {seed} {method:20s} reached={result['reached']} time {result['time_s']:7.2f} s "
                      f"rounds {result['rounds']:4d} uplink {result['uplink_bytes_sent'] / 1e6:7.2f} MB",
                      file=sys.stderr, flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    plot(runs, task["metric"], target, args.output.with_suffix(".png"))
    report = {
        "task": args.task, "num_params": d, "metric": task["metric"], "target": target, "seeds": seeds,
        "links_bps": LINKS_BPS, "drop": drop, "comm_time_s": task["comm_time_s"],
        "deadline_s": task["deadline_s"],
        "methods": {m: {"algorithm": settings[m]["algorithm"], "runs": [{k: v for k, v in r.items() if k != "curve"}
                                                                        for r in runs[m]]} for m in methods},
        "summary": summarize(runs, seeds),
        "curves_first_seed": {m: runs[m][0]["curve"] for m in methods},
        "plot": str(args.output.with_suffix(".png")),
    }
    args.output.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "curves_first_seed"}, indent=2))


if __name__ == "__main__":
    main()
