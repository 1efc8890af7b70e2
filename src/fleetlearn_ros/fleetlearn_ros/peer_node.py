"""``ros2 run fleetlearn_ros peer_node --ros-args -r __ns:=/robot_0``: one robot of a gossip fleet.

No coordinator: the peer trains on its own data and mixes compressed model residuals with
its neighbours (gossip.topology) on /robot_N/update. Metrics on /robot_N/metrics, health on
/diagnostics. Exits 0 after run.rounds rounds (or on Ctrl-C, after recording what it has).
"""

from __future__ import annotations

import sys
from collections import Counter

from diagnostic_msgs.msg import DiagnosticStatus

from fleetlearn.fleet.nodes import make_peer
from fleetlearn.fleet.peer import Peer

from .diagnostics import Watch, peer_neighbours, peer_rounds
from .fleet_node import FleetNode, run


class PeerNode(FleetNode):
    role = "peer"
    mode = "gossip"
    fleet: Peer

    def __init__(self) -> None:
        super().__init__()
        self._rounds = Watch(self.bus.now())

    def make_fleet(self) -> Peer:
        return make_peer(self.bus, self.config, self.node_id, self.run_dir)

    def statuses(self, now: float) -> list[DiagnosticStatus]:
        return [peer_rounds(self.fleet, self._rounds, now), peer_neighbours(self.fleet)]

    def rejected(self) -> Counter[str]:
        return self.bus.stats.rejected + self.fleet.rejected

    def finish_interrupted(self) -> None:
        self.fleet.finish()


def main(args: list[str] | None = None) -> None:
    sys.exit(run(PeerNode, args))


if __name__ == "__main__":
    main()
