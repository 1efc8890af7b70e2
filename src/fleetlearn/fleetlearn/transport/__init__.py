"""Transports: one Bus interface, three adapters chosen by name.

- ``inproc``: many nodes in one process on a simulated clock (deterministic).
- ``dds``: Cyclone DDS speaking the ROS 2 wire format (no ROS install needed).
- ``ros``: an rclpy node.
"""

from __future__ import annotations

from typing import Any

from ..registry import Registry
from .base import BEST_EFFORT, LATCHED, RELIABLE, Bus, Delivery, QoS, TransportError, TransportStats
from .inproc import InprocNetwork, LinkModel

TRANSPORTS: Registry[Any] = Registry("transport")  # name -> builder(node_name, **options) -> Bus

__all__ = [
    "BEST_EFFORT", "LATCHED", "RELIABLE", "TRANSPORTS", "Bus", "Delivery", "InprocNetwork", "LinkModel",
    "QoS", "TransportError", "TransportStats", "make_bus",
]


@TRANSPORTS.register("inproc")
def _inproc(node_name: str, *, network: InprocNetwork | None = None, **options: Any) -> Bus:
    if network is None:
        raise ValueError("transport 'inproc' needs the shared InprocNetwork (network=...)")
    return network.bus(node_name, **options)


@TRANSPORTS.register("dds")
def _dds(node_name: str, **options: Any) -> Bus:
    from .dds import DdsBus  # cyclonedds loads only when asked for

    del node_name  # a DDS participant has no node name; topics carry the robot's id
    return DdsBus(**options)


@TRANSPORTS.register("ros")
def _ros(node_name: str, **options: Any) -> Bus:
    from .ros import RosBus  # rclpy loads only when asked for

    return RosBus(node_name=node_name, **options)


def make_bus(transport: str, node_name: str, **options: Any) -> Bus:
    """Create a bus by transport name; ``options`` go to the adapter.

    ``inproc`` needs the shared ``network``; ``dds`` takes ``domain_id``/``config``;
    ``ros`` takes ``namespace``/``domain_id``/``node``.
    """
    return TRANSPORTS.make(transport, node_name=node_name, **options)
