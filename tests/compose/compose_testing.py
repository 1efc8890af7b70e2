"""A Docker engine of the compose test's own, inside a network namespace the test makes.

dockerd runs in that namespace (``nsenter --net``), with its data, sockets and state in a folder of
the test: docker0, the compose network's bridge, its iptables chains and MASQUERADE rule, its FORWARD
policy and ip_forward all live in the namespace, and the containers' DDS traffic cannot reach the
host's interfaces. Stopping the daemon (by PID), then deleting the namespace, leaves the host as it was;
the test checks that it does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from fleetlearn.netsim.host import CAP_NET_ADMIN, CAP_SYS_ADMIN, _has_capabilities, sh

REPO = Path(__file__).resolve().parents[2]
DEBIAN_PACKAGES = ("docker.io", "docker-compose", "debootstrap")


def skip_reason() -> str | None:
    """Why the compose test cannot run here (None: it can; CI runs as root, where it installs what it needs)."""
    if not _has_capabilities(CAP_NET_ADMIN, CAP_SYS_ADMIN):
        return "the compose test needs root: it starts dockerd in a network namespace of its own"
    if shutil.which("apt-get") is None and not all(shutil.which(t) for t in ("dockerd", "docker-compose")):
        return f"the compose test needs the Debian packages {', '.join(DEBIAN_PACKAGES)} (apt-get is missing)"
    return None


def install_tools() -> None:
    """docker.io, docker-compose and debootstrap, with the project's apt-get step (nothing when present)."""
    subprocess.run([str(REPO / "scripts" / "apt_install.sh"), *DEBIAN_PACKAGES], check=True, timeout=900)


class Dockerd:
    """dockerd in network namespace ``name``, everything it writes under ``workdir``."""

    def __init__(self, workdir: Path, name: str) -> None:
        self.workdir = workdir
        self.netns = name
        self.socket = workdir / "docker.sock"
        self.proc: subprocess.Popen | None = None
        self.env = {**os.environ, "DOCKER_HOST": f"unix://{self.socket}"}

    def start(self, timeout_s: float = 60.0) -> None:
        sh("ip", "netns", "add", self.netns)
        sh("ip", "-n", self.netns, "link", "set", "lo", "up")
        self.workdir.mkdir(parents=True, exist_ok=True)
        with (self.workdir / "dockerd.log").open("w") as log:
            self.proc = subprocess.Popen(
                ["nsenter", f"--net=/run/netns/{self.netns}", "dockerd", "--data-root", str(self.workdir / "data"),
                 "--exec-root", str(self.workdir / "exec"), "--pidfile", str(self.workdir / "dockerd.pid"),
                 "-H", f"unix://{self.socket}"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while self.docker("version", check=False).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dockerd did not start; its log ends:\n{self.log_tail()}")
            time.sleep(0.5)

    def docker(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True, check=check,
                              timeout=timeout)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join((self.workdir / "dockerd.log").read_text(errors="replace").splitlines()[-lines:])

    def namespace_links(self) -> set[str]:
        """The interfaces in the daemon's namespace (bridges and veths of its own, and lo)."""
        return {line.split(":")[1].strip().split("@")[0] for line in sh("ip", "-n", self.netns, "-o", "link")
                .splitlines()}

    def namespace_network_state(self) -> tuple[list[str], str]:
        """The daemon's iptables rules and chains, and its ip_forward, as they are in its namespace."""
        saved = sh("ip", "netns", "exec", self.netns, "iptables-save").splitlines()
        forward = sh("ip", "netns", "exec", self.netns, "cat", "/proc/sys/net/ipv4/ip_forward").strip()
        return [line.split(" [")[0] for line in saved if line.startswith(("-", ":"))], forward

    def stop(self, timeout_s: float = 60.0) -> list[str]:
        """Stop the daemon by its PID (SIGTERM; SIGKILL after ``timeout_s``), end what it left running,
        delete the namespace and the daemon's files. Returns what had to be forced, one line each."""
        forced = []
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # nsenter execs dockerd: this PID is the daemon's
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                forced.append(f"dockerd (pid {self.proc.pid}) ignored SIGTERM for {timeout_s:.0f} s: killed")
                self.proc.kill()
                self.proc.wait()
        for pid in self.leftover_processes():
            forced.append(f"left running after dockerd: pid {pid}: killed")
            os.kill(pid, signal.SIGKILL)
        for mount in self.leftover_mounts():
            forced.append(f"left mounted after dockerd: {mount}: unmounted")
            subprocess.run(["umount", "-l", mount], check=False)
        if self.netns in sh("ip", "netns", "list").split():
            sh("ip", "netns", "delete", self.netns)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return forced

    def leftover_processes(self) -> list[int]:
        """Processes that name the daemon's folder on their command line (containerd, shims)."""
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if str(self.workdir).encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue  # it ended meanwhile
        return [pid for pid in found if pid != os.getpid()]

    def leftover_mounts(self) -> list[str]:
        return [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                if line.split()[1].startswith(str(self.workdir))]
