#!/usr/bin/env bash
# Creates or refreshes the project venv and builds fleetlearn_msgs.
#
# Idempotent and quick when nothing changed: each step is skipped while the
# stamp of its inputs matches. Installs missing Debian build tools with apt-get
# (as root, or through sudo). Environment: FLEETLEARN_VENV (default .venv),
# PYTHON (default python3.11: the ROS 2 wheels are built for CPython 3.11).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${FLEETLEARN_VENV:-$root/.venv}
python=${PYTHON:-python3.11}

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# 1. System tools: a C++ toolchain, CMake and Ninja build fleetlearn_msgs;
#    iproute2 and iptables serve `fleetlearn netsim`.
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v ninja >/dev/null || missing+=(ninja-build)
command -v ip >/dev/null || missing+=(iproute2)
command -v iptables >/dev/null || missing+=(iptables)
command -v "$python" >/dev/null || missing+=(python3.11 python3.11-dev python3.11-venv)
[ ${#missing[@]} -eq 0 ] || "$root/scripts/apt_install.sh" "${missing[@]}"
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
  || die "$python is not CPython 3.11 (the ROS 2 wheels need it); set PYTHON=/path/to/python3.11"
"$python" -c 'import ensurepip, sysconfig, os; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' 2>/dev/null \
  || "$root/scripts/apt_install.sh" python3.11-dev python3.11-venv

stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# 2. The venv and Python packages.
[ -x "$venv/bin/python" ] || { say "creating venv $venv"; "$python" -m venv "$venv"; }
pip_stamp=$(stamp_of "$root/requirements.txt" "$root/src/fleetlearn/setup.py" "$root/src/fleetlearn_ros/setup.py" \
  "$root/scripts/setup.sh")
if [ "$(cat "$venv/.fleetlearn-pip" 2>/dev/null)" != "$pip_stamp" ]; then
  say "installing Python packages (torch, torchvision, cyclonedds, rclpy wheels, ...)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/requirements.txt" 2>&1 \
    | { grep -v "^WARNING: Location 'file:" || true; } >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
    -e "$root/src/fleetlearn" -e "$root/src/fleetlearn_ros" 2>&1 | { grep -v "^WARNING: Location 'file:" || true; } >&2
  echo "$pip_stamp" > "$venv/.fleetlearn-pip"
fi

# 3. fleetlearn_msgs with colcon, made importable from the venv. The .pth line
#    puts the package's libraries on LD_LIBRARY_PATH before the ROS wheels'
#    bootstrap re-executes the interpreter (it keeps what is already set).
msgs_stamp=$(stamp_of "$root"/src/fleetlearn_msgs/msg/*.msg "$root/src/fleetlearn_msgs/CMakeLists.txt" \
  "$root/src/fleetlearn_msgs/package.xml" "$root/scripts/build_msgs.sh" "$root/scripts/colcon_build.sh" "$root/requirements.txt" <(echo "$venv"))
if [ "$(cat "$root/install/.fleetlearn-msgs" 2>/dev/null)" != "$msgs_stamp" ]; then
  say "building fleetlearn_msgs with colcon"
  rm -rf "$root/build/fleetlearn_msgs" "$root/install/fleetlearn_msgs"
  "$root/scripts/build_msgs.sh" "$venv" >"$root/log-build-msgs.txt" 2>&1 \
    || { tail -40 "$root/log-build-msgs.txt" >&2; die "colcon build of fleetlearn_msgs failed (full log: log-build-msgs.txt)"; }
  rm -f "$root/log-build-msgs.txt"
  echo "$msgs_stamp" > "$root/install/.fleetlearn-msgs"
fi
# Every run: a venv made again after the build still needs the line.
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
lib="$root/install/fleetlearn_msgs/lib"
cat > "$site/fleetlearn_workspace.pth" <<PTH
$lib/python3.11/site-packages
import os; _p = "$lib"; _l = os.environ.get("LD_LIBRARY_PATH", ""); os.environ["LD_LIBRARY_PATH"] = _l if _p in _l.split(":") else ":".join(x for x in (_p, _l) if x)
PTH
say "ready: $venv"
