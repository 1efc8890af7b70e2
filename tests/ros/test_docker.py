"""docker/: the compose file and the Dockerfile, checked statically.

tests/compose runs the compose file for real with docker-compose v1 (Debian 12's); docker compose v2
cannot be installed here and the compose-spec JSON schema cannot be fetched, so these checks cover the
structure this file relies on, with the key names and value types the spec defines (and no key v1
rejects), and every file, executable, launch argument and parameter file the containers name.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import yaml

from fleetlearn_ros import launch_plan

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
SHARE = "/ws/install/fleetlearn_ros/share/fleetlearn_ros/"

# compose-spec top-level and service properties this file may use (a subset of the spec's names)
TOP_LEVEL = {"services", "networks", "volumes"}  # no `name:`: docker-compose v1 rejects it (docker/.env names it)
SERVICE_KEYS = {"build", "image", "command", "environment", "volumes", "networks", "cap_add", "depends_on",
                "stop_grace_period", "pull_policy", "init"}
BUILD_KEYS = {"context", "dockerfile"}
PULL_POLICIES = {"always", "never", "missing", "build", "if_not_present"}
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")
CAPABILITIES = {"NET_ADMIN"}
ROBOTS = [f"robot_{i}" for i in range(3)]


def test_compose_uses_only_spec_keys_with_spec_types() -> None:
    assert set(COMPOSE) - {k for k in COMPOSE if k.startswith("x-")} <= TOP_LEVEL
    project = dict(line.split("=", 1) for line in (DOCKER / ".env").read_text().splitlines()
                   if line and not line.startswith("#"))["COMPOSE_PROJECT_NAME"]
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", project)
    for name, service in COMPOSE["services"].items():
        assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", name)
        assert set(service) <= SERVICE_KEYS, f"{name}: {set(service) - SERVICE_KEYS}"
        assert "image" in service or "build" in service
        assert isinstance(service["command"], list) and all(isinstance(a, str) for a in service["command"])
        assert all(isinstance(v, str) for v in service["environment"].values()), f"{name}: env values are strings"
        assert DURATION.match(service["stop_grace_period"])
        assert service["init"] is True, f"{name}: without an init, PID 1 ignores docker stop's SIGTERM"
        assert set(service.get("cap_add", [])) <= CAPABILITIES
        assert service.get("pull_policy", "missing") in PULL_POLICIES
        for dependency in service.get("depends_on", []):
            assert dependency in COMPOSE["services"]
        for network in service["networks"]:
            assert network in COMPOSE["networks"]
        for volume in service["volumes"]:
            source, target = volume.split(":")
            assert source in COMPOSE["volumes"] and target.startswith("/"), volume
    for network in COMPOSE["networks"].values():
        assert network["driver"] == "bridge" and network["internal"] is True, "DDS must stay on this host"


def test_one_image_built_from_the_dockerfile_in_the_workspace_context() -> None:
    built = [s for s in COMPOSE["services"].values() if "build" in s]
    assert len(built) == 1 and set(built[0]["build"]) <= BUILD_KEYS
    context = (DOCKER / built[0]["build"]["context"]).resolve()
    assert context == REPO and (context / built[0]["build"]["dockerfile"]).is_file()
    images = {s["image"] for s in COMPOSE["services"].values()}
    assert len(images) == 1
    assert all(s.get("pull_policy") == "never" for s in COMPOSE["services"].values() if "build" not in s)


def test_each_robot_has_its_own_data_volume_and_shares_the_run_volume() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"coordinator", *ROBOTS}
    data = [next(v for v in services[n]["volumes"] if v.endswith(":/data")) for n in services]
    assert len(set(data)) == len(data), "one data volume per container"
    assert all("runs:/runs" in s["volumes"] for s in services.values())


def test_robots_shape_their_links_and_all_speak_cyclone_on_one_domain() -> None:
    services = COMPOSE["services"]
    for name in ROBOTS:
        env = services[name]["environment"]
        assert "NET_ADMIN" in services[name]["cap_add"]
        assert re.fullmatch(r"\d+(\.\d+)?(bit|kbit|mbit|gbit)", env["LINK_RATE"]), env["LINK_RATE"]
    environments = [{k: v for k, v in s["environment"].items() if k != "LINK_RATE"} for s in services.values()]
    assert all(env == environments[0] for env in environments)
    assert environments[0]["RMW_IMPLEMENTATION"] == "rmw_cyclonedds_cpp"
    # multicast does not cross an internal docker network: every container is a unicast peer
    assert environments[0]["ROS_STATIC_PEERS"].split(";") == list(services)


def test_the_commands_name_installed_executables_declared_arguments_and_files() -> None:
    services = COMPOSE["services"]
    coordinator = services["coordinator"]["command"]
    assert coordinator[:4] == ["ros2", "run", "fleetlearn_ros", "coordinator_node"]
    params = coordinator[coordinator.index("--params-file") + 1]
    assert params.startswith(SHARE) and (REPO / params.removeprefix(SHARE)).is_file()
    declared = {a.name for a in launch_plan.ROBOT_ARGUMENTS} | {launch_plan.PARAMS_FILE}
    for name in ROBOTS:
        command = services[name]["command"]
        assert command[:4] == ["ros2", "launch", "fleetlearn_ros", "robot.launch.py"]
        arguments = dict(a.split(":=", 1) for a in command[4:])
        assert set(arguments) <= declared
        assert arguments["robot_id"] == name
        assert arguments["discovery_range"] == "SUBNET", "robot.launch.py defaults to LOCALHOST"
        assert (REPO / arguments["params_file"].removeprefix(SHARE)).is_file()
        plan = launch_plan.robot_plan(arguments)[0]
        assert plan.parameters["run.name"] == "compose" and plan.namespace == f"/{name}"
    compose_params = yaml.safe_load((REPO / "config" / "compose_params.yaml").read_text())["/**"]["ros__parameters"]
    assert compose_params["run.name"] == "compose" and compose_params["task.data_root"] == "/data"
    assert compose_params["run.output_dir"] == "/runs"
    assert compose_params["robots.count"] == len(ROBOTS)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_builds_the_workspace_on_an_official_ros_image() -> None:
    instructions = dockerfile_instructions()
    args = {value.split("=")[0]: value.split("=")[1] for op, value in instructions if op == "ARG" and "=" in value}
    base = next(value for op, value in instructions if op == "FROM").replace("${ROS_DISTRO}", args["ROS_DISTRO"])
    assert base in ("ros:kilted", "ros:jazzy")
    ignore = [line for line in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]
    assert ignore[0] == "*", "the context sends only what is copied (not .venv, data, runs)"
    sent = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for op, value in instructions:
        if op == "COPY":
            *sources, _ = shlex.split(value)
            for source in sources:
                assert (REPO / source).exists() and source.rstrip("/") in sent, source
    run = " ".join(value for op, value in instructions if op == "RUN")
    assert "download.pytorch.org/whl/cpu" in run and "rmw-cyclonedds-cpp" in run and "colcon build" in run
    entrypoint = next(value for op, value in instructions if op == "ENTRYPOINT")
    assert entrypoint == '["/entrypoint.sh"]'


def test_the_entrypoint_is_an_executable_bash_script_that_shapes_with_tc() -> None:
    script = DOCKER / "entrypoint.sh"
    assert script.stat().st_mode & 0o111, "executable"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    assert "tc qdisc replace dev" in text and "tbf rate" in text and 'exec "$@"' in text
