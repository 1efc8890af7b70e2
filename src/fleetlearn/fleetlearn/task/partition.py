"""Splitting a dataset among robots: IID, class-skewed (Dirichlet) or by scene.

Every function returns one list of item ids per robot, each item exactly once, in the
order the items were given (order is irrelevant for training: tasks shuffle). Items may
be VOC image ids (several labels per image) or classification indices (one label each).
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from .voc import read_annotations, read_split

Item = TypeVar("Item", bound=Hashable)


def partition_iid(items: Sequence[Item], num_robots: int, seed: int = 0) -> list[list[Item]]:
    """Shuffle, then deal out sizes that differ by at most one."""
    _check_robots(num_robots)
    order = np.random.default_rng(seed).permutation(len(items))
    return [_in_given_order(items, part) for part in np.array_split(order, num_robots)]


def dominant_label(labels: Sequence[int]) -> int:
    """The most frequent label of an item (smallest on ties); 0 (background) if it has none."""
    if len(labels) == 0:
        return 0
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    return int(values[np.argmax(counts)])


def partition_dirichlet(
    items: Sequence[Item],
    labels: Sequence[Sequence[int]],
    num_robots: int,
    alpha: float,
    seed: int = 0,
    min_items: int = 1,
    max_tries: int = 100,
) -> list[list[Item]]:
    """Label skew as in Hsu et al. (2019): per class, robot shares ~ Dirichlet(α·1).

    An item counts for its dominant label. Small α gives each robot few classes; large α
    tends to IID. Draws repeat (same seed stream) until every robot has ``min_items``.
    """
    _check_robots(num_robots)
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    if len(labels) != len(items):
        raise ValueError(f"{len(items)} items but {len(labels)} label lists")
    rng = np.random.default_rng(seed)
    groups: dict[int, list[int]] = {}
    for index, item_labels in enumerate(labels):
        groups.setdefault(dominant_label(item_labels), []).append(index)
    for _ in range(max_tries):
        parts: list[list[int]] = [[] for _ in range(num_robots)]
        for label in sorted(groups):
            members = rng.permutation(groups[label])
            shares = rng.dirichlet(np.full(num_robots, alpha))
            cuts = (np.cumsum(shares)[:-1] * len(members)).astype(int)
            for robot, chunk in enumerate(np.split(members, cuts)):
                parts[robot].extend(chunk.tolist())
        if min(len(p) for p in parts) >= min_items:
            return [_in_given_order(items, p) for p in parts]
    raise ValueError(
        f"no Dirichlet(α={alpha}) split of {len(items)} items gave all {num_robots} robots {min_items} item(s) "
        f"in {max_tries} tries; raise alpha or lower min_items"
    )


def partition_by_scene(
    items: Sequence[Item], scenes: Sequence[int], num_robots: int, seed: int = 0
) -> list[list[Item]]:
    """Robots see different places: with fewer robots than scenes each robot gets whole
    scenes (dealt round-robin); with more, each scene is split evenly among its robots."""
    _check_robots(num_robots)
    if len(scenes) != len(items):
        raise ValueError(f"{len(items)} items but {len(scenes)} scene ids")
    by_scene: dict[int, list[int]] = {}
    for index, scene in enumerate(scenes):
        by_scene.setdefault(int(scene), []).append(index)
    scene_ids = sorted(by_scene)
    parts: list[list[int]] = [[] for _ in range(num_robots)]
    if num_robots <= len(scene_ids):
        for k, scene in enumerate(scene_ids):
            parts[k % num_robots].extend(by_scene[scene])
    else:
        rng = np.random.default_rng(seed)
        for k, scene in enumerate(scene_ids):
            robots = list(range(k, num_robots, len(scene_ids)))
            members = rng.permutation(by_scene[scene])
            for robot, chunk in zip(robots, np.array_split(members, len(robots)), strict=True):
                parts[robot].extend(chunk.tolist())
    return [_in_given_order(items, p) for p in parts]


def partition_voc(
    root: str | os.PathLike,
    num_robots: int,
    kind: str = "iid",
    year: str = "2007",
    split: str = "train",
    alpha: float = 0.5,
    seed: int = 0,
) -> list[list[str]]:
    """Partition a VOC split's image ids; ``kind`` is "iid", "dirichlet", "scene" or "shared".

    "shared" is not a partition: every robot draws its batches from the whole split (robots
    that see the same environment; the data-centre setting of the signSGD papers, where a
    robot's batch size, not its data, sets how noisy its gradient is).
    """
    image_ids = read_split(root, year, split)
    if kind == "shared":
        return [list(image_ids) for _ in range(num_robots)]
    if kind == "iid":
        return partition_iid(image_ids, num_robots, seed)
    annotations = read_annotations(root, year, image_ids)
    if kind == "dirichlet":
        return partition_dirichlet(image_ids, [a.labels.tolist() for a in annotations], num_robots, alpha, seed)
    if kind == "scene":
        missing = [a.image_id for a in annotations if a.scene is None]
        if missing:
            raise ValueError(f"no <scene> tag in {len(missing)} annotation(s), e.g. {missing[0]}.xml")
        return partition_by_scene(image_ids, [a.scene for a in annotations], num_robots, seed)
    raise ValueError(f"unknown partition kind {kind!r}; expected 'iid', 'dirichlet', 'scene' or 'shared'")


def class_counts(
    partitions: Sequence[Sequence[Item]], labels_of: Mapping[Item, Sequence[int]], num_classes: int
) -> np.ndarray:
    """Objects per class per robot: an int array of shape (robots, num_classes)."""
    counts = np.zeros((len(partitions), num_classes), dtype=np.int64)
    for robot, part in enumerate(partitions):
        for item in part:
            np.add.at(counts[robot], np.asarray(labels_of[item], dtype=np.int64), 1)
    return counts


def class_count_table(
    partitions: Sequence[Sequence[Item]], labels_of: Mapping[Item, Sequence[int]], class_names: Sequence[str]
) -> str:
    """A plain-text table (robots × classes present) of object counts, with image totals."""
    counts = class_counts(partitions, labels_of, len(class_names))
    present = [c for c in range(len(class_names)) if counts[:, c].any()]
    header = ["robot", "items"] + [class_names[c] for c in present] + ["objects"]
    rows = [
        [str(robot), str(len(part))] + [str(counts[robot, c]) for c in present] + [str(counts[robot].sum())]
        for robot, part in enumerate(partitions)
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *rows])


def _in_given_order(items: Sequence[Item], indices: Sequence[int] | np.ndarray) -> list[Item]:
    return [items[i] for i in sorted(int(i) for i in indices)]


def _check_robots(num_robots: int) -> None:
    if num_robots < 1:
        raise ValueError(f"need at least one robot, got {num_robots}")
