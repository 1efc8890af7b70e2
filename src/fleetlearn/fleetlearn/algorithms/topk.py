"""Top-K sparsification with error feedback, K sized by a controller to the measured link."""

from __future__ import annotations

from .base import Algorithm, register
from .shared import KEEP_RATIO, SCOPE, SPARSIFIER, topk_params

register(Algorithm(
    name="topk", mode="ps", summary="the K largest entries of update + error feedback, K from the link budget",
    compressor="topk", options=(KEEP_RATIO, SCOPE, *SPARSIFIER),
    compressor_params=topk_params,
    aggregator_params=lambda a: {"weight_by_batch": a.weight_by_batch}))
