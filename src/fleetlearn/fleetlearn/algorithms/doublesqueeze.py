"""DoubleSqueeze (Tang, Yu, Lian, Zhang and Liu, ICML 2019): error-compensated compression both ways.

Each robot sends the scaled sign of its model change plus its error feedback: one bit per entry and
one scale, ‖a‖₁/d. The coordinator averages, then broadcasts the scaled sign of the average plus its
own error feedback, so the downlink is one bit per entry too (Top-K's is the union of the robots'
supports, up to N·K entries).
"""

from __future__ import annotations

from .base import Algorithm, no_params, register
from .shared import FEEDBACK, WEIGHT_BY_BATCH

register(Algorithm(
    name="doublesqueeze", mode="ps",
    summary="scaled signs of model changes, 1 bit per entry each way, error feedback on robots and coordinator",
    compressor="scaled_sign", options=(*FEEDBACK, WEIGHT_BY_BATCH),
    aggregator_params=lambda a: {"weight_by_batch": a.weight_by_batch},
    downlink="scaled_sign", downlink_params=no_params))
