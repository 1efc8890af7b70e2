#!/usr/bin/env bash
# Builds the fleetlearn_msgs interface package with colcon against the ROS 2 PyPI wheels in the
# project venv, into the workspace's build/ and install/. Usage: scripts/build_msgs.sh VENV
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec "$root/scripts/colcon_build.sh" "${1:?usage: build_msgs.sh VENV}" "$root" --base-paths src/fleetlearn_msgs
