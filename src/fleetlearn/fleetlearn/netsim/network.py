"""The emulated network on the host: namespaces, a bridge, veth pairs, tc and iptables.

Nothing is made in the host's own namespace: the bridge sits in a hub namespace and
each veth pair is created there with its other end moved straight into a node's
namespace. Qdiscs and iptables rules live inside the namespaces too, so deleting the
run's namespaces (all named ``<prefix>-...``) removes everything the run made.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
from types import TracebackType

from .host import NetsimError, netns_list, sh, signals_held
from .plan import Link, NetworkPlan

log = logging.getLogger(__name__)

PREFIX = "fleetlearn-netsim"
INTERFACE = "fleet0"          # each node's interface, inside its own namespace
BRIDGE = "br0"                # in the hub namespace
LOSS_CHAIN = "fleetlearn-loss"
QUEUE_SECONDS = 10.0          # tbf queue: a whole update waits at the link rate instead of being dropped
MIN_QUEUE_BYTES = 1 << 20


def run_prefix() -> str:
    """Names unique to this run (its pid, for whoever finds them), so concurrent runs never collide."""
    return f"{PREFIX}-{os.getpid()}-{secrets.token_hex(2)}"


class EmulatedNetwork:
    """One run's namespaces and links; a context manager that always tears them down."""

    def __init__(self, plan: NetworkPlan, prefix: str | None = None) -> None:
        self.plan = plan
        self.prefix = prefix or run_prefix()
        self.hub = f"{self.prefix}-hub"
        self.made: list[str] = []  # namespaces this run created, in order
        self.loss_chains: set[str] = set()

    def namespace(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def __enter__(self) -> EmulatedNetwork:
        try:
            self.build()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.teardown()

    def build(self) -> None:
        """Hub with a bridge; per node a namespace, a veth pair to the bridge, its address; robots shaped."""
        self._add_namespace(self.hub)
        sh("ip", "-n", self.hub, "link", "add", "name", BRIDGE, "type", "bridge")
        sh("ip", "-n", self.hub, "link", "set", "dev", BRIDGE, "up")
        for node, address in self.plan.addresses.items():
            ns = self.namespace(node)
            self._add_namespace(ns)
            sh("ip", "-n", self.hub, "link", "add", "name", node, "type", "veth", "peer", "name", INTERFACE,
               "netns", ns)
            sh("ip", "-n", self.hub, "link", "set", "dev", node, "master", BRIDGE, "up")
            sh("ip", "-n", ns, "addr", "add", f"{address}/{self.plan.prefix_len}", "dev", INTERFACE)
            sh("ip", "-n", ns, "link", "set", "dev", INTERFACE, "up")
        for robot, link in self.plan.links.items():
            self.shape(robot, link)

    def _add_namespace(self, ns: str) -> None:
        if ns in netns_list():
            raise NetsimError(f"network namespace {ns} already exists; another run uses this prefix")
        self.made.append(ns)  # first: a signal during the add must still see it torn down
        sh("ip", "netns", "add", ns)

    def shape(self, robot: str, link: Link) -> None:
        """Set a robot's uplink: tbf at the rate on its interface's egress, random drops when loss > 0."""
        ns = self.namespace(robot)
        limit = max(int(link.rate_bps / 8 * QUEUE_SECONDS), MIN_QUEUE_BYTES)
        sh("tc", "-n", ns, "qdisc", "replace", "dev", INTERFACE, "root", "tbf", "rate", f"{int(link.rate_bps)}bit",
           "burst", str(self.plan.burst_bytes), "limit", str(limit))
        if link.loss <= 0 and robot not in self.loss_chains:
            return
        iptables = ("ip", "netns", "exec", ns, "iptables")
        if robot not in self.loss_chains:
            sh(*iptables, "-N", LOSS_CHAIN)
            sh(*iptables, "-A", "OUTPUT", "-o", INTERFACE, "-j", LOSS_CHAIN)
            self.loss_chains.add(robot)
        sh(*iptables, "-F", LOSS_CHAIN)
        if link.loss > 0:
            sh(*iptables, "-A", LOSS_CHAIN, "-m", "statistic", "--mode", "random", "--probability",
               f"{link.loss:.6f}", "-j", "DROP")

    def teardown(self) -> list[str]:
        """Delete this run's namespaces (with their links, qdiscs and rules); the names that would not go."""
        with signals_held():  # a second Ctrl-C must not leave half a network behind
            for ns in reversed(self.made):
                self._kill_processes_in(ns)
                with contextlib.suppress(NetsimError):
                    sh("ip", "netns", "del", ns)
            left = sorted(set(self.made) & set(netns_list()))
            if left:
                log.error("could not delete network namespaces %s; remove them with `ip netns del NAME`", left)
            self.made = [ns for ns in self.made if ns in left]
            return left

    @staticmethod
    def _kill_processes_in(ns: str) -> None:
        """A node process that outlived the run would keep its namespace alive: end it (it is ours)."""
        with contextlib.suppress(NetsimError):
            for pid in sh("ip", "netns", "pids", ns).split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
