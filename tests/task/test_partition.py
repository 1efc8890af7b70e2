"""Robot partitions: every item exactly once, with the skew each kind promises."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetlearn.task.partition import (
    class_count_table,
    class_counts,
    dominant_label,
    partition_by_scene,
    partition_dirichlet,
    partition_iid,
    partition_voc,
)
from fleetlearn.task.voc import VOC_CLASSES, read_annotations, read_split


def assert_exact_cover(parts: list[list], items: list, num_robots: int) -> None:
    assert len(parts) == num_robots
    flat = [item for part in parts for item in part]
    assert Counter(flat) == Counter(items)


@settings(max_examples=60, deadline=None)
@given(num_items=st.integers(0, 120), num_robots=st.integers(1, 12), seed=st.integers(0, 10**6))
def test_iid_covers_every_item_once_with_balanced_sizes(num_items: int, num_robots: int, seed: int) -> None:
    items = [f"{i:06d}" for i in range(num_items)]
    parts = partition_iid(items, num_robots, seed)
    assert_exact_cover(parts, items, num_robots)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.lists(st.integers(1, 20), max_size=4), max_size=120),
    num_robots=st.integers(1, 10),
    alpha=st.floats(0.05, 100.0),
    seed=st.integers(0, 10**6),
)
def test_dirichlet_covers_every_item_once(labels: list[list[int]], num_robots: int, alpha: float, seed: int) -> None:
    items = list(range(len(labels)))
    parts = partition_dirichlet(items, labels, num_robots, alpha, seed, min_items=0)
    assert_exact_cover(parts, items, num_robots)


@settings(max_examples=60, deadline=None)
@given(scenes=st.lists(st.integers(0, 3), max_size=120), num_robots=st.integers(1, 10), seed=st.integers(0, 10**6))
def test_scene_partition_covers_every_item_once(scenes: list[int], num_robots: int, seed: int) -> None:
    items = [f"img{i}" for i in range(len(scenes))]
    parts = partition_by_scene(items, scenes, num_robots, seed)
    assert_exact_cover(parts, items, num_robots)
    if num_robots <= len(set(scenes)):  # then no scene is shared between robots
        owners = {scenes[int(item[3:])]: robot for robot, part in enumerate(parts) for item in part}
        assert all(owners[scenes[int(item[3:])]] == robot for robot, part in enumerate(parts) for item in part)


def _mean_top_class_share(parts: list[list[int]], labels: list[list[int]]) -> float:
    counts = class_counts(parts, dict(enumerate(labels)), 21)
    return float(np.mean(counts.max(axis=1) / np.maximum(counts.sum(axis=1), 1)))


def test_small_alpha_skews_classes_and_large_alpha_does_not() -> None:
    rng = np.random.default_rng(0)
    labels = [[int(rng.integers(1, 7))] for _ in range(3000)]
    items = list(range(len(labels)))
    skewed = partition_dirichlet(items, labels, 6, alpha=0.1, seed=1)
    mixed = partition_dirichlet(items, labels, 6, alpha=1000.0, seed=1)
    assert _mean_top_class_share(skewed, labels) > 0.5
    assert _mean_top_class_share(mixed, labels) < 0.25  # 6 classes: uniform would be 1/6


def test_dirichlet_gives_up_clearly_when_robots_cannot_all_get_items() -> None:
    with pytest.raises(ValueError, match="min_items"):
        partition_dirichlet([0, 1], [[1], [2]], num_robots=5, alpha=0.5, min_items=1)


def test_dominant_label_and_class_counts() -> None:
    assert dominant_label([3, 5, 5]) == 5 and dominant_label([7, 2]) == 2 and dominant_label([]) == 0
    labels_of = {"a": [1, 1, 2], "b": [], "c": [2]}
    assert class_counts([["a", "b"], ["c"]], labels_of, 3).tolist() == [[0, 2, 1], [0, 0, 1]]


@pytest.mark.parametrize("kind", ["iid", "dirichlet", "scene"])
def test_partition_voc_covers_the_split_and_prints_a_table(voc_root: Path, kind: str) -> None:
    parts = partition_voc(voc_root, num_robots=3, kind=kind, split="train", alpha=0.5, seed=0)
    image_ids = read_split(voc_root, "2007", "train")
    assert_exact_cover(parts, image_ids, 3)
    labels_of = {a.image_id: a.labels.tolist() for a in read_annotations(voc_root, "2007", image_ids)}
    table = class_count_table(parts, labels_of, VOC_CLASSES)
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].split()[:2] == ["robot", "items"]
    assert int(lines[1].split()[1]) == len(parts[0])
    total_objects = sum(len(v) for v in labels_of.values())
    assert sum(int(line.split()[-1]) for line in lines[1:]) == total_objects


def test_shared_gives_every_robot_the_whole_split(voc_root: Path) -> None:
    parts = partition_voc(voc_root, num_robots=3, kind="shared", split="train")
    assert parts == [read_split(voc_root, "2007", "train")] * 3
