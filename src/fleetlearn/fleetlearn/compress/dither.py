"""Dithered uniform quantiser of Malcom-PSGD: s levels of one norm per bucket (default: the whole tensor).

The tensor compressed is a model residual; with the ℓ2 norm most entries fall to level 0
and the soft-thresholded model adds exact zeros, so the zero runs (Rice-coded index gaps)
and the few nonzero levels (Elias/Rice) make the message small. ``norm="linf"`` gives the
classic uniform quantiser over [−max|x|, max|x|] (denser, lower variance).

Gossip needs a contraction: the public copy x̂ takes ``x̂ += Q(x − x̂)``, so an unbiased Q
with variance ω‖r‖², ω ≥ 1 (the ℓ2 norm on buckets of more than s² entries) makes x̂
drift away from x. ``rescale=True`` sends each bucket's least-squares scale instead of its
norm: the decoded bucket is the projection of the input on its quantised direction, so
‖r − Q(r)‖ ≤ ‖r‖ for every draw, with the message exactly as small as before.
"""

from __future__ import annotations

from torch import Tensor

from ..codec import Compressed
from .base import Compressor, flat_float32, register
from .stochastic import bucket_norms, stochastic_levels


@register("dither")
class Dither(Compressor):
    """Level = ⌊s|x|/‖x‖ + u⌋ with the dither u ~ U[0, 1) drawn from the seeded generator.

    Unbiased, unless ``rescale`` swaps the norms for least-squares scales (a contraction).
    """

    def __init__(self, levels: int = 16, norm: str = "l2", bucket: int | None = None, rescale: bool = False,
                 seed: int = 0) -> None:
        super().__init__(seed)
        if levels < 1:
            raise ValueError("levels must be >= 1")
        if bucket is not None and bucket < 1:
            raise ValueError("bucket must be >= 1")
        self.levels = levels
        self.norm = norm
        self.bucket = bucket  # entries per norm; None: one norm for the whole tensor
        self.rescale = rescale
        self.biased = rescale

    def compress(self, x: Tensor) -> Compressed:
        flat = flat_float32(x)
        bucket = min(self.bucket or flat.numel(), flat.numel())
        norms = bucket_norms(flat, bucket, self.norm)
        return stochastic_levels(self.name, flat, norms, bucket, self.levels, self.generator,
                                 least_squares=self.rescale)
