"""Dense baseline: fp32 updates, nothing dropped."""

from __future__ import annotations

from .base import DELTA, GRADIENT, Algorithm, no_params, register
from .shared import WEIGHT_BY_BATCH

register(Algorithm(
    name="dense", mode="ps", summary="fp32 model changes (or gradients), the coordinator averages",
    compressor="none", options=(WEIGHT_BY_BATCH,), updates=(DELTA, GRADIENT),
    aggregator_params=lambda a: {"weight_by_batch": a.weight_by_batch}, downlink="none",
    downlink_params=no_params))
