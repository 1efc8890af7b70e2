#!/usr/bin/env bash
# Entry point of the fleetlearn image: the ROS environment, optional link shaping, then the command.
#
# LINK_RATE (a tc rate such as 1mbit or 500kbit) shapes this container's uplink with a token
# bucket on LINK_DEV (default eth0); LINK_BURST (default 32kbit) and LINK_QUEUE (bytes the link
# holds before it drops, default 256kb) tune it. The queue holds more than a socket's send buffer:
# DDS sends datagrams of up to 64 kB, and one dropped IP fragment loses the whole datagram, so a
# short queue on a slow link turns every large update into retransmissions. Shaping needs
# `cap_add: [NET_ADMIN]`; without it the container stops here with tc's error rather than running
# on an unshaped link.
set -euo pipefail
set +u  # the ROS and colcon setup scripts read variables that are normally unset
# The ROS install and the workspace of docker/Dockerfile; the compose test's image (ci.Dockerfile)
# has neither: it runs the project venv's executables.
for setup in "/opt/ros/${ROS_DISTRO:-}/setup.bash" /ws/install/setup.bash; do
  [ ! -f "$setup" ] || source "$setup"
done
set -u
if [ -n "${LINK_RATE:-}" ]; then
  dev=${LINK_DEV:-eth0}
  tc qdisc replace dev "$dev" root tbf rate "$LINK_RATE" burst "${LINK_BURST:-32kbit}" limit "${LINK_QUEUE:-256kb}"
  echo "[entrypoint] uplink of $dev shaped to $LINK_RATE" >&2
fi
exec "$@"
