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
from torchvision import tv_tensors
from torchvision.transforms import v2


def _labels_and_difficult(inputs: Any) -> tuple[Tensor, Tensor]:
    """Per-box tensors that must be filtered together with the boxes."""
    target = inputs[1]
    return target["labels"], target["difficult"]


def prepare_transforms(image_size: int, keep_small: bool = False) -> v2.Compose:
    """Deterministic, cacheable: uint8 image resized to ``image_size``², valid boxes only.

    Training drops boxes under a pixel (they would give degenerate regression targets);
    evaluation (``keep_small``) drops only empty ones: a tiny object still counts as one to find.
    """
    sanitize = _drop_empty_boxes if keep_small else v2.SanitizeBoundingBoxes(labels_getter=_labels_and_difficult)
    return v2.Compose(
        [
            v2.ToImage(),
            v2.Resize((image_size, image_size), antialias=True),
            v2.ClampBoundingBoxes(),
            sanitize,
        ]
    )


def _drop_empty_boxes(image: Any, target: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Boxes with no area left after clamping go, with their labels and difficult flags."""
    boxes = target["boxes"]
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    kept = {"boxes": tv_tensors.wrap(boxes[keep], like=boxes), "labels": target["labels"][keep],
            "difficult": target["difficult"][keep]}
    return image, {**target, **kept}


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
    """Resize and float image; no randomness; every object that still has an area is kept."""

    def __init__(self, image_size: int) -> None:
        self.prepare = prepare_transforms(image_size, keep_small=True)
        self.augment = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.ToPureTensor()])
