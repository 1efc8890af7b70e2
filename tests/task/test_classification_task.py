"""The classification task: same interface, digits from scikit-learn, no downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from fleetlearn.task import ClassificationConfig, ClassificationTask
from fleetlearn.task.partition import partition_dirichlet


def digits_task(**overrides: Any) -> ClassificationTask:
    return ClassificationTask(ClassificationConfig(**{"dataset": "digits", "batch_size": 32, "seed": 0, **overrides}))


def test_digits_cnn_learns() -> None:
    task = digits_task()
    assert task.evaluate()["accuracy"] < 0.3
    task.local_steps(300)
    result = task.evaluate("test")
    assert result["accuracy"] > 0.9 and result["num_items"] == 450


def test_mlp_and_partitioned_items() -> None:
    base = digits_task(model="mlp")
    labels = [[int(y)] for y in base.train_set.labels]
    parts = partition_dirichlet(list(range(len(labels))), labels, num_robots=4, alpha=0.3, seed=0)
    robot = digits_task(model="mlp", item_ids=parts[1])
    grad, loss = robot.gradient()
    assert grad.shape == (robot.num_params,) and loss > 0
    assert robot.evaluate(parts[1][:10])["num_items"] == 10


def test_gradient_is_deterministic_under_the_seed() -> None:
    first, twin = digits_task(), digits_task()
    for _ in range(3):
        first_grad, first_loss = first.gradient()
        twin_grad, twin_loss = twin.gradient()
        assert torch.equal(first_grad, twin_grad) and first_loss == twin_loss
        first.apply_update(first_grad)
        twin.apply_update(twin_grad)
    assert torch.equal(first.params_flat(), twin.params_flat())


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_missing_torchvision_dataset_names_the_folder(tmp_path: Path, dataset: str) -> None:
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        digits_task(dataset=dataset, data_root=str(tmp_path))


def test_unknown_dataset_and_model_are_named() -> None:
    with pytest.raises(ValueError, match="imagenet"):
        digits_task(dataset="imagenet")
    with pytest.raises(ValueError, match="resnet"):
        digits_task(model="resnet")
