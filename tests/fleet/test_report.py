"""``fleetlearn report RUN_DIR``: the summary, and exit 1 with one line per problem unless the run is complete.

A real in-process run makes the run directory; the failures are what a crashed, missing, stopped or
diverged node leaves in it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fleet_testing import digits_config

from fleetlearn.cli import main
from fleetlearn.run import run_fleet

ROUNDS = 3


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("report") / "run"
    run_fleet(digits_config(run={"rounds": ROUNDS, "eval_every": 0, "name": "report"}), run_dir, say=lambda _: None)
    return run_dir


def report(run_dir: Path, capsys: pytest.CaptureFixture) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["report", str(run_dir)])
    return code, capsys.readouterr().err.splitlines()


def edit_rows(path: Path, change: Callable[[list[dict]], list[dict]]) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(row) + "\n" for row in change(rows)))


def without_finish(rows: list[dict]) -> list[dict]:
    return [row for row in rows if row["event"] != "finish"]


def with_finish(**values: object) -> Callable[[list[dict]], list[dict]]:
    return lambda rows: [{**row, **values} if row["event"] == "finish" else row for row in rows]


BREAKAGES = {  # what a failed node leaves behind -> the line the report prints
    "killed": (lambda d: edit_rows(d / "metrics/robot_1.jsonl", without_finish),
               "robot_1: no finish recorded since it started: it failed or was killed (see its log)"),
    "restarted_and_died": (
        lambda d: edit_rows(d / "metrics/robot_0.jsonl", lambda rows: [*rows, {"node": "robot_0", "event": "start"}]),
        "robot_0: no finish recorded since it started: it failed or was killed (see its log)"),
    "never_started": (lambda d: (d / "metrics/robot_2.jsonl").unlink(),
                      "robot_2: no metrics/robot_2.jsonl: it did not start (or its file was not gathered here)"),
    "stopped_early": (lambda d: edit_rows(d / "metrics/coordinator.jsonl",
                                          with_finish(round=2, rounds_done=2, reason="interrupted")),
                      f"coordinator: finished after 2 of {ROUNDS} rounds (interrupted)"),
    "diverged": (lambda d: edit_rows(d / "metrics/robot_2.jsonl", with_finish(model_crc32=7)),
                 "robot_2: ended on model version 3 (crc 7), not the coordinator's final 3 (crc "),
}


def test_a_complete_run_reports_exit_0(complete_run: Path, capsys: pytest.CaptureFixture) -> None:
    assert report(complete_run, capsys) == (0, [])
    assert json.loads((complete_run / "summary.json").read_text())["rounds"] == ROUNDS


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_failed_node_makes_the_report_exit_1_naming_it(breakage: str, complete_run: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(complete_run, run_dir)
    damage, line = BREAKAGES[breakage]
    damage(run_dir)
    code, errors = report(run_dir, capsys)
    assert code == 1
    assert len(errors) == 1 and errors[0].startswith(f"fleetlearn report: incomplete run: {line}"), errors


def test_a_ros_run_is_checked_against_the_nodes_own_configs(complete_run: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    """ROS nodes write config/<node>.yaml, not config.yaml: the fleet's size and rounds come from there."""
    run_dir = tmp_path / "run"
    shutil.copytree(complete_run, run_dir)
    (run_dir / "config").mkdir()
    (run_dir / "config.yaml").rename(run_dir / "config" / "coordinator.yaml")
    assert report(run_dir, capsys) == (0, [])
    (run_dir / "metrics" / "robot_2.jsonl").unlink()
    assert report(run_dir, capsys)[0] == 1


def test_a_gossip_run_needs_every_peer_to_finish_every_round(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run_dir = tmp_path / "gossip"
    config = digits_config(mode="gossip", run={"rounds": ROUNDS, "eval_every": 0}, robots={"count": 3},
                           algorithm={"name": "choco", "keep_ratio": 0.1, "gamma": 0.3},
                           gossip={"topology": "ring", "round_period_s": 1.0, "deadline_s": 0.5})
    run_fleet(config, run_dir, say=lambda _: None)
    assert report(run_dir, capsys) == (0, [])
    edit_rows(run_dir / "metrics/robot_1.jsonl", with_finish(round=ROUNDS - 1))
    assert report(run_dir, capsys) == (1, [f"fleetlearn report: incomplete run: robot_1: finished after {ROUNDS - 1} "
                                           f"of {ROUNDS} rounds"])
