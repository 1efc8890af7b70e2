"""The Task interface the fleet trains through, and its shared torch implementation.

Fleet code (robots, coordinator, gossip peers) never touches a model: it asks a task
for "a gradient on my next batch", "apply this update", "evaluate", and moves flat
float32 vectors. A flat vector holds ALL trainable parameters in ``named_parameters()``
order; buffers (BatchNorm running statistics) are not in it and travel with
``model_state()`` / ``load_model_state()``.
"""

from __future__ import annotations

import copy
import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..compress.flat import FlatLayout
from .optim import OptimizerSettings, build_optimizer, build_scheduler


class Task(ABC):
    """A learning problem as the fleet sees it: all that fleet code reads from a task is declared here."""

    @property
    @abstractmethod
    def layout(self) -> FlatLayout:
        """Where each trainable parameter tensor lives in the flat vector (layer-wise Top-K reads it too)."""

    @property
    def num_params(self) -> int:
        """Entries of the flat vector."""
        return self.layout.d

    @property
    @abstractmethod
    def num_items(self) -> int:
        """Training items this task holds (0: a coordinator's task, which only evaluates); robots report it."""

    @property
    @abstractmethod
    def batch_size(self) -> int:
        """Items in each training batch: the configured size, at most ``num_items`` (0 without items)."""

    @property
    @abstractmethod
    def lr(self) -> float:
        """The optimiser's learning rate now (a gossip rule scales its step by it)."""

    @abstractmethod
    def params_flat(self) -> Tensor:
        """A copy of all trainable parameters as one float32 vector."""

    @abstractmethod
    def set_params_flat(self, flat: Tensor) -> None:
        """Overwrite all trainable parameters from a flat vector."""

    @abstractmethod
    def training_state(self) -> dict[str, Any]:
        """The optimiser's and LR schedule's state: with the model, what training needs to go on after a
        restart."""

    @abstractmethod
    def load_training_state(self, state: dict[str, Any]) -> None:
        """Continue from a ``training_state``."""

    @abstractmethod
    def gradient(self) -> tuple[Tensor, float]:
        """Flat gradient and loss on this robot's next batch; parameters stay as they are
        (BatchNorm running statistics update, as in any training forward pass)."""

    @abstractmethod
    def apply_update(self, flat_grad: Tensor) -> None:
        """One optimiser step (momentum, weight decay, LR schedule) with ``flat_grad`` as the gradient."""

    @abstractmethod
    def evaluate(self, on: str | Sequence[Any] | None = None) -> dict[str, Any]:
        """Metrics on a split name or a list of item ids (default: the task's eval split)."""

    @abstractmethod
    def model_state(self) -> dict[str, Tensor]:
        """Full ``state_dict`` copy (parameters and buffers): a snapshot for late joiners."""

    @abstractmethod
    def load_model_state(self, state: Mapping[str, Tensor]) -> None:
        """Load a snapshot from ``model_state()``."""

    def l1_mask(self) -> Tensor:
        """Boolean mask over the flat vector: True where an ℓ1 penalty applies (not norms or biases)."""
        mask = torch.ones(self.num_params, dtype=torch.bool)
        for slot in self.layout.slots:
            if slot.is_norm_or_bias:
                mask[slot.offset : slot.end] = False
        return mask

    def local_steps(self, steps: int) -> tuple[Tensor, float]:
        """Take ``steps`` local optimiser steps; return the parameter change and the mean loss."""
        start = self.params_flat()
        losses = []
        for _ in range(steps):
            grad, loss = self.gradient()
            self.apply_update(grad)
            losses.append(loss)
        return self.params_flat() - start, float(np.mean(losses)) if losses else float("nan")


class EpochBatches:
    """Index batches over ``num_items``: a fresh permutation per epoch, fixed by the seed.

    A batch never spans two epochs (the remainder is dropped), so every batch has the
    same size unless the partition is smaller than one batch.
    """

    def __init__(self, num_items: int, batch_size: int, seed: int) -> None:
        if num_items <= 0:
            raise ValueError("this task holds no training items (empty partition)")
        self.num_items = num_items
        self.batch_size = min(batch_size, num_items)
        self.seed = seed
        self.epoch = -1
        self._order: list[int] = []
        self._pos = 0

    def next(self) -> list[int]:
        if self._pos + self.batch_size > len(self._order):
            self.epoch += 1
            generator = torch.Generator().manual_seed(derive_seed(self.seed, SHUFFLE_STREAM, self.epoch))
            self._order = torch.randperm(self.num_items, generator=generator).tolist()
            self._pos = 0
        batch = self._order[self._pos : self._pos + self.batch_size]
        self._pos += self.batch_size
        return batch


