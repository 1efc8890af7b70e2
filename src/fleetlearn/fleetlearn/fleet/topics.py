"""Topic names and QoS of the fleet protocol (parameter-server and gossip modes).

Fleet-wide topics live under ``/fleet``; each node's own topics under its name,
so in ROS every robot is a namespace (``/robot_1/update``, ``/robot_1/metrics``).
"""

from __future__ import annotations

from ..transport import LATCHED, QoS

ROUND = "/fleet/round"                        # RoundAnnouncement, latched: late joiners see the open round
STEP = "/fleet/step"                          # GlobalStep
STATUS = "/fleet/status"                      # RobotStatus heartbeats (membership)
SNAPSHOT = "/fleet/snapshot"                  # ModelSnapshot chunks
SNAPSHOT_REQUEST = "/fleet/snapshot_request"  # SnapshotRequest

ROUND_QOS: QoS = LATCHED
STEP_QOS: QoS = QoS(reliable=True, transient_local=False, depth=4)
SNAPSHOT_QOS: QoS = QoS(reliable=True, transient_local=False, depth=64)


def update_topic(robot_id: str) -> str:
    """A robot's compressed updates (to the coordinator, or to its gossip neighbours)."""
    return f"/{robot_id}/update"


def link_topic(node: str) -> str:
    return f"/{node}/link"


def metrics_topic(node: str) -> str:
    return f"/{node}/metrics"
