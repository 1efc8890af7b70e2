"""The training-step API the fleet uses, on the real tiny FCOS and real files."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from fleetlearn.task import DetectionConfig, DetectionTask
from fleetlearn.task.base import EpochBatches
from fleetlearn.task.voc import read_split


def detection_task(voc_root: Path, **overrides: Any) -> DetectionTask:
    config = {"model": "fcos_tiny", "data_root": str(voc_root), "batch_size": 4, "seed": 0}
    return DetectionTask(DetectionConfig(**{**config, **overrides}))


def test_flat_parameters_round_trip_and_layout(voc_root: Path) -> None:
    task = detection_task(voc_root)
    flat = task.params_flat()
    assert flat.dtype == torch.float32 and flat.shape == (task.num_params,)
    assert task.num_params == sum(p.numel() for p in task.model.parameters() if p.requires_grad)
    slots = task.layout.slots
    assert slots[0].offset == 0 and slots[-1].end == task.num_params
    assert all(a.end == b.offset for a, b in itertools.pairwise(slots))
    task.set_params_flat(torch.arange(task.num_params, dtype=torch.float32))
    assert torch.equal(task.params_flat(), torch.arange(task.num_params, dtype=torch.float32))
    with pytest.raises(ValueError, match=str(task.num_params)):
        task.set_params_flat(flat[:-1])


def test_l1_mask_leaves_out_norms_and_biases(voc_root: Path) -> None:
    task = detection_task(voc_root)
    mask = task.l1_mask()
    named = dict(task.model.named_parameters())
    for s in task.layout.slots:
        expected = named[s.name].ndim > 1
        assert bool(mask[s.offset : s.end].all()) == expected and bool(mask[s.offset : s.end].any()) == expected
        if s.name.endswith("bias") or ".bn" in s.name or "norm" in s.name:
            assert s.is_norm_or_bias
    assert 0 < int(mask.sum()) < task.num_params


def test_gradient_is_deterministic_under_the_seed_and_leaves_the_model(voc_root: Path) -> None:
    first, twin, other = detection_task(voc_root), detection_task(voc_root), detection_task(voc_root, seed=1)
    before = first.params_flat()
    for _ in range(2):  # also the second batch
        grad, loss = first.gradient()
        twin_grad, twin_loss = twin.gradient()
        assert torch.equal(grad, twin_grad) and loss == twin_loss
    assert grad.shape == (first.num_params,) and torch.isfinite(grad).all() and grad.abs().sum() > 0
    assert torch.equal(first.params_flat(), before)
    assert not torch.equal(other.params_flat(), before)  # another seed, another init


def test_apply_update_goes_through_the_torch_optimizer(voc_root: Path) -> None:
    plain_sgd = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "weight_decay": 0.0, "warmup_steps": 0}
    task = detection_task(voc_root, **plain_sgd)
    start = task.params_flat()
    grad = torch.linspace(-1, 1, task.num_params)
    task.apply_update(grad)
    assert torch.allclose(task.params_flat(), start - 0.1 * grad, atol=1e-6)

    momentum = detection_task(voc_root, **{**plain_sgd, "momentum": 0.9})
    start = momentum.params_flat()
    momentum.apply_update(grad)
    momentum.apply_update(grad)  # second step: velocity 1.9·g
    assert torch.allclose(momentum.params_flat(), start - 0.1 * grad - 0.1 * 1.9 * grad, atol=1e-5)


def test_training_is_deterministic_under_the_seed(voc_root: Path) -> None:
    runs = []
    for _ in range(2):
        task = detection_task(voc_root)
        for _ in range(2):
            task.apply_update(task.gradient()[0])
        runs.append((task.params_flat(), task.model_state()))
    assert torch.equal(runs[0][0], runs[1][0])
    for key, value in runs[0][1].items():
        assert torch.equal(value, runs[1][1][key]), key


def test_a_few_steps_lower_the_loss(voc_root: Path) -> None:
    image_ids = read_split(voc_root, "2007", "train")[:16]
    task = detection_task(voc_root, image_ids=image_ids, batch_size=16)
    losses = [task.local_steps(1)[1] for _ in range(20)]
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_local_steps_return_the_parameter_change(voc_root: Path) -> None:
    task = detection_task(voc_root)
    start = task.params_flat()
    delta, loss = task.local_steps(2)
    assert torch.allclose(task.params_flat(), start + delta)
    assert np.isfinite(loss) and delta.abs().sum() > 0


def test_model_state_carries_parameters_and_buffers(voc_root: Path) -> None:
    trained, fresh = detection_task(voc_root), detection_task(voc_root, seed=3)
    trained.local_steps(2)  # moves parameters and BatchNorm running statistics
    fresh.load_model_state(trained.model_state())
    assert torch.equal(fresh.params_flat(), trained.params_flat())
    fresh_buffers = dict(fresh.model.named_buffers())
    for name, buffer in trained.model.named_buffers():
        assert torch.equal(buffer, fresh_buffers[name]), name


def test_evaluate_on_a_split_and_on_ids(voc_root: Path) -> None:
    task = detection_task(voc_root)
    result = task.evaluate("val")
    assert result["num_images"] == len(read_split(voc_root, "2007", "val"))
    for key in ("mAP", "mAP50", "voc07_mAP50"):
        assert 0.0 <= result[key] <= 1.0
    assert isinstance(result["AP50_per_class"], dict)
    assert task.evaluate(read_split(voc_root, "2007", "val")[:5])["num_images"] == 5


def test_warm_up_then_cosine_schedule(voc_root: Path) -> None:
    task = detection_task(voc_root, optimizer="sgd", lr=0.1, warmup_steps=2, total_steps=4)
    lrs = []
    for _ in range(5):
        lrs.append(task.lr)
        task.apply_update(torch.zeros(task.num_params))
    cosine = [0.5 * (1 + np.cos(np.pi * step / 4)) for step in range(5)]
    assert lrs == pytest.approx([0.1 * 0.5 * cosine[0], 0.1 * cosine[1], 0.1 * cosine[2], 0.1 * cosine[3], 0.0])


def test_a_robot_without_images_can_still_aggregate_and_evaluate(voc_root: Path) -> None:
    coordinator = detection_task(voc_root, image_ids=[])
    with pytest.raises(RuntimeError, match="empty partition"):
        coordinator.gradient()
    coordinator.apply_update(torch.zeros(coordinator.num_params))
    assert coordinator.evaluate(read_split(voc_root, "2007", "val")[:2])["num_images"] == 2


def test_config_errors_are_clear(voc_root: Path) -> None:
    with pytest.raises(ValueError, match="optimizer"):
        detection_task(voc_root, optimizer="lion")


def test_epoch_batches_cover_the_partition_and_reshuffle() -> None:
    batches = EpochBatches(num_items=10, batch_size=3, seed=0)
    epoch = [batches.next() for _ in range(3)]
    assert len({i for b in epoch for i in b}) == 9  # 3 disjoint batches, remainder dropped
    next_epoch = [batches.next() for _ in range(3)]
    assert batches.epoch == 1 and next_epoch != epoch
    assert [EpochBatches(10, 3, seed=0).next() for _ in range(1)] == epoch[:1]
