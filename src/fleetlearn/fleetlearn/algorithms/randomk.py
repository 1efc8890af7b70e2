"""Random-K sparsification: K entries drawn by the robot's seeded generator."""

from __future__ import annotations

from .base import Algorithm, register
from .shared import KEEP_RATIO, SPARSIFIER

register(Algorithm(
    name="randomk", mode="ps", summary="K random entries (seeded), K from the link budget",
    compressor="randomk", options=(KEEP_RATIO, *SPARSIFIER),
    compressor_params=lambda a, layout: {"keep_ratio": a.keep_ratio, "value_type": a.value_dtype},
    aggregator_params=lambda a: {"weight_by_batch": a.weight_by_batch}))
