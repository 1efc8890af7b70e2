"""Detection models by name, built from torchvision without any download.

The GPU-scale models are torchvision's builders with ``weights=None,
weights_backbone=None``. ``fcos_tiny`` is the CPU demo model: torchvision's ``FCOS``
class on a small conv backbone with a 3-level FPN (≈0.9 M parameters), fast enough to
train from scratch on two cores in minutes. Each model also carries a default training
recipe, so a config that only names the model trains sensibly.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torchvision.models import detection
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.fcos import FCOS, FCOSHead
from torchvision.ops import FeaturePyramidNetwork, FrozenBatchNorm2d

from ..registry import Registry
from .optim import OptimizerSettings
from .voc import NUM_VOC_CLASSES


@dataclass(frozen=True)
class ModelSpec:
    builder: Callable[[int, int], nn.Module]  # (num_classes, image_size) -> model
    recipe: OptimizerSettings = field(default_factory=OptimizerSettings)


class TinyBackbone(nn.Module):
    """Five stride-2 conv-GroupNorm-ReLU stages; FPN on the last three (strides 8, 16, 32)."""

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 96, 128), fpn_channels: int = 64) -> None:
        super().__init__()
        stages, in_ch = [], 3
        for i, out_ch in enumerate(widths):
            layers = [_conv_bn_relu(in_ch, out_ch, stride=2)]
            if i > 0:  # the stem is a single conv
                layers.append(_conv_bn_relu(out_ch, out_ch, stride=1))
            stages.append(nn.Sequential(*layers))
            in_ch = out_ch
        self.stages = nn.ModuleList(stages)
        self.fpn = FeaturePyramidNetwork(list(widths[-3:]), fpn_channels)
        self.out_channels = fpn_channels

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        features = OrderedDict()
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i >= len(self.stages) - 3:
                features[f"p{i + 1}"] = x
        return self.fpn(features)


def _conv_bn_relu(in_ch: int, out_ch: int, stride: int) -> nn.Sequential:
    """Conv, GroupNorm, ReLU. GroupNorm, not BatchNorm: it keeps no running statistics, so
    every node of a fleet, the coordinator included, holds the whole model in its parameters
    (BatchNorm buffers would differ per robot and stay untrained on the coordinator)."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
        nn.GroupNorm(8, out_ch),
        nn.ReLU(inplace=True),
    )


def fcos_tiny(num_classes: int = NUM_VOC_CLASSES, image_size: int = 128) -> FCOS:
    """torchvision FCOS on ``TinyBackbone``: 64-channel FPN at strides 8/16/32, FCOS's 4-conv head (0.91 M).

    Anchor sizes equal the strides, as in torchvision's FCOS: level l takes the objects
    whose largest box-edge distance is in [4·s_l, 8·s_l], so at 128 px nearly all
    objects train the stride-8 level, with the usual 3×3 positive points per object.
    """
    backbone = TinyBackbone()
    anchor_generator = AnchorGenerator(sizes=((8,), (16,), (32,)), aspect_ratios=((1.0,),) * 3)
    head = FCOSHead(backbone.out_channels, num_anchors=1, num_classes=num_classes, num_convs=4)
    return FCOS(
        backbone,
        num_classes,
        min_size=image_size,
        max_size=image_size,
        anchor_generator=anchor_generator,
        head=head,
        score_thresh=0.05,
        detections_per_img=100,
        topk_candidates=200,
    )


def _torchvision(name: str, resizes: bool = True) -> Callable[[int, int], nn.Module]:
    """A torchvision builder, untrained; FPN models resize inputs to ``image_size``."""

    def build(num_classes: int, image_size: int) -> nn.Module:
        kwargs: dict[str, Any] = {"weights": None, "weights_backbone": None, "num_classes": num_classes}
        if resizes:
            kwargs.update(min_size=image_size, max_size=image_size)
        return getattr(detection, name)(**kwargs)

    return build


_GPU_SGD = OptimizerSettings(lr=0.01, warmup_steps=100)

MODELS: Registry[ModelSpec] = Registry("detection model")
for _name, _spec in {
    # reference model: fixed 320x320 input, as torchvision builds it
    "ssdlite320_mobilenet_v3_large": ModelSpec(
        _torchvision("ssdlite320_mobilenet_v3_large", resizes=False),
        OptimizerSettings(lr=0.05, weight_decay=4e-5, warmup_steps=100),
    ),
    "fasterrcnn_mobilenet_v3_large_320_fpn": ModelSpec(_torchvision("fasterrcnn_mobilenet_v3_large_320_fpn"), _GPU_SGD),
    "retinanet_resnet50_fpn": ModelSpec(_torchvision("retinanet_resnet50_fpn"), _GPU_SGD),
    "fcos_resnet50_fpn": ModelSpec(_torchvision("fcos_resnet50_fpn"), _GPU_SGD),
    # CPU demo model; AdamW beat SGD clearly at a minutes-long budget
    "fcos_tiny": ModelSpec(fcos_tiny, OptimizerSettings(name="adamw", lr=2e-3, weight_decay=0.05, warmup_steps=20)),
}.items():
    MODELS.add(_name, _spec)


def build_detection_model(
    name: str,
    num_classes: int = NUM_VOC_CLASSES,
    image_size: int = 128,
    weights_path: str | os.PathLike | None = None,
) -> nn.Module:
    """Build a model by name; optionally load a local ``state_dict`` file (never a download).

    BatchNorm cannot serve a fleet: its running statistics are buffers, not parameters, so
    they never travel, differ per robot and stay untrained on the coordinator that evaluates.
    Trained from scratch, BatchNorm becomes GroupNorm; from weights that carry statistics (a
    torchvision checkpoint saved to a local file), FrozenBatchNorm2d keeps them, identical on
    every node, as torchvision does when it fine-tunes.
    """
    state = read_weights(weights_path) if weights_path is not None else None
    statistics = state is not None and any(key.endswith("running_mean") for key in state)
    model = replace_batchnorm(MODELS.get(name).builder(num_classes, image_size), frozen=statistics)
    if state is not None:
        try:
            model.load_state_dict(state)
        except (RuntimeError, TypeError, AttributeError) as err:
            raise ValueError(f"weights file {weights_path} does not fit {type(model).__name__}: {err}") from err
    return model


def read_weights(weights_path: str | os.PathLike) -> dict[str, Tensor]:
    """A saved ``state_dict`` (or a checkpoint dict with a ``model`` entry) from a local file."""
    path = Path(weights_path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"cannot read weights file {path}: {err}") from err
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    if not isinstance(state, dict):
        raise ValueError(f"weights file {path} holds a {type(state).__name__}, not a state_dict")
    return state


def replace_batchnorm(module: nn.Module, frozen: bool) -> nn.Module:
    """Every BatchNorm2d in ``module`` as GroupNorm (``frozen`` False) or FrozenBatchNorm2d, in place."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            channels = child.num_features
            setattr(module, name, FrozenBatchNorm2d(channels, eps=child.eps) if frozen
                    else nn.GroupNorm(math.gcd(32, channels), channels, eps=child.eps))
        else:
            replace_batchnorm(child, frozen)
    return module


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
