"""Unbiased stochastic rounding to s levels of a per-bucket norm, shared by QSGD and dither."""

from __future__ import annotations

import torch
from torch import Tensor

from ..codec import Compressed


def bucket_norms(x: Tensor, bucket: int, norm: str) -> Tensor:
    """float32 ℓ2 (or ℓ∞) norm of each run of ``bucket`` entries, computed in float64.

    Rounding a norm to float32 never drops it below the bucket's largest |x|, so levels stay <= s.
    """
    padded = torch.zeros(-(-x.numel() // bucket) * bucket, dtype=torch.float64)
    padded[: x.numel()] = x
    rows = padded.view(-1, bucket)
    if norm == "l2":
        return rows.square().sum(dim=1).sqrt().to(torch.float32)
    if norm == "linf":
        return rows.abs().amax(dim=1).to(torch.float32)
    raise ValueError(f"norm must be 'l2' or 'linf', got {norm!r}")


def stochastic_levels(
    codec: str, x: Tensor, norms: Tensor, bucket: int, num_levels: int, generator: torch.Generator,
    least_squares: bool = False,
) -> Compressed:
    """Level l = ⌊s|x|/‖v‖ + u⌋, u ~ U[0, 1): E[l] = s|x|/‖v‖, so E[decoded] = x (QSGD, Alistarh et al.).

    The ratio uses the float32 norm that is sent, so the receiver's ``‖v‖ · l / s`` is unbiased.
    With ``least_squares`` each bucket's scale is replaced by the one that projects the bucket on its
    quantised direction, ``s · Σ|x|·l / Σl²``: biased, but ‖x − Q(x)‖ ≤ ‖x‖ for every draw.
    """
    if num_levels < 1:
        raise ValueError(f"need at least one level, got {num_levels}")
    per_entry = norms.to(torch.float64).repeat_interleave(bucket)[: x.numel()]
    ratio = torch.where(per_entry > 0, x.abs().to(torch.float64) * num_levels / per_entry, 0.0)
    dither = torch.rand(x.numel(), generator=generator, dtype=torch.float64)
    levels = torch.floor(ratio + dither).to(torch.int64)
    nonzero = torch.nonzero(levels).reshape(-1)
    if least_squares:
        norms = projection_scales(x, levels, bucket, num_levels)
    return Compressed(
        codec,
        x.numel(),
        len(nonzero),
        indices=nonzero,
        signs=x[nonzero] < 0,
        scales=norms,
        levels=levels[nonzero],
        num_levels=num_levels,
        bucket=bucket,
    )


def projection_scales(x: Tensor, levels: Tensor, bucket: int, num_levels: int) -> Tensor:
    """Per bucket, the scale c minimising ‖x − (c/s)·l·sign(x)‖²: c = s · Σ|x|·l / Σl² (0 for an empty bucket)."""
    size = -(-x.numel() // bucket) * bucket
    magnitude = torch.zeros(size, dtype=torch.float64)
    magnitude[: x.numel()] = x.abs().to(torch.float64)
    padded_levels = torch.zeros(size, dtype=torch.float64)
    padded_levels[: x.numel()] = levels
    dot = (magnitude * padded_levels).view(-1, bucket).sum(dim=1)
    energy = padded_levels.square().view(-1, bucket).sum(dim=1)
    return torch.where(energy > 0, num_levels * dot / energy.clamp_min(1.0), 0.0).to(torch.float32)
