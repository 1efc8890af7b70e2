"""signSGD with majority vote (MV) against federated voting (FV), robots with unequal compute.

    .venv/bin/python benchmarks/signsgd.py [--quick] [--seeds 3] [--detection]

15 robots: heterogeneous (12 with batch 4, 3 with batch 304) and homogeneous (all
batch 32); accuracy against rounds on the digits task (and, with --detection, mAP
on the synthetic VOC set with fewer rounds). Every robot draws its batches from the
whole training set (``task.partition: shared``), so batch 304 is really 304 images and a
robot's batch size alone sets how noisy its signs are; zeros are sent as fair coins. Prints JSON, writes
benchmarks/results/signsgd.json and signsgd.png. Goal: FV reaches the target in
fewer rounds than MV in the heterogeneous case and is no worse in the homogeneous one.
"""

from __future__ import annotations

import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from fleet_bench import RESULTS, first_reaching, make_config, paired, run_curve, save

HETEROGENEOUS = {f"robot_{i}": {"batch_size": 4} for i in range(12)} | \
    {f"robot_{i}": {"batch_size": 304} for i in range(12, 15)}


def base(rounds: int, detection: bool) -> dict:
    task = ({"kind": "detection", "synthetic": {"num_train": 600, "num_val": 100}, "max_val_images": 100}
            if detection else {"kind": "classification", "dataset": "digits"})
    return {"transport": {"name": "inproc"}, "run": {"rounds": rounds, "eval_every": max(1, rounds // 30)},
            "robots": {"count": 15, "batch_size": 32}, "task": {**task, "partition": "shared"},
            "optimizer": {"name": "sgd", "lr": 0.0005 if detection else 0.002, "momentum": 0.0,
                          "weight_decay": 0.0, "warmup_rounds": 0},
            "link": {"cap_bps": None}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--detection", action="store_true", help="the synthetic VOC set instead of digits")
    args = parser.parse_args()
    rounds = 40 if args.quick else (60 if args.detection else 150)
    metric, target = ("map50", 0.1) if args.detection else ("accuracy", 0.85)
    result: dict = {"task": "detection" if args.detection else "digits", "rounds": rounds, "target": target,
                    "cases": {}}
    for case, overrides in (("heterogeneous", HETEROGENEOUS), ("homogeneous", {})):
        curves: dict[str, list] = {"signsgd_mv": [], "signsgd_fv": []}
        for seed in range(args.seeds):
            for algorithm in curves:
                config = make_config(base(rounds, args.detection), run={"seed": seed},
                                     robots={"overrides": overrides},
                                     algorithm={"name": algorithm, "vote_warmup_rounds": 10})
                curves[algorithm].append(run_curve(config, metric))
                print(f"{case} seed {seed} {algorithm}: final {metric} {curves[algorithm][-1]['final']:.3f}",
                      file=sys.stderr, flush=True)
        to_target = {a: [first_reaching(c, target, "rounds") for c in cs] for a, cs in curves.items()}
        finals = {a: [c["final"] for c in cs] for a, cs in curves.items()}
        result["cases"][case] = {
            "rounds_to_target": to_target,
            "final": finals,
            "fv_minus_mv_rounds_to_target": paired(to_target["signsgd_fv"], to_target["signsgd_mv"]),
            "fv_minus_mv_final": paired(finals["signsgd_fv"], finals["signsgd_mv"]),
            "curves": curves,
        }
    het, hom = result["cases"]["heterogeneous"], result["cases"]["homogeneous"]
    result["goals"] = {
        "fv_fewer_rounds_heterogeneous": het["fv_minus_mv_rounds_to_target"]["mean"] < 0
        or (het["fv_minus_mv_rounds_to_target"]["n"] == 0 and min(het["rounds_to_target"]["signsgd_fv"])
            < min(het["rounds_to_target"]["signsgd_mv"])),
        "fv_no_worse_homogeneous": hom["fv_minus_mv_final"]["mean"] >= -0.01,
    }
    plot(result, metric)
    save("signsgd", result)
    print(json.dumps({k: v for k, v in result.items() if k != "cases"} | {
        "cases": {c: {k: v for k, v in r.items() if k != "curves"} for c, r in result["cases"].items()}}, indent=2))
    return 0


def plot(result: dict, metric: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (case, data) in zip(axes, result["cases"].items(), strict=True):
        for algorithm, curves in data["curves"].items():
            for i, curve in enumerate(curves):
                ax.plot(curve["rounds"], curve["metric"], color="C0" if algorithm == "signsgd_mv" else "C1",
                        alpha=0.7, label=algorithm if i == 0 else None)
        ax.axhline(result["target"], color="grey", linestyle=":", linewidth=1)
        ax.set_title(f"{case} robots ({result['task']})")
        ax.set_xlabel("round")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "signsgd.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
