#!/usr/bin/env bash
# colcon build against the ROS 2 PyPI wheels of a venv: no ROS install needed.
# Usage: scripts/colcon_build.sh VENV BASE [colcon build arguments, e.g. --base-paths src/fleetlearn_msgs]
#
# Builds the workspace's packages (plain installs, no symlinks) into BASE/build and BASE/install,
# logs in BASE/log. PYTHON (default VENV/bin/python) runs colcon, and the packages are built for it.
# The wheels' exported CMake files name their build machine's Python paths
# (/opt/python/cp311-cp311/...): they are rewritten to VENV's Python and numpy include directories.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:?usage: colcon_build.sh VENV BASE [colcon build arguments]}
base=${2:?usage: colcon_build.sh VENV BASE [colcon build arguments]}
shift 2
py=${PYTHON:-$venv/bin/python}

py_include=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_include=$("$py" -c 'import numpy; print(numpy.get_include())')
{ grep -rl --include='*.cmake' '/opt/python/cp311-cp311' "$venv/share" 2>/dev/null || true; } | while read -r f; do
  sed -i -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#${np_include}#g" \
         -e "s#/opt/python/cp311-cp311/include/python3.11#${py_include}#g" "$f"
done

export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
export CMAKE_PREFIX_PATH="$venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
export AMENT_PREFIX_PATH="$venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
cd "$root"
"$py" -m colcon --log-base "$base/log" build \
  --build-base "$base/build" --install-base "$base/install" \
  --event-handlers console_cohesion- status- summary+ "$@" \
  --cmake-args -G Ninja -DCMAKE_INSTALL_RPATH="$base/install/fleetlearn_msgs/lib" -DPython3_EXECUTABLE="$py" \
  -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release