SHUFFLE_STREAM, STEP_STREAM = 0, 1  # epoch e's shuffle and step e's augmentation must not share a seed


def derive_seed(*keys: int) -> int:
    """A well-mixed 63-bit seed from integers (robot seed, epoch, step, ...)."""
    return int(np.random.SeedSequence([k & 0xFFFFFFFF for k in keys]).generate_state(2, np.uint64)[0] >> 1)


class TorchTask(Task):
    """Flat-vector plumbing over an ``nn.Module`` and a real torch optimiser.

    Subclasses supply ``batch_loss(indices)`` and ``evaluate``. Randomness inside a
    step (augmentation, random resizing in torchvision models) runs on a forked global
    RNG seeded by (seed, batch count), so several tasks in one process stay reproducible
    and do not disturb each other.
    """

    def __init__(
        self, model: nn.Module, num_items: int, batch_size: int, seed: int, optimizer: OptimizerSettings
    ) -> None:
        self.model = model
        self.seed = seed
        self._params = [p for p in model.parameters() if p.requires_grad]
        self._layout = FlatLayout.of_module(model)
        decays = [not slot.is_norm_or_bias for slot in self._layout.slots]
        self.optimizer_settings = optimizer
        self.optimizer = build_optimizer(self._params, decays, optimizer)
        self.scheduler = build_scheduler(self.optimizer, optimizer)
        self.batches = EpochBatches(num_items, batch_size, seed) if num_items else None
        self.batches_drawn = 0

    @abstractmethod
    def batch_loss(self, indices: Sequence[int]) -> Tensor:
        """Scalar training loss on the given items (model already in train mode)."""

    @property
    def layout(self) -> FlatLayout:
        return self._layout

    @property
    def num_items(self) -> int:
        return 0 if self.batches is None else self.batches.num_items

    @property
    def batch_size(self) -> int:
        return 0 if self.batches is None else self.batches.batch_size

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def params_flat(self) -> Tensor:
        return self._layout.params_of(self.model)

    def set_params_flat(self, flat: Tensor) -> None:
        self._layout.write_params(self.model, flat)

    def gradient(self) -> tuple[Tensor, float]:
        if self.batches is None:
            raise RuntimeError("this task holds no training items (empty partition); it cannot compute gradients")
        indices = self.batches.next()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, STEP_STREAM, self.batches_drawn))
            self.batches_drawn += 1
            self.model.train()
            for p in self._params:
                p.grad = None
            loss = self.batch_loss(indices)
            loss.backward()
        flat = self._layout.grads_of(self.model)
        for p in self._params:
            p.grad = None
        return flat, float(loss.detach())

    def apply_update(self, flat_grad: Tensor) -> None:
        self._layout.write_grads(self.model, flat_grad.detach())  # copies: the caller keeps its tensor intact
        self.optimizer.step()
        self.scheduler.step()
        for p in self._params:
            p.grad = None

    def model_state(self) -> dict[str, Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def training_state(self) -> dict[str, Any]:
        return copy.deepcopy({"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict()})

    def load_training_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])

    def load_model_state(self, state: Mapping[str, Tensor]) -> None:
        self.model.load_state_dict(state)


def resolve_optimizer(recipe: OptimizerSettings, config: Any) -> OptimizerSettings:
    """The model's recipe with every optimiser field the config sets (not None) overriding it."""
    overrides = {
        "name": config.optimizer,
        "lr": config.lr,
        "momentum": config.momentum,
        "weight_decay": config.weight_decay,
        "warmup_steps": config.warmup_steps,
        "total_steps": config.total_steps,
        "min_lr_ratio": config.min_lr_ratio,
    }
    return dataclasses.replace(recipe, **{k: v for k, v in overrides.items() if v is not None})


@dataclass
class TrainConfig:
    """Settings every task shares; optimiser fields left None come from the model's recipe."""

    seed: int = 0
    batch_size: int = 32
    optimizer: str | None = None  # "sgd" or "adamw"
    lr: float | None = None
    momentum: float | None = None
    weight_decay: float | None = None
    warmup_steps: int | None = None
    total_steps: int | None = None  # cosine horizon in optimiser steps
    min_lr_ratio: float | None = None
