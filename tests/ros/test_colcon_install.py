"""A plain ``colcon build`` (no --symlink-install) of fleetlearn, fleetlearn_msgs and fleetlearn_ros for a
Python without fleetlearn of its own, used as a ROS user does (``source install/setup.bash``): the install
holds every module and no link into the source, its node executables train and stop with exit code 0 on
Ctrl-C, and its ``fleetlearn report`` names the interruption.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from install_testing import PYTHON_PACKAGES, REPO, SRC, modules, venv_without_fleetlearn

from fleetlearn.metrics_files import node_rows
from fleetlearn_ros.launch_plan import fleet_plan, gossip_plan

pytestmark = [pytest.mark.ros, pytest.mark.slow]

ROUNDS = "1000"  # more than the test waits for: Ctrl-C ends the run


@pytest.fixture(scope="module")
def colcon_install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The install folder, and the environment ``source install/setup.bash`` makes."""
    tmp = tmp_path_factory.mktemp("colcon")
    python = venv_without_fleetlearn(tmp / "venv")
    build = subprocess.run([str(REPO / "scripts" / "colcon_build.sh"), sys.prefix, str(tmp), "--base-paths", "src"],
                           env={**os.environ, "PYTHON": str(python)}, capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    install = tmp / "install"
    sourced = subprocess.run(["bash", "-c", f"source {install}/setup.bash && env -0"], capture_output=True,
                             check=True, env={**os.environ, "PATH": f"{python.parent}:{os.environ['PATH']}"})
    env = dict(line.split("=", 1) for line in sourced.stdout.decode().split("\0") if "=" in line)
    return install, env


def test_the_install_is_complete_and_stands_alone(colcon_install: tuple[Path, dict[str, str]],
                                                  tmp_path: Path) -> None:
    install, env = colcon_install
    links = [p for p in install.rglob("*") if p.is_symlink() and p.resolve().is_relative_to(REPO)]
    assert not links, f"links into the source: {links[:5]}"
    for package in PYTHON_PACKAGES:
        site = next((install / package).glob("lib/python*/site-packages"))
        assert modules(site, package) == modules(SRC / package, package), package
    where = subprocess.run(["python", "-c", "import fleetlearn, fleetlearn_ros; print(fleetlearn.__file__, "
                            "fleetlearn_ros.__file__)"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    assert all(Path(p).is_relative_to(install) for p in where.stdout.split()), where.stdout


def wait_for_rounds(run_dir: Path, nodes_: list[str], procs: dict[str, subprocess.Popen], tail) -> None:
    deadline = time.monotonic() + 180
    while not all(any(r["event"] == "round" for r in node_rows(run_dir / "metrics" / f"{n}.jsonl")) for n in nodes_):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs.values()), \
            {key: tail(key) for key in procs}
        time.sleep(0.2)


def stop_all(procs: dict[str, subprocess.Popen], nodes) -> None:
    for proc in procs.values():
        proc.send_signal(signal.SIGINT)
    for key in procs:
        assert nodes.wait(key, 60) == 0, nodes.tail(key)


def test_the_installed_coordinator_and_robot_train_and_stop_on_ctrl_c(
        colcon_install: tuple[Path, dict[str, str]], nodes, tmp_path: Path) -> None:
    install, env = colcon_install
    params = install / "fleetlearn_ros" / "share" / "fleetlearn_ros" / "config" / "fleet_smoke_params.yaml"
    plans = fleet_plan({"num_robots": "1", "rounds": ROUNDS, "run_name": "colcon"})
    procs = nodes.start(plans, params, tmp_path, prefix=install / "fleetlearn_ros", env=env)
    run_dir = tmp_path / "runs" / "colcon"
    wait_for_rounds(run_dir, ["coordinator", "robot_0"], procs, nodes.tail)
    stop_all(procs, nodes)
    report = subprocess.run([str(install / "fleetlearn" / "bin" / "fleetlearn"), "report", str(run_dir)], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert report.returncode == 1, report.stderr
    assert f"of {ROUNDS} rounds (interrupted)" in report.stderr, report.stderr


def test_the_installed_gossip_peers_train_and_stop_on_ctrl_c(
        colcon_install: tuple[Path, dict[str, str]], nodes, tmp_path: Path) -> None:
    install, env = colcon_install
    params = install / "fleetlearn_ros" / "share" / "fleetlearn_ros" / "config" / "fleet_smoke_params.yaml"
    plans = gossip_plan({"num_robots": "2", "algorithm": "choco", "keep_ratio": "0.1", "rounds": ROUNDS,
                         "run_name": "gossip"})
    procs = nodes.start(plans, params, tmp_path, prefix=install / "fleetlearn_ros", env=env)
    wait_for_rounds(tmp_path / "runs" / "gossip", ["robot_0", "robot_1"], procs, nodes.tail)
    stop_all(procs, nodes)
