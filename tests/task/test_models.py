"""Models by name: built from torchvision, no downloads, local weights or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torchvision.models import detection
from torchvision.ops import FrozenBatchNorm2d

from fleetlearn.task.models import MODELS, build_detection_model, count_parameters


@pytest.mark.parametrize("name", MODELS.names())
def test_every_model_builds_untrained_without_download_and_keeps_no_batch_statistics(name: str) -> None:
    torch.manual_seed(0)
    model = build_detection_model(name, num_classes=21)
    assert count_parameters(model) > 0
    # running statistics would never travel: every node's model must live in its parameters
    assert not [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def test_a_torchvision_checkpoint_keeps_its_batch_statistics_frozen(tmp_path: Path) -> None:
    torch.manual_seed(2)
    source = detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None, num_classes=21,
                                                             min_size=128, max_size=128)
    bn = next(m for m in source.modules() if isinstance(m, nn.BatchNorm2d))
    bn.running_mean.normal_()  # as if trained
    path = tmp_path / "torchvision.pt"
    torch.save(source.state_dict(), path)
    model = build_detection_model("fasterrcnn_mobilenet_v3_large_320_fpn", num_classes=21, weights_path=path)
    frozen = [m for m in model.modules() if isinstance(m, FrozenBatchNorm2d)]
    assert len(frozen) == sum(isinstance(m, nn.BatchNorm2d) for m in source.modules())
    assert torch.equal(frozen[0].running_mean, bn.running_mean)
    torch.save(model.state_dict(), path)  # a fleet's model.pt from such a run loads back as it was
    again = build_detection_model("fasterrcnn_mobilenet_v3_large_320_fpn", num_classes=21, weights_path=path)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values(),
                                                  strict=True))


def test_fcos_tiny_is_small_and_trains_and_detects() -> None:
    torch.manual_seed(0)
    model = build_detection_model("fcos_tiny", num_classes=21, image_size=128)
    assert 0.7e6 < count_parameters(model) < 1.0e6
    images = [torch.rand(3, 128, 128) for _ in range(2)]
    targets = [
        {"boxes": torch.tensor([[10.0, 20.0, 60.0, 70.0]]), "labels": torch.tensor([15])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    model.train()
    losses = model(images, targets)
    assert set(losses) == {"classification", "bbox_regression", "bbox_ctrness"}
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    with torch.no_grad():
        detections = model(images)
    assert len(detections) == 2 and set(detections[0]) == {"boxes", "scores", "labels"}


def test_num_classes_sets_the_head() -> None:
    model = build_detection_model("fcos_tiny", num_classes=7)
    assert model.head.classification_head.num_classes == 7


def test_weights_round_trip_through_a_local_file(tmp_path: Path) -> None:
    torch.manual_seed(1)
    source = build_detection_model("fcos_tiny")
    path = tmp_path / "tiny.pt"
    torch.save(source.state_dict(), path)
    loaded = build_detection_model("fcos_tiny", weights_path=path)
    for (name, a), b in zip(source.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_missing_weights_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing_here\.pt"):
        build_detection_model("fcos_tiny", weights_path=tmp_path / "nothing_here.pt")


def test_incompatible_or_unreadable_weights_are_named(tmp_path: Path) -> None:
    other_head = tmp_path / "seven_classes.pt"
    torch.save(build_detection_model("fcos_tiny", num_classes=7).state_dict(), other_head)
    with pytest.raises(ValueError, match=r"seven_classes\.pt"):
        build_detection_model("fcos_tiny", num_classes=21, weights_path=other_head)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"garbage\.pt"):
        build_detection_model("fcos_tiny", weights_path=garbage)


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="fcos_tiny"):
        build_detection_model("yolo_v99")
