"""docker/compose.yaml run for real: the coordinator and three robots in containers on the compose
file's internal bridge, each robot's uplink shaped by tc, over rclpy's Fast DDS.

Root only (CI runs as root): the test installs docker.io, docker-compose and debootstrap with the
project's apt-get step, starts dockerd in a network namespace of its own (compose_testing), makes
the base image with debootstrap (no registry), runs ``docker-compose -f docker/compose.yaml -f
docker/compose.ci.yaml up --build --exit-code-from coordinator``, reads the results from the runs
volume, then stops the daemon and deletes the namespace. One run serves every test here.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from netsim.netsim_testing import host_network_state

from fleetlearn.metrics_files import node_rows
from fleetlearn.report import check_run

from .compose_testing import REPO, Dockerd, install_tools, skip_reason

SKIP = skip_reason()
pytestmark = [pytest.mark.slow, pytest.mark.netns, pytest.mark.skipif(SKIP is not None, reason=SKIP or "")]

DOCKER = REPO / "docker"
COMPOSE = ["docker-compose", "-f", str(DOCKER / "compose.yaml"), "-f", str(DOCKER / "compose.ci.yaml")]
PARAMS = yaml.safe_load((REPO / "config" / "compose_ci_params.yaml").read_text())["/**"]["ros__parameters"]
ROBOTS = [f"robot_{i}" for i in range(PARAMS["robots.count"])]
SERVICES = ["coordinator", *ROBOTS]
WARMUP = 3          # a robot's first rounds run on the prior rate, before anything was measured
TOLERANCE = 0.2
TC_UNITS = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}


def compose_environment(dockerd: Dockerd) -> dict[str, str]:
    """What docker/compose.ci.yaml mounts: the workspace, the project venv and the venv's base Python."""
    return {**dockerd.env, "FLEETLEARN_ROOT": str(REPO), "FLEETLEARN_VENV": sys.prefix,
            "FLEETLEARN_PYTHON_HOME": str(Path(sys.base_prefix).resolve())}


@pytest.fixture(scope="module")
def compose_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the compose fleet once; exit codes, the runs volume's contents, what the daemon's namespace held,
    and the host's network state before and after."""
    if Path(sys.base_prefix).resolve() == Path("/usr"):
        pytest.skip("the compose test mounts the venv's base Python at its own path, and /usr cannot be")
    install_tools()
    tmp = tmp_path_factory.mktemp("compose")
    before = host_network_state()
    dockerd = Dockerd(tmp / "dockerd", f"fleetlearn-compose-{os.getpid()}")
    result: dict[str, Any] = {"before": before}
    try:
        dockerd.start()
        subprocess.run([str(DOCKER / "ci_base.sh"), str(dockerd.workdir / "base")], env=dockerd.env,
                       check=True, timeout=600)
        shutil.rmtree(dockerd.workdir / "base")
        env = compose_environment(dockerd)
        result["config"] = yaml.safe_load(subprocess.run([*COMPOSE, "config"], env=env, capture_output=True,
                                                         text=True, check=True).stdout)
        up = subprocess.run([*COMPOSE, "up", "--build", "--exit-code-from", "coordinator"], env=env,
                            capture_output=True, text=True, timeout=900)
        result["up"] = (up.returncode, up.stdout[-6000:] + up.stderr[-3000:])
        result["links"] = dockerd.namespace_links()
        result["namespace"] = dockerd.namespace_network_state()
        result["internal"] = dockerd.docker("network", "inspect", "-f", "{{.Internal}}", "fleetlearn_fleet").stdout
        result["exit_codes"] = {}
        for service in SERVICES:
            container = subprocess.run([*COMPOSE, "ps", "-q", service], env=env, capture_output=True, text=True,
                                       check=True).stdout.strip()
            code = dockerd.docker("inspect", "-f", "{{.State.ExitCode}}", container).stdout.strip()
            result["exit_codes"][service] = int(code)
        volume = dockerd.docker("volume", "inspect", "-f", "{{.Mountpoint}}", "fleetlearn_runs").stdout.strip()
        shutil.copytree(Path(volume), tmp / "runs")
        result["run_dir"] = tmp / "runs" / PARAMS["run.name"]
        subprocess.run([*COMPOSE, "down", "--volumes"], env=env, capture_output=True, timeout=300)
    finally:
        result["forced"] = dockerd.stop()
        result["after"] = host_network_state()
        result["left"] = (dockerd.workdir.exists(), dockerd.leftover_processes())
    return result


