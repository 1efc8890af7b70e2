"""What the workspace's packages declare: setup.py's arguments and package.xml's dependencies."""

from __future__ import annotations

import runpy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import setuptools

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PYTHON_PACKAGES = ("fleetlearn", "fleetlearn_ros")  # ament_python: wheels and colcon; fleetlearn_msgs is CMake


def setup_arguments(package_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The keyword arguments ``package_dir/setup.py`` passes to setuptools.setup()."""
    captured: dict[str, Any] = {}
    monkeypatch.setattr(setuptools, "setup", lambda **kwargs: captured.update(kwargs))
    monkeypatch.chdir(package_dir)  # colcon and pip run setup.py in the package folder
    runpy.run_path("setup.py")
    return captured


def package_xml_depends(package_dir: Path, *tags: str) -> set[str]:
    """The dependencies ``package.xml`` lists under the given tags (depend, exec_depend, test_depend, ...)."""
    root = ET.parse(package_dir / "package.xml").getroot()
    return {element.text.strip() for tag in tags for element in root.iter(tag)}
