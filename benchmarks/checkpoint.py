"""Coordinator checkpoints: how long the coordinator stops for one, and how long the file takes to write.

    .venv/bin/python benchmarks/checkpoint.py [--model ssdlite320_mobilenet_v3_large] [--repeats 5]

A real coordinator (``ssdlite320_mobilenet_v3_large``, 3.4 M parameters by default, gradient mode
with the coordinator's optimiser, so the checkpoint carries its moments too) on an inproc bus
takes checkpoints into a temporary run directory. Measured: the coordinator's own time per
checkpoint (copying the state: the round loop stops for this only), the background write (encode,
SHA-256, fsync, rename), the file size, and the same checkpoint written in the foreground, the
stall it would be without the writer thread. Prints JSON, writes benchmarks/results/checkpoint.json.
Goals: a checkpoint is on disk in well under a second, and rounds stop for under 0.1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from fleet_bench import save

from fleetlearn.config import config_from_dict
from fleetlearn.fleet.nodes import make_coordinator
from fleetlearn.transport import InprocNetwork


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="ssdlite320_mobilenet_v3_large")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = config_from_dict({"transport": {"name": "inproc"}, "robots": {"count": 1},
                               "task": {"kind": "detection", "model": args.model,
                                        "synthetic": {"num_train": 16, "num_val": 8}},
                               "algorithm": {"name": "dense", "update": "gradient"}})
    with tempfile.TemporaryDirectory() as tmp:
        coordinator = make_coordinator(InprocNetwork().bus("coordinator"), config, Path(tmp))
        coordinator.server.task.apply_update(torch.full((coordinator.d,), 1e-3))  # the optimiser has moments
        stalls, foreground = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            coordinator.checkpoint()
            stalls.append(time.perf_counter() - started)
            coordinator.checkpoints.wait()
            started = time.perf_counter()
            coordinator.checkpoint(wait=True)
            foreground.append(time.perf_counter() - started)
        rows = [r for r in coordinator.recorder.rows if r["event"] == "checkpoint"]
    result = {
        "model": args.model, "parameters": coordinator.d, "repeats": args.repeats,
        "checkpoint_bytes": rows[-1]["bytes"],
        "stall_s": statistics.median(stalls), "copy_s": statistics.median(r["copy_s"] for r in rows),
        "background_write_s": statistics.median(r["write_s"] for r in rows),
        "foreground_checkpoint_s": statistics.median(foreground),
    }
    result["stall_over_foreground"] = result["stall_s"] / result["foreground_checkpoint_s"]
    result["goals"] = {"a checkpoint is on disk in under a second": result["foreground_checkpoint_s"] < 1.0,
                       "rounds stop for under 0.1 s": result["stall_s"] < 0.1}
    save("checkpoint", result)
    print(json.dumps(result, indent=2))
    return 0 if all(result["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
