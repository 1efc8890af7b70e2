"""``ros2 run fleetlearn_ros coordinator_node``: the parameter-server coordinator as a ROS 2 node.

Announces rounds on /fleet/round, aggregates the robots' compressed updates, publishes the
global step on /fleet/step, its Metrics on /coordinator/metrics and its health on /diagnostics.
Exits 0 after run.rounds rounds (or on Ctrl-C, after announcing the end and saving the model).
"""

from __future__ import annotations

import sys
from collections import Counter

from diagnostic_msgs.msg import DiagnosticStatus

from fleetlearn.fleet.coordinator import Coordinator
from fleetlearn.fleet.nodes import make_coordinator

from .diagnostics import Watch, coordinator_robots, coordinator_rounds
from .fleet_node import FleetNode, run


class CoordinatorNode(FleetNode):
    role = "coordinator"
    mode = "ps"
    fleet: Coordinator

    def __init__(self) -> None:
        super().__init__()
        self._steps = Watch(self.bus.now())

    def make_fleet(self) -> Coordinator:
        return make_coordinator(self.bus, self.config, self.run_dir)

    def statuses(self, now: float) -> list[DiagnosticStatus]:
        return [coordinator_rounds(self.fleet, self._steps, now), coordinator_robots(self.fleet, now)]

    def rejected(self) -> Counter[str]:
        return self.bus.stats.rejected + self.fleet.rejected

    def finish_interrupted(self) -> None:
        self.fleet.finish("interrupted")


def main(args: list[str] | None = None) -> None:
    sys.exit(run(CoordinatorNode, args))


if __name__ == "__main__":
    main()
