"""The run config: validation names the field, example configs load, the CLI fails cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fleetlearn.cli import DEMO_OVERRIDES
from fleetlearn.config import (
    DEFAULT_LOCAL_STEPS,
    ConfigError,
    apply_overrides,
    config_from_dict,
    config_yaml,
    load_config,
)

EXPERIMENTS = sorted((Path(__file__).resolve().parents[1] / "config" / "experiments").glob("*.yaml"))


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_example_configs_load(path: Path) -> None:
    load_config(path)


def test_demo_yaml_is_what_fleetlearn_demo_runs() -> None:
    demo = config_from_dict(apply_overrides({}, list(DEMO_OVERRIDES)))
    assert load_config(EXPERIMENTS[[p.name for p in EXPERIMENTS].index("demo.yaml")]) == demo


def test_fleetlearn_config_writes_a_documented_file_that_loads_back(tmp_path: Path) -> None:
    """Every field sits under its own description; lists and mappings of sections load back too."""
    config = config_from_dict({
        "algorithm": {"name": "topk", "keep_ratio": 0.02},
        "robots": {"overrides": {"robot_1": {"batch_size": 8}}},
        "network": {"robots": {"robot_2": {"rate_bps": 1e6}}, "schedule": [{"robot": "robot_0", "round": 5}]},
        "gossip": {"schedule": [{"round": 3, "edges": [["robot_0", "robot_1"]]}]}})
    path = tmp_path / "config.yaml"
    path.write_text(subprocess.run([sys.executable, "-m", "fleetlearn.cli", "config",
                                    "--set", "algorithm.keep_ratio=0.02",
                                    "--set", "robots.overrides={robot_1: {batch_size: 8}}",
                                    "--set", "network.robots={robot_2: {rate_bps: 1.0e+6}}",
                                    "--set", "network.schedule=[{robot: robot_0, round: 5}]",
                                    "--set", "gossip.schedule=[{round: 3, edges: [[robot_0, robot_1]]}]"],
                                   check=True, capture_output=True, text=True).stdout)
    assert load_config(path) == config
    assert path.read_text() == config_yaml(config)
    lines = path.read_text().splitlines()
    fields = [i for i, line in enumerate(lines) if not line.lstrip().startswith("#") and not line.endswith(":")]
    undocumented = [lines[i] for i in fields if not lines[i - 1].lstrip().startswith("#")]
    assert not undocumented, f"fields without a description: {undocumented}"
    assert "# fraction of entries a sparsifier keeps" in path.read_text()


@pytest.mark.parametrize(("data", "message"), [
    ({"algorithm": {"keep_ratio": 0}}, r"^algorithm\.keep_ratio: must be in \(0, 1\], got 0"),
    ({"algorithm": {"kep_ratio": 0.1}}, r"^algorithm\.kep_ratio: unknown field"),
    ({"run": {"rounds": "ten"}}, r"^run\.rounds: must be an integer, got 'ten'"),
    ({"robots": {"count": 2, "overrides": {"robot_5": {}}}}, r"^robots\.overrides\.robot_5: is not a robot"),
    ({"mode": "gossip", "algorithm": {"name": "topk"}}, r"^algorithm\.name: mode gossip runs adagossip, choco, malcom"),
    ({"network": {"schedule": [{"robot": "robot_1"}]}}, r"^network\.schedule\[0\]: needs exactly one of round"),
    ({"link": {"comm_time_s": -1}}, r"^link\.comm_time_s: must be > 0"),
    ({"transport": []}, r"^transport: must be a mapping"),
    ({"task": {"kind": "classification", "partition": "scene"}}, r"^task\.partition: classification splits iid"),
    ({"algorithm": {"sign_ties": "zero"}}, r"^algorithm\.sign_ties: must be random or plus"),
    ({"algorithm": {"update": "gradient"}}, r"^algorithm\.update: topk sends compressed model changes \(delta\) only"),
    ({"algorithm": {"name": "signsgd_mv", "update": "delta"}},
     r"^algorithm\.update: signsgd_mv runs in gradient mode only"),
    ({"algorithm": {"name": "dense", "update": "gradient", "local_steps": 2}},
     r"^algorithm\.local_steps: gradient mode makes one coordinator step"),
    ({"algorithm": {"local_steps": 0}}, r"^algorithm\.local_steps: must be >= 1, got 0"),
    ({"algorithm": {"name": "signsgd_mv"}}, r"^optimizer\.name: signsgd_mv steps x - lr \* vote"),
    ({"algorithm": {"name": "signsgd_fv"}, "optimizer": {"name": "sgd", "momentum": 0.9, "weight_decay": 0}},
     r"^optimizer\.momentum: signsgd_fv steps x - lr \* vote on the coordinator: set it to 0.0"),
    ({"mode": "gossip", "algorithm": {"name": "choco", "local_steps": 2}}, r"^algorithm\.local_steps: gossip peers"),
    ({"link": {"downlink_rate_bps": 0}}, r"^link\.downlink_rate_bps: must be > 0"),
    ({"algorithm": {"quant_norm": "l1"}}, r"^algorithm\.quant_norm: must be l2 or linf"),
    ({"algorithm": {"threshold": -1}}, r"^algorithm\.threshold: must be finite and >= 0"),
    ({"task": {"voc_year": "2013"}}, r"^task\.voc_year: must be one of 2007, 2008"),
    ({"task": {"dataset": "VOC"}}, r"^task\.dataset: detection reads synthetic, voc, got 'VOC'"),
    ({"task": {"kind": "classification", "dataset": "voc"}}, r"^task\.dataset: classification reads digits"),
    ({"task": {"model": "resnet9000"}}, r"^task\.model: detection models are .*fcos_tiny"),
    ({"task": {"kind": "classification", "model": "fcos_tiny"}}, r"^task\.model: classification models are mlp"),
    ({"robots": {"overrides": {"robot_1": {"cap_bps": -5}}}}, r"^robots\.overrides\.robot_1\.cap_bps: must be > 0"),
    ({"robots": {"overrides": {"robot_1": {"rate_bps": 0}}}}, r"^robots\.overrides\.robot_1\.rate_bps: must be > 0"),
    ({"robots": {"step_time_s": -0.1}}, r"^robots\.step_time_s: must be >= 0"),
    ({"network": {"rate_bps": "inf"}}, r"^network\.rate_bps: must be a finite number, got inf"),
    ({"link": {"comm_time_s": float("nan")}}, r"^link\.comm_time_s: must be a finite number, got nan"),
])
def test_invalid_values_name_the_field(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)


def test_infinity_means_no_cap_where_the_field_says_so() -> None:
    config = config_from_dict(apply_overrides({}, ["link.cap_bps=.inf", "robots.overrides.robot_0.cap_bps=.inf"]))
    assert config.link.cap_bps == config.robots.overrides["robot_0"].cap_bps == float("inf")


@pytest.mark.parametrize(("algorithm", "update", "steps"), [
    ({}, "delta", DEFAULT_LOCAL_STEPS),                          # compressed: robots run the optimiser
    ({"name": "dense"}, "delta", DEFAULT_LOCAL_STEPS),           # dense compares at the same local steps
    ({"name": "dense", "update": "gradient"}, "gradient", 1),
    ({"name": "signsgd_fv"}, "gradient", 1),                     # a vote on gradient signs
    ({"local_steps": 2}, "delta", 2),
])
def test_update_and_local_steps_default_by_algorithm(algorithm: dict, update: str, steps: int) -> None:
    plain_sgd = {"name": "sgd", "momentum": 0, "weight_decay": 0}  # what a sign vote's step needs
    resolved = config_from_dict({"algorithm": algorithm, "optimizer": plain_sgd}).algorithm
    assert (resolved.update, resolved.local_steps, resolved.sends_deltas) == (update, steps, update == "delta")


def test_the_kind_alone_picks_its_built_in_dataset() -> None:
    assert config_from_dict({"task": {"kind": "classification"}}).task.dataset == "digits"
    assert config_from_dict({}).task.dataset == "synthetic"


def test_cli_reports_one_error_line_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("algorithm: {keep_ratio: 2}\n")
    (tmp_path / "list.yaml").write_text("- run\n")
    bad_overrides = (["--set", "run.seed=x"], ["--set", "gossip.edges=[[robot_0"])
    for args in (["run", str(bad)], ["run", str(tmp_path / "missing.yaml")], ["run", str(tmp_path)],
                 ["run", str(tmp_path / "list.yaml"), "--set", "run.seed=1"],
                 *(["config", *override] for override in bad_overrides)):
        proc = subprocess.run([sys.executable, "-m", "fleetlearn.cli", *args], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 2, args
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("fleetlearn: "), proc.stderr
