"""Running a fleet: in one process (inproc), or as one process per node over DDS / rclpy.

``run_fleet`` prepares the run directory (config.yaml, metrics/, plots), starts the
nodes, shows progress from the nodes' Metrics topics, and on the end or on Ctrl-C
stops every node cleanly and writes what was recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import Tensor

from ..aggregate.gossip import consensus_distance, sparsity
from ..config import Config, robot_names
from ..msgs import Metrics
from ..report import finish_run
from ..transport import Bus, InprocNetwork, LinkModel, make_bus
from . import topics
from .build import build_task, evaluation_ids, partitions
from .coordinator import Coordinator
from .peer import Peer
from .recorder import Recorder
from .robot import Robot

log = logging.getLogger(__name__)


def prepare_run_dir(config: Config, run_dir: Path | None = None) -> Path:
    """``runs/<name>-<timestamp>/`` with the config used written into it."""
    if run_dir is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = Path(config.run.output_dir) / f"{config.run.name}-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    for old in (run_dir / "metrics").glob("*.jsonl"):  # a run directory holds one run
        old.unlink()
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
    return run_dir


def make_coordinator(bus: Bus, config: Config, run_dir: Path | None) -> Coordinator:
    task = build_task(config)
    ids = evaluation_ids(config)
    return Coordinator(bus, task, config, run_dir, evaluate=lambda t: t.evaluate(ids))


def make_robot(bus: Bus, config: Config, robot_id: str, run_dir: Path | None,
               items: list[Any] | None = None) -> Robot:
    """A parameter-server robot on ``items`` (default: its share of ``partitions(config)``)."""
    items = partitions(config)[robot_id] if items is None else items
    return Robot(bus, build_task(config, robot_id, items), robot_id, config, run_dir)


def make_peer(bus: Bus, config: Config, robot_id: str, run_dir: Path | None, items: list[Any] | None = None,
              initial: Tensor | None = None) -> Peer:
    """A gossip robot; with ``gossip.same_init`` every robot starts from the model of ``run.seed``
    (``initial``, built here when not given)."""
    if initial is None and config.gossip.same_init:
        initial = build_task(config).params_flat()
    items = partitions(config)[robot_id] if items is None else items
    return Peer(bus, build_task(config, robot_id, items), robot_id, config, run_dir, initial)


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
            self.evaluate_average(t, models, uplink)

    def evaluate_average(self, t: int, models: list, uplink: int) -> dict[str, Any]:
        return evaluate_average(self.eval_task, self.eval_ids, self.recorder, t, models, uplink)


def evaluate_average(task, ids, recorder: Recorder, t: int, models: list, uplink: int) -> dict[str, Any]:
    """Score the average of the robots' models; the row goes to ``recorder`` as an "eval" event."""
    task.set_params_flat(torch.stack(models).mean(0))
    metrics = task.evaluate(ids)
    recorder.record("eval", round=t, map50=metrics.get("mAP50"), map50_95=metrics.get("mAP"),
                    accuracy=metrics.get("accuracy"), total_bytes_received=uplink)
    return metrics


