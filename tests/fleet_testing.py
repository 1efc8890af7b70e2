"""Small, fast fleets for tests: the digits classification task behind the real fleet code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import yaml

from fleetlearn.config import Config, config_from_dict, robot_names
from fleetlearn.fleet.coordinator import Coordinator
from fleetlearn.fleet.nodes import make_coordinator, make_robot
from fleetlearn.fleet.robot import Robot
from fleetlearn.metrics_files import node_rows
from fleetlearn.transport import InprocNetwork, LinkModel


def digits_config(**sections: Any) -> Config:
    """3 robots on the digits task, Top-K with error feedback, 12 rounds; ``sections`` override."""
    data: dict[str, Any] = {
        "transport": {"name": "inproc"},
        "run": {"rounds": 12, "eval_every": 0, "name": "test"},
        "robots": {"count": 3, "batch_size": 32, "heartbeat_s": 0.5},
        "task": {"kind": "classification", "dataset": "digits"},
        "optimizer": {"name": "adamw", "lr": 0.005},
        "algorithm": {"name": "topk", "keep_ratio": 0.05, "error_feedback": True},
        "link": {"cap_bps": 400_000, "comm_time_s": 0.5},
        "round": {"deadline_s": 5.0, "robot_timeout_s": 3.0},
    }
    for section, values in sections.items():
        data[section] = {**data.get(section, {}), **values} if isinstance(values, dict) else values
    return config_from_dict(data)


class InprocFleet:
    """Coordinator and robots on one InprocNetwork, each with its own real task and bus."""

    def __init__(self, config: Config, run_dir: Path | None = None, robots: list[str] | None = None) -> None:
        self.config = config
        self.run_dir = run_dir
        self.network = InprocNetwork()
        self.coordinator: Coordinator = make_coordinator(self.network.bus("coordinator"), config, run_dir)
        self.robots: dict[str, Robot] = {}
        for name in robot_names(config.robots.count) if robots is None else robots:
            self.add_robot(name)

    def add_robot(self, name: str) -> Robot:
        settings = self.config.robots.for_robot(name)
        link = LinkModel(rate_bps=settings.rate_bps or self.config.link.rate_bps or float("inf"),
                         latency_s=self.config.link.latency_s)
        self.robots[name] = make_robot(self.network.bus(name, link), self.config, name, self.run_dir)
        return self.robots[name]

    def run(self, until=None, timeout_s: float = 600.0) -> bool:
        return self.network.run(until or self.finished, timeout_s)

    def finished(self) -> bool:
        """The coordinator is done and every live robot has seen the end."""
        return self.coordinator.done and all(r.done or r.bus.closed for r in self.robots.values())


def assert_in_step(fleet: InprocFleet) -> None:
    """Every live robot holds the coordinator's model version, bit for bit."""
    reference = fleet.coordinator.task.params_flat()
    for name, robot in fleet.robots.items():
        if robot.bus.closed:
            continue
        assert robot.version == fleet.coordinator.version, name
        assert torch.equal(robot.task.params_flat(), reference), f"{name} differs from the coordinator"


def write_config(config: Config, path: Path) -> Path:
    path.write_text(yaml.safe_dump(config.to_dict()))
    return path


def read_rows(run_dir: Path, node: str) -> list[dict[str, Any]]:
    """A node's rows since it last started (as the report reads them), while the node still writes."""
    return node_rows(Path(run_dir) / "metrics" / f"{node}.jsonl")
