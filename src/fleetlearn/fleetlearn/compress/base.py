"""The compressor interface and the registry that builds compressors by name (GRACE style)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..codec import Compressed
from ..registry import Registry


class Compressor(ABC):
    """Turns a flat float tensor into a :class:`Compressed` message and back.

    ``name`` is also the codec name on the wire. ``biased`` compressors need error
    feedback to converge; random ones draw from their own seeded generator, so a
    compressor built with the same seed makes the same messages.
    """

    name: str = ""  # set by the registry
    biased: bool = True  # a class default; a compressor whose bias depends on its settings sets its own

    def __init__(self, seed: int = 0) -> None:
        self.generator = torch.Generator().manual_seed(seed)

    @abstractmethod
    def compress(self, x: Tensor) -> Compressed:
        """Compress a flat finite float tensor."""


def flat_float32(x: Tensor) -> Tensor:
    """The input as a flat float32 tensor (a view when it already is one)."""
    if x.dim() != 1:
        raise ValueError(f"compressors take a flat 1-D tensor, got shape {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError("cannot compress an empty tensor")
    return x.detach().to(torch.float32)


COMPRESSORS: Registry[Callable[..., Compressor]] = Registry("compressor")


def register(name: str, **preset: Any) -> Callable[[type[Compressor]], type[Compressor]]:
    """Class decorator: make ``make_compressor(name, **params)`` build ``cls(**preset, **params)``;
    ``name`` is also the codec the message carries on the wire."""

    def add(cls: type[Compressor]) -> type[Compressor]:
        def build(**params: Any) -> Compressor:
            compressor = cls(**{**preset, **params})
            compressor.name = name
            return compressor

        COMPRESSORS.add(name, build)
        return cls

    return add


def make_compressor(name: str, **params: Any) -> Compressor:
    """Build the compressor registered as ``name`` (see :func:`available_compressors`)."""
    return COMPRESSORS.make(name, **params)


def available_compressors() -> list[str]:
    return COMPRESSORS.names()