class Progress:
    """A line per round from the coordinator's and robots' Metrics topics (any transport)."""

    def __init__(self, bus: Bus, config: Config, say: Callable[[str], None] = print) -> None:
        self.config = config
        self.say = say
        self.robot_k: dict[str, Metrics] = {}
        self.started = time.monotonic()
        self.last_round = 0
        bus.subscribe(topics.metrics_topic("coordinator"), Metrics, self.on_coordinator)
        bus.subscribe(topics.metrics_topic("fleet"), Metrics, self.on_fleet)
        for name in robot_names(config.robots.count):
            bus.subscribe(topics.metrics_topic(name), Metrics, lambda m, n=name: self.robot_k.__setitem__(n, m))

    def on_fleet(self, m: Metrics) -> None:
        """Gossip in one process: the observer's consensus distance per round."""
        if math.isnan(m.map50) and math.isnan(m.accuracy):
            if m.round > self.last_round:
                self.last_round = m.round
                self.say(f"round {m.round:4d}/{self.config.run.rounds} | loss {m.loss:7.4f} | consensus distance "
                         f"{m.consensus_distance:.3e} | uplink {_mb(m.total_bytes_received)} | "
                         f"{time.monotonic() - self.started:5.0f} s")
            return
        self.on_coordinator(m)

    def on_coordinator(self, m: Metrics) -> None:
        if not math.isnan(m.map50):
            self.say(f"  eval after round {m.round}: mAP@0.5 {m.map50:.3f}  mAP@[.5:.95] {m.map50_95:.3f}")
            return
        if not math.isnan(m.accuracy):
            self.say(f"  eval after round {m.round}: accuracy {m.accuracy:.3f}")
            return
        if m.round <= self.last_round:
            return
        self.last_round = m.round
        robots = " ".join(f"{n.split('_')[-1]}:K={r.k}/{_kb(r.budget_bytes)}" for n, r in sorted(self.robot_k.items()))
        self.say(f"round {m.round:4d}/{self.config.run.rounds} | loss {m.loss:7.4f} | robots {m.participants} | "
                 f"uplink {_mb(m.total_bytes_received)} downlink {_mb(m.total_bytes_sent)} | "
                 f"{m.round_time_s:5.2f} s | {robots} | {time.monotonic() - self.started:5.0f} s")


def _mb(n: int) -> str:
    return f"{n / 1e6:7.2f} MB"


def _kb(n: int) -> str:
    return f"{n / 1e3:.0f}kB"


def run_inproc(config: Config, run_dir: Path, say: Callable[[str], None] = print) -> None:
    """Every node in this process on a simulated clock and links: deterministic."""
    torch.set_num_threads(config.run.torch_threads)
    network = InprocNetwork()
    gossip = config.mode == "gossip"
    downlink = LinkModel(rate_bps=config.link.downlink_rate_bps or math.inf)
    coordinator = None if gossip else make_coordinator(network.bus("coordinator", downlink), config, run_dir)
    parts = partitions(config)  # once for the whole fleet, as is the shared initial model
    initial = build_task(config).params_flat() if gossip and config.gossip.same_init else None
    robots: list[Robot | Peer] = []
    for name in robot_names(config.robots.count):
        settings = config.robots.for_robot(name)
        rate = settings.rate_bps or config.link.rate_bps or math.inf
        bus = network.bus(name, LinkModel(rate_bps=rate, latency_s=config.link.latency_s))
        robots.append(make_peer(bus, config, name, run_dir, parts[name], initial) if gossip
                      else make_robot(bus, config, name, run_dir, parts[name]))
    observer = GossipObserver(network.bus("fleet"), robots, config, run_dir) if coordinator is None else None
    Progress(network.bus("progress"), config, say)
    network.run(until=lambda: all(r.done for r in robots) and (
        coordinator.done if coordinator is not None else observer.recorded >= config.run.rounds))
    if observer is not None:
        observer.recorder.close()  # its rows are read back as soon as this returns


def run_node(config: Config, role: str, run_dir: Path | None, robot_id: str | None = None) -> int:
    """One node in this process (``fleetlearn coordinator`` / ``fleetlearn robot``); Ctrl-C stops it cleanly."""
    torch.set_num_threads(config.run.torch_threads)
    t = config.transport
    name = robot_id or "coordinator"
    bus = make_bus(t.name, name, domain_id=t.domain_id, max_sample_bytes=t.max_sample_bytes)
    node: Coordinator | Robot | Peer
    try:
        if role == "coordinator":
            node = make_coordinator(bus, config, run_dir)
        else:
            node = (make_peer if role == "peer" else make_robot)(bus, config, name, run_dir)
        bus.spin(until=lambda: node.done)
        bus.spin(timeout_s=0.5)  # let the last messages leave
        if isinstance(node, Coordinator) and node.finish_reason != "done":
            return 1  # e.g. no robot joined: say so to whoever started this process
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # one Ctrl-C is enough: finish in peace
        log.info("%s: interrupted; stopping", name)
        if "node" in locals():
            node.finish(*(("interrupted",) if role == "coordinator" else ()))
            bus.spin(timeout_s=0.3)
        return 130
    finally:
        bus.close()
    return 0


