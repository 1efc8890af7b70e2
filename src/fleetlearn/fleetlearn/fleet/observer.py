"""The fleet's view of a gossip run (node "fleet"): consensus distance and the average model's score.

No node holds the average model of a gossip fleet, so it is scored here: each round by an
observer in the process of an in-process run, or once from the saved models after a run over
processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..aggregate.gossip import consensus_distance, sparsity
from ..config import Config
from ..metrics_files import load_rows
from ..task import Task
from ..transport import Bus
from .build import build_task, evaluation_ids
from .peer import Peer
from .recorder import Recorder


class GossipObserver:
    """In-process only: consensus distance each round and the average model's score (node "fleet")."""

    def __init__(self, bus: Bus, peers: list[Peer], config: Config, run_dir: Path | None) -> None:
        self.peers = peers
        self.config = config
        self.recorder = Recorder(bus, "fleet", run_dir)
        self.recorded = 0
        self.eval_task = build_task(config)
        self.eval_ids = evaluation_ids(config)
        bus.call_every(config.gossip.round_period_s / 4, self.poll)

    def poll(self) -> None:
        live = [p for p in self.peers if not p.bus.closed]
        t = min((p.mixed for p in live), default=0)
        if t <= self.recorded:
            return
        self.recorded = t
        models = [p.task.params_flat() for p in live]
        uplink = sum(p.total_sent for p in self.peers)
        self.recorder.record("round", round=t, consensus_distance=consensus_distance(models),
                             loss=sum(p.loss for p in live) / len(live), total_bytes_received=uplink,
                             participants=len(live), sparsity=sum(sparsity(m) for m in models) / len(models))
        every = self.config.run.eval_every
        if (every and t % every == 0) or t >= self.config.run.rounds:
            evaluate_average(self.eval_task, self.eval_ids, self.recorder, t, models, uplink)


def evaluate_average(task: Task, ids: list[str] | None, recorder: Recorder, t: int, models: list[Tensor],
                     uplink: int) -> dict[str, Any]:
    """Score the average of the robots' models; the row goes to ``recorder`` as an "eval" event."""
    task.set_params_flat(torch.stack(models).mean(0))
    metrics = task.evaluate(ids)
    recorder.record("eval", round=t, map50=metrics.get("mAP50"), map50_95=metrics.get("mAP"),
                    accuracy=metrics.get("accuracy"), total_bytes_received=uplink)
    return metrics


def score_final_models(config: Config, run_dir: Path) -> None:
    """Gossip over processes: the consensus distance and the average model's score from the saved models."""
    paths = sorted((run_dir / "models").glob("robot_*.pt"))
    if not paths:
        return
    models = [torch.load(p, weights_only=True) for p in paths]
    recorder = Recorder(None, "fleet", run_dir)
    finished = [r for r in load_rows(run_dir) if r.get("event") == "finish" and r["node"].startswith("robot")]
    rounds = max((r.get("round", 0) for r in finished), default=0)
    uplink = sum(r.get("total_bytes_sent", 0) for r in finished)
    recorder.record("round", round=rounds, consensus_distance=consensus_distance(models),
                    total_bytes_received=uplink, participants=len(models),
                    sparsity=sum(sparsity(m) for m in models) / len(models))
    evaluate_average(build_task(config), evaluation_ids(config), recorder, rounds, models, uplink)
    recorder.close()
