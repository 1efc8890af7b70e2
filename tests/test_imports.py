"""How fleetlearn's modules depend on each other: layers import only downwards, no import cycles,
and the ROS nodes start without the plotting stack."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fleetlearn" / "fleetlearn"

# Lowest first. A module may import modules of its own layer or of lower ones, never of a higher one.
# Names are packages or modules under fleetlearn; the longest name that covers a module places it.
LAYERS: list[set[str]] = [
    {"", "codec", "msgs", "transport", "metrics_files", "registry", "stopping"},  # import no other fleetlearn package
    {"compress", "link"},  # compressors write codec messages; link measures transfers on the transport
    {"task"},  # models behind flat vectors laid out as compress lays them
    {"config", "algorithms"},  # checks model names against task's; each method's entry and options
    {"aggregate"},  # aggregators and gossip rules on compressed messages, gossip graphs from config
    {"fleet"},  # nodes, their factories, progress, the in-process runner, the process supervisor
    {"report", "ping"},  # a run's metrics as a person reads them; the link check
    {"run", "netsim"},  # a whole run: the nodes, then the report
    {"cli", "netsim.__main__"},  # entry points
]


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name under fleetlearn ("" is the package itself)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The fleetlearn modules ``name`` imports, at module level or inside functions (a lazy import is
    still a dependency); not those under ``if TYPE_CHECKING:``, which only type hints read."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if name else []
    found = set()
    tree = ast.parse(path.read_text())
    hints_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                  for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in hints_only:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.split(".")[0] == "fleetlearn":
                source = node.module.removeprefix("fleetlearn").removeprefix(".")
            else:
                continue
            # `from X import y` imports the module X.y if there is one, else the name y from X
            targets = [f"{source}.{a.name}".lstrip(".") if f"{source}.{a.name}".lstrip(".") in known
                       else source for a in node.names]
            found.update(targets)
            continue
        else:
            continue
        found.update(t.removeprefix("fleetlearn").removeprefix(".") for t in targets
                     if t.split(".")[0] == "fleetlearn")
    return (found & known) - {name}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def layer_of(name: str) -> int:
    covering = [(len(key), index) for index, layer in enumerate(LAYERS) for key in layer
                if key == name or name.startswith(f"{key}.")]
    assert covering, f"fleetlearn.{name} is in no layer of LAYERS: place it"
    return max(covering)[1]


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [f"fleetlearn.{name} (layer {layer_of(name)}) imports fleetlearn.{dep} (layer {layer_of(dep)})"
              for name, deps in sorted(import_graph().items()) for dep in sorted(deps)
              if layer_of(dep) > layer_of(name)]
    assert not upward, "\n".join(upward)


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(f"fleetlearn.{m}" for m in cycle)


def test_the_checks_see_lazy_imports_and_cycles() -> None:
    assert "report" in import_graph()["cli"]  # imported inside cmd_report only
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.ros
def test_ros_nodes_and_node_factories_import_without_matplotlib() -> None:
    """Every ROS node starts from the node factories; plotting is the report's, after a run."""
    code = ("import sys\n"
            "import fleetlearn.fleet.nodes, fleetlearn_ros.coordinator_node, fleetlearn_ros.robot_node, "
            "fleetlearn_ros.peer_node\n"
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", "importing the nodes imports matplotlib"


def test_each_method_is_named_only_in_its_own_file() -> None:
    """Adding a method touches one file: no other module of the library or its ROS nodes says its name.
    Methods named after their compressor (topk) share the name with the codec on the wire, and dense is
    also what an uncompressed vector is."""
    from fleetlearn.algorithms import names
    from fleetlearn.compress import available_compressors

    sources = [*PACKAGE.rglob("*.py"), *(PACKAGE.parents[1] / "fleetlearn_ros" / "fleetlearn_ros").rglob("*.py")]
    texts = {path: path.read_text() for path in sources}
    for name in set(names()) - set(available_compressors()) - {"dense"}:
        pattern = re.compile(rf"\b{name}\b")
        homes = [path for path, text in texts.items() if f'name="{name}"' in text and "algorithms" in path.parts]
        assert len(homes) == 1, f"{name}: registered in {homes}"
        elsewhere = [str(path.relative_to(PACKAGE.parents[1])) for path, text in texts.items()
                     if path != homes[0] and pattern.search(text)]
        assert not elsewhere, f"{name} is named outside {homes[0].name}: {elsewhere}"