def run_processes(config: Config, run_dir: Path, say: Callable[[str], None] = print) -> int:
    """A coordinator process and one process per robot, over ``config.transport``."""
    base = [sys.executable, "-m", "fleetlearn.cli"]
    config_path = str(run_dir / "config.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": str(config.run.torch_threads)}
    gossip = config.mode == "gossip"
    procs = [] if gossip else [subprocess.Popen([*base, "coordinator", config_path, "--run-dir", str(run_dir)],
                                                env=env)]
    role = "peer" if gossip else "robot"
    procs += [subprocess.Popen([*base, role, config_path, "--name", name, "--run-dir", str(run_dir)], env=env)
              for name in robot_names(config.robots.count)]
    watcher = make_bus(config.transport.name, "progress", domain_id=config.transport.domain_id)
    Progress(watcher, config, say)
    try:
        if gossip:
            watcher.spin(until=lambda: all(p.poll() is not None for p in procs))
        else:
            watcher.spin(until=lambda: procs[0].poll() is not None)
            deadline = time.monotonic() + 30
            for proc in procs[1:]:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        say("interrupted: stopping every node ...")
        _stop(procs)
    except subprocess.TimeoutExpired:
        say("some robots did not stop after the coordinator; terminating them")
    finally:
        watcher.close()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    if gossip:
        score_final_models(config, run_dir)
    return max(p.returncode or 0 for p in procs)


def score_final_models(config: Config, run_dir: Path) -> None:
    """Gossip over processes: the consensus distance and the average model's score from the saved models."""
    paths = sorted((run_dir / "models").glob("robot_*.pt"))
    if not paths:
        return
    models = [torch.load(p, weights_only=True) for p in paths]
    recorder = Recorder(InprocNetwork().bus("fleet"), "fleet", run_dir)
    finished = _finish_rows(run_dir)
    rounds = max((r.get("round", 0) for r in finished), default=0)
    uplink = sum(r.get("total_bytes_sent", 0) for r in finished)
    recorder.record("round", round=rounds, consensus_distance=consensus_distance(models),
                    total_bytes_received=uplink, participants=len(models),
                    sparsity=sum(sparsity(m) for m in models) / len(models))
    evaluate_average(build_task(config), evaluation_ids(config), recorder, rounds, models, uplink)
    recorder.close()


def _finish_rows(run_dir: Path) -> list[dict[str, Any]]:
    from ..report import load_rows

    return [r for r in load_rows(run_dir) if r.get("event") == "finish" and r["node"].startswith("robot")]


def _stop(procs: list[subprocess.Popen], grace_s: float = 10.0) -> None:
    """Nodes got Ctrl-C with us (same terminal); any that are still up after a grace get SIGINT, then SIGKILL."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(p.poll() is None for p in procs):
        time.sleep(0.1)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)


def run_fleet(config: Config, run_dir: Path | None = None, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run a whole fleet as configured; returns the summary (also in ``summary.json``)."""
    run_dir = prepare_run_dir(config, run_dir)
    say(f"run directory: {run_dir}")
    partitions(config)  # make the data (synthetic set on first use) once, before any node starts
    try:
        if config.transport.name == "inproc":
            run_inproc(config, run_dir, say)
        else:
            run_processes(config, run_dir, say)
    except KeyboardInterrupt:
        say("interrupted: keeping what was recorded")
    return finish_run(run_dir)
