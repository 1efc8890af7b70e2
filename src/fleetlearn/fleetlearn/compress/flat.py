"""One flat float32 vector for a model's parameters (or gradients), and the way back.

Compressors and codecs see a single 1-D tensor of d entries; a :class:`FlatLayout`
remembers where each named tensor lives in it (for layer-wise Top-K) and which tensors
are "small" (biases, norm layers, tiny tensors) so they can be sent dense or excluded
from an ℓ1 penalty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

DEFAULT_SMALL_NUMEL = 4096


@dataclass(frozen=True)
class Slot:
    """Where one named tensor lives in the flat vector."""

    name: str
    offset: int
    shape: tuple[int, ...]
    small: bool

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def end(self) -> int:
        return self.offset + self.numel

    @property
    def is_norm_or_bias(self) -> bool:
        """0-/1-D: biases and norm scales and shifts (no weight decay, no ℓ1 penalty)."""
        return len(self.shape) <= 1


def is_small(shape: tuple[int, ...], small_numel: int = DEFAULT_SMALL_NUMEL) -> bool:
    """Biases and norm-layer weights are 1-D; tiny tensors are cheaper dense than indexed."""
    return len(shape) <= 1 or math.prod(shape) <= small_numel


class FlatLayout:
    """Names, offsets, shapes and small-tensor flags of a list of tensors laid end to end."""

    def __init__(self, named_shapes: Iterable[tuple[str, tuple[int, ...]]], small_numel: int = DEFAULT_SMALL_NUMEL):
        slots, offset = [], 0
        for name, shape in named_shapes:
            slot = Slot(name, offset, tuple(shape), is_small(tuple(shape), small_numel))
            slots.append(slot)
            offset = slot.end
        self.slots: tuple[Slot, ...] = tuple(slots)
        self.d = offset

    @classmethod
    def of_module(cls, module: nn.Module, small_numel: int = DEFAULT_SMALL_NUMEL) -> FlatLayout:
        """Layout of the trainable parameters of ``module``, in ``named_parameters`` order."""
        return cls(((name, tuple(p.shape)) for name, p in _trainable(module)), small_numel)

    def bounds(self) -> list[tuple[int, int]]:
        """(start, end) of each tensor, for layer-wise modes."""
        return [(slot.offset, slot.end) for slot in self.slots]

    def small_mask(self) -> Tensor:
        """Bool vector of length d: True on entries of small tensors."""
        mask = torch.zeros(self.d, dtype=torch.bool)
        for slot in self.slots:
            if slot.small:
                mask[slot.offset : slot.end] = True
        return mask

    def flatten(self, tensors: Iterable[Tensor | None]) -> Tensor:
        """Concatenate tensors (None = zeros, e.g. a missing gradient) into a new float32 vector."""
        flat = torch.zeros(self.d, dtype=torch.float32)
        given = list(tensors)
        if len(given) != len(self.slots):
            raise ValueError(f"layout has {len(self.slots)} tensors, got {len(given)}")
        for slot, tensor in zip(self.slots, given, strict=True):
            if tensor is None:
                continue
            if tuple(tensor.shape) != slot.shape:
                raise ValueError(f"{slot.name}: shape {tuple(tensor.shape)} != layout shape {slot.shape}")
            flat[slot.offset : slot.end] = tensor.detach().reshape(-1)
        return flat

    def unflatten(self, flat: Tensor) -> dict[str, Tensor]:
        """Views of ``flat`` shaped like the original tensors, by name."""
        self._check_length(flat)
        return {slot.name: flat[slot.offset : slot.end].view(slot.shape) for slot in self.slots}

    def params_of(self, module: nn.Module) -> Tensor:
        return self.flatten(p for _, p in self._matching(module))

    def grads_of(self, module: nn.Module) -> Tensor:
        return self.flatten(p.grad for _, p in self._matching(module))

    def write_params(self, module: nn.Module, flat: Tensor) -> None:
        """Copy ``flat`` into the module's parameters (in place, keeping optimizer references)."""
        pieces = self.unflatten(flat)
        with torch.no_grad():
            for name, param in self._matching(module):
                param.copy_(pieces[name])

    def write_grads(self, module: nn.Module, flat: Tensor) -> None:
        """Set each parameter's ``.grad`` from ``flat`` (so a torch optimizer can step on it)."""
        pieces = self.unflatten(flat)
        for name, param in self._matching(module):
            param.grad = pieces[name].to(param.dtype, copy=True)

    def _matching(self, module: nn.Module) -> list[tuple[str, nn.Parameter]]:
        named = _trainable(module)
        layout = [(slot.name, slot.shape) for slot in self.slots]
        if [(name, tuple(p.shape)) for name, p in named] != layout:
            raise ValueError("module parameters do not match this layout")
        return named

    def _check_length(self, flat: Tensor) -> None:
        if flat.dim() != 1 or flat.numel() != self.d:
            raise ValueError(f"expected a flat vector of {self.d} entries, got shape {tuple(flat.shape)}")


def _trainable(module: nn.Module) -> list[tuple[str, nn.Parameter]]:
    return [(name, p) for name, p in module.named_parameters() if p.requires_grad]
