"""signSGD votes: majority vote (Bernstein et al. 2019) and federated voting (Park, Poor, Lee 2024).

Each robot sends s_m = sign(g_m) ∈ {−1, +1}^d (1 bit per entry; a zero entry is sent as
a fair coin by default, or as +1: ``algorithm.sign_ties``). The server decodes

    V = sign(Σ_m w_m s_m)          with V = +1 where the sum is exactly 0 (tie rule),

so the downlink is 1 bit per entry too. Majority vote uses w_m = 1. Federated voting
learns how far to trust each robot: p_m is the fraction of rounds (or, per coordinate,
of rounds at that coordinate) in which robot m agreed with the decoded vote, and
w_m = ln(p_m / (1 − p_m)), clipped to ±``clip``. The first ``warmup_rounds`` rounds use
the plain majority vote while the counters fill; ``forgetting`` < 1 discounts old
rounds (C ← λ·C before each update), so weights can follow robots that change.

Per-robot scalar weights cost 2 floats per robot at the server; per-coordinate weights
(``per_coordinate=True``) cost 2·n·d floats — 2 × 15 × 1 M × 4 B = 120 MB for 15 robots
and a 1 M-parameter model — for finer trust where robots are good at different layers.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import Tensor

from .base import AGGREGATORS, Aggregator, Contribution


def robot_signs(c: Contribution) -> Tensor:
    """A robot's vote as ±1 float32 (the decoded sign message, magnitude dropped)."""
    if c.message.signs is None:
        raise ValueError(f"{c.robot_id} sent a {c.message.codec!r} update; a vote needs sign messages")
    return 1.0 - 2.0 * c.message.signs.to(torch.float32)


def vote(signs: list[Tensor], weights: list[Tensor | float]) -> Tensor:
    """sign(Σ w_m s_m) with ties → +1."""
    total = torch.zeros_like(signs[0])
    for s, w in zip(signs, weights, strict=True):
        total.add_(s * w)
    return torch.where(total < 0, -1.0, 1.0)


@AGGREGATORS.register("majority_vote")
class MajorityVote(Aggregator):
    name = "majority_vote"

    def aggregate(self, contributions: list[Contribution]) -> Tensor:
        return vote([robot_signs(c) for c in contributions], [1.0] * len(contributions))


@AGGREGATORS.register("federated_vote")
class FederatedVote(Aggregator):
    """Weighted vote with log-odds weights learned from agreement with the decoded vote."""

    name = "federated_vote"

    def __init__(self, warmup_rounds: int = 100, clip: float = 10.0, forgetting: float = 1.0,
                 per_coordinate: bool = False) -> None:
        if not 0 < forgetting <= 1:
            raise ValueError(f"forgetting must be in (0, 1], got {forgetting}")
        self.warmup_rounds = warmup_rounds
        self.clip = clip
        self.forgetting = forgetting
        self.per_coordinate = per_coordinate
        self.rounds = 0
        self.agree: dict[str, Tensor | float] = {}
        self.total: dict[str, float] = {}

    def weight(self, robot_id: str) -> Tensor | float:
        """w = ln(p / (1 − p)) clipped; 1 (a plain vote) for a robot with no history yet."""
        total = self.total.get(robot_id, 0.0)
        if self.rounds < self.warmup_rounds or total == 0.0:
            return 1.0
        p = self.agree[robot_id] / total
        if isinstance(p, Tensor):
            eps = torch.finfo(torch.float32).tiny
            return torch.log(p.clamp_min(eps) / (1 - p).clamp_min(eps)).clamp_(-self.clip, self.clip)
        if p <= 0.0 or p >= 1.0:
            return math.copysign(self.clip, p - 0.5)
        return max(-self.clip, min(self.clip, math.log(p / (1 - p))))

    def aggregate(self, contributions: list[Contribution]) -> Tensor:
        signs = [robot_signs(c) for c in contributions]
        decoded = vote(signs, [self.weight(c.robot_id) for c in contributions])
        self.learn(contributions, signs, decoded)
        return decoded

    def learn(self, contributions: list[Contribution], signs: list[Tensor], decoded: Tensor) -> None:
        """C_ok += 1{s_m == V} (per coordinate, or its mean), C_tot += 1, after forgetting."""
        self.rounds += 1
        for c, s in zip(contributions, signs, strict=True):
            agreed = (s == decoded).to(torch.float32)
            hit: Tensor | float = agreed if self.per_coordinate else float(agreed.mean())
            previous = self.agree.get(c.robot_id, 0.0)
            self.agree[c.robot_id] = previous * self.forgetting + hit
            self.total[c.robot_id] = self.total.get(c.robot_id, 0.0) * self.forgetting + 1.0

    def metrics(self) -> dict[str, Any]:
        return {"vote_weights": self.weights()}  # who the vote trusts, for plots and rqt

    def state_dict(self) -> dict[str, Any]:
        return copy.deepcopy({"rounds": self.rounds, "agree": self.agree, "total": self.total})

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rounds, self.agree, self.total = state["rounds"], dict(state["agree"]), dict(state["total"])

    def weights(self) -> dict[str, float]:
        """Current per-robot weights (the mean over coordinates in per-coordinate mode), for metrics."""
        out = {}
        for robot_id in self.total:
            w = self.weight(robot_id)
            out[robot_id] = float(w.mean()) if isinstance(w, Tensor) else float(w)
        return out
