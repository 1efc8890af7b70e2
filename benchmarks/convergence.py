"""Compressed training against dense at equal rounds: does the fleet learn while sending ~1 % of the bytes?

    .venv/bin/python benchmarks/convergence.py [--parts ratios,tau,collaboration] [--seeds 1,2,3]
        [--rounds 300,600] [--keeps 10%,1%,0.1%] [--feedbacks ef,efmemory,efclassic,noef] [--jobs 2] [--resume]
        [--quick] [--report]

Three robots train ``fcos_tiny`` on the synthetic VOC set (1200 train / 200 val images, batch 16
each), inproc on a simulated clock (deterministic; every run is its own process, one torch thread).
Every comparison is paired by seed. Parts:

- ``ratios``: dense and Top-K keeping 10 %, 1 % and 0.1 % of the entries with error feedback as the
  config sets it by default (``ef``), with robots training from the model plus their memory
  (``efmemory``) or from the model itself (``efclassic``, the default with several local steps), and
  without (``noef``), in each mode: ``delta`` with the recipe's local steps (robots run AdamW and send their
  compressed model change; the coordinator averages), ``delta`` with one step (one gradient per round,
  through each robot's own optimiser), and ``gradient`` (the coordinator's AdamW on averaged gradients:
  dense only, since the config refuses compressed gradients there). Each at every ``--rounds`` horizon
  for the recipe's mode, and at the first horizon for the others.
- ``tau``: local steps τ = 1, 2, 4 at equal uplink bytes and equal compute: the same optimiser steps
  (τ × rounds) and the same total entries (keep ratio × rounds), so τ = 4 runs a quarter of the rounds
  with four times the entries per update; dense at each τ for reference.
- ``collaboration``: the fleet (the recipe at keep 1 %, each robot's uplink 1 Mbit/s, the coordinator's
  broadcast 10 Mbit/s) against one robot training alone on its third of the images, and one learner
  holding all of them with the fleet's batch (48). Every learner has one robot's computer: a step's
  compute time is measured on this machine for each batch size, and the fleet's clock adds its
  simulated link time. Reported: time to a target mAP@0.5 and final mAP@0.5.

Reported per part: mAP@0.5 against rounds, optimiser steps and total bytes (uplink + downlink, as
counted on the wire), ratios to dense at the same local steps, EF against no EF, and the goals.
Prints JSON, writes benchmarks/results/convergence.json and convergence.png. Exits 1 if a goal is
missed (``--no-assert`` to only report).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from fleet_bench import RESULTS, first_reaching, make_config, paired, run_curve, save, save_figure

from fleetlearn.config import DEFAULT_LOCAL_STEPS
from fleetlearn.fleet.build import build_task, evaluation_ids, partitions

ROBOTS, BATCH = 3, 16
KEEPS = {"10%": 0.1, "1%": 0.01, "0.1%": 0.001}
GOAL_METHODS = ("dense", "topk_1%_ef", "topk_0.1%_ef")  # run at every horizon; the rest at the first
TAU_KEEPS = {1: 0.0025, 2: 0.005, 4: 0.01}  # equal entries over equal optimiser steps
UPLINK_BPS, DOWNLINK_BPS = 1e6, 10e6  # collaboration: a thin robot radio, a base station's broadcast
TARGET_MAP50 = 0.5
VAL_IMAGES = 200
RUNS_FILE = RESULTS / "convergence_runs.jsonl"  # every finished run, as it ends

Job = tuple[str, str, str, int]  # part, group, method, seed


def base(rounds: int, seed: int, val_images: int = VAL_IMAGES) -> dict[str, Any]:
    return {"transport": {"name": "inproc"}, "run": {"rounds": rounds, "eval_every": max(1, rounds // 6),
                                                     "seed": seed},
            "robots": {"count": ROBOTS, "batch_size": BATCH}, "link": {"cap_bps": None},
            "task": {"kind": "detection", "synthetic": {"num_train": 1200, "num_val": 200},
                     "max_val_images": val_images}}


# error feedback, and whether robots train from the model plus their memory (None: the config's default)
FEEDBACKS = {"ef": (True, None), "efmemory": (True, True), "efclassic": (True, False), "noef": (False, False)}


def algorithm(method: str, update: str, steps: int) -> dict[str, Any]:
    """``dense`` or ``topk_<keep>_<feedback>`` (a key of ``FEEDBACKS``), in ``update`` mode with ``steps``
    local steps."""
    if method == "dense":
        return {"name": "dense", "update": update, "local_steps": steps}
    _, keep, feedback = method.split("_")
    return topk(KEEPS[keep], *FEEDBACKS[feedback], update, steps)


def topk(keep: float, ef: bool, with_memory: bool | None, update: str, steps: int) -> dict[str, Any]:
    """Top-K at ``keep``; ``with_memory``: robots train from the model plus their memory (None: the default,
    which depends on ``steps``; spelt out in the run's key so that a stored run says what it ran)."""
    if with_memory is None:
        with_memory = steps == 1
    feedback = {"error_feedback": True, "train_with_memory": with_memory} if ef else {"error_feedback": False}
    return {"name": "topk", "keep_ratio": keep, "value_dtype": "fp16", **feedback, "update": update,
            "local_steps": steps}


def methods(keeps: list[str], feedbacks: list[str]) -> list[str]:
    return ["dense"] + [f"topk_{keep}_{feedback}" for keep in keeps for feedback in feedbacks]


def modes() -> dict[str, tuple[str, int]]:
    """Mode name -> (update, local steps): the recipe first."""
    return {f"delta_tau{DEFAULT_LOCAL_STEPS}": ("delta", DEFAULT_LOCAL_STEPS), "delta_tau1": ("delta", 1),
            "gradient": ("gradient", 1)}


def ratio_jobs(seeds: list[int], horizons: list[int], keeps: list[str], feedbacks: list[str],
               val_images: int) -> dict[Job, tuple[dict, int]]:
    jobs = {}
    for i, (mode, (update, steps)) in enumerate(modes().items()):
        for rounds in horizons if i == 0 else horizons[:1]:
            for method in methods(keeps, feedbacks) if update == "delta" else ["dense"]:
                if rounds != horizons[0] and method not in GOAL_METHODS:
                    continue
                for seed in seeds:
                    data = {**base(rounds, seed, val_images), "algorithm": algorithm(method, update, steps)}
                    jobs["ratios", f"{mode}/{rounds}", method, seed] = (data, steps)
    return jobs


def tau_jobs(seeds: list[int], horizons: list[int], val_images: int) -> dict[Job, tuple[dict, int]]:
    """τ = 1, 2, 4 at equal compute (τ × rounds optimiser steps) and equal entries (keep × rounds)."""
    steps_total = horizons[0] * DEFAULT_LOCAL_STEPS
    jobs = {}
    for tau, keep in TAU_KEEPS.items():
        rounds = steps_total // tau
        compressed = topk(keep, True, None, "delta", tau)
        for method, alg in (("dense", algorithm("dense", "delta", tau)), ("topk", compressed)):
            for seed in seeds:
                jobs["tau", f"tau{tau}", method, seed] = ({**base(rounds, seed, val_images), "algorithm": alg}, tau)
    return jobs


def collaboration_jobs(seeds: list[int], horizons: list[int], val_images: int,
                       step_s: float) -> dict[Job, tuple[dict, int]]:
    tau = DEFAULT_LOCAL_STEPS
    jobs = {}
    for seed in seeds:
        common = base(horizons[0], seed, val_images)
        fleet = {**common, "algorithm": algorithm("topk_1%_ef", "delta", tau),
                 "robots": {**common["robots"], "step_time_s": step_s},
                 "link": {"cap_bps": None, "rate_bps": UPLINK_BPS, "downlink_rate_bps": DOWNLINK_BPS,
                          "latency_s": 0.005}}
        jobs["collaboration", "fleet", "topk_1%_ef", seed] = (fleet, tau)
        for learner in ("alone", "pooled"):
            jobs["collaboration", learner, "dense", seed] = (common, tau)
    return jobs


def run_config(item: tuple[str, dict, int]) -> tuple[str, dict[str, Any]]:
    """One distinct run: a fleet, or a single learner (``kind`` alone / pooled)."""
    kind, data, steps = item
    logging.getLogger("fleetlearn").setLevel(logging.ERROR)
    torch.set_num_threads(1)
    started = time.perf_counter()
    if kind in ("alone", "pooled"):
        curve = train_single(data, steps, pooled=kind == "pooled")
    else:
        curve = run_curve(make_config(data), "map50")
        curve["steps"] = [r * steps for r in curve["rounds"]]
        curve["total_bytes"] = [u + d for u, d in zip(curve["uplink_bytes"], curve["downlink_bytes"], strict=True)]
    curve["wall_s"] = time.perf_counter() - started
    a = data.get("algorithm", {})
    print(f"{kind:6s} {a.get('name', 'dense'):5s} keep {a.get('keep_ratio', 1):<6} ef {a.get('error_feedback')!s:5s} "
          f"{a.get('update', '-'):8s} tau {steps} rounds {data['run']['rounds']:4d} seed {data['run']['seed']}: "
          f"final mAP@0.5 {curve['final']:.3f}  {curve['wall_s']:.0f} s", file=sys.stderr, flush=True)
    return kind, curve


def train_single(data: dict[str, Any], tau: int, pooled: bool) -> dict[str, Any]:
    """One learner without a fleet: robot_0's third of the images (batch 16), or all of them (batch 48).

    It takes as many optimiser steps as each fleet robot (rounds × τ), on the same schedule, and is
    scored at the fleet's evaluation points, on the same images.
    """
    fleet = make_config(data)
    rounds, every = fleet.run.rounds, fleet.run.eval_every
    steps = rounds * tau
    items = partitions(fleet)["robot_0"] if not pooled else sorted(i for p in partitions(fleet).values() for i in p)
    single = make_config(data, robots={"count": 1, "batch_size": BATCH * (ROBOTS if pooled else 1)},
                         run={"rounds": steps}, algorithm={"name": "dense", "update": "delta", "local_steps": 1})
    task = build_task(single, "robot_0", items)
    ids = evaluation_ids(fleet)
    curve: dict[str, Any] = {"steps": [], "metric": []}
    for step in range(1, steps + 1):
        task.local_steps(1)
        if step % (every * tau) == 0 or step == steps:
            curve["steps"].append(step)
            curve["metric"].append(task.evaluate(ids)["mAP50"])
    curve["rounds"] = [s / tau for s in curve["steps"]]
    curve["final"] = curve["metric"][-1]
    return curve


def step_seconds(batch: int, repeats: int = 12) -> float:
    """Median compute time of one local optimiser step of ``batch`` images on this machine (one thread)."""
    torch.set_num_threads(1)
    config = make_config(base(10, 0), robots={"count": 1, "batch_size": batch})
    task = build_task(config, "robot_0", partitions(config)["robot_0"])
    times = []
    for _ in range(repeats + 2):
        started = time.perf_counter()
        task.local_steps(1)
        times.append(time.perf_counter() - started)
    return statistics.median(times[2:])  # the first steps warm caches up


def summarise_ratios(curves: dict, keeps: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for group, by_method in curves.items():
        dense = by_method.get("dense")
        row: dict[str, Any] = {"final_map50": {m: [c["final"] for c in cs] for m, cs in by_method.items()}}
        if dense is not None and len(by_method) > 1:
            row["over_dense"] = {m: [c["final"] / d["final"] for c, d in zip(cs, dense, strict=True)]
                                 for m, cs in by_method.items() if m != "dense"}
            row["uplink_fewer_than_dense"] = {m: statistics.fmean(d["total_uplink_bytes"] / c["total_uplink_bytes"]
                                                                 for c, d in zip(cs, dense, strict=True))
                                              for m, cs in by_method.items() if m != "dense"}
            row["total_fewer_than_dense"] = {m: statistics.fmean(d["total_bytes"][-1] / c["total_bytes"][-1]
                                                                for c, d in zip(cs, dense, strict=True))
                                             for m, cs in by_method.items() if m != "dense"}
            finals = row["final_map50"]
            for other in ("noef", "efclassic", "efmemory"):
                row[f"ef_minus_{other}"] = {keep: paired(finals[f"topk_{keep}_ef"], finals[f"topk_{keep}_{other}"])
                                            for keep in keeps if f"topk_{keep}_ef" in finals
                                            and f"topk_{keep}_{other}" in finals}
        out[group] = row
    return out


def ratio_goals(summary: dict[str, Any]) -> dict[str, Any]:
    recipe = next(iter(modes()))
    goals: dict[str, Any] = {}
    for group, row in summary.items():
        if "over_dense" not in row:
            continue
        mean = {m: statistics.fmean(v) for m, v in row["over_dense"].items()}
        if group.startswith(recipe):
            if "topk_1%_ef" in mean:
                goals[f"{group}: keep 1% >= 0.95x dense"] = mean["topk_1%_ef"] >= 0.95
                goals[f"{group}: keep 1% >= 100x fewer uplink bytes"] = \
                    row["uplink_fewer_than_dense"]["topk_1%_ef"] >= 100
                goals[f"{group}: keep 1% >= 50x fewer total bytes"] = row["total_fewer_than_dense"]["topk_1%_ef"] >= 50
            if "topk_0.1%_ef" in mean:
                goals[f"{group}: keep 0.1% >= 0.85x dense"] = mean["topk_0.1%_ef"] >= 0.85
        for keep, diff in row["ef_minus_noef"].items():
            goals[f"{group}: EF >= no EF at keep {keep}"] = diff["mean"] >= 0
    # Gradient mode (dense only) against one local step per round: the same optimiser steps, the same
    # dense uplink; only where the optimiser runs differs.
    gradient = [g for g in summary if g.startswith("gradient/")]
    tau1 = [g for g in summary if g.startswith("delta_tau1/")]
    if gradient and tau1:
        ratio = statistics.fmean(g / d for g, d in zip(summary[gradient[0]]["final_map50"]["dense"],
                                                       summary[tau1[0]]["final_map50"]["dense"], strict=True))
        goals["gradient mode >= 0.9x the delta path at equal bytes and compute (dense, one step a round)"] = \
            ratio >= 0.9
    return goals


def summarise_tau(curves: dict) -> dict[str, Any]:
    return {group: {"final_map50": {m: [c["final"] for c in cs] for m, cs in by.items()},
                    "rounds": by["topk"][0]["rounds"][-1],
                    "total_bytes_topk": statistics.fmean(c["total_bytes"][-1] for c in by["topk"])}
            for group, by in curves.items() if "topk" in by}


def summarise_collaboration(curves: dict, step_s: dict[str, float]) -> dict[str, Any]:
    """Time to target: the fleet on its simulated clock, single learners at their measured step time."""
    runs = {group: by[next(iter(by))] for group, by in curves.items()}
    times = {group: [first_reaching(c, TARGET_MAP50, "time_s") for c in cs] for group, cs in runs.items()}
    finals = {group: [c["final"] for c in cs] for group, cs in runs.items()}
    over_pooled = [f / p for f, p in zip(times["fleet"], times["pooled"], strict=True) if math.isfinite(f * p)]
    return {"target_map50": TARGET_MAP50, "step_seconds": step_s, "time_to_target_s": times, "final_map50": finals,
            "fleet_over_pooled_time": over_pooled,
            "fleet_minus_alone_final": paired(finals["fleet"], finals["alone"])}


def collaboration_goals(summary: dict[str, Any]) -> dict[str, Any]:
    over = summary["fleet_over_pooled_time"]
    alone, fleet = summary["time_to_target_s"]["alone"], summary["time_to_target_s"]["fleet"]
    return {"fleet beats one robot alone": summary["fleet_minus_alone_final"]["mean"] > 0
            and all(f < a for f, a in zip(fleet, alone, strict=True)),
            "fleet within 1.3x of the pooled learner's time to target": bool(over) and len(over) == len(fleet)
            and statistics.fmean(over) <= 1.3}


def plot(curves: dict[str, dict]) -> None:
    ratio_groups = list(curves.get("ratios", {}))
    rows = len(ratio_groups) + ("tau" in curves) + ("collaboration" in curves)
    fig, axes = plt.subplots(rows, 3, figsize=(16, 4.2 * rows), squeeze=False)
    panels = [(f"ratios {g}", curves["ratios"][g]) for g in ratio_groups]
    if "tau" in curves:
        panels.append(("tau (equal steps and bytes)", {f"{g} {m}": cs for g, by in curves["tau"].items()
                                                       for m, cs in by.items()}))
    if "collaboration" in curves:
        panels.append(("collaboration", {f"{g} {m}": cs for g, by in curves["collaboration"].items()
                                         for m, cs in by.items()}))
    for row, (title, by_method) in enumerate(panels):
        for i, (name, runs) in enumerate(by_method.items()):
            for j, c in enumerate(runs):
                label = name if j == 0 else None
                style = {"color": f"C{i % 10}", "alpha": 0.7, "label": label,
                         "linestyle": {"noef": "--", "efclassic": ":", "efmemory": "-."}.get(name.rsplit("_", 1)[-1],
                                                                                             "-")}
                axes[row, 0].plot(c["rounds"], c["metric"], **style)
                axes[row, 1].plot(c["steps"], c["metric"], **style)
                if title == "collaboration":
                    axes[row, 2].plot(c["time_s"], c["metric"], **style)
                else:
                    axes[row, 2].plot(c["total_bytes"], c["metric"], **style)
        axes[row, 0].set(xlabel="round", title=f"{title}: mAP@0.5 vs rounds")
        axes[row, 1].set(xlabel="optimiser steps per robot", title=f"{title}: vs optimiser steps")
        if title == "collaboration":
            axes[row, 2].set(xlabel="seconds (simulated clock, measured step times)", title=f"{title}: vs time")
            axes[row, 2].axhline(TARGET_MAP50, color="grey", linestyle=":", linewidth=1)
        else:
            axes[row, 2].set(xlabel="total bytes (uplink + downlink)", xscale="log", title=f"{title}: vs total bytes")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.set_ylabel("mAP@0.5")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6)
    fig.tight_layout()
    save_figure(fig, "convergence")


def finished_runs(path: Path) -> dict[str, Any]:
    """Runs an earlier invocation finished (``--resume``), by their config key; a line cut short is skipped."""
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            done[row["key"]] = row["result"]
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="ratios,tau,collaboration")
    parser.add_argument("--seeds", default="1,2,3",
                        help="comma-separated run seeds, paired across methods (seed 0 chose the recipe)")
    parser.add_argument("--rounds", default="300,600", help="comma-separated horizons (the cosine spans each)")
    parser.add_argument("--keeps", default=",".join(KEEPS),
                        help=f"comma-separated Top-K keep ratios of the ratios part, of {', '.join(KEEPS)}")
    parser.add_argument("--feedbacks", default=",".join(FEEDBACKS),
                        help=f"comma-separated error-feedback variants of the ratios part, of {', '.join(FEEDBACKS)}")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (one process and torch thread each)")
    parser.add_argument("--quick", action="store_true", help="seed 0, 8 rounds: checks the script, not the goals")
    parser.add_argument("--no-assert", action="store_true", help="report the goals, exit 0 even if one is missed")
    parser.add_argument("--resume", action="store_true",
                        help=f"reuse the runs an interrupted invocation kept in results/{RUNS_FILE.name} (same code)")
    parser.add_argument("--report", action="store_true",
                        help=f"run nothing: report what results/{RUNS_FILE.name} holds; a method missing a seed's "
                             "run is left out and listed under missing_runs")
    args = parser.parse_args()
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    horizons = [8] if args.quick else [int(r) for r in args.rounds.split(",")]
    parts = args.parts.split(",")
    keeps = args.keeps.split(",")
    if unknown := set(keeps) - set(KEEPS):
        parser.error(f"--keeps: unknown {', '.join(sorted(unknown))}; choose from {', '.join(KEEPS)}")
    feedbacks = args.feedbacks.split(",")
    if unknown := set(feedbacks) - set(FEEDBACKS):
        parser.error(f"--feedbacks: unknown {', '.join(sorted(unknown))}; choose from {', '.join(FEEDBACKS)}")
    result: dict[str, Any] = {"robots": ROBOTS, "batch_size": BATCH, "seeds": seeds, "horizons": horizons,
                              "recipe_local_steps": DEFAULT_LOCAL_STEPS}
    step_s = {}
    jobs: dict[Job, tuple[dict, int]] = {}
    val_images = 10 if args.quick else VAL_IMAGES  # an untrained detector's thousands of boxes score slowly
    if "ratios" in parts:
        jobs.update(ratio_jobs(seeds, horizons, keeps, feedbacks, val_images))
    if "tau" in parts:
        jobs.update(tau_jobs(seeds, horizons, val_images))
    done = finished_runs(RUNS_FILE) if args.resume or args.report else {}
    if "collaboration" in parts:
        step_s = done.get("step_seconds") or {"batch16": step_seconds(BATCH), "batch48": step_seconds(BATCH * ROBOTS)}
        done["step_seconds"] = step_s
        jobs.update(collaboration_jobs(seeds, horizons, val_images, step_s["batch16"]))
    # one run per distinct config (the tau part shares the recipe's runs), the goals' runs first
    kinds = {job: job[1] if job[1] in ("alone", "pooled") else "fleet" for job in jobs}
    keys = {job: json.dumps([kinds[job], *jobs[job]], sort_keys=True) for job in jobs}
    recipe = next(iter(modes()))
    parts_order = {"ratios": 0, "tau": 1, "collaboration": 2}
    order = sorted(jobs, key=lambda j: (parts_order[j[0]], not j[1].startswith(recipe), j[2] not in GOAL_METHODS,
                                        *j[1:]))
    distinct = list(dict.fromkeys(keys[j] for j in order))
    RUNS_FILE.parent.mkdir(exist_ok=True)
    with RUNS_FILE.open("a" if args.resume or args.report else "w") as runs_file, \
            ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        if step_s:  # the fleet's simulated compute time is part of its runs' keys
            runs_file.write(json.dumps({"key": "step_seconds", "result": step_s}) + "\n")
        todo = [] if args.report else [key for key in distinct if key not in done]
        kept = sum(key in done for key in distinct)
        print(f"{len(distinct)} distinct runs, {kept} already in {RUNS_FILE.name}"
              + (": reporting those" if args.report else ""), file=sys.stderr, flush=True)
        futures = {pool.submit(run_config, tuple(json.loads(key))): key for key in todo}
        for future in as_completed(futures):  # each run is kept as soon as it ends: --resume continues
            done[futures[future]] = future.result()
            runs_file.write(json.dumps({"key": futures[future], "result": done[futures[future]]}) + "\n")
            runs_file.flush()
    curves: dict[str, dict[str, dict[str, list]]] = {}
    missing = sorted({job[:3] for job, key in keys.items() if key not in done})
    result["missing_runs"] = ["/".join(job) for job in missing]
    for (part, group, method, seed), key in keys.items():
        if (part, group, method) in missing:
            continue
        runs = curves.setdefault(part, {}).setdefault(group, {}).setdefault(method, [None] * len(seeds))
        runs[seeds.index(seed)] = curve = done[key][1]
        if kinds[part, group, method, seed] != "fleet":  # a single learner's clock: its measured step time
            batch = f"batch{BATCH * (ROBOTS if group == 'pooled' else 1)}"
            curve["time_s"] = [s * step_s[batch] for s in curve["steps"]]
    goals: dict[str, Any] = {}
    if "ratios" in curves:
        result["ratios"] = summarise_ratios(curves["ratios"], keeps)
        goals.update(ratio_goals(result["ratios"]))
    if "tau" in curves:
        result["tau"] = summarise_tau(curves["tau"])
    if "collaboration" in curves and {"fleet", "alone", "pooled"} <= set(curves["collaboration"]):
        result["collaboration"] = summarise_collaboration(curves["collaboration"], step_s)
        goals.update(collaboration_goals(result["collaboration"]))
    result["goals"] = goals
    plot(curves)
    save("convergence", {**result, "curves": curves})
    print(json.dumps(result, indent=2, default=float))
    missed = [name for name, met in goals.items() if not met]
    if missed and not args.quick and not args.no_assert:
        print(f"goals missed: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
