"""What the emulated network looks like: node addresses, each robot's link, and the schedule of changes.

Pure logic from the config, so it is checked before anything is made on the host.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..config import Config, ConfigError, RateChange, robot_names

COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Link:
    """A robot's uplink as shaped: rate (bits/s) and random packet loss probability."""

    rate_bps: float
    loss: float


@dataclass(frozen=True)
class NetworkPlan:
    """Every node's address, the robots' initial links, and the prefix length of the subnet."""

    addresses: dict[str, str]
    prefix_len: int
    links: dict[str, Link]
    burst_bytes: int

    @property
    def uses_loss(self) -> bool:
        return any(link.loss > 0 for link in self.links.values())


def plan_network(config: Config) -> NetworkPlan:
    """Addresses from ``network.subnet`` (coordinator first), links from ``network.robots`` or the defaults."""
    net = config.network
    robots = robot_names(config.robots.count)
    if config.mode != "ps":
        raise ConfigError(f"mode: netsim runs parameter-server fleets (ps), got {config.mode!r}")
    if config.transport.name != "dds":
        raise ConfigError(f"transport.name: netsim runs its nodes over dds, got {config.transport.name!r}")
    try:
        subnet = ipaddress.ip_network(net.subnet)
    except ValueError as exc:
        raise ConfigError(f"network.subnet: {exc}") from None
    hosts = subnet.hosts()
    nodes = [COORDINATOR, *robots]
    addresses = {}
    for node in nodes:
        address = next(hosts, None)
        if address is None:
            raise ConfigError(f"network.subnet: {net.subnet} has too few addresses for {len(nodes)} nodes")
        addresses[node] = str(address)
    for name, shape in net.robots.items():
        _check_robot(name, robots, f"network.robots.{name}")
        _check_link(shape.rate_bps, shape.loss, f"network.robots.{name}")
    for i, change in enumerate(net.schedule):
        _check_robot(change.robot, robots, f"network.schedule[{i}].robot")
        _check_link(change.rate_bps, change.loss, f"network.schedule[{i}]")
    if net.burst_bytes < 1600:
        raise ConfigError(f"network.burst_bytes: must hold a full 1500-byte packet (>= 1600), got {net.burst_bytes}")
    links = {}
    for name in robots:
        shape = net.robots.get(name)
        rate = shape.rate_bps if shape and shape.rate_bps is not None else net.rate_bps
        loss = shape.loss if shape and shape.loss is not None else net.loss
        links[name] = Link(rate, loss)
    return NetworkPlan(addresses, subnet.prefixlen, links, net.burst_bytes)


def _check_robot(name: str, robots: list[str], field: str) -> None:
    if name not in robots:
        raise ConfigError(f"{field}: {name!r} is not a robot of this run ({robots[0]}..{robots[-1]})")


def _check_link(rate_bps: float | None, loss: float | None, field: str) -> None:
    if rate_bps is not None and rate_bps <= 0:
        raise ConfigError(f"{field}.rate_bps: must be > 0, got {rate_bps}")
    if loss is not None and not 0 <= loss < 1:
        raise ConfigError(f"{field}.loss: must be in [0, 1), got {loss}")


class Schedule:
    """The link changes still to come.

    A change at ``round`` R applies as round R opens (once the coordinator has recorded round R-1;
    netsim polls every 50 ms, so an update of round R already on its way meets the new rate
    part-way). A change at ``time_s`` counts from when the nodes were started.
    """

    def __init__(self, changes: list[RateChange]) -> None:
        self.pending = list(enumerate(changes))

    def due(self, rounds_done: int, elapsed_s: float) -> list[tuple[int, RateChange]]:
        """Changes whose round or time has come, in config order; each is returned once."""
        ready = [(i, c) for i, c in self.pending
                 if (c.round is not None and rounds_done >= c.round - 1)
                 or (c.time_s is not None and elapsed_s >= c.time_s)]
        self.pending = [item for item in self.pending if item not in ready]
        return ready

    def uses_loss(self) -> bool:
        return any(c.loss for _, c in self.pending)


def apply_change(link: Link, change: RateChange) -> Link:
    """The link after a change: fields the change leaves out stay as they were."""
    return Link(link.rate_bps if change.rate_bps is None else change.rate_bps,
                link.loss if change.loss is None else change.loss)
