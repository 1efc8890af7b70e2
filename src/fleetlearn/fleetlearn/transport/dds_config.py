"""Cyclone DDS configuration: loopback only unless the user says otherwise.

The default keeps DDS off the machine's real network: the loopback interface,
no multicast, unicast discovery to 127.0.0.1 over a range of participant
indices. ``IgnoreTypeInformation`` lets plain Cyclone endpoints match the Fast
DDS endpoints of rclpy from the PyPI wheels (harmless against Cyclone peers).
"""

from __future__ import annotations

import os
from xml.sax.saxutils import quoteattr

MAX_PARTICIPANTS = 64 + 8  # robots.count at most 64, the coordinator, a progress watcher, tools


def cyclone_config(interface: str = "lo", peers: tuple[str, ...] = ("127.0.0.1",),
                   max_participants: int = MAX_PARTICIPANTS, fastdds_compat: bool = True) -> str:
    """Cyclone DDS XML for unicast discovery on one interface, multicast off."""
    peer_xml = "".join(f"<Peer address={quoteattr(p)}/>" for p in peers)
    compat = ("\n    <Compatibility><IgnoreTypeInformation>1.15</IgnoreTypeInformation></Compatibility>"
              if fastdds_compat else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<CycloneDDS xmlns="https://cdds.io/config">
  <Domain id="any">
    <General>
      <Interfaces><NetworkInterface name={quoteattr(interface)}/></Interfaces>
      <AllowMulticast>false</AllowMulticast>
      <MaxMessageSize>65500B</MaxMessageSize>
    </General>
    <Discovery>
      <ParticipantIndex>auto</ParticipantIndex>
      <MaxAutoParticipantIndex>{max_participants}</MaxAutoParticipantIndex>
      <Peers>{peer_xml}</Peers>
    </Discovery>
    <Internal>
      <SocketReceiveBufferSize min="default" max="8MB"/>
      <SocketSendBufferSize min="default" max="8MB"/>
      <Watermarks><WhcHigh>8MB</WhcHigh></Watermarks>
    </Internal>{compat}
  </Domain>
</CycloneDDS>
"""


def resolve_config(config: str | None = None) -> str:
    """The config to use: explicit XML or file URI, else ``CYCLONEDDS_URI``, else loopback."""
    if config:
        return config
    return os.environ.get("CYCLONEDDS_URI") or cyclone_config()
