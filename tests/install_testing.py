"""What the workspace's packages declare: setup.py's arguments and package.xml's dependencies."""

from __future__ import annotations

import runpy
import subprocess
import sys
import sysconfig
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


def venv_without_fleetlearn(path: Path) -> Path:
    """A new venv (its python) that sees the project venv's third-party packages and the built
    fleetlearn_msgs, but no fleetlearn or fleetlearn_ros: the environment a user installs them into.

    Its ``.pth`` adds a folder of links to the project venv's site-packages entries, fleetlearn's
    (the editable installs and their metadata) left out. A plain folder in a ``.pth`` is not a site
    folder, so the ``.pth`` files linked there are not run. LD_LIBRARY_PATH for the ROS wheels comes
    from the test process (their bootstrap set it when pytest started).
    """
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    view = path / "project-venv-packages"
    view.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("fleetlearn", "__editable__")) and entry.suffix != ".pth":
            (view / entry.name).symlink_to(entry)
    msgs = REPO / "install" / "fleetlearn_msgs" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (site / "project_venv.pth").write_text(f"{view}\n{msgs / 'site-packages'}\n")
    return python


def run_in(python: Path, code: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -c code args`` in ``cwd`` (outside the workspace, so that nothing imports from the source tree)."""
    return subprocess.run([str(python), "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def modules(root: Path, package: str) -> set[str]:
    """The dotted names of the modules of ``package`` in folder ``root`` (a source tree or site-packages)."""
    return {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            for p in (root / package).rglob("*.py")}


def package_files(top: Path) -> set[str]:
    """Every file under a folder, as a relative path (bytecode left out)."""
    return {str(p.relative_to(top)) for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
