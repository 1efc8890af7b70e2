"""Metrics on cases with a known answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fleetlearn.task.evaluate import coco_map, evaluate_detections, voc07_ap, voc07_class_ap
from fleetlearn.task.presets import DetectionPresetEval
from fleetlearn.task.voc import VOC_CLASSES, VOCDetectionDataset


def target(boxes: list[list[float]], labels: list[int], difficult: list[bool] | None = None) -> dict:
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor(labels, dtype=torch.int64),
        "difficult": torch.tensor(difficult or [False] * len(labels), dtype=torch.bool),
    }


def prediction(boxes: list[list[float]], scores: list[float], labels: list[int]) -> dict:
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "scores": torch.tensor(scores, dtype=torch.float32),
        "labels": torch.tensor(labels, dtype=torch.int64),
    }


def test_ground_truth_as_predictions_scores_one(voc_root: Path) -> None:
    dataset = VOCDetectionDataset(voc_root, "2007", split="val", transforms=DetectionPresetEval(128))
    targets = [dataset[i][1] for i in range(len(dataset))]
    assert any(t["difficult"].any() for t in targets) and any(len(t["labels"]) == 0 for t in targets)
    predictions = [prediction(t["boxes"].tolist(), [1.0] * len(t["labels"]), t["labels"].tolist()) for t in targets]
    result = evaluate_detections(predictions, targets, VOC_CLASSES)
    assert result["mAP"] == pytest.approx(1.0)
    assert result["mAP50"] == pytest.approx(1.0)
    assert result["voc07_mAP50"] == pytest.approx(1.0)
    assert set(result["AP50_per_class"].values()) == {1.0}


def test_voc07_ap_by_hand() -> None:
    """Three objects to find (A, B, D) and a difficult one (C), five detections:

    0.9 on A: TP | 0.8 on C: ignored | 0.7 on nothing: FP | 0.6 on A again: FP | 0.5 on D: TP
    recall 1/3, 1/3, 1/3, 2/3 at precision 1, 1/2, 1/3, 1/2. The 11 recall points give
    1 (r = 0 .. 0.3, 4 points), 1/2 (r = 0.4 .. 0.6, 3 points), 0 (r = 0.7 .. 1, 4 points):
    AP = (4 + 1.5) / 11 = 0.5.
    """
    a, b, c, d = [0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50], [0, 0, 10, 10]
    targets = [target([a, b, c], [1, 1, 1], [False, False, True]), target([d], [1])]
    predictions = [
        prediction([a, c, [1, 1, 10, 10]], [0.9, 0.8, 0.6], [1, 1, 1]),
        prediction([[50, 50, 60, 60], d], [0.7, 0.5], [1, 1]),
    ]
    assert voc07_class_ap(predictions, targets, label=1) == pytest.approx(0.5)
    assert evaluate_detections(predictions, targets, VOC_CLASSES)["AP50_per_class"] == {"aeroplane": pytest.approx(0.5)}


def test_voc07_ap_of_a_known_curve() -> None:
    recall, precision = np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3])
    assert voc07_ap(recall, precision) == pytest.approx((6 * 1.0 + 5 * 2 / 3) / 11)


def test_coco_map_by_hand_half_recall() -> None:
    """Two objects, one found exactly, no false positive: precision 1 up to recall 0.5,
    i.e. 51 of pycocotools' 101 recall points."""
    targets = [target([[0, 0, 10, 10], [20, 20, 40, 40]], [3, 3])]
    predictions = [prediction([[20, 20, 40, 40]], [0.8], [3])]
    result = coco_map(predictions, targets)
    assert result["mAP50"] == pytest.approx(51 / 101)
    assert result["mAP"] == pytest.approx(51 / 101)


def test_a_detection_inside_a_large_difficult_box_is_a_false_positive_as_in_voc() -> None:
    """VOC ignores a detection only if it overlaps a difficult object at IoU ≥ 0.5; this one is at 0.01.
    Ranked first, it halves the precision of the one true detection in both metrics."""
    targets = [target([[0, 0, 10, 10], [20, 20, 120, 120]], [3, 3], [False, True])]
    predictions = [prediction([[0, 0, 10, 10], [30, 30, 40, 40], [21, 21, 119, 119]], [0.9, 0.95, 0.99], [3, 3, 3])]
    result = evaluate_detections(predictions, targets, VOC_CLASSES)
    assert result["voc07_mAP50"] == pytest.approx(0.5)
    assert result["mAP50"] == pytest.approx(0.5)  # the 0.99 detection on the difficult box is ignored


def test_wrong_class_and_no_predictions_score_zero() -> None:
    targets = [target([[0, 0, 10, 10]], [3])]
    wrong_class = [prediction([[0, 0, 10, 10]], [0.9], [4])]
    nothing = [prediction([], [], [])]
    for predictions in (wrong_class, nothing):
        result = evaluate_detections(predictions, targets, VOC_CLASSES)
        assert result["mAP"] == 0.0 and result["mAP50"] == 0.0 and result["voc07_mAP50"] == 0.0


def test_mislocalised_box_counts_at_half_iou_but_not_at_strict_iou() -> None:
    targets = [target([[0, 0, 10, 10]], [1])]
    predictions = [prediction([[0, 0, 10, 7.2]], [0.9], [1])]  # IoU 0.72
    result = coco_map(predictions, targets)
    assert result["mAP50"] == pytest.approx(1.0)
    assert result["mAP"] == pytest.approx(5 / 10)  # matched at IoU .50 .. .70: 5 of the 10 thresholds
