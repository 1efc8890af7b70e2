"""``ros2 run fleetlearn_ros robot_node --ros-args -r __ns:=/robot_0``: one parameter-server robot.

The robot id is the namespace (or the ``robot_id`` parameter). The robot trains on its own
share of the data, publishes compressed updates sized to the link budget it measures on
/robot_N/update, its Metrics on /robot_N/metrics, LinkReports on /robot_N/link and its health
on /diagnostics. Exits 0 when the coordinator announces the end (or on Ctrl-C, after telling
the coordinator it leaves).
"""

from __future__ import annotations

import sys
from collections import Counter

from diagnostic_msgs.msg import DiagnosticStatus

from fleetlearn.fleet import topics
from fleetlearn.fleet.nodes import make_robot
from fleetlearn.fleet.robot import Robot
from fleetlearn.msgs import RoundAnnouncement

from .diagnostics import Watch, robot_link, robot_rounds
from .fleet_node import FleetNode, run


class RobotNode(FleetNode):
    role = "robot"
    mode = "ps"
    fleet: Robot

    def __init__(self) -> None:
        super().__init__()
        self._fleet_round = 0  # the last round the coordinator opened
        self._announced = Watch(self.bus.now())
        self.bus.subscribe(topics.ROUND, RoundAnnouncement, self._on_round, topics.ROUND_QOS)

    def make_fleet(self) -> Robot:
        return make_robot(self.bus, self.config, self.node_id, self.run_dir)

    def _on_round(self, msg: RoundAnnouncement) -> None:
        if msg.state == RoundAnnouncement.STATE_OPEN:
            self._fleet_round = max(self._fleet_round, msg.round)

    def statuses(self, now: float) -> list[DiagnosticStatus]:
        return [robot_rounds(self.fleet, self._fleet_round, self._announced, now), robot_link(self.fleet)]

    def rejected(self) -> Counter[str]:
        return self.bus.stats.rejected + self.fleet.rejected

    def finish_interrupted(self) -> None:
        self.fleet.finish()


def main(args: list[str] | None = None) -> None:
    sys.exit(run(RobotNode, args))


if __name__ == "__main__":
    main()
