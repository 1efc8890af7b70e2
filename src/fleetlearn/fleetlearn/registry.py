"""One registry style for everything chosen by name: algorithms, compressors, K controllers,
aggregators, gossip rules, transports and models (timm's ``register`` / ``make`` / ``names``).

    COMPRESSORS = Registry("compressor")

    @COMPRESSORS.register("topk")
    class TopK(Compressor): ...

    COMPRESSORS.make("topk", keep_ratio=0.01)   # TopK(keep_ratio=0.01)
    COMPRESSORS.names()                         # ["topk", ...]

An entry is a class or a function that builds the thing; ``register(name, **preset)`` binds
keyword arguments, so one class can serve several names (``sign`` and ``scaled_sign``). A
registry of plain values (algorithm entries) uses ``add`` and ``get``. Nothing here imports
torch: a registry of descriptions stays cheap to import.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
E = TypeVar("E")


class Registry(Generic[T]):
    """Named entries of one kind; unknown names fail with one line that lists the known ones."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._entries[name] = entry
        return entry

    def register(self, name: str, **preset: Any) -> Callable[[E], E]:
        """Decorator: ``make(name, **params)`` calls the decorated class or function with
        ``**preset, **params``."""

        def add(builder: E) -> E:
            self.add(name, functools.partial(builder, **preset) if preset else builder)  # type: ignore[arg-type]
            return builder

        return add

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}") from None

    def make(self, name: str, **params: Any) -> Any:
        """Build the entry registered as ``name`` with ``params``."""
        return self.get(name)(**params)  # type: ignore[operator]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[T]:
        """Every entry, in the order of ``names()``."""
        return [self._entries[name] for name in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def import_modules(package: str, path: Iterable[str], skip: tuple[str, ...] = ()) -> None:
    """Import every module of ``package`` (its ``__path__``) but ``skip``: modules that register their
    entries on import are found without a list to edit, so a new entry is one new file."""
    for module in pkgutil.iter_modules(path):
        if module.name not in skip:
            importlib.import_module(f"{package}.{module.name}")
