"""K controllers: how many entries a Top-K (or Random-K) message carries at each step.

All controllers share one interface, ``choose(a, budget_bytes) -> K`` then
``observe(sent_bytes)``, and one hard rule: given the step's byte cap (measured
throughput × communication time, computed by the caller), K is at most the largest K
whose sparse message can never encode larger than the cap (``codec.max_sparse_k``, an
exact bound from d, K, value type). :func:`compress_within_budget` then checks the real
encoded bytes and shrinks K if needed, so a message never exceeds the cap.

The adaptive rules are **[ours]**: the seed paper (Ruan et al., adaptive Top-K for
multi-robot learning) chooses K from a convergence bound that could not be read; these
are derivations consistent with its abstract (design notes, algorithms.md §2).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import Tensor

from ..codec import Compressed, encode, max_sparse_k, sparse_size_bound
from ..registry import Registry
from .sparse import KSparsifier
from .topk_fast import count_at_least, kth_largest_magnitude

CONTROLLERS: Registry[type] = Registry("K controller")


class KController(ABC):
    """Base: proposes K by its rule, then clips it to [0, d] and to the byte cap."""

    def __init__(self, d: int, value_type: str = "fp32", int8_block: int = 0) -> None:
        if d < 1:
            raise ValueError(f"d must be >= 1, got {d}")
        self.d = d
        self.value_type = value_type
        self.int8_block = int8_block
        self.steps = 0
        self.sent_bytes_total = 0

    def choose(self, a: Tensor, budget_bytes: int | None = None) -> int:
        """K for the error-compensated vector ``a``, never above what ``budget_bytes`` can carry."""
        return min(max(self.propose(a), 0), self.d, self.max_k_for(budget_bytes))

    def observe(self, sent_bytes: int) -> None:
        """Feed back the real encoded size of the message that was sent (0 if none)."""
        self.steps += 1
        self.sent_bytes_total += sent_bytes

    @abstractmethod
    def propose(self, a: Tensor) -> int:
        """The rule's K before the cap."""

    def max_k_for(self, budget_bytes: int | None) -> int:
        """Largest K that always fits ``budget_bytes`` (0 if nothing fits; d without a cap)."""
        if budget_bytes is None:
            return self.d
        k = max_sparse_k(budget_bytes, self.d, self.value_type, self.int8_block)
        return 0 if k is None else k

    def size_bound(self, k: int) -> int:
        """Most bytes a message with K entries can take."""
        return sparse_size_bound(self.d, k, self.value_type, self.int8_block)


def target_k(d: int, keep_ratio: float | None, k: int | None) -> int:
    """K̄ from exactly one of ``keep_ratio`` (fraction kept) and ``k``."""
    if (keep_ratio is None) == (k is None):
        raise ValueError("give exactly one of keep_ratio and k")
    chosen = k if k is not None else round(keep_ratio * d)  # type: ignore[operator]
    return min(max(int(chosen), 1), d)


@CONTROLLERS.register("fixed")
class FixedK(KController):
    """The same K every step (fixed Top-K), still capped by the link."""

    def __init__(self, d: int, keep_ratio: float | None = None, k: int | None = None, **coding: Any) -> None:
        super().__init__(d, **coding)
        self.k = target_k(d, keep_ratio, k)

    def propose(self, a: Tensor) -> int:
        return self.k


