"""Threshold sparsification: every entry of update + error feedback at least this large."""

from __future__ import annotations

import math

from .base import Algorithm, Option, register
from .shared import SPARSIFIER

THRESHOLD = Option("threshold", float, 1e-3, "threshold sparsifier: sends every entry with |value| >= threshold",
                   valid=lambda v: 0 <= v < math.inf, problem="must be finite and >= 0")

register(Algorithm(
    name="threshold", mode="ps", summary="every entry of update + error feedback with |value| >= threshold",
    compressor="threshold", options=(THRESHOLD, *SPARSIFIER),
    compressor_params=lambda a, layout: {"threshold": a.threshold, "value_type": a.value_dtype},
    aggregator_params=lambda a: {"weight_by_batch": a.weight_by_batch}))
