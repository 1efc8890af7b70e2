"""CHOCO-SGD (Koloskova, Stich, Jaggi 2019): Top-K residuals to public copies, one consensus step γ."""

from __future__ import annotations

from .base import Algorithm, register
from .shared import GAMMA, KEEP_RATIO, SCOPE, topk_params

register(Algorithm(
    name="choco", mode="gossip", summary="Top-K residuals to the neighbours' copies, consensus step gamma",
    compressor="topk", compressor_params=topk_params, options=(KEEP_RATIO, SCOPE, GAMMA),
    rule="consensus", rule_params=lambda a, task: {"gamma": a.gamma}))
