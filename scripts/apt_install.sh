#!/usr/bin/env bash
# Installs the Debian packages given that are not installed yet (as root, or through sudo -n).
# Usage: scripts/apt_install.sh PACKAGE...   Used by setup.sh and by the tests that need host tools.
set -euo pipefail
say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "missing Debian packages (${missing[*]}) and not root: install them and rerun"
  sudo="sudo -n"
fi
say "installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
