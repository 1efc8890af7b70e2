"""A robot's compression pipeline: error feedback, K from the link budget, encode within the cap.

    a = g + e                      (error feedback, when on and the compressor is biased)
    K = controller(a, budget)      (fixed / norm-proportional / rate-distortion, capped by the budget)
    bytes = encode(TopK(a))        (shrunk until the real encoded size fits the budget)
    e = a - decoded(sent)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..codec import Compressed, encode
from ..compress import (
    Compressor,
    ErrorFeedback,
    FlatLayout,
    KSparsifier,
    compress_within_budget,
    make_compressor,
    make_controller,
)
from ..config import AlgorithmConfig


class NonFiniteUpdate(ValueError):
    """The update holds NaN or Inf: nothing is sent and error feedback is left as it was."""


@dataclass
class Encoded:
    message: Compressed
    payload: bytes

    @property
    def k(self) -> int:
        return self.message.k


class Uplink:
    """Turns a gradient (or model delta) into the payload of one CompressedUpdate."""

    def __init__(self, algorithm: AlgorithmConfig, d: int, seed: int = 0, layout: FlatLayout | None = None) -> None:
        """``layout``: the model's tensors in the flat vector, needed by Top-K's ``scope: layer``."""
        self.d = d
        entry = algorithm.entry
        self.codec = entry.compressor
        self.compressor = make_uplink_compressor(algorithm, seed, layout)
        self.sparse = isinstance(self.compressor, KSparsifier)
        self.controller = (make_controller(algorithm.k_controller, d, keep_ratio=algorithm.keep_ratio,
                                           value_type=algorithm.value_dtype) if self.sparse else None)
        feedback = entry.reads("error_feedback") and algorithm.error_feedback and self.compressor.biased
        self.memory = ErrorFeedback() if feedback else None
        choice = algorithm.train_with_memory if entry.reads("train_with_memory") else False
        self.train_with_memory = (self.memory is not None and algorithm.sends_deltas
                                  and (algorithm.local_steps == 1 if choice is None else choice))
        self.signum_momentum = algorithm.signum_momentum if entry.reads("signum_momentum") else 0.0
        self.momentum: Tensor | None = None

    def training_start(self, model: Tensor) -> Tensor:
        """Where this robot's local steps start: with ``train_with_memory``, the model plus the memory (the
        model it would hold had it sent everything), else the model.

        Error feedback delivers what it holds back rounds later. Gradients taken at the model ignore that
        backlog, so the memory keeps piling up moves that training would already have corrected; taken at
        the model plus the memory, they see it (at τ = 1, keep 1 %, error feedback went from 5 points
        below none to 13 above). But each robot then trains a model of its own, which only the sparse
        average pulls together: at keep 0.1 % they drifted apart and the average learnt nothing, hence
        off by default with several local steps (README "Compressed training").
        """
        if not self.train_with_memory or self.memory is None or self.memory.residual is None:
            return model
        return model + self.memory.residual

    def encode(self, g: Tensor, budget_bytes: int | None) -> Encoded | None:
        """Compress ``g``; None when not even an empty message fits ``budget_bytes``; NonFiniteUpdate (and no
        change to error feedback) when ``g`` or ``g`` plus the memory is not finite.

        Sparsifiers always fit the budget. Fixed-size codecs (dense, sign, quantisers)
        cannot shrink: they are sent whole, and the caller sees their size.
        """
        a = self.memory.compensate(g) if self.memory is not None else g.detach().reshape(-1).float()
        if not bool(torch.isfinite(a).all()):
            raise NonFiniteUpdate("the update holds NaN or Inf (diverged local training, or a gradient so large "
                                  "that adding error feedback overflows float32)")
        if self.signum_momentum:  # Signum: the sign of a momentum of gradients
            beta = self.signum_momentum
            self.momentum = a.clone() if self.momentum is None else self.momentum.mul_(beta).add_(a, alpha=1 - beta)
            a = self.momentum
        if self.sparse:
            assert self.controller is not None
            k = self.controller.choose(a, budget_bytes)
            result = compress_within_budget(self.compressor, a, k, budget_bytes)  # type: ignore[arg-type]
            if result is None:
                if self.memory is not None:
                    self.memory.residual = a  # nothing sent: everything stays in memory
                self.controller.observe(0)
                return None
            message, payload = result
            self.controller.observe(len(payload))
        else:
            message = self.compressor.compress(a)
            payload = encode(message)
        if self.memory is not None:
            self.memory.update(a, message)
        return Encoded(message, payload)


def make_uplink_compressor(algorithm: AlgorithmConfig, seed: int, layout: FlatLayout | None = None) -> Compressor:
    """The method's compressor of robot updates (gossip: residuals), as its registry entry builds it;
    ``layout``: the model's tensors (Top-K's ``scope: layer``), None for vectors that are not a model."""
    entry = algorithm.entry
    return make_compressor(entry.compressor, seed=seed, **entry.compressor_params(algorithm, layout))


def dense_message_bytes(params: Tensor, overhead: int) -> int:
    """Bytes of the same update sent dense in fp32: a real encoding, plus the message's own overhead."""
    return overhead + len(encode(make_compressor("none").compress(params)))
