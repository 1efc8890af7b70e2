"""Reading a PASCAL VOC ``VOCdevkit`` tree (VOC2007–VOC2012) for detection.

XML parsing is torchvision's (``VOCDetection.parse_voc_xml``) and the folder layout is
torchvision's ``DATASET_YEAR_DICT``, so anything ``VOCDetection`` reads, this reads. What
is added: lookup by image id (robots hold arbitrary subsets of a split), tensors in the
form torchvision detectors take (label 0 = background), VOC's ``difficult`` flag kept
per box, boxes clipped to the image with degenerate ones dropped and counted, and errors
that name the bad file.
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import Tensor
from torchvision import tv_tensors
from torchvision.datasets import VOCDetection
from torchvision.datasets.voc import DATASET_YEAR_DICT
from torchvision.transforms.v2 import functional as F

log = logging.getLogger(__name__)

VOC_CLASSES: tuple[str, ...] = (
    "__background__",
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)  # fmt: skip
LABEL_OF: dict[str, int] = {name: label for label, name in enumerate(VOC_CLASSES)}
NUM_VOC_CLASSES = len(VOC_CLASSES)  # 21, background included


def voc_root_dir(root: str | os.PathLike, year: str) -> Path:
    """``root/VOCdevkit/VOC<year>``: where ``VOCDetection(root, year)`` looks."""
    if year not in DATASET_YEAR_DICT:
        raise ValueError(f"unknown VOC year {year!r}; expected one of 2007..2012")
    return Path(root) / DATASET_YEAR_DICT[year]["base_dir"]


def read_split(root: str | os.PathLike, year: str, split: str) -> list[str]:
    """Image ids listed in ``ImageSets/Main/<split>.txt``."""
    path = voc_root_dir(root, year) / "ImageSets" / "Main" / f"{split}.txt"
    try:
        return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        raise FileNotFoundError(f"VOC split list not found: {path}") from None


@dataclass(frozen=True)
class VOCAnnotation:
    """One image's annotation; boxes are 0-based continuous xyxy (VOC's xmin - 1, ..., xmax)."""

    image_id: str
    width: int
    height: int
    boxes: Tensor  # (N, 4) float32, not yet clipped
    labels: Tensor  # (N,) int64, 1..20
    difficult: Tensor  # (N,) bool
    scene: int | None  # the synthetic generator's <scene> tag, if any


def parse_annotation(path: Path) -> VOCAnnotation:
    """Parse one VOC XML file; any problem raises an error naming the file."""
    try:
        tree = VOCDetection.parse_voc_xml(ET.parse(path).getroot())["annotation"]
    except FileNotFoundError:
        raise FileNotFoundError(f"VOC annotation missing: {path}") from None
    except (ET.ParseError, KeyError) as err:
        raise ValueError(f"corrupt VOC annotation {path}: {err}") from err
    try:
        objects = tree.get("object", [])
        boxes = [[float(o["bndbox"][k]) for k in ("xmin", "ymin", "xmax", "ymax")] for o in objects]
        labels = [LABEL_OF[o["name"].strip()] for o in objects]
        difficult = [int(o.get("difficult", 0)) == 1 for o in objects]
        width, height = int(tree["size"]["width"]), int(tree["size"]["height"])
        scene = int(tree["scene"]) if "scene" in tree else None
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"corrupt VOC annotation {path}: bad or missing field {err}") from err
    box_tensor = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    box_tensor[:, :2] -= 1.0  # VOC pixels are 1-based and inclusive
    return VOCAnnotation(
        image_id=path.stem,
        width=width,
        height=height,
        boxes=box_tensor,
        labels=torch.tensor(labels, dtype=torch.int64),
        difficult=torch.tensor(difficult, dtype=torch.bool),
        scene=scene,
    )


def clip_and_filter_boxes(boxes: Tensor, height: int, width: int, min_size: float = 1.0) -> tuple[Tensor, Tensor]:
    """Clip boxes to the image; return them and a mask of those still at least ``min_size`` wide and high."""
    clipped = boxes.clone()
    clipped[:, 0::2] = clipped[:, 0::2].clamp(0, width)
    clipped[:, 1::2] = clipped[:, 1::2].clamp(0, height)
    keep = ((clipped[:, 2] - clipped[:, 0]) >= min_size) & ((clipped[:, 3] - clipped[:, 1]) >= min_size)
    return clipped, keep


def load_image(path: Path) -> tv_tensors.Image:
    """Decode an RGB image fully (so truncated files fail here, naming the file)."""
    try:
        with Image.open(path) as img:
            return tv_tensors.Image(F.pil_to_tensor(img.convert("RGB")))
    except FileNotFoundError:
        raise FileNotFoundError(f"VOC image missing: {path}") from None
    except OSError as err:  # PIL's UnidentifiedImageError and "image file is truncated"
        raise ValueError(f"corrupt VOC image {path}: {err}") from err


def read_annotations(root: str | os.PathLike, year: str, image_ids: Sequence[str]) -> list[VOCAnnotation]:
    """Annotations only (no image decoding): for partitioning and class statistics."""
    annotations = voc_root_dir(root, year) / "Annotations"
    return [parse_annotation(annotations / f"{image_id}.xml") for image_id in image_ids]


Sample = tuple[tv_tensors.Image, dict[str, Any]]


class VOCDetectionDataset(torch.utils.data.Dataset):
    """VOC images by id as ``(image, target)``; target has ``boxes`` (BoundingBoxes, xyxy),
    ``labels``, ``difficult`` and ``image_id``; an image without objects gets ``(0, 4)`` boxes."""

    def __init__(
        self,
        root: str | os.PathLike,
        year: str = "2007",
        image_ids: Sequence[str] | None = None,
        split: str = "train",
        transforms: Callable[[Any, Any], Sample] | None = None,
    ) -> None:
        self.voc_dir = voc_root_dir(root, year)
        if not self.voc_dir.is_dir():
            raise FileNotFoundError(f"VOC tree not found: {self.voc_dir}")
        self.image_ids = list(image_ids) if image_ids is not None else read_split(root, year, split)
        missing = [path for image_id in self.image_ids for path in self._files(image_id) if not path.is_file()]
        if missing:  # now, naming the file, rather than when a training step first draws that image
            raise FileNotFoundError(f"{len(missing)} file(s) of the listed images do not exist, e.g. {missing[0]}")
        self.transforms = transforms
        self.rejected_boxes = 0

    def __len__(self) -> int:
        return len(self.image_ids)

    def _files(self, image_id: str) -> tuple[Path, Path]:
        """An image's annotation and its JPEG."""
        return self.voc_dir / "Annotations" / f"{image_id}.xml", self.voc_dir / "JPEGImages" / f"{image_id}.jpg"

    def __getitem__(self, index: int) -> Sample:
        image_id = self.image_ids[index]
        xml_path, jpeg_path = self._files(image_id)
        annotation = parse_annotation(xml_path)
        image = load_image(jpeg_path)
        height, width = image.shape[-2:]
        boxes, keep = clip_and_filter_boxes(annotation.boxes, height, width)
        rejected = int((~keep).sum())
        if rejected:
            self.rejected_boxes += rejected
            log.warning("%s: dropped %d degenerate box(es) after clipping to %dx%d", xml_path, rejected, width, height)
        target = {
            "boxes": tv_tensors.BoundingBoxes(boxes[keep], format="XYXY", canvas_size=(height, width)),
            "labels": annotation.labels[keep],
            "difficult": annotation.difficult[keep],
            "image_id": image_id,
        }
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target


def collate_detection(batch: Sequence[Sample]) -> tuple[list[Tensor], list[dict[str, Any]]]:
    """Detection models take lists of images and targets (sizes may differ)."""
    images, targets = zip(*batch, strict=True)
    return list(images), list(targets)
