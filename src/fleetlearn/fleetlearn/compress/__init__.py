"""Gradient compression: compressors by name, error feedback, K controllers, flat vectors.

Typical robot step::

    a = memory.compensate(flat_grad)
    k = controller.choose(a, budget_bytes)
    message, payload = compress_within_budget(topk, a, k, budget_bytes)
    memory.update(a, message)
    controller.observe(len(payload))
"""

from __future__ import annotations

from ..codec import Compressed
from ..registry import import_modules
from .base import Compressor, available_compressors, make_compressor, register
from .flat import FlatLayout, Slot
from .kcontrol import (
    FixedK,
    KController,
    NormProportionalK,
    RateDistortionK,
    available_controllers,
    compress_within_budget,
    make_controller,
)
from .memory import ErrorFeedback
from .sparse import KSparsifier, SparseCompressor
from .topk_fast import topk_indices

import_modules(__name__, __path__)  # each compressor's module registers it: a new one is one new file

__all__ = [
    "Compressed",
    "Compressor",
    "ErrorFeedback",
    "FixedK",
    "FlatLayout",
    "KController",
    "KSparsifier",
    "NormProportionalK",
    "RateDistortionK",
    "Slot",
    "SparseCompressor",
    "available_compressors",
    "available_controllers",
    "compress_within_budget",
    "make_compressor",
    "make_controller",
    "register",
    "topk_indices",
]
