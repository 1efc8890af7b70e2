"""The shipped Cyclone config is the code's default and template, and keeps DDS off real networks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import fleetlearn.transport.dds_config as dds_config
from fleetlearn.transport.dds_config import cyclone_config, resolve_config

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "cyclonedds_loopback.xml"
TEMPLATE = Path(dds_config.__file__).with_name(dds_config.TEMPLATE)
NS = {"c": "https://cdds.io/config"}


def test_the_shipped_config_is_the_template_itself() -> None:
    assert SHIPPED.resolve() == TEMPLATE.resolve(), "config/ must link to the package's file, not hold a copy"


def test_the_default_is_the_shipped_config() -> None:
    assert ET.canonicalize(cyclone_config(), strip_text=True) == ET.canonicalize(from_file=SHIPPED, strip_text=True)


def test_given_settings_replace_the_templates_and_the_rest_stays() -> None:
    made = ET.fromstring(cyclone_config("fleet0", ("10.0.0.1", "10.0.0.2"), 4).encode())
    shipped = ET.parse(SHIPPED).getroot()
    assert made.find(".//c:NetworkInterface", NS).get("name") == "fleet0"
    assert [p.get("address") for p in made.findall(".//c:Peer", NS)] == ["10.0.0.1", "10.0.0.2"]
    assert made.find(".//c:MaxAutoParticipantIndex", NS).text == "4"
    for kept in ("AllowMulticast", "MaxMessageSize", "Watermarks/c:WhcHigh", "Compatibility/c:IgnoreTypeInformation"):
        assert made.find(f".//c:{kept}", NS).text == shipped.find(f".//c:{kept}", NS).text, kept


def test_default_is_loopback_unicast_only() -> None:
    root = ET.fromstring(cyclone_config().encode())
    assert root.find(".//c:NetworkInterface", NS).get("name") == "lo"
    assert root.find(".//c:AllowMulticast", NS).text == "false"
    assert [p.get("address") for p in root.findall(".//c:Peer", NS)] == ["127.0.0.1"]


def test_environment_overrides_default(monkeypatch) -> None:
    monkeypatch.setenv("CYCLONEDDS_URI", "file:///etc/robot.xml")
    assert resolve_config() == "file:///etc/robot.xml"
    assert resolve_config("<CycloneDDS/>") == "<CycloneDDS/>"
