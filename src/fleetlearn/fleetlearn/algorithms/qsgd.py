"""QSGD (Alistarh et al. 2017): unbiased stochastic quantisation to s levels per bucket."""

from __future__ import annotations

from .base import Algorithm, register
from .shared import QUANT_BUCKET, QUANT_LEVELS, WEIGHT_BY_BATCH

register(Algorithm(
    name="qsgd", mode="ps", summary="unbiased stochastic quantisation to qsgd_levels levels per bucket",
    compressor="qsgd", options=(QUANT_LEVELS, QUANT_BUCKET, WEIGHT_BY_BATCH),
    compressor_params=lambda a, layout: {"levels": a.qsgd_levels, "bucket": a.quant_bucket},
    aggregator_params=lambda a: {"weight_by_batch": a.weight_by_batch}))
