"""PASCAL VOC detection behind the Task interface: the fleet's main task.

A robot's task holds its partition (image ids of one VOC tree), a torchvision detector
and its optimiser. Images are decoded and resized once and kept as uint8 tensors
(``cache_images``), so a step costs the model, not JPEG decoding; the random flip is
applied per step. Difficult objects are trained on (they are real objects) and ignored
in evaluation, as VOC does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .base import TorchTask, TrainConfig, resolve_optimizer
from .evaluate import evaluate_detections
from .models import MODELS, build_detection_model
from .presets import DetectionPresetEval, DetectionPresetTrain
from .synthetic import ensure_synthetic_voc
from .voc import NUM_VOC_CLASSES, VOC_CLASSES, Sample, VOCDetectionDataset, read_split


def default_data_root() -> Path:
    """Where the built-in synthetic set lives: ``$FLEETLEARN_DATA/synthetic_voc`` (default ``data/``)."""
    return Path(os.environ.get("FLEETLEARN_DATA", "data")) / "synthetic_voc"


@dataclass
class DetectionConfig(TrainConfig):
    model: str = "fcos_tiny"
    data_root: str | None = None  # a folder holding VOCdevkit/; None: the synthetic set
    synthetic: dict[str, int] | None = None  # ensure_synthetic_voc arguments when data_root is None
    year: str = "2007"
    split: str = "train"  # where image_ids come from when none are given
    image_ids: Sequence[str] | None = None  # this robot's partition; None: the whole split
    eval_split: str = "val"
    image_size: int = 128
    num_classes: int = NUM_VOC_CLASSES
    weights_path: str | None = None
    cache_images: bool = True
    eval_batch_size: int = 50


class DetectionTask(TorchTask):
    def __init__(self, config: DetectionConfig) -> None:
        if config.num_classes < NUM_VOC_CLASSES:
            raise ValueError(f"num_classes must be at least {NUM_VOC_CLASSES} for VOC labels, got {config.num_classes}")
        self.config = config
        if config.data_root is None:
            self.data_root = ensure_synthetic_voc(default_data_root(), **(config.synthetic or {}))
        else:
            self.data_root = Path(config.data_root)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = build_detection_model(config.model, config.num_classes, config.image_size, config.weights_path)
        self.train_preset = DetectionPresetTrain(config.image_size)
        self.eval_preset = DetectionPresetEval(config.image_size)
        image_ids = config.image_ids
        if image_ids is None:
            image_ids = read_split(self.data_root, config.year, config.split)
        self.train_data = VOCDetectionDataset(self.data_root, config.year, image_ids=image_ids)
        self._prepared_train: dict[int, Sample] = {}
        self._prepared_eval: dict[str, Sample] = {}
        settings = resolve_optimizer(MODELS.get(config.model).recipe, config)
        super().__init__(model, len(self.train_data), config.batch_size, config.seed, settings)

    @property
    def image_ids(self) -> list[str]:
        return self.train_data.image_ids

    def batch_loss(self, indices: Sequence[int]) -> Tensor:
        images, targets = [], []
        for index in indices:
            image, target = self.train_preset.augment(*self._prepared_train_sample(index))
            images.append(image)
            targets.append({"boxes": target["boxes"], "labels": target["labels"]})
        losses = self.model(images, targets)
        return sum(losses.values())

    def _prepared_train_sample(self, index: int) -> Sample:
        sample = self._prepared_train.get(index)
        if sample is None:
            sample = self.train_preset.prepare(*self.train_data[index])
            if self.config.cache_images:
                self._prepared_train[index] = sample
        return sample

    def evaluate(self, on: str | Sequence[str] | None = None) -> dict[str, Any]:
        """COCO ``mAP``/``mAP50``, ``voc07_mAP50`` and ``AP50_per_class`` on a split or image ids."""
        if on is None or isinstance(on, str):
            image_ids = read_split(self.data_root, self.config.year, on or self.config.eval_split)
        else:
            image_ids = list(on)
        samples = self._prepared_eval_samples(image_ids)
        predictions = self.predict([image for image, _ in samples])
        result = evaluate_detections(predictions, [target for _, target in samples], VOC_CLASSES)
        result["num_images"] = len(image_ids)
        return result

    @torch.no_grad()
    def predict(self, images: Sequence[Tensor]) -> list[dict[str, Tensor]]:
        """Detections (boxes, scores, labels) for float images in [0, 1], in eval mode."""
        self.model.eval()
        predictions: list[dict[str, Tensor]] = []
        for start in range(0, len(images), self.config.eval_batch_size):
            predictions += self.model(list(images[start : start + self.config.eval_batch_size]))
        return predictions

    def _prepared_eval_samples(self, image_ids: Sequence[str]) -> list[tuple[Tensor, dict[str, Any]]]:
        cache = self._prepared_eval if self.config.cache_images else {}
        missing = [i for i in dict.fromkeys(image_ids) if i not in cache]
        if missing:
            dataset = VOCDetectionDataset(self.data_root, self.config.year, image_ids=missing)
            cache.update({i: self.eval_preset.prepare(*dataset[k]) for k, i in enumerate(missing)})
        return [self.eval_preset.augment(*cache[i]) for i in image_ids]
