"""The coordinator's step: aggregate, step, compress the downlink.

Where the optimiser lives decides whether the step stays sparse. In delta mode (every
compressed method) each robot runs its own optimiser and sends its compressed model
change; the coordinator only averages (FedAvg, optional server LR and momentum), so the
global step is the union of the robots' supports and travels whole. In gradient mode
(dense and signSGD) the coordinator's real torch optimiser steps on the aggregate.

Robots and coordinator must hold bit-identical models. So the coordinator sends the
model change Δ it made (compressed, with server-side error feedback for what rounding
or a configured downlink ratio leaves out), and every node, the coordinator included,
applies ``x ← x + decoded(Δ)``: one float32 add per entry, the same result on every machine.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..aggregate import AGGREGATORS, Contribution
from ..codec import Compressed, encode
from ..compress import ErrorFeedback, KSparsifier, make_compressor
from ..config import AlgorithmConfig
from ..task import Task

log = logging.getLogger(__name__)


@dataclass
class StepResult:
    message: Compressed
    payload: bytes
    update_norm: float


class Server:
    """Holds the global model (through its task) and the server optimiser state."""

    def __init__(self, task: Task, algorithm: AlgorithmConfig, seed: int = 0) -> None:
        self.task = task
        self.algorithm = algorithm
        self.d = task.num_params
        entry = algorithm.entry
        self.aggregator = AGGREGATORS.make(entry.aggregator, **entry.aggregator_params(algorithm))
        self.compressor = make_compressor(entry.downlink, seed=seed, **entry.downlink_params(algorithm))
        self.sparse = isinstance(self.compressor, KSparsifier)
        self.memory = ErrorFeedback() if entry.downlink_error_feedback and self.compressor.biased else None
        self.momentum: Tensor | None = None
        if algorithm.server_momentum > 0 and self.sparse and algorithm.downlink_keep_ratio is None:
            log.warning("algorithm.server_momentum spreads every step over each entry ever sent: the downlink "
                        "grows toward dense (its bytes are counted); algorithm.downlink_keep_ratio caps it")

    def downlink_k(self, delta: Tensor) -> int:
        """Entries of the downlink: the configured ratio, else the size of the union of the robots' supports
        (the entries the average moved), so the sparse average travels whole."""
        if self.algorithm.downlink_keep_ratio is not None:
            return max(1, round(self.algorithm.downlink_keep_ratio * self.d))
        return max(1, int(torch.count_nonzero(delta)))

    def step(self, contributions: list[Contribution]) -> StepResult:
        """Aggregate, step, compress Δ; the task's model ends at ``x_old + decoded(Δ)``."""
        x_old = self.task.params_flat()
        aggregated = self.aggregator.aggregate(contributions)
        if self.algorithm.sends_deltas:  # FedAvg-style: average deltas, optional server momentum
            if self.algorithm.server_momentum > 0:
                self.momentum = aggregated if self.momentum is None else \
                    self.momentum.mul_(self.algorithm.server_momentum).add_(aggregated)
                aggregated = self.momentum
            delta = aggregated * self.algorithm.server_lr
        else:
            self.task.apply_update(aggregated)
            delta = self.task.params_flat() - x_old
        a = self.memory.compensate(delta) if self.memory is not None else delta
        message = (self.compressor.compress(a, k=self.downlink_k(delta))  # type: ignore[call-arg]
                   if self.sparse else self.compressor.compress(a))
        if self.memory is not None:
            self.memory.update(a, message)
        self.task.set_params_flat(apply_step(x_old, message))
        return StepResult(message, encode(message), float(torch.linalg.vector_norm(delta)))


    def state_dict(self) -> dict[str, Any]:
        """Everything the next steps depend on besides the model: the coordinator's optimiser and schedule
        (gradient mode), the aggregator's state, server momentum, the downlink's error feedback and its
        compressor's random generator."""
        return {"task": self.task.training_state(), "aggregator": self.aggregator.state_dict(),
                "momentum": _copy(self.momentum), "memory": _copy(self.memory.residual if self.memory else None),
                "generator": self.compressor.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.task.load_training_state(state["task"])
        self.aggregator.load_state_dict(state["aggregator"])
        self.momentum = state["momentum"]
        if self.memory is not None:
            self.memory.residual = state["memory"]
        self.compressor.generator.set_state(state["generator"])


def _copy(tensor: Tensor | None) -> Tensor | None:
    return None if tensor is None else tensor.clone()


def params_crc32(params: Tensor) -> int:
    """A fingerprint of a model's exact bits: nodes in step have equal ones."""
    return zlib.crc32(params.detach().to(torch.float32).numpy().tobytes())


def apply_step(params: Tensor, step: Compressed) -> Tensor:
    """``x + decoded(Δ)``: what every node does with a global step."""
    return params + step.to_dense()
