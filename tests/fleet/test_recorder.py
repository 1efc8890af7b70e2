"""Metrics files: one JSON line per event; a run directory reused by a second run reports the second;
the progress lines read from the files or from the Metrics topics."""

from __future__ import annotations

import re
import time

from fleet_testing import digits_config

from fleetlearn.fleet.progress import Progress, watch_metrics
from fleetlearn.fleet.recorder import Recorder
from fleetlearn.metrics_files import load_rows, node_rows
from fleetlearn.transport import InprocNetwork


def test_a_node_started_again_in_the_same_run_directory_reports_only_its_new_run(tmp_path) -> None:
    network = InprocNetwork()
    for run, rounds in (("first", 3), ("second", 2)):  # e.g. `docker compose up` twice with run.name: compose
        for node in ("coordinator", "robot_0"):
            recorder = Recorder(network.bus(f"{node}-{run}"), node, tmp_path)
            for n in range(1, rounds + 1):
                recorder.record("round", round=n, run=run)
            recorder.close()
    rows = load_rows(tmp_path)
    assert sorted((r["node"], r["round"]) for r in rows) == [("coordinator", 1), ("coordinator", 2),
                                                             ("robot_0", 1), ("robot_0", 2)]
    assert {r["run"] for r in rows} == {"second"}
    lines = (tmp_path / "metrics" / "robot_0.jsonl").read_text().splitlines()
    assert len(lines) == 2 + 3 + 2  # both runs stay on disk, each after its start line


def test_a_recorder_without_a_bus_writes_its_file_on_the_wall_clock(tmp_path) -> None:
    before = time.time()
    recorder = Recorder(None, "fleet", tmp_path)
    recorder.record("eval", round=4, accuracy=0.5)
    recorder.close()
    (row,) = load_rows(tmp_path)
    assert (row["node"], row["event"], row["round"], row["accuracy"]) == ("fleet", "eval", 4, 0.5)
    assert before <= row["time"] <= time.time()


def test_progress_prints_the_same_lines_from_the_files_and_from_the_topics(tmp_path) -> None:
    """netsim reads the metrics files, the other runs the Metrics topics: one printer, the same lines."""
    network = InprocNetwork()
    from_topics: list[str] = []
    watch_metrics(network.bus("progress"), digits_config(), Progress(12, from_topics.append))
    coordinator = Recorder(network.bus("coordinator"), "coordinator", tmp_path)
    robot = Recorder(network.bus("robot_1"), "robot_1", tmp_path)
    robot.record("round", round=1, loss=0.7, k=120, budget_bytes=4000, throughput_bps=None)
    network.run(timeout_s=1.0)
    coordinator.record("round", round=1, loss=0.6, participants=3, total_bytes_received=12_000,
                       total_bytes_sent=30_000, round_time_s=0.25)
    coordinator.record("eval", round=1, map50=0.5, map50_95=0.25, accuracy=None)
    coordinator.record("finish", round=1, model_version=1)
    network.run(timeout_s=1.0)

    from_files: list[str] = []
    progress = Progress(12, from_files.append)
    for row in node_rows(tmp_path / "metrics" / "robot_1.jsonl"):
        progress.on_robot(row)
    for row in node_rows(tmp_path / "metrics" / "coordinator.jsonl"):
        progress.on_hub(row)
    strip_clock = re.compile(r"\| +\d+ s$")
    assert [strip_clock.sub("", line) for line in from_topics] == [strip_clock.sub("", line) for line in from_files]
    assert from_files[0].startswith("round    1/12 | loss  0.6000 | robots 3 | uplink    0.01 MB downlink")
    assert "| 1:K=120/4kB |" in from_files[0]
    assert from_files[1] == "  eval after round 1: mAP@0.5 0.500  mAP@[.5:.95] 0.250"
    assert len(from_files) == 2


def test_progress_shows_an_unlimited_links_budget_as_such() -> None:
    from fleetlearn.fleet.progress import _budget

    assert [_budget(n) for n in (4_000, 25_000_000, 113_648_000_000_000)] == ["4kB", "25MB", "unlimited"]
