#!/usr/bin/env bash
# The base image of the compose test (tests/compose), made without a registry: a Debian 12 minbase
# from debootstrap, with iproute2 (tc shapes the uplinks) and the shared libraries the project
# venv's Python loads beyond minbase (sqlite3, readline), imported as fleetlearn-base:bookworm.
# Usage: docker/ci_base.sh WORKDIR   (as root; DOCKER_HOST names the daemon; DEBIAN_MIRROR overrides
# the mirror). ci.Dockerfile builds on it.
set -euo pipefail
work=${1:?usage: ci_base.sh WORKDIR}
mkdir -p "$work"
debootstrap --variant=minbase --include=iproute2,libsqlite3-0,libreadline8 bookworm "$work/rootfs" \
  "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; echo "ci_base.sh: debootstrap failed (log: $work/debootstrap.log)" >&2; exit 1; }
tar -C "$work/rootfs" -c . | docker import - fleetlearn-base:bookworm >/dev/null
