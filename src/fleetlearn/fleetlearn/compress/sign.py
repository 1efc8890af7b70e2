"""signSGD codecs: 1 bit per entry, unscaled (``sign``) or times ‖x‖₁/d (``scaled_sign``)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..codec import Compressed
from .base import Compressor, flat_float32, register


@register("sign", scaled=False)
@register("scaled_sign", scaled=True)
class Sign(Compressor):
    """One bit per entry, so a zero needs a tie rule: ``ties="plus"`` sends sign(0) = +1 (both
    +0.0 and −0.0), ``ties="random"`` a fair coin from the seeded generator.

    A zero gradient entry carries no information. Sent as +1 it is a systematic vote: every
    robot whose small batch leaves a coordinate at zero votes + there, the majority walks
    that parameter steadily down, and in federated voting the robots "agree" with the vote
    on every such coordinate, which hides how noisy they are. A coin flip cancels in the vote.

    ``scaled_sign`` (EF-signSGD) sends ±‖x‖₁/d, the magnitude that minimises ‖x − c·sign(x)‖².
    """

    def __init__(self, scaled: bool = False, ties: str = "plus", seed: int = 0) -> None:
        super().__init__(seed)
        if ties not in ("plus", "random"):
            raise ValueError(f"ties must be 'plus' or 'random', got {ties!r}")
        self.scaled = scaled
        self.ties = ties

    def compress(self, x: Tensor) -> Compressed:
        flat = flat_float32(x)
        d = flat.numel()
        scales = None
        if self.scaled:  # ℓ1 in float64: a float32 sum of 25 M entries could overflow or drift
            scales = (flat.abs().sum(dtype=torch.float64) / d).to(torch.float32).reshape(1)
        negative = flat < 0
        if self.ties == "random":
            zeros = flat == 0
            coins = torch.rand(d, generator=self.generator) < 0.5
            negative = torch.where(zeros, coins, negative)
        return Compressed(self.name, d, d, signs=negative, scales=scales)
