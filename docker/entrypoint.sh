#!/usr/bin/env bash
# Entry point of the fleetlearn image: the ROS environment, optional link shaping, then the command.
#
# LINK_RATE (a tc rate such as 1mbit or 500kbit) shapes this container's uplink with a token
# bucket on LINK_DEV (default eth0); LINK_BURST (default 32kbit) and LINK_LATENCY (queueing
# limit, default 400ms) tune it. Shaping needs `cap_add: [NET_ADMIN]`; without it the container
# stops here with tc's error rather than running on an unshaped link.
set -euo pipefail
set +u  # the ROS and colcon setup scripts read variables that are normally unset
source "/opt/ros/${ROS_DISTRO}/setup.bash"
source /ws/install/setup.bash
set -u
if [ -n "${LINK_RATE:-}" ]; then
  dev=${LINK_DEV:-eth0}
  tc qdisc replace dev "$dev" root tbf rate "$LINK_RATE" burst "${LINK_BURST:-32kbit}" latency "${LINK_LATENCY:-400ms}"
  echo "[entrypoint] uplink of $dev shaped to $LINK_RATE" >&2
fi
exec "$@"
