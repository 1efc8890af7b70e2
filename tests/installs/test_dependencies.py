"""Every module the packages import is declared: in setup.py's install_requires (pip, wheels) and in
package.xml (rosdep, colcon) for third-party ones, in package.xml for ROS packages.

Imports are read from the source (function-level ones included), plus the ROS message packages
fleetlearn.transport.ros imports by name (the mirror types' packages).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from install_testing import PYTHON_PACKAGES, REPO, SRC, package_xml_depends, setup_arguments

import fleetlearn.msgs.types

# pip distribution -> its rosdep key: rosdistro's rosdep/python.yaml, or the workspace's rosdep.yaml (-pip keys)
ROSDEP_KEYS = {
    "numpy": "python3-numpy", "pyyaml": "python3-yaml", "torch": "python3-torch",
    "torchvision": "python3-torchvision", "pillow": "python3-pil", "matplotlib": "python3-matplotlib",
    "scikit-learn": "python3-sklearn", "pycocotools": "python3-pycocotools-pip",
    "cyclonedds": "python3-cyclonedds-pip", "pytest": "python3-pytest",
}
RUNTIME = ("depend", "exec_depend")
DISTRIBUTIONS = importlib.metadata.packages_distributions()


def imported_modules(paths: list[Path]) -> set[str]:
    """Top-level names of the modules these files import, other than the standard library's."""
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name != "__future__"}


def sources(package: str) -> list[Path]:
    """What a package installs and runs: its modules, and fleetlearn_ros's launch files."""
    root = SRC / package
    return sorted((root / package).rglob("*.py")) + sorted(root.glob("launch/*.py"))


def requirement_names(requirements: list[str]) -> set[str]:
    return {normalise(re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0]) for requirement in requirements}


def normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-")


def declarations(package: str, imports: set[str], ros_names: set[str]) -> Iterator[tuple[str, str | None]]:
    """For each import, what must declare it: (module, None) for a ROS package named in package.xml by its
    own name, or (module, pip distribution) for anything else."""
    for module in sorted(imports - {package}):
        if module in ros_names:
            yield module, None
        else:
            distributions = DISTRIBUTIONS.get(module)
            assert distributions, f"{package} imports {module}: neither a ROS package in package.xml nor installed"
            yield module, normalise(distributions[0])


@pytest.mark.parametrize("package", PYTHON_PACKAGES)
def test_every_import_is_a_declared_runtime_dependency(package: str, monkeypatch: pytest.MonkeyPatch) -> None:
    requires = requirement_names(setup_arguments(SRC / package, monkeypatch)["install_requires"])
    depends = package_xml_depends(SRC / package, *RUNTIME)
    imports = imported_modules(sources(package))
    if package == "fleetlearn":  # fleetlearn.transport.ros imports each mirror type's ROS package by name
        imports |= {cls.__idl_typename__.split("::")[0] for cls in vars(fleetlearn.msgs.types).values()
                    if "::" in getattr(cls, "__idl_typename__", "")}
    for module, distribution in declarations(package, imports, depends):
        if distribution is None:
            continue
        assert distribution in requires, f"{package} imports {module}: {distribution} is not in install_requires"
        assert ROSDEP_KEYS[distribution] in depends, f"{package} imports {module}: package.xml lacks " \
                                                     f"<exec_depend>{ROSDEP_KEYS[distribution]}</exec_depend>"
    assert {normalise(ROSDEP_KEYS.get(d, d)) for d in requires} <= depends | {"fleetlearn"}, "package.xml lists less"


def test_the_launch_test_dependencies_are_declared_and_colcon_runs_it_with_pytest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    package_dir = SRC / "fleetlearn_ros"
    extras = setup_arguments(package_dir, monkeypatch)["extras_require"]
    assert "pytest" in requirement_names(extras["test"]), "colcon test falls back to unittest, which finds nothing"
    depends = package_xml_depends(package_dir, *RUNTIME, "test_depend")
    for module, distribution in declarations("fleetlearn_ros", imported_modules(sorted(package_dir.glob("test/*.py"))),
                                             depends):
        assert (module if distribution is None else ROSDEP_KEYS[distribution]) in depends, module


def test_the_workspace_defines_the_pip_keys_rosdistro_lacks() -> None:
    defined = yaml.safe_load((REPO / "rosdep.yaml").read_text())
    used = {key for package in PYTHON_PACKAGES for key in package_xml_depends(SRC / package, *RUNTIME, "test_depend")
            if key.endswith("-pip")}
    assert used == set(defined)
    for key, distribution in ((k, d) for d, k in ROSDEP_KEYS.items() if k in used):
        assert defined[key] == {"*": {"pip": {"packages": [distribution]}}}, key
