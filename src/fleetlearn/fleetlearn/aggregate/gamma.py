"""Pick CHOCO-SGD's consensus step γ by simulating pure gossip on the chosen graph and compressor.

γ too small and consensus is slow; too large and compression noise makes it diverge.
The best γ depends on the graph's spectral gap and the compressor, so it is measured:
robots start from random vectors, gossip for ``rounds`` rounds with real compressed
residuals, and each candidate is scored by its final consensus distance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from ..codec import Compressed
from .gossip import Choco, consensus_distance, gossip_error
from .topology import Graph


def simulate_gossip(graph: Graph, compress: Callable[[Tensor], Compressed], gamma: float, d: int = 20_000,
                    rounds: int = 100, seed: int = 0) -> list[float]:
    """Consensus distance after each round of CHOCO gossip (no gradients) from random vectors.

    Without a gradient step Malcom-PSGD's consensus step is CHOCO's, so this tunes both; AdaGossip's
    γ is an absolute step on the scale of real gossip errors, not tuned on random vectors.
    Public copies start equal to the vectors (one exact exchange), as peers that start
    from different models do.
    """
    gen = torch.Generator().manual_seed(seed)
    nodes = graph.nodes
    x = {n: torch.randn(d, generator=gen) for n in nodes}
    public = {n: v.clone() for n, v in x.items()}
    rules = {n: Choco(gamma) for n in nodes}
    history = []
    for _ in range(rounds):
        for n in nodes:
            public[n] = public[n] + compress(x[n] - public[n]).to_dense()
        for n in nodes:
            row = {j: w for j, w in graph.weights(n).items() if j != n}
            x[n] = rules[n].step(x[n], gossip_error(public[n], public, row), lr=0.0)
        distance = consensus_distance(list(x.values()))
        history.append(distance if math.isfinite(distance) else math.inf)
    return history


def tune_gamma(graph: Graph, compress: Callable[[Tensor], Compressed],
               candidates: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0), d: int = 20_000,
               rounds: int = 100, seed: int = 0) -> tuple[float, dict[float, float]]:
    """The γ with the lowest final consensus distance, and every candidate's score."""
    scores = {g: simulate_gossip(graph, compress, g, d, rounds, seed)[-1] for g in candidates}
    return min(scores, key=lambda g: scores[g]), scores
