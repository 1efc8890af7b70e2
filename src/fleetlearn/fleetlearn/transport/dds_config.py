"""Cyclone DDS configuration: loopback only unless the user says otherwise.

The default keeps DDS off the machine's real network: the loopback interface,
no multicast, unicast discovery to 127.0.0.1 over a range of participant
indices. ``IgnoreTypeInformation`` lets plain Cyclone endpoints match the Fast
DDS endpoints of rclpy from the PyPI wheels (harmless against Cyclone peers).

Those settings live in one file, ``cyclonedds_loopback.xml`` next to this module
(``config/cyclonedds_loopback.xml`` links to it): the default as shipped, and the
template every other config here is made from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import resources
from xml.dom import minidom

TEMPLATE = "cyclonedds_loopback.xml"


def cyclone_config(interface: str | None = None, peers: Sequence[str] | None = None,
                   max_participants: int | None = None) -> str:
    """The shipped loopback config as XML text, with ``interface``, the unicast ``peers`` and the number of
    participant indices in place of its own where given."""
    doc = minidom.parseString(resources.files(__package__).joinpath(TEMPLATE).read_bytes())
    for comment in [n for n in doc.childNodes if n.nodeType == n.COMMENT_NODE]:
        doc.removeChild(comment)  # it describes the shipped file
    if interface is not None:
        _only(doc, "NetworkInterface").setAttribute("name", interface)
    if peers is not None:
        holder = _only(doc, "Peers")
        for old in list(holder.childNodes):
            holder.removeChild(old)
        for address in peers:
            holder.appendChild(doc.createElement("Peer")).setAttribute("address", address)
    if max_participants is not None:
        _only(doc, "MaxAutoParticipantIndex").firstChild.data = str(max_participants)
    return doc.toxml(encoding="UTF-8").decode()


def _only(doc: minidom.Document, tag: str) -> minidom.Element:
    (element,) = doc.getElementsByTagName(tag)
    return element


def resolve_config(config: str | None = None) -> str:
    """The config to use: explicit XML or file URI, else ``CYCLONEDDS_URI``, else loopback."""
    if config:
        return config
    return os.environ.get("CYCLONEDDS_URI") or cyclone_config()