def rate_bps(tc_rate: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", tc_rate).groups()
    return float(number) * TC_UNITS[unit]


def test_the_fleet_runs_to_the_end_and_every_container_exits_0(compose_run: dict[str, Any]) -> None:
    code, output = compose_run["up"]
    assert code == 0, output
    assert compose_run["exit_codes"] == dict.fromkeys(SERVICES, 0), output


def test_results_are_in_the_runs_volume_and_the_report_finds_the_run_complete(compose_run: dict[str, Any]) -> None:
    run_dir = compose_run["run_dir"]
    assert sorted(p.name for p in (run_dir / "metrics").glob("*.jsonl")) == [f"{s}.jsonl" for s in sorted(SERVICES)]
    assert sorted(p.stem for p in (run_dir / "config").glob("*.yaml")) == sorted(SERVICES)
    assert (run_dir / "model.pt").stat().st_size > 0
    assert check_run(run_dir) == [], "every node finished, the coordinator after all rounds, on one model"
    finish = [r for r in node_rows(run_dir / "metrics" / "coordinator.jsonl") if r["event"] == "finish"][-1]
    assert (finish["round"], finish["reason"]) == (PARAMS["run.rounds"], "done")


def test_every_node_ends_on_the_same_model(compose_run: dict[str, Any]) -> None:
    crcs = {node: [r for r in node_rows(compose_run["run_dir"] / "metrics" / f"{node}.jsonl")
                   if r["event"] == "finish"][-1]["model_crc32"] for node in SERVICES}
    assert len(set(crcs.values())) == 1, crcs


def test_each_robot_measures_its_shaped_rate_within_20_percent(compose_run: dict[str, Any]) -> None:
    """The median of its rounds after warm-up: a robot's own measurement, from DDS acknowledgements."""
    for robot in ROBOTS:
        shaped = rate_bps(compose_run["config"]["services"][robot]["environment"]["LINK_RATE"])
        measured = [r["throughput_bps"] for r in node_rows(compose_run["run_dir"] / "metrics" / f"{robot}.jsonl")
                    if r["event"] == "round" and r["round"] > WARMUP]
        assert len(measured) >= 5, f"{robot}: {len(measured)} rounds after warm-up"
        median = statistics.median(measured)
        print(f"{robot}: shaped {shaped / 1e6:g} Mbit/s, measured {median / 1e6:.3f} (median of {len(measured)} "
              f"rounds, {min(measured) / 1e6:.3f} .. {max(measured) / 1e6:.3f})")
        assert abs(median / shaped - 1) <= TOLERANCE, f"{robot}: measured {median / 1e6:.3f} Mbit/s, shaped " \
                                                      f"{shaped / 1e6:g}"


def test_dds_stays_on_the_internal_bridge_in_the_test_namespace(compose_run: dict[str, Any]) -> None:
    assert compose_run["internal"].strip() == "true"
    own = {link for link in compose_run["links"] if link == "lo" or link.startswith(("docker0", "br-", "veth"))}
    assert own == compose_run["links"], "the daemon's namespace holds only its own bridges and veths"
    assert "docker0" in own and any(link.startswith("br-") for link in own)


def test_what_the_daemon_changes_it_changes_in_its_namespace(compose_run: dict[str, Any]) -> None:
    """docker0 (above), its chains, MASQUERADE, FORWARD DROP and ip_forward=1: there, not on the host."""
    rules, forward = compose_run["namespace"]
    assert ":FORWARD DROP" in rules and ":DOCKER-ISOLATION-STAGE-1 -" in rules, rules
    assert any("-j MASQUERADE" in rule for rule in rules), rules
    assert forward == "1"


def test_the_host_is_left_as_it_was(compose_run: dict[str, Any]) -> None:
    assert compose_run["forced"] == [], "dockerd stopped by SIGTERM, and left nothing running or mounted"
    assert compose_run["after"] == compose_run["before"]
    assert compose_run["left"] == (False, [])


def test_docker_compose_v1_accepts_the_users_compose_file() -> None:
    """docker compose (v2) is not packaged for Debian 12; test_docker checks the file against the compose spec."""
    check = subprocess.run(["docker-compose", "-f", str(DOCKER / "compose.yaml"), "config", "-q"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
