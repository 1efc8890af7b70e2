"""Detection transform presets (torchvision ``transforms.v2``), as in references/detection.

Each preset is two stages: ``prepare`` is deterministic (to tensor, resize to a square,
drop boxes the resize made degenerate), so its output can be cached once per image;
``augment`` is the per-step random part. Boxes are ``tv_tensors.BoundingBoxes`` so v2
moves them with the image.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchvision.transforms import v2


def _labels_and_difficult(inputs: Any) -> tuple[Tensor, Tensor]:
    """Per-box tensors that must be filtered together with the boxes."""
    target = inputs[1]
    return target["labels"], target["difficult"]


def prepare_transforms(image_size: int) -> v2.Compose:
    """Deterministic, cacheable: uint8 image resized to ``image_size``², valid boxes only."""
    return v2.Compose(
        [
            v2.ToImage(),
            v2.Resize((image_size, image_size), antialias=True),
            v2.ClampBoundingBoxes(),
            v2.SanitizeBoundingBoxes(labels_getter=_labels_and_difficult),
        ]
    )


class _Preset:
    """``prepare`` (cacheable) then ``augment`` (per step)."""

    prepare: v2.Compose
    augment: v2.Compose

    def __call__(self, image: Any, target: dict[str, Any]) -> tuple[Tensor, dict[str, Any]]:
        return self.augment(*self.prepare(image, target))


class DetectionPresetTrain(_Preset):
    """Resize, random horizontal flip (boxes follow), float image in [0, 1]."""

    def __init__(self, image_size: int, hflip_prob: float = 0.5) -> None:
        self.prepare = prepare_transforms(image_size)
        self.augment = v2.Compose(
            [
                v2.RandomHorizontalFlip(p=hflip_prob),
                v2.ToDtype(torch.float32, scale=True),
                v2.ToPureTensor(),
            ]
        )


class DetectionPresetEval(_Preset):
    """Resize and float image; no randomness."""

    def __init__(self, image_size: int) -> None:
        self.prepare = prepare_transforms(image_size)
        self.augment = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.ToPureTensor()])
