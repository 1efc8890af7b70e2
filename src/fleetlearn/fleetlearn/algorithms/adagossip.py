"""AdaGossip (Aketi, Hashemi, Roy 2024): CHOCO with a per-parameter consensus step from the gossip
error's second moment."""

from __future__ import annotations

from .base import Algorithm, register
from .shared import GAMMA, KEEP_RATIO, SCOPE, topk_params

register(Algorithm(
    name="adagossip", mode="gossip", summary="CHOCO with a per-parameter consensus step (Adam-like second moment)",
    compressor="topk", compressor_params=topk_params, options=(KEEP_RATIO, SCOPE, GAMMA),
    rule="adaptive_consensus", rule_params=lambda a, task: {"gamma": a.gamma}))
