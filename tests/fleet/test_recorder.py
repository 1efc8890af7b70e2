"""Metrics files: one JSON line per event; a run directory reused by a second run reports the second."""

from __future__ import annotations

from fleetlearn.fleet.recorder import Recorder
from fleetlearn.report import load_rows
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
