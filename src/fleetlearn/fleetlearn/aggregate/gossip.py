"""Consensus steps of decentralised training: CHOCO-SGD, AdaGossip and Malcom-PSGD.

Every robot i keeps its model x_i, its public copy x̂_i and copies x̂_j of its
neighbours' public copies; each round it sends q_i = Q(x_i − x̂_i), and everyone who
receives q_j adds it to x̂_j (so all copies of x̂_j stay bit-identical). The rules
below differ only in the consensus step that follows, where the gossip error is

    e_i = Σ_j w_ij (x̂_j − x̂_i)      over the neighbours present this round.

A neighbour that is absent from a round is left out of e_i: its weight falls back
on the robot itself (w_ii grows), so each row of W still sums to 1.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor

from ..registry import Registry


def gossip_error(own: Tensor, copies: dict[str, Tensor], weights: dict[str, float]) -> Tensor:
    """e_i = Σ_j w_ij (x̂_j − x̂_i) over the given neighbours (``weights`` without the robot itself)."""
    error = torch.zeros_like(own)
    for j, w in weights.items():
        error.add_(copies[j] - own, alpha=w)
    return error


RULES: Registry[type] = Registry("gossip rule")


class ConsensusRule(ABC):
    """x_i ← rule(x_i, e_i): the step towards the neighbours after the local update."""

    name: str
    tunable = True  # γ scales the gossip error: ``fleetlearn gossip-gamma`` can pick it by simulation

    @abstractmethod
    def step(self, x: Tensor, error: Tensor, lr: float) -> Tensor:
        """The new model from the locally updated one and the gossip error."""


@RULES.register("consensus")
class Choco(ConsensusRule):
    """CHOCO-SGD (Koloskova, Stich, Jaggi 2019): x ← x + γ e, one γ for every parameter."""

    name = "consensus"

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma

    def step(self, x: Tensor, error: Tensor, lr: float) -> Tensor:
        return x + self.gamma * error


@RULES.register("adaptive_consensus")
class AdaGossip(ConsensusRule):
    """AdaGossip (Aketi, Hashemi, Roy 2024): a per-parameter γ from the gossip error's second moment.

        u ← β u + (1 − β) e²,  û = u / (1 − βᵗ),  γ_i = min(1, γ / (√û + 1e-8)),  x ← x + γ_i ⊙ e
    """

    name = "adaptive_consensus"
    tunable = False  # γ is an absolute step on the scale of real gossip errors

    def __init__(self, gamma: float, beta: float = 0.999, eps: float = 1e-8) -> None:
        self.gamma = gamma
        self.beta = beta
        self.eps = eps
        self.moment: Tensor | None = None
        self.t = 0

    def step(self, x: Tensor, error: Tensor, lr: float) -> Tensor:
        self.t += 1
        squared = error * error
        self.moment = (1 - self.beta) * squared if self.moment is None else \
            self.moment.mul_(self.beta).add_(squared, alpha=1 - self.beta)
        unbiased = self.moment / (1 - self.beta**self.t)
        rate = (self.gamma / (unbiased.sqrt() + self.eps)).clamp_(max=1.0)
        return x + rate * error


@RULES.register("l1_consensus")
class Malcom(ConsensusRule):
    """Malcom-PSGD (Campbell et al.): the CHOCO step, then an ℓ1 proximal step.

    x ← soft_threshold(x + γ e, η μ) on the parameters in ``l1_mask`` (norms and biases
    are excluded). Exact zeros make long zero runs, which the residual codec sends in
    few bits. The order of steps is **[ours]**, reconstructed from the paper's abstract
    (see design/algorithms.md §6).
    """

    name = "l1_consensus"

    def __init__(self, gamma: float, l1: float, l1_mask: Tensor) -> None:
        self.gamma = gamma
        self.l1 = l1
        self.l1_mask = l1_mask

    def step(self, x: Tensor, error: Tensor, lr: float) -> Tensor:
        z = x + self.gamma * error
        if self.l1 <= 0:
            return z
        shrunk = torch.sign(z) * (z.abs() - lr * self.l1).clamp_min(0.0)
        return torch.where(self.l1_mask, shrunk, z)


def consensus_distance(models: list[Tensor]) -> float:
    """Mean over robots of the mean squared distance of each model to the average model."""
    stacked = torch.stack([m.to(torch.float64) for m in models])
    return float(((stacked - stacked.mean(0)) ** 2).mean())


def sparsity(x: Tensor) -> float:
    """Fraction of exact zeros."""
    return float((x == 0).sum()) / max(1, x.numel())