@CONTROLLERS.register("norm")
class NormProportionalK(KController):
    """**[ours]** Spend entries where the residual is large: ‖TopK(a)‖² >= (K/d)‖a‖².

    K_t = clip(K̄ · ‖a_t‖² / m_t, K_min, K_max), m_t an EMA (``beta``) of ‖a‖². The
    remaining budget is tracked in bytes as a bank that earns the bytes of K̄ each step
    (at most ``burst`` steps' worth) and pays the bytes sent; K_t never exceeds the bank,
    so after T steps the total sent is at most T × bytes(K̄).
    """

    def __init__(
        self,
        d: int,
        keep_ratio: float | None = None,
        k: int | None = None,
        k_min: int = 1,
        k_max: int | None = None,
        beta: float = 0.9,
        burst: float = 4.0,
        **coding: Any,
    ) -> None:
        super().__init__(d, **coding)
        self.k_mean = target_k(d, keep_ratio, k)
        self.k_min = k_min
        self.k_max = d if k_max is None else k_max
        self.beta = beta
        self.step_bytes = self.size_bound(self.k_mean)
        self.max_bank = burst * self.step_bytes
        self.bank = float(self.step_bytes)
        self.mean_energy: float | None = None
        self._energy = 0.0

    def propose(self, a: Tensor) -> int:
        self._energy = squared_norm(a)
        ratio = 1.0 if not self.mean_energy else self._energy / self.mean_energy
        k = min(max(round(self.k_mean * ratio), self.k_min), self.k_max)
        return min(k, self.max_k_for(int(self.bank)))

    def observe(self, sent_bytes: int) -> None:
        super().observe(sent_bytes)
        self.bank = min(self.bank - sent_bytes + self.step_bytes, self.max_bank)
        if self.mean_energy is None:
            self.mean_energy = self._energy
        else:
            self.mean_energy = self.beta * self.mean_energy + (1 - self.beta) * self._energy


@CONTROLLERS.register("rd")
class RateDistortionK(KController):
    """**[ours]** Maximise Σ_t ‖TopK_t(a_t)‖² subject to Σ_t bits_t <= B.

    The Lagrangian keeps every entry with a_j² >= λ · (bytes per entry), so K is a count
    above a threshold (one pass, no sort). λ is one multiplier updated by dual ascent
    toward the target rate: λ ← λ · exp(κ (bytes_t − b̄) / b̄). λ starts where the rule
    keeps K̄ entries of the first vector. Bytes per entry is the codec bound at K̄ divided
    by K̄ (index + value cost).
    """

    def __init__(
        self,
        d: int,
        keep_ratio: float | None = None,
        k: int | None = None,
        target_bytes: int | None = None,
        kappa: float = 0.5,
        **coding: Any,
    ) -> None:
        super().__init__(d, **coding)
        self.k_mean = target_k(d, keep_ratio, k)
        self.target_bytes = target_bytes if target_bytes is not None else self.size_bound(self.k_mean)
        self.entry_bytes = self.size_bound(self.k_mean) / self.k_mean
        self.kappa = kappa
        self.multiplier: float | None = None

    def propose(self, a: Tensor) -> int:
        if self.multiplier is None:
            kth = kth_largest_magnitude(a, self.k_mean)
            self.multiplier = max(kth * kth / self.entry_bytes, math.ulp(0.0))
        return count_at_least(a, math.sqrt(self.multiplier * self.entry_bytes))

    def observe(self, sent_bytes: int) -> None:
        super().observe(sent_bytes)
        if self.multiplier is not None:
            excess = (sent_bytes - self.target_bytes) / self.target_bytes
            self.multiplier = max(self.multiplier * math.exp(self.kappa * excess), math.ulp(0.0))


def squared_norm(a: Tensor) -> float:
    """‖a‖², float32 dot products over chunks summed in float64: fast, without float32 drift."""
    return math.fsum(float(torch.dot(chunk, chunk)) for chunk in a.reshape(-1).float().split(1 << 16))


def make_controller(name: str, d: int, **params: Any) -> KController:
    """Build the K controller registered as ``name`` (fixed, norm, rd)."""
    return CONTROLLERS.make(name, d=d, **params)


def available_controllers() -> list[str]:
    return CONTROLLERS.names()


def compress_within_budget(
    compressor: KSparsifier, a: Tensor, k: int, budget_bytes: int | None
) -> tuple[Compressed, bytes] | None:
    """Compress ``a`` with K entries and encode; shrink K until the real bytes fit the cap.

    Returns None when not even an empty message fits (skip this round).
    """
    while True:
        message = compressor.compress(a, k=k)
        data = encode(message)
        if budget_bytes is None or len(data) <= budget_bytes:
            return message, data
        if k == 0:
            return None
        k = min(k - 1, k * budget_bytes // len(data))
