"""Reading VOC files: targets, empty images, clipping, and errors that name the file."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import tv_tensors

from fleetlearn.task.presets import DetectionPresetEval, DetectionPresetTrain
from fleetlearn.task.voc import LABEL_OF, VOCDetectionDataset, collate_detection, voc_root_dir


def write_single_image_tree(root: Path, objects: str, width: int = 64, height: int = 48) -> Path:
    """A one-image VOC2007 tree (id 000001) with the given <object> XML."""
    voc = voc_root_dir(root, "2007")
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (voc / sub).mkdir(parents=True, exist_ok=True)
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = 255  # left half white, so flips are visible
    Image.fromarray(pixels).save(voc / "JPEGImages" / "000001.jpg", quality=95)
    (voc / "Annotations" / "000001.xml").write_text(
        f"<annotation><filename>000001.jpg</filename>"
        f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>{objects}</annotation>"
    )
    (voc / "ImageSets" / "Main" / "train.txt").write_text("000001\n")
    return voc


def voc_object(name: str, xmin: float, ymin: float, xmax: float, ymax: float, difficult: int = 0) -> str:
    return (
        f"<object><name>{name}</name><difficult>{difficult}</difficult><bndbox><xmin>{xmin}</xmin>"
        f"<ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>"
    )


def test_targets_have_boxes_labels_and_difficult(tmp_path: Path) -> None:
    write_single_image_tree(tmp_path, voc_object("dog", 1, 1, 16, 32) + voc_object("person", 11, 21, 30, 40, 1))
    image, target = VOCDetectionDataset(tmp_path, "2007", split="train")[0]
    assert isinstance(image, tv_tensors.Image) and image.shape == (3, 48, 64) and image.dtype == torch.uint8
    assert isinstance(target["boxes"], tv_tensors.BoundingBoxes)
    assert target["boxes"].tolist() == [[0, 0, 16, 32], [10, 20, 30, 40]]  # VOC 1-based -> 0-based
    assert target["labels"].tolist() == [LABEL_OF["dog"], LABEL_OF["person"]]
    assert target["difficult"].tolist() == [False, True]
    assert target["image_id"] == "000001"


def test_image_without_objects_gives_empty_boxes(tmp_path: Path) -> None:
    write_single_image_tree(tmp_path, "")
    dataset = VOCDetectionDataset(tmp_path, "2007", image_ids=["000001"], transforms=DetectionPresetTrain(32))
    images, targets = collate_detection([dataset[0]])
    assert images[0].shape == (3, 32, 32) and images[0].dtype == torch.float32
    assert targets[0]["boxes"].shape == (0, 4)
    assert targets[0]["labels"].shape == (0,) and targets[0]["difficult"].shape == (0,)


def test_boxes_outside_the_image_are_clipped_and_degenerate_ones_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    objects = (
        voc_object("car", -9, 11, 200, 30)  # sticks out left and right: clipped
        + voc_object("car", 80, 10, 90, 20)  # entirely right of a 64-wide image: nothing left
        + voc_object("cat", 20, 10, 10, 20)  # xmax < xmin
    )
    write_single_image_tree(tmp_path, objects)
    dataset = VOCDetectionDataset(tmp_path, "2007", split="train")
    with caplog.at_level(logging.WARNING):
        _, target = dataset[0]
    assert target["boxes"].tolist() == [[0, 10, 64, 30]]
    assert target["labels"].tolist() == [LABEL_OF["car"]]
    assert dataset.rejected_boxes == 2
    assert "dropped 2" in caplog.text and "000001.xml" in caplog.text


@pytest.mark.parametrize(
    ("damage", "error", "file_name"),
    [
        (lambda voc: (voc / "Annotations" / "000001.xml").write_text("<annotation><size>"), ValueError, "000001.xml"),
        (lambda voc: (voc / "Annotations" / "000001.xml").unlink(), FileNotFoundError, "000001.xml"),
        (lambda voc: (voc / "JPEGImages" / "000001.jpg").unlink(), FileNotFoundError, "000001.jpg"),
        (lambda voc: (voc / "JPEGImages" / "000001.jpg").write_bytes(b"not a jpeg"), ValueError, "000001.jpg"),
        (
            lambda voc: (voc / "JPEGImages" / "000001.jpg").write_bytes(
                (voc / "JPEGImages" / "000001.jpg").read_bytes()[:300]
            ),
            ValueError,
            "000001.jpg",
        ),
        (
            lambda voc: (voc / "Annotations" / "000001.xml").write_text(
                "<annotation><size><width>64</width><height>48</height></size>"
                + voc_object("unicorn", 1, 1, 5, 5)
                + "</annotation>"
            ),
            ValueError,
            "000001.xml",
        ),
    ],
    ids=["corrupt-xml", "missing-xml", "missing-image", "garbage-image", "truncated-image", "unknown-class"],
)
def test_bad_files_raise_errors_naming_the_file(tmp_path: Path, damage, error: type, file_name: str) -> None:
    voc = write_single_image_tree(tmp_path, voc_object("dog", 1, 1, 16, 32))
    damage(voc)
    with pytest.raises(error, match=re.escape(file_name)):
        VOCDetectionDataset(tmp_path, "2007", split="train")[0]


def test_a_listed_image_without_its_files_is_named_when_the_dataset_is_made(tmp_path: Path) -> None:
    voc = write_single_image_tree(tmp_path, voc_object("dog", 1, 1, 16, 32))
    (voc / "ImageSets" / "Main" / "train.txt").write_text("000001\n000002\n")
    with pytest.raises(FileNotFoundError, match=r"2 file\(s\) .* e\.g\. .*000002\.xml"):
        VOCDetectionDataset(tmp_path, "2007", split="train")


def test_missing_tree_and_split_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="VOC2012"):
        VOCDetectionDataset(tmp_path, "2012")
    voc_root_dir(tmp_path, "2007").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"val\.txt"):
        VOCDetectionDataset(tmp_path, "2007", split="val")


def test_train_preset_flips_boxes_with_the_image(tmp_path: Path) -> None:
    write_single_image_tree(tmp_path, voc_object("dog", 1, 1, 16, 32), width=64, height=64)
    image, target = VOCDetectionDataset(tmp_path, "2007", split="train")[0]
    flipped, flipped_target = DetectionPresetTrain(64, hflip_prob=1.0)(image, target)
    assert flipped_target["boxes"].tolist() == [[48, 0, 64, 32]]
    assert flipped[:, :, :8].mean() < 0.1 < 0.9 < flipped[:, :, -8:].mean()  # white half moved right


def test_eval_preset_resizes_boxes_with_the_image(tmp_path: Path) -> None:
    write_single_image_tree(tmp_path, voc_object("dog", 9, 9, 24, 40), width=64, height=64)
    image, target = DetectionPresetEval(32)(*VOCDetectionDataset(tmp_path, "2007", split="train")[0])
    assert image.shape == (3, 32, 32) and float(image.min()) >= 0.0 and float(image.max()) <= 1.0
    assert target["boxes"].tolist() == [[4, 4, 12, 20]]


def test_a_tiny_object_is_dropped_for_training_but_still_counted_for_evaluation(tmp_path: Path) -> None:
    """At 1/8 scale a 6-pixel-wide object is under a pixel wide: no regression target, still an object."""
    objects = voc_object("dog", 9, 9, 40, 40) + voc_object("cat", 50, 10, 55, 40)
    write_single_image_tree(tmp_path, objects, width=64, height=64)
    sample = VOCDetectionDataset(tmp_path, "2007", split="train")[0]
    _, train_target = DetectionPresetTrain(8, hflip_prob=0.0)(*sample)
    _, eval_target = DetectionPresetEval(8)(*sample)
    assert len(train_target["labels"]) == 1
    assert len(eval_target["labels"]) == len(eval_target["difficult"]) == len(eval_target["boxes"]) == 2
    tiny = eval_target["boxes"][1]
    assert 0 < float(tiny[2] - tiny[0]) < 1
