"""Tasks for the nodes of a run, built the same way in every process from one Config."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from ..config import Config, robot_names
from ..task import (
    ClassificationConfig,
    ClassificationTask,
    DetectionConfig,
    DetectionTask,
    Task,
    ensure_synthetic_voc,
    load_split,
    partition_iid,
    partition_voc,
    read_split,
)
from ..task.voc import voc_root_dir


def robot_seed(config: Config, robot_id: str) -> int:
    """A robot's own seed (data order, random compressors), stable across processes."""
    return (config.run.seed * 1_000_003 + zlib.crc32(robot_id.encode())) % (2**31)


def data_root(config: Config, robot_id: str | None = None) -> Path:
    """The VOC tree a node reads: the user's VOCdevkit parent (a robot's own one with ``partition:
    local`` and a ``data_root`` override), or the synthetic set (made on first use)."""
    t = config.task
    if t.dataset == "voc":
        own = config.robots.for_robot(robot_id).data_root if robot_id else None
        field_name = f"robots.overrides.{robot_id}.data_root" if own else "task.data_root"
        root = Path(own or t.data_root)
        if not voc_root_dir(root, t.voc_year).is_dir():
            raise FileNotFoundError(f"{field_name}: {voc_root_dir(root, t.voc_year)} does not exist")
        return root
    s = t.synthetic
    name = f"synthetic_voc-{s.num_train}-{s.num_val}-{s.image_size}px-seed{s.seed}"
    return ensure_synthetic_voc(Path(t.data_root) / name, num_train=s.num_train, num_val=s.num_val, seed=s.seed,
                                image_size=s.image_size)


def partitions(config: Config) -> dict[str, list[Any]]:
    """Each robot's share of the training items: every item exactly once; all of them with ``shared``;
    with ``local``, every training image of the robot's own data root (a robot's disk holds only its own)."""
    t = config.task
    names = robot_names(config.robots.count)
    if t.kind == "classification":
        ids = list(range(len(load_split(t.dataset, _cls_root(config), train=True).labels)))
        if t.partition == "shared":
            return {name: list(ids) for name in names}
        return dict(zip(names, partition_iid(ids, len(names), config.run.seed), strict=True))
    if t.partition == "local":
        return {name: read_split(data_root(config, name), t.voc_year, t.train_split) for name in names}
    parts = partition_voc(data_root(config), len(names), t.partition, t.voc_year, t.train_split, t.alpha,
                          config.run.seed)
    return dict(zip(names, parts, strict=True))


def _cls_root(config: Config) -> str | None:
    return None if config.task.dataset == "digits" else config.task.data_root


def _train_settings(config: Config, robot_id: str | None) -> dict[str, Any]:
    """The ``TrainConfig`` fields of a node's task; the schedule counts optimiser steps, ``local_steps`` a
    round. Optimiser fields the config leaves None take the model's recipe."""
    o = config.optimizer
    steps = config.algorithm.local_steps
    return {"seed": robot_seed(config, robot_id) if robot_id else config.run.seed,
            "batch_size": config.robots.for_robot(robot_id).batch_size if robot_id else config.robots.batch_size,
            "optimizer": o.name, "lr": o.lr, "momentum": o.momentum, "weight_decay": o.weight_decay,
            "warmup_steps": None if o.warmup_rounds is None else o.warmup_rounds * steps,
            "total_steps": config.run.rounds * steps if o.cosine else None}


def build_task(config: Config, robot_id: str | None = None, items: list[Any] | None = None) -> Task:
    """The coordinator's task (``robot_id`` None: no training items, evaluates) or a robot's."""
    t = config.task
    train = _train_settings(config, robot_id)
    if t.kind == "classification":
        return ClassificationTask(ClassificationConfig(
            dataset=t.dataset, data_root=_cls_root(config), model=t.model or "small_cnn",
            item_ids=items if robot_id else [], **train))
    return DetectionTask(DetectionConfig(
        model=t.model or "fcos_tiny", data_root=str(data_root(config, robot_id)), year=t.voc_year,
        image_ids=items if robot_id else [], eval_split=t.val_split, image_size=t.image_size,
        weights_path=t.weights_path, **train))


def evaluation_ids(config: Config) -> list[str] | None:
    """The validation images the coordinator scores (capped for speed on small machines)."""
    if config.task.kind != "detection":
        return None
    ids = read_split(data_root(config), config.task.voc_year, config.task.val_split)
    return ids[: config.task.max_val_images] if config.task.max_val_images else ids
