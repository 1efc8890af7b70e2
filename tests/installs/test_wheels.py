"""fleetlearn and fleetlearn_ros as wheels (not editable) in a venv of their own: every module of the
source is installed and imports, every data file is there, and every console script answers --help.

The venv sees the project venv's third-party packages but not its editable fleetlearn (checked
first), so whatever the wheels leave out fails here.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from install_testing import PYTHON_PACKAGES, SRC, modules, package_files, run_in, venv_without_fleetlearn

pytestmark = pytest.mark.slow

WALK = """
import importlib, json, pkgutil, sys
found = {}
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    found[name] = package.__file__
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        found[module.name] = importlib.import_module(module.name).__file__
print(json.dumps(found))
"""
SCRIPTS = """
import importlib.metadata, json
print(json.dumps({ep.name: ep.value for name in ("fleetlearn", "fleetlearn_ros")
                  for ep in importlib.metadata.distribution(name).entry_points if ep.group == "console_scripts"}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The prefix of a venv with the two wheels installed, and nothing of fleetlearn before them."""
    tmp = tmp_path_factory.mktemp("wheels")
    python = venv_without_fleetlearn(tmp / "venv")
    absent = run_in(python, "import importlib.util as u, sys; sys.exit(bool(u.find_spec('fleetlearn') or "
                            "u.find_spec('fleetlearn_ros')))", tmp)
    assert absent.returncode == 0, "the new venv already imports fleetlearn: the test would prove nothing"
    wheels = tmp / "wheels"
    for package in PYTHON_PACKAGES:  # built from a copy: an in-tree build/ could hold stale modules
        source = tmp / "src" / package
        shutil.copytree(SRC / package, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "-w", str(wheels), str(source)], check=True, cwd=tmp)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--disable-pip-version-check",
                    *map(str, sorted(wheels.glob("*.whl")))], check=True, cwd=tmp)
    return tmp / "venv"


def test_every_module_is_installed_and_imports(installed: Path, tmp_path: Path) -> None:
    proc = run_in(installed / "bin" / "python", WALK, tmp_path, *PYTHON_PACKAGES)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.splitlines()[-1])
    expected = set().union(*(modules(SRC / package, package) for package in PYTHON_PACKAGES))
    assert set(found) == expected, f"missing: {sorted(expected - set(found))}, extra: {sorted(set(found) - expected)}"
    outside = {name: path for name, path in found.items() if not Path(path).is_relative_to(installed)}
    assert not outside, f"imported from outside the venv: {outside}"


def test_every_package_and_data_file_is_installed(installed: Path) -> None:
    site = next(installed.glob("lib/python*/site-packages"))
    for package in PYTHON_PACKAGES:
        source = package_files(SRC / package / package)
        assert package_files(site / package) == source, package
    share = installed / "share" / "fleetlearn_ros"
    ros = SRC / "fleetlearn_ros"
    assert package_files(share / "launch") == package_files(ros / "launch")
    assert {p.name for p in (ros / "config").glob("*") if p.suffix in (".yaml", ".xml", ".perspective")} == \
        package_files(share / "config")
    assert (share / "package.xml").read_text() == (ros / "package.xml").read_text()
    assert (installed / "share" / "ament_index" / "resource_index" / "packages" / "fleetlearn_ros").is_file()


def test_every_console_script_answers_help(installed: Path, tmp_path: Path) -> None:
    scripts = json.loads(run_in(installed / "bin" / "python", SCRIPTS, tmp_path).stdout)
    expected = {ep.name for package in PYTHON_PACKAGES
                for ep in importlib.metadata.distribution(package).entry_points if ep.group == "console_scripts"}
    assert set(scripts) == expected == {"fleetlearn", "coordinator_node", "robot_node", "peer_node"}
    for name in scripts:
        proc = subprocess.run([str(installed / "bin" / name), "--help"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0 and proc.stdout.startswith(f"usage: {name}"), (name, proc.stderr[-2000:])
