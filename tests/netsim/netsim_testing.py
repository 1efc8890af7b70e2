"""Running ``python -m fleetlearn.netsim`` from tests, and snapshots of the host's network state."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fleet_testing import read_rows

from fleetlearn.netsim.host import CAP_NET_ADMIN, CAP_SYS_ADMIN, _has_capabilities


def netns_skip_reason(tools: tuple[str, ...]) -> str | None:
    """Why netsim cannot run here (None: it can). CI runs as root with the tools, so there it runs."""
    if not _has_capabilities(CAP_NET_ADMIN, CAP_SYS_ADMIN):
        return "netsim needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) to make network namespaces"
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return f"netsim tests need {', '.join(missing)} (apt-get install -y iproute2 iptables)"
    return None


def needs_netns(*tools: str) -> list[pytest.MarkDecorator]:
    """The ``netns`` mark, and a skip with the reason where root or one of ``tools`` is missing."""
    reason = netns_skip_reason(tools)
    return [pytest.mark.netns, pytest.mark.skipif(reason is not None, reason=reason or "")]


def host_network_state() -> dict[str, set[str]]:
    """What netsim and the compose test must leave as they found it: namespaces, the host's links, its iptables
    rules, tables and chains with their policies (IPv4 and IPv6), IP forwarding and bridge netfilter."""
    def lines(*cmd: str) -> list[str]:
        if shutil.which(cmd[0]) is None:
            return []
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()

    saved = {tool: lines(tool) for tool in ("iptables-save", "ip6tables-save")}
    rules = {line for line in saved["iptables-save"] if line.startswith("-")}  # no counters or comments
    chains = {f"{tool}: {line.split(' [')[0]}" for tool, text in saved.items() for line in text
              if line.startswith(("*", ":"))}  # tables, and chains with their policy (:FORWARD ACCEPT)
    links = {line.split(":")[1].strip().split("@")[0] for line in lines("ip", "-o", "link")}
    sysctls = {f"{name}={Path('/proc/sys/net', name).read_text().strip()}"
               for name in ("ipv4/ip_forward", "ipv6/conf/all/forwarding", "bridge/bridge-nf-call-iptables",
                            "bridge/bridge-nf-call-ip6tables") if Path("/proc/sys/net", name).exists()}
    return {"netns": {line.split()[0] for line in lines("ip", "netns", "list")}, "links": links, "iptables": rules,
            "ip6tables": {line for line in saved["ip6tables-save"] if line.startswith("-")},
            "chains": chains, "sysctls": sysctls}


def start_netsim(config: Path, run_dir: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "fleetlearn.netsim", str(config), "--run-dir", str(run_dir)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())


def wait_for_round(run_dir: Path, n: int, proc: subprocess.Popen, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if any(r.get("event") == "round" and r["round"] >= n for r in read_rows(run_dir, "coordinator")):
            return
        time.sleep(0.1)
    raise TimeoutError(f"the coordinator did not reach round {n} (netsim exit: {proc.poll()})")
