"""``task.partition: local``: each robot trains on every image of its own VOC tree (its own disk)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fleet_testing import InprocFleet, assert_in_step

from fleetlearn.config import ConfigError, config_from_dict
from fleetlearn.fleet.build import build_task, partitions
from fleetlearn.task import read_split
from fleetlearn.task.synthetic import ensure_synthetic_voc


def local_config(roots: dict[str, Path], **robot_roots: Path) -> dict:
    return {
        "transport": {"name": "inproc"},
        "run": {"rounds": 2, "eval_every": 0, "name": "local"},
        "robots": {"count": 2, "batch_size": 2,
                   "overrides": {name: {"data_root": str(root)} for name, root in robot_roots.items()}},
        "task": {"kind": "detection", "dataset": "voc", "data_root": str(roots["coordinator"]), "partition": "local",
                 "image_size": 64, "max_val_images": 4},
        "algorithm": {"name": "topk", "keep_ratio": 0.05},
        "round": {"deadline_s": 30.0},
    }


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three different trees: the coordinator's (it scores on its val split) and one per robot."""
    base = tmp_path_factory.mktemp("own_disks")
    sizes = {"coordinator": 4, "robot_0": 6, "robot_1": 10}
    return {name: ensure_synthetic_voc(base / name, num_train=n, num_val=4, seed=i, image_size=64)
            for i, (name, n) in enumerate(sizes.items())}


def test_each_robot_reads_every_image_of_its_own_tree_and_the_fleet_trains(roots, tmp_path) -> None:
    config = config_from_dict(local_config(roots, robot_0=roots["robot_0"], robot_1=roots["robot_1"]))
    parts = partitions(config)
    for robot in ("robot_0", "robot_1"):
        assert parts[robot] == read_split(roots[robot], "2007", "train")
        assert build_task(config, robot, parts[robot]).data_root == roots[robot]
    assert [len(parts["robot_0"]), len(parts["robot_1"])] == [6, 10]

    fleet = InprocFleet(config, tmp_path / "run")
    assert fleet.run(timeout_s=300)
    assert fleet.coordinator.rounds_done == 2
    assert_in_step(fleet)


def test_a_robot_without_its_own_tree_reads_task_data_root(roots) -> None:
    """What a robot on its own machine does: its config's task.data_root is its disk."""
    config = config_from_dict(local_config(roots, robot_1=roots["robot_1"]))
    parts = partitions(config)
    assert parts["robot_0"] == read_split(roots["coordinator"], "2007", "train")
    assert parts["robot_1"] == read_split(roots["robot_1"], "2007", "train")


def test_a_missing_tree_names_the_robots_field(roots, tmp_path) -> None:
    config = config_from_dict(local_config(roots, robot_1=tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError, match=r"^robots\.overrides\.robot_1\.data_root: .*nothing/VOCdevkit"):
        partitions(config)


@pytest.mark.parametrize(("change", "message"), [
    ({"task": {"dataset": "synthetic"}}, r"^task\.partition: local trains each robot on its own VOCdevkit"),
    ({"task": {"partition": "iid"}}, r"^robots\.overrides\.robot_1\.data_root: is read only with task\.partition"),
])
def test_local_settings_are_checked(roots, change: dict, message: str) -> None:
    data = local_config(roots, robot_1=roots["robot_1"])
    for section, values in change.items():
        data[section] = {**data[section], **values}
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)
