"""Mean aggregation of decoded updates: plain, or weighted by the samples behind each update."""

from __future__ import annotations

import torch

from fleetlearn.aggregate import AGGREGATORS, Contribution
from fleetlearn.compress import make_compressor

DENSE = make_compressor("none")
TOPK = make_compressor("topk", k=1)


def test_the_plain_mean_counts_every_robot_once() -> None:
    updates = [Contribution("a", DENSE.compress(torch.tensor([1.0, 2.0])), 4, 0.0),
               Contribution("b", DENSE.compress(torch.tensor([3.0, 6.0])), 12, 0.0)]
    assert AGGREGATORS.make("mean").aggregate(updates).tolist() == [2.0, 4.0]


def test_weighting_by_batch_counts_samples_and_sparse_entries_stay_sparse() -> None:
    updates = [Contribution("a", TOPK.compress(torch.tensor([8.0, 0.5, 0.0])), 4, 0.0),
               Contribution("b", TOPK.compress(torch.tensor([0.0, 0.5, -4.0])), 12, 0.0)]
    # (4 * [8, 0, 0] + 12 * [0, 0, -4]) / 16
    assert AGGREGATORS.make("mean", weight_by_batch=True).aggregate(updates).tolist() == [2.0, 0.0, -3.0]
