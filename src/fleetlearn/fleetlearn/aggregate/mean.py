"""Averaging: the plain mean of decoded updates (gradients or model deltas)."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import AGGREGATORS, Aggregator, Contribution


@AGGREGATORS.register("mean")
class MeanAggregator(Aggregator):
    """(1/n) Σ decoded_i, or weighted by each robot's batch size (samples behind the update)."""

    name = "mean"

    def __init__(self, weight_by_batch: bool = False) -> None:
        self.weight_by_batch = weight_by_batch

    def aggregate(self, contributions: list[Contribution]) -> Tensor:
        if not contributions:
            raise ValueError("nothing to aggregate")
        d = contributions[0].message.d
        total = torch.zeros(d, dtype=torch.float32)
        weights = [float(c.batch_size) if self.weight_by_batch else 1.0 for c in contributions]
        for c, w in zip(contributions, weights, strict=True):
            dense = c.dense()
            total.add_(dense, alpha=w) if w != 1.0 else total.add_(dense)
        return total.div_(sum(weights))
