"""Decentralised training: CHOCO-SGD vs AdaGossip vs Malcom-PSGD on a ring of 8 robots (inproc).

    .venv/bin/python benchmarks/gossip.py [--quick] [--seeds 2] [--detection]

CHOCO and AdaGossip send Top-K residuals at 90 % and 99 % compression (keep 0.1 and
0.01, fp16 values); Malcom-PSGD sends dithered, source-coded residuals of an ℓ1-sparsified
model (ℓ2 dither, buckets of 512, least-squares bucket scales, s = 4 and s = 2 levels).
Accuracy (digits; mAP@0.5 with --detection) and consensus distance against rounds
and against bits. CHOCO's and Malcom's γ come from simulated gossip with their own
compressors (``tune_gamma``); AdaGossip's γ is an absolute step, chosen from a small sweep
on a seed no reported run uses. The goal is judged on Malcom with s = 4; s = 2 shows the
next step down. Prints JSON, writes
benchmarks/results/gossip.json and gossip.png. Goals: AdaGossip ≥ CHOCO at equal bits;
Malcom-PSGD ≤ 0.5× CHOCO's bits per round at comparable accuracy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from fleet_bench import make_config, paired, run_curve, save, save_figure

from fleetlearn.aggregate.gamma import tune_gamma
from fleetlearn.aggregate.topology import ring
from fleetlearn.config import robot_names
from fleetlearn.fleet.uplink import make_uplink_compressor

TUNING_SEED = 1000  # AdaGossip's γ sweep; reported runs use seeds 0 .. --seeds - 1


def base(rounds: int, detection: bool) -> dict:
    task = ({"kind": "detection", "synthetic": {"num_train": 800, "num_val": 100}, "max_val_images": 100}
            if detection else {"kind": "classification", "dataset": "digits"})
    return {"mode": "gossip", "transport": {"name": "inproc"},
            "run": {"rounds": rounds, "eval_every": max(1, rounds // 10)},
            "robots": {"count": 8, "batch_size": 16 if detection else 32}, "task": task,
            "optimizer": {"name": "adamw", "lr": 0.002 if detection else 0.005},
            "gossip": {"topology": "ring", "round_period_s": 1.0, "deadline_s": 0.5}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--detection", action="store_true")
    args = parser.parse_args()
    rounds = 30 if args.quick else (150 if args.detection else 80)
    metric = "map50" if args.detection else "accuracy"
    common = base(rounds, args.detection)

    malcom = {levels: {"name": "malcom", "qsgd_levels": levels, "quant_bucket": 512, "l1": 0.1} for levels in (4, 2)}
    gammas = {}
    for key, algorithm in [(0.1, {"name": "choco", "keep_ratio": 0.1}), (0.01, {"name": "choco", "keep_ratio": 0.01}),
                           *((f"malcom_s{s}", a) for s, a in malcom.items())]:
        compressor = make_uplink_compressor(make_config(common, algorithm=algorithm).algorithm, 0)
        gammas[key], _ = tune_gamma(ring(robot_names(8)), compressor.compress, d=20_000, rounds=100)
    ada_gammas = {}
    for keep in (0.1, 0.01):  # on a seed of its own: a γ picked on a reported run would flatter AdaGossip
        sweep = {g: run_curve(make_config(common, run={"seed": TUNING_SEED},
                                          algorithm={"name": "adagossip", "keep_ratio": keep, "gamma": g}),
                              metric)["final"] for g in (1e-4, 3e-4, 1e-3)}
        ada_gammas[keep] = max(sweep, key=lambda g: sweep[g])
        print(f"AdaGossip keep {keep}: gamma sweep {sweep}", file=sys.stderr, flush=True)

    methods = {}
    for keep in (0.1, 0.01):
        methods[f"choco_keep{keep}"] = {"name": "choco", "keep_ratio": keep, "gamma": gammas[keep]}
        methods[f"adagossip_keep{keep}"] = {"name": "adagossip", "keep_ratio": keep, "gamma": ada_gammas[keep]}
    for levels, algorithm in malcom.items():
        methods[f"malcom_s{levels}"] = {**algorithm, "gamma": gammas[f"malcom_s{levels}"]}

    curves: dict[str, list] = {m: [] for m in methods}
    for seed in range(args.seeds):
        for name, algorithm in methods.items():
            curves[name].append(run_curve(make_config(common, run={"seed": seed}, algorithm=algorithm), metric))
            print(f"seed {seed} {name}: final {metric} {curves[name][-1]['final']:.3f}, "
                  f"{curves[name][-1]['total_uplink_bytes'] / 1e6:.2f} MB", file=sys.stderr, flush=True)

    def bytes_per_round(name: str) -> float:
        return statistics.fmean(c["total_uplink_bytes"] / rounds / 8 for c in curves[name])

    finals = {m: [c["final"] for c in cs] for m, cs in curves.items()}
    result = {
        "task": "detection" if args.detection else "digits", "rounds": rounds, "robots": 8, "topology": "ring",
        "methods": methods, "choco_gamma_by_simulation": gammas, "adagossip_gamma_by_sweep": ada_gammas,
        "final": finals, "bytes_per_robot_per_round": {m: bytes_per_round(m) for m in methods},
        "final_consensus_distance": {m: [c["consensus_distance"][-1] for c in cs] for m, cs in curves.items()},
        "adagossip_minus_choco_final": {k: paired(finals[f"adagossip_keep{k}"], finals[f"choco_keep{k}"])
                                        for k in (0.1, 0.01)},
        "malcom_minus_choco_keep0.1_final": {m: paired(finals[m], finals["choco_keep0.1"])
                                             for m in methods if m.startswith("malcom")},
        "malcom_bits_ratio_vs_choco_keep0.1": {m: bytes_per_round(m) / bytes_per_round("choco_keep0.1")
                                               for m in methods if m.startswith("malcom")},
        "final_model_sparsity": {m: [c["sparsity"] for c in cs] for m, cs in curves.items()},
    }
    result["goals"] = {
        "adagossip_at_least_choco_at_equal_bits": all(
            result["adagossip_minus_choco_final"][k]["mean"] >= -0.005 for k in (0.1, 0.01)),
        "malcom_half_the_bits_at_comparable_score":
            result["malcom_bits_ratio_vs_choco_keep0.1"]["malcom_s4"] <= 0.5
            and result["malcom_minus_choco_keep0.1_final"]["malcom_s4"]["mean"] >= -0.02,
    }
    plot(curves, metric)
    save("gossip", {**result, "curves": curves})
    print(json.dumps(result, indent=2, default=float))
    return 0


def plot(curves: dict, metric: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    for i, (name, runs) in enumerate(sorted(curves.items())):
        c = runs[0]
        axes[0].plot(c["rounds"], c["metric"], label=name, color=f"C{i}")
        axes[1].plot([b * 8 for b in c["uplink_bytes"]], c["metric"], label=name, color=f"C{i}")
        axes[2].semilogy(range(1, len(c["consensus_distance"]) + 1), c["consensus_distance"], label=name,
                         color=f"C{i}")
    axes[0].set(xlabel="round", ylabel=metric, title=f"{metric} vs rounds (seed 0)")
    axes[1].set(xlabel="bits sent (all robots)", ylabel=metric, title=f"{metric} vs bits")
    axes[1].set_xscale("log")
    axes[2].set(xlabel="round", ylabel="consensus distance", title="consensus distance")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, "gossip")


if __name__ == "__main__":
    sys.exit(main())
