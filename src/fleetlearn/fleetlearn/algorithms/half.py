"""Half precision: every entry in fp16 or bf16, the rounding kept by error feedback."""

from __future__ import annotations

from .base import Algorithm, register
from .shared import FEEDBACK, WEIGHT_BY_BATCH

for precision in ("fp16", "bf16"):
    register(Algorithm(
        name=precision, mode="ps", summary=f"every entry in {precision}, the rounding kept by error feedback",
        compressor=precision, options=(*FEEDBACK, WEIGHT_BY_BATCH),
        aggregator_params=lambda a: {"weight_by_batch": a.weight_by_batch}))
