"""Malcom-PSGD (Campbell et al. 2023): dithered, source-coded residuals and an ℓ1 proximal step.

Residuals are quantised with least-squares bucket scales (a contraction on every draw, as the
public copies need; README "where the code departs from the design notes").
"""

from __future__ import annotations

from .base import Algorithm, Option, register
from .shared import GAMMA, QUANT_BUCKET, QUANT_LEVELS

QUANT_NORM = Option("quant_norm", str, "l2", "Malcom-PSGD dither norm: l2 (sparse levels) or linf (dense levels, "
                    "lower variance)", choices=("l2", "linf"))
L1 = Option("l1", float, 0.0, "Malcom-PSGD l1 weight (norms and biases excluded)", valid=lambda v: v >= 0,
            problem="must be >= 0")

register(Algorithm(
    name="malcom", mode="gossip", summary="dithered residuals with least-squares scales, l1 proximal step",
    compressor="dither", options=(QUANT_LEVELS, QUANT_NORM, QUANT_BUCKET, GAMMA, L1),
    compressor_params=lambda a, layout: {"levels": a.qsgd_levels, "norm": a.quant_norm, "bucket": a.quant_bucket,
                                         "rescale": True},
    rule="l1_consensus", rule_params=lambda a, task: {"gamma": a.gamma, "l1": a.l1, "l1_mask": task.l1_mask()}))
