"""The algorithm registry: one small file per method, chosen by name.

    from fleetlearn.algorithms import algorithm, names
    algorithm("topk").compressor      # "topk"
    names("gossip")                   # the gossip methods' names

Adding a method is one file here plus its test: see docs/adding-an-algorithm.md.
"""

from __future__ import annotations

from ..registry import import_modules
from .base import ALGORITHMS, DELTA, GRADIENT, MODES, Algorithm, Option, register

DEFAULT = "topk"


def algorithm(name: str) -> Algorithm:
    return ALGORITHMS.get(name)


def names(mode: str | None = None) -> list[str]:
    """Registered methods, of one mode or all."""
    return [n for n in ALGORITHMS.names() if mode is None or ALGORITHMS.get(n).mode == mode]


def options() -> list[Option]:
    """Every method's options, each once (several methods may share one), parameter-server methods first."""
    seen: dict[str, Option] = {}
    for entry in sorted(ALGORITHMS.entries(), key=lambda e: MODES.index(e.mode)):
        for option in entry.options:
            if seen.setdefault(option.name, option) is not option:
                raise ValueError(f"option {option.name!r} declared twice with different settings: share one Option")
    return list(seen.values())


import_modules(__name__, __path__, skip=("base", "shared"))  # each method's module registers it

__all__ = ["ALGORITHMS", "DEFAULT", "DELTA", "GRADIENT", "MODES", "Algorithm", "Option", "algorithm", "names",
           "options", "register"]
