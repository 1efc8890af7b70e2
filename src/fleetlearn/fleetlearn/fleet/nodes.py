"""Fleet nodes built from a Config, the same way in every process: ``fleetlearn`` runs and the ROS nodes.

Imports nothing that plots (no matplotlib): every ROS node starts from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import Tensor

from ..config import Config
from ..transport import Bus
from .build import build_task, evaluation_ids, partitions
from .coordinator import Coordinator
from .peer import Peer
from .robot import Robot


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
