"""Parameter-server fleet: dense vs fixed Top-K vs adaptive Top-K, on equal and on unequal links.

    .venv/bin/python benchmarks/fleet.py [--quick] [--seeds 3] [--rounds 100] [--jobs 2] [--target 0.5]
    .venv/bin/python benchmarks/fleet.py --report --target 0.3   # the stored curves, summarised again

Robots train the small detector on the synthetic VOC set with the compressed-training recipe
(each takes 4 AdamW steps a round and sends its compressed model change with error feedback;
README "Compressed training"), inproc on a simulated clock (deterministic; each run is one
process). Two parts, paired by seed:

- ``equal_links`` (3 robots, a 60 kB uplink budget per robot and round): dense; fixed
  Top-K with and without error feedback (the K that fills the budget); the adaptive K
  rules, rate-distortion and norm-proportional, which move the same bytes between rounds
  (capped at twice the budget in any one round). This is temporal reallocation only.
- ``unequal_links`` (4 robots on links of 0.5, 1, 2 and 4 Mbit/s, a round deadline of
  ``DEADLINE_S``): dense on ideal links (the bytes reference); a fixed K sized for the
  slowest link; a fixed K sized for the average link, which spends the same bytes as
  adaptive K but whose slow robots miss the deadline; adaptive K, each robot filling
  ``COMM_TIME_S`` of its own measured link. Bytes here are what robots sent, late ones included.

Reports final mAP@0.5 and uplink bytes to a target mAP@0.5 per seed, with paired
differences (mean ± sem). Prints JSON, writes benchmarks/results/fleet.json and fleet.png.
Goals: adaptive Top-K reaches the target with ≥ 10× fewer uplink bytes than dense, and
ends at an mAP no lower than the best fixed Top-K at equal bytes.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from fleet_bench import (
    NO_BUDGET_S,
    RESULTS,
    first_reaching,
    keep_ratio_fitting,
    make_config,
    paired,
    run_curve,
    save,
    save_figure,
)

from fleetlearn.fleet.build import build_task

EQUAL_BUDGET_BYTES = 60_000
LINKS_BPS = (0.5e6, 1e6, 2e6, 4e6)
COMM_TIME_S = 1.0
DEADLINE_S = 1.25


def common(rounds: int, robots: int) -> dict[str, Any]:
    return {"transport": {"name": "inproc"}, "run": {"rounds": rounds, "eval_every": max(1, rounds // 10)},
            "robots": {"count": robots, "batch_size": 16},
            "task": {"kind": "detection", "synthetic": {"num_train": 1200, "num_val": 200}, "max_val_images": 200}}


def equal_links(rounds: int, d: int) -> dict[str, dict[str, Any]]:
    base = common(rounds, 3)
    keep = keep_ratio_fitting(EQUAL_BUDGET_BYTES, d)
    cap = {"cap_bps": EQUAL_BUDGET_BYTES * 8.0, "comm_time_s": 1.0}
    burst = {"cap_bps": 2 * EQUAL_BUDGET_BYTES * 8.0, "comm_time_s": 1.0}
    topk = {"name": "topk", "value_dtype": "fp16"}
    return {
        "dense": {**base, "algorithm": {"name": "dense"}, "link": {"cap_bps": None}},
        "topk_fixed_no_ef": {**base, "algorithm": {**topk, "keep_ratio": 1.0, "error_feedback": False}, "link": cap},
        "topk_fixed_ef": {**base, "algorithm": {**topk, "keep_ratio": 1.0, "error_feedback": True}, "link": cap},
        "topk_adaptive_rd": {**base, "algorithm": {**topk, "keep_ratio": keep, "k_controller": "rd"},
                             "link": burst},
        "topk_adaptive_norm": {**base, "algorithm": {**topk, "keep_ratio": keep, "k_controller": "norm"},
                               "link": burst},
    }


def unequal_links(rounds: int, d: int) -> dict[str, dict[str, Any]]:
    base = common(rounds, len(LINKS_BPS))
    rates = {f"robot_{i}": {"rate_bps": bps} for i, bps in enumerate(LINKS_BPS)}
    shaped = {**base, "robots": {**base["robots"], "overrides": rates},
              "round": {"deadline_s": DEADLINE_S, "min_robots": 1, "robot_timeout_s": 30.0}}
    topk = {"name": "topk", "value_dtype": "fp16", "error_feedback": True}
    never_binds = {"cap_bps": None, "comm_time_s": NO_BUDGET_S, "latency_s": 0.005}

    def fixed(bps: float) -> dict[str, Any]:
        keep = keep_ratio_fitting(bps / 8 * COMM_TIME_S, d)
        return {**shaped, "algorithm": {**topk, "keep_ratio": keep}, "link": never_binds}

    return {
        "dense_ideal_links": {**base, "algorithm": {"name": "dense"}, "link": {"cap_bps": None}},
        "topk_fixed_slowest": fixed(min(LINKS_BPS)),
        "topk_fixed_average": fixed(statistics.fmean(LINKS_BPS)),
        "topk_adaptive": {**shaped, "algorithm": {**topk, "keep_ratio": 1.0},
                          "link": {"cap_bps": None, "comm_time_s": COMM_TIME_S, "latency_s": 0.005}},
    }


def run_one(job: tuple[str, str, int, dict[str, Any]]) -> tuple[str, str, int, dict[str, Any]]:
    part, method, seed, data = job
    logging.getLogger("fleetlearn").setLevel(logging.ERROR)  # late updates are the point of some methods here
    curve = run_curve(make_config(data, run={"seed": seed}), "map50")
    print(f"{part} seed {seed} {method:20s} final mAP@0.5 {curve['final']:.3f}  "
          f"sent {curve['total_uplink_bytes'] / 1e6:.1f} MB", file=sys.stderr, flush=True)
    return part, method, seed, curve


def summarise(curves: dict[str, list[dict]], target: float, adaptive: list[str], fixed: list[str],
              dense: str) -> dict[str, Any]:
    finals = {m: [c["final"] for c in cs] for m, cs in curves.items()}
    to_target = {m: [first_reaching(c, target, "sent_bytes") for c in cs] for m, cs in curves.items()}
    best_fixed = max(fixed, key=lambda m: statistics.fmean(finals[m]))
    best_adaptive = max(adaptive, key=lambda m: statistics.fmean(finals[m]))
    pairs = [x / y for x, y in zip(to_target[dense], to_target[best_adaptive], strict=True) if math.isfinite(x * y)]
    return {
        "final_map50": finals,
        "uplink_bytes_to_target": to_target,
        "total_uplink_bytes": {m: statistics.fmean(c["total_uplink_bytes"] for c in cs) for m, cs in curves.items()},
        "best_fixed": best_fixed,
        "best_adaptive": best_adaptive,
        "paired_final_vs_fixed": {f"{a} - {f}": paired(finals[a], finals[f]) for a in adaptive for f in fixed},
        "dense_over_adaptive_bytes_to_target": statistics.fmean(pairs) if pairs else math.nan,
        "seeds_where_adaptive_reached_target": len(pairs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 20 rounds")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--target", type=float, default=0.5, help="target mAP@0.5")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (one process and torch thread each)")
    parser.add_argument("--part", choices=("equal_links", "unequal_links", "both"), default="both")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: summarise the curves in results/fleet.json again (e.g. for another "
                             "--target)")
    args = parser.parse_args()
    if args.report:
        kept = json.loads((RESULTS / "fleet.json").read_text())
        curves, rounds, seeds, d = kept["curves"], kept["rounds"], kept["seeds"], kept["parameters"]
    else:
        seeds, rounds = (2, 20) if args.quick else (args.seeds, args.rounds)
        d = build_task(make_config(common(rounds, 1)), "robot_0").num_params
        curves = run_parts(args.part, seeds, rounds, d, args.jobs)

    result: dict[str, Any] = {"rounds": rounds, "seeds": seeds, "target_map50": args.target, "parameters": d}
    goals: dict[str, Any] = {}
    if "equal_links" in curves:
        s = summarise(curves["equal_links"], args.target, ["topk_adaptive_rd", "topk_adaptive_norm"],
                      ["topk_fixed_no_ef", "topk_fixed_ef"], "dense")
        s["paired_final_ef_vs_no_ef"] = paired(s["final_map50"]["topk_fixed_ef"], s["final_map50"]["topk_fixed_no_ef"])
        result["equal_links"] = {"robots": 3, "budget_bytes_per_robot_round": EQUAL_BUDGET_BYTES, **s}
        goals["equal_links"] = goal_flags(s, s["best_fixed"])
    if "unequal_links" in curves:
        s = summarise(curves["unequal_links"], args.target, ["topk_adaptive"],
                      ["topk_fixed_slowest", "topk_fixed_average"], "dense_ideal_links")
        totals = s["total_uplink_bytes"]
        s["bytes_fixed_average_over_adaptive"] = totals["topk_fixed_average"] / totals["topk_adaptive"]
        result["unequal_links"] = {"links_bps": LINKS_BPS, "comm_time_s": COMM_TIME_S, "deadline_s": DEADLINE_S, **s}
        # Equal bytes: the fixed K sized for the average link sends what adaptive K sends.
        goals["unequal_links"] = goal_flags(s, "topk_fixed_average")
    result["goals"] = goals
    plot(curves, args.target)
    save("fleet", {**result, "curves": curves})
    print(json.dumps(result, indent=2, default=float))
    return 0


def run_parts(part: str, seeds: int, rounds: int, d: int, jobs: int) -> dict[str, dict[str, list]]:
    parts = {"equal_links": equal_links(rounds, d), "unequal_links": unequal_links(rounds, d)}
    if part != "both":
        parts = {part: parts[part]}
    todo = [(part, method, seed, data) for seed in range(seeds) for part, methods in parts.items()
            for method, data in methods.items()]
    curves: dict[str, dict[str, list]] = {p: {m: [None] * seeds for m in ms} for p, ms in parts.items()}
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for part, method, seed, curve in pool.map(run_one, todo):
            curves[part][method][seed] = curve
    return curves


def goal_flags(summary: dict[str, Any], equal_bytes_fixed: str) -> dict[str, Any]:
    diff = summary["paired_final_vs_fixed"][f"{summary['best_adaptive']} - {equal_bytes_fixed}"]
    return {
        "adaptive_10x_fewer_bytes_than_dense_to_target": summary["dense_over_adaptive_bytes_to_target"] >= 10,
        "adaptive_no_worse_than_fixed_at_equal_bytes": {"against": equal_bytes_fixed, "met": diff["mean"] >= 0},
    }


def plot(curves: dict[str, dict[str, list]], target: float) -> None:
    fig, axes = plt.subplots(len(curves), 2, figsize=(12, 4.5 * len(curves)), squeeze=False)
    for row, (part, methods) in enumerate(curves.items()):
        for i, (name, runs) in enumerate(methods.items()):
            for j, c in enumerate(runs):
                label = name if j == 0 else None
                axes[row, 0].plot(c["rounds"], c["metric"], color=f"C{i}", alpha=0.6, label=label)
                axes[row, 1].plot(c["sent_bytes"], c["metric"], color=f"C{i}", alpha=0.6, label=label)
        axes[row, 0].set(xlabel="round", title=f"{part}: mAP@0.5 vs rounds")
        axes[row, 1].set(xlabel="uplink bytes sent (all robots)", title=f"{part}: mAP@0.5 vs uplink bytes",
                         xscale="log")
    for ax in axes.flat:
        ax.axhline(target, color="grey", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
        ax.set_ylabel("mAP@0.5")
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, "fleet")


if __name__ == "__main__":
    sys.exit(main())
