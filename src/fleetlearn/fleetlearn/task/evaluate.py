"""Detection metrics: COCO-style mAP through pycocotools and VOC07 11-point AP.

Inputs are aligned lists, one dict per image: predictions with ``boxes`` (xyxy),
``scores``, ``labels``; targets with ``boxes``, ``labels`` and optional ``difficult``.
Difficult objects are ignored as VOC does: they do not count as objects to find, and a
detection that lands on one (IoU ≥ the threshold) is neither right nor wrong. For pycocotools
they become ``iscrowd`` boxes, its mechanism for ignoring, matched by ordinary IoU as in VOC.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence

import numpy as np
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torch import Tensor
from torchvision.ops import box_iou

Detections = Sequence[dict[str, Tensor]]


def _difficult(target: dict[str, Tensor]) -> Tensor:
    difficult = target.get("difficult")
    if difficult is None:
        return torch.zeros(len(target["labels"]), dtype=torch.bool)
    return difficult.bool()


def coco_map(predictions: Detections, targets: Detections) -> dict[str, float]:
    """``mAP`` (@[.5:.95]) and ``mAP50`` from pycocotools (101-point, 100 detections per image).

    Means are over labels with at least one non-difficult object; NaN if there are none.
    """
    gt = COCO()
    gt.dataset = _coco_ground_truth(targets)
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        gt.createIndex()
        detections = _coco_detections(predictions)
        if not detections:  # loadRes cannot take an empty list
            found_nothing = 0.0 if any(a["iscrowd"] == 0 for a in gt.dataset["annotations"]) else float("nan")
            return {"mAP": found_nothing, "mAP50": found_nothing}
        evaluator = _VocDifficultEval(gt, gt.loadRes(detections), iouType="bbox")
        evaluator.evaluate()
        evaluator.accumulate()
    precision = evaluator.eval["precision"][:, :, :, 0, -1]  # [IoU, recall, class] at area=all, maxDets=100
    return {"mAP": _mean_valid(precision), "mAP50": _mean_valid(precision[0])}


class _VocDifficultEval(COCOeval):
    """COCOeval that matches ignored (difficult) boxes by ordinary IoU.

    pycocotools measures overlap with a crowd box as intersection over the detection's area,
    so any detection inside a large difficult box would vanish; VOC ignores only detections
    with IoU ≥ the threshold, and counts the others as false positives.
    """

    def computeIoU(self, imgId: int, catId: int) -> np.ndarray | list:  # pycocotools' own names
        crowd = [g for g in self._gts[imgId, catId] if g["iscrowd"]]
        for g in crowd:
            g["iscrowd"] = 0
        try:
            return super().computeIoU(imgId, catId)
        finally:  # matching still treats them as ignored, repeat matches included, as VOC does
            for g in crowd:
                g["iscrowd"] = 1


def _mean_valid(values: np.ndarray) -> float:
    valid = values[values > -1]
    return float(valid.mean()) if valid.size else float("nan")


def _coco_ground_truth(targets: Detections) -> dict:
    annotations, labels = [], set()
    for image_index, target in enumerate(targets):
        for box, label, difficult in zip(
            target["boxes"].tolist(), target["labels"].tolist(), _difficult(target).tolist(), strict=True
        ):
            x0, y0, x1, y1 = box
            annotations.append(
                {
                    "id": len(annotations) + 1,  # pycocotools treats id 0 as "unmatched"
                    "image_id": image_index,
                    "category_id": int(label),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "area": (x1 - x0) * (y1 - y0),
                    "iscrowd": int(difficult),
                }
            )
            labels.add(int(label))
    return {
        "images": [{"id": i} for i in range(len(targets))],
        "annotations": annotations,
        "categories": [{"id": label} for label in sorted(labels)],
    }


def _coco_detections(predictions: Detections) -> list[dict]:
    detections = []
    for image_index, prediction in enumerate(predictions):
        for box, score, label in zip(
            prediction["boxes"].tolist(), prediction["scores"].tolist(), prediction["labels"].tolist(), strict=True
        ):
            x0, y0, x1, y1 = box
            detections.append(
                {
                    "image_id": image_index,
                    "category_id": int(label),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": float(score),
                }
            )
    return detections


def voc07_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2007 11-point AP: mean over r in {0, .1, ..., 1} of the best precision at recall ≥ r."""
    points = []
    for threshold in np.linspace(0.0, 1.0, 11):
        reached = recall >= threshold - 1e-12
        points.append(float(precision[reached].max()) if reached.any() else 0.0)
    return float(np.mean(points))


def voc07_class_ap(predictions: Detections, targets: Detections, label: int, iou_threshold: float = 0.5) -> float:
    """VOC07 AP of one class; NaN if the class has no non-difficult object.

    Detections in descending score order: a detection is a true positive if its best
    overlapping object of the class (IoU > threshold) is not yet taken, a false positive
    if taken or none overlaps enough, and ignored if that object is difficult.
    Boxes are continuous coordinates, so IoU has no VOC "+1" pixel term.
    """
    gt_boxes, gt_difficult, taken = [], [], []
    num_objects = 0
    for target in targets:
        mask = target["labels"] == label
        gt_boxes.append(target["boxes"][mask].float())
        gt_difficult.append(_difficult(target)[mask])
        taken.append(torch.zeros(int(mask.sum()), dtype=torch.bool))
        num_objects += int((~gt_difficult[-1]).sum())
    if num_objects == 0:
        return float("nan")

    scored = []  # (score, image index, box)
    for image_index, prediction in enumerate(predictions):
        mask = prediction["labels"] == label
        for score, box in zip(prediction["scores"][mask].tolist(), prediction["boxes"][mask], strict=True):
            scored.append((score, image_index, box))
    scored.sort(key=lambda item: -item[0])  # stable: ties keep input order

    true_positive = np.zeros(len(scored))
    false_positive = np.zeros(len(scored))
    for rank, (_, image_index, box) in enumerate(scored):
        boxes = gt_boxes[image_index]
        if len(boxes) == 0:
            false_positive[rank] = 1
            continue
        overlaps = box_iou(box[None].float(), boxes)[0]
        best_iou, best = overlaps.max(dim=0)
        if best_iou <= iou_threshold:
            false_positive[rank] = 1
        elif gt_difficult[image_index][best]:
            continue
        elif not taken[image_index][best]:
            taken[image_index][best] = True
            true_positive[rank] = 1
        else:
            false_positive[rank] = 1
    tp, fp = np.cumsum(true_positive), np.cumsum(false_positive)
    recall = tp / num_objects
    precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return voc07_ap(recall, precision)


def evaluate_detections(
    predictions: Detections, targets: Detections, class_names: Sequence[str]
) -> dict[str, float | dict[str, float]]:
    """All metrics at once: COCO ``mAP`` and ``mAP50``, ``voc07_mAP50`` and ``AP50_per_class`` (VOC07).

    ``class_names[label]`` names label ``label``; classes without objects are left out.
    """
    result: dict[str, float | dict[str, float]] = dict(coco_map(predictions, targets))
    per_class = {}
    for label in sorted({int(x) for t in targets for x in t["labels"].tolist()}):
        ap = voc07_class_ap(predictions, targets, label)
        if not np.isnan(ap):
            per_class[class_names[label]] = ap
    result["voc07_mAP50"] = float(np.mean(list(per_class.values()))) if per_class else float("nan")
    result["AP50_per_class"] = per_class
    return result
