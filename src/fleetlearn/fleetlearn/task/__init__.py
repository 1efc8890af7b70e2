"""Learning tasks the fleet trains: VOC detection (main) and small classification sets.

Each is built from its typed config: ``DetectionTask(DetectionConfig(model="fcos_tiny",
image_ids=[...], seed=3))``; no data root means the built-in synthetic VOC set.
"""

from __future__ import annotations

from .base import Task, TorchTask, TrainConfig
from .classification import ClassificationConfig, ClassificationTask, load_split
from .detection import DetectionConfig, DetectionTask, default_data_root
from .evaluate import coco_map, evaluate_detections, voc07_ap, voc07_class_ap
from .models import MODELS, build_detection_model
from .optim import OptimizerSettings
from .partition import (
    class_count_table,
    class_counts,
    partition_by_scene,
    partition_dirichlet,
    partition_iid,
    partition_voc,
)
from .synthetic import SYNTHETIC_CLASSES, ensure_synthetic_voc
from .voc import VOC_CLASSES, VOCDetectionDataset, read_annotations, read_split

__all__ = [
    "MODELS",
    "SYNTHETIC_CLASSES",
    "VOC_CLASSES",
    "ClassificationConfig",
    "ClassificationTask",
    "DetectionConfig",
    "DetectionTask",
    "OptimizerSettings",
    "Task",
    "TorchTask",
    "TrainConfig",
    "VOCDetectionDataset",
    "build_detection_model",
    "class_count_table",
    "class_counts",
    "coco_map",
    "default_data_root",
    "ensure_synthetic_voc",
    "evaluate_detections",
    "load_split",
    "partition_by_scene",
    "partition_dirichlet",
    "partition_iid",
    "partition_voc",
    "read_annotations",
    "read_split",
    "voc07_ap",
    "voc07_class_ap",
]
