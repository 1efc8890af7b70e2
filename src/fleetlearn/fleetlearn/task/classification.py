"""Image classification behind the same Task interface: fast tests of fleet algorithms.

The 8×8 digits set ships with scikit-learn, so it always exists (no download); a step
takes about a millisecond. MNIST and CIFAR-10 are read through torchvision when their
files are already on disk (``download=False``). Items are indices into the train split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..registry import Registry
from .base import TorchTask, TrainConfig, resolve_optimizer
from .optim import OptimizerSettings


@dataclass(frozen=True)
class ImageSet:
    """Images in memory, uint8 or small ints (N, C, H, W), with what normalises them."""

    images: Tensor
    labels: Tensor  # (N,) int64
    max_value: float
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def normalised(self, indices: Tensor | slice) -> Tensor:
        x = self.images[indices].to(torch.float32) / self.max_value
        mean = torch.tensor(self.mean).view(1, -1, 1, 1)
        std = torch.tensor(self.std).view(1, -1, 1, 1)
        return (x - mean) / std


NUM_CLASSES = 10  # all three datasets


def load_digits_split(train: bool, test_fraction: float = 0.25) -> ImageSet:
    """scikit-learn's 1,797 8×8 digits (values 0..16), a fixed stratified train/test split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    indices = np.arange(len(digits.target))
    train_idx, test_idx = train_test_split(indices, test_size=test_fraction, random_state=0, stratify=digits.target)
    chosen = np.sort(train_idx if train else test_idx)
    images = torch.from_numpy(digits.images[chosen]).to(torch.uint8).unsqueeze(1)
    labels = torch.from_numpy(digits.target[chosen]).to(torch.int64)
    return ImageSet(images, labels, 16.0, (0.30,), (0.38,))


def load_torchvision_split(name: str, root: str | None, train: bool) -> ImageSet:
    """MNIST or CIFAR-10 from files already under ``root`` (never downloads)."""
    from torchvision import datasets

    dataset_cls = {"mnist": datasets.MNIST, "cifar10": datasets.CIFAR10}[name]
    if root is None:
        raise ValueError(f"dataset {name!r} needs data_root, the folder {dataset_cls.__name__} reads from")
    try:
        dataset = dataset_cls(root, train=train, download=False)
    except RuntimeError as err:
        raise FileNotFoundError(
            f"{dataset_cls.__name__} files not found under {root} ({err}); this task never downloads: "
            f"put the dataset there (as torchvision.datasets.{dataset_cls.__name__} lays it out) first"
        ) from None
    if name == "mnist":
        return ImageSet(dataset.data.unsqueeze(1), dataset.targets.to(torch.int64), 255.0, (0.1307,), (0.3081,))
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()
    return ImageSet(
        images, torch.tensor(dataset.targets, dtype=torch.int64), 255.0, (0.491, 0.482, 0.447), (0.247, 0.243, 0.262)
    )


def load_split(dataset: str, root: str | None, train: bool) -> ImageSet:
    if dataset == "digits":
        return load_digits_split(train)
    if dataset in ("mnist", "cifar10"):
        return load_torchvision_split(dataset, root, train)
    raise ValueError(f"unknown classification dataset {dataset!r}; expected 'digits', 'mnist' or 'cifar10'")


CLASSIFIERS: Registry[Callable[[int, int, int], nn.Module]] = Registry("classifier")


@CLASSIFIERS.register("small_cnn")
def small_cnn(in_channels: int, image_size: int, num_classes: int) -> nn.Module:
    """Three convs (two stride-2) and global pooling: ~56 k parameters, any input size."""
    del image_size  # global pooling makes the net size-agnostic
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(64, num_classes),
    )  # fmt: skip


@CLASSIFIERS.register("mlp")
def mlp(in_channels: int, image_size: int, num_classes: int) -> nn.Module:
    """One hidden layer of 128: the model of the reference compression experiments."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(in_channels * image_size * image_size, 128), nn.ReLU(), nn.Linear(128, num_classes)
    )


CLASSIFIER_RECIPE = OptimizerSettings(name="sgd", lr=0.05, momentum=0.9, weight_decay=1e-4)


@dataclass
class ClassificationConfig(TrainConfig):
    dataset: str = "digits"  # "digits", "mnist" or "cifar10"
    model: str = "small_cnn"  # "small_cnn" or "mlp"
    data_root: str | None = None  # torchvision root for mnist / cifar10
    item_ids: Sequence[int] | None = None  # this robot's indices into the train split; None: all


class ClassificationTask(TorchTask):
    def __init__(self, config: ClassificationConfig) -> None:
        build = CLASSIFIERS.get(config.model)
        self.config = config
        self.train_set = load_split(config.dataset, config.data_root, train=True)
        self._test_set: ImageSet | None = None
        ids = range(len(self.train_set.labels)) if config.item_ids is None else config.item_ids
        self.item_ids = torch.as_tensor(list(ids), dtype=torch.int64)
        _, channels, size, _ = self.train_set.images.shape
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = build(channels, size, NUM_CLASSES)
        settings = resolve_optimizer(CLASSIFIER_RECIPE, config)
        super().__init__(model, len(self.item_ids), config.batch_size, config.seed, settings)

    def batch_loss(self, indices: Sequence[int]) -> Tensor:
        items = self.item_ids[torch.as_tensor(indices, dtype=torch.int64)]
        logits = self.model(self.train_set.normalised(items))
        return nn.functional.cross_entropy(logits, self.train_set.labels[items])

    @torch.no_grad()
    def evaluate(self, on: str | Sequence[int] | None = None) -> dict[str, Any]:
        """``accuracy`` and mean ``loss`` on "test" (default), "train", or train-split indices."""
        if on is None or on == "test":
            data, items = self._test(), torch.arange(len(self._test().labels))
        elif on == "train":
            data, items = self.train_set, torch.arange(len(self.train_set.labels))
        elif isinstance(on, str):
            raise ValueError(f"unknown split {on!r}; expected 'train' or 'test'")
        else:
            data, items = self.train_set, torch.as_tensor(list(on), dtype=torch.int64)
        self.model.eval()
        logits = torch.cat([self.model(data.normalised(chunk)) for chunk in items.split(1024)])
        labels = data.labels[items]
        return {
            "accuracy": float((logits.argmax(dim=1) == labels).float().mean()),
            "loss": float(nn.functional.cross_entropy(logits, labels)),
            "num_items": len(items),
        }

    def _test(self) -> ImageSet:
        if self._test_set is None:
            self._test_set = load_split(self.config.dataset, self.config.data_root, train=False)
        return self._test_set
