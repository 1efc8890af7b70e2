"""Gossip peers as separate processes over real DDS, started by `fleetlearn run` (mode: gossip)."""

from __future__ import annotations

from pathlib import Path

from fleet_testing import digits_config, read_rows

from fleetlearn.run import run_fleet


def test_choco_peers_over_dds_processes_train_and_agree(tmp_path, domain_id) -> None:
    config = digits_config(mode="gossip", transport={"name": "dds", "domain_id": domain_id}, run={"rounds": 12},
                           robots={"count": 4}, algorithm={"name": "choco", "keep_ratio": 0.1, "gamma": 0.3},
                           gossip={"topology": "ring", "round_period_s": 0.3, "deadline_s": 2.0})
    summary = run_fleet(config, tmp_path / "run", say=lambda line: None)
    run_dir = Path(summary["run_dir"])
    for robot in ("robot_0", "robot_1", "robot_2", "robot_3"):
        rounds = [r for r in read_rows(run_dir, robot) if r["event"] == "round"]
        assert len(rounds) == 12, robot
        assert sum(r["participants"] for r in rounds) >= 12 * 2 - 2, "neighbours were left out of most rounds"
        assert rounds[-1]["loss"] < rounds[0]["loss"]
    fleet = read_rows(run_dir, "fleet")
    assert fleet[0]["event"] == "round" and fleet[0]["consensus_distance"] < 1e-3
    assert summary["final_accuracy"] > 0.5
    assert (run_dir / "link.png").exists()
