"""A whole fleet in this process: every node on one simulated clock and simulated links, so runs repeat exactly."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch

from ..config import Config, robot_names
from ..transport import InprocNetwork, LinkModel
from .build import build_task, partitions
from .nodes import make_coordinator, make_peer, make_robot
from .observer import GossipObserver
from .peer import Peer
from .progress import Progress, watch_metrics
from .robot import Robot


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
    watch_metrics(network.bus("progress"), config, Progress(config.run.rounds, say))
    network.run(until=lambda: all(r.done for r in robots) and (
        coordinator.done if coordinator is not None else observer.recorded >= config.run.rounds))
    if observer is not None:
        observer.recorder.close()  # its rows are read back as soon as this returns
