"""The network plan from a config: addresses, links, schedule, checked before anything is made on the host."""

from __future__ import annotations

import pytest

from fleetlearn.config import Config, ConfigError, RateChange, config_from_dict
from fleetlearn.netsim.plan import Link, Schedule, apply_change, plan_network
from fleetlearn.netsim.tail import JsonlTail


def config(**network: object) -> Config:
    return config_from_dict({"robots": {"count": 3}, "network": network})


def test_addresses_come_from_the_subnet_coordinator_first_and_links_default_to_the_network() -> None:
    plan = plan_network(config(subnet="10.9.0.0/29", rate_bps=4e6, loss=0.01,
                               robots={"robot_1": {"rate_bps": 1e6}, "robot_2": {"loss": 0.0}}))
    assert plan.addresses == {"coordinator": "10.9.0.1", "robot_0": "10.9.0.2", "robot_1": "10.9.0.3",
                              "robot_2": "10.9.0.4"}
    assert plan.prefix_len == 29
    assert plan.links == {"robot_0": Link(4e6, 0.01), "robot_1": Link(1e6, 0.01), "robot_2": Link(4e6, 0.0)}
    assert plan.uses_loss


@pytest.mark.parametrize(("network", "message"), [
    ({"subnet": "10.9.0.0/30"}, "network.subnet: 10.9.0.0/30 has too few addresses for 4 nodes"),
    ({"subnet": "10.9.0.1/24"}, "network.subnet: 10.9.0.1/24 has host bits set"),
    ({"robots": {"robot_7": {"rate_bps": 1e6}}}, "network.robots.robot_7: 'robot_7' is not a robot of this run"),
    ({"robots": {"robot_0": {"loss": 1.5}}}, "network.robots.robot_0.loss: must be in [0, 1)"),
    ({"schedule": [{"robot": "robot_9", "round": 3}]}, "network.schedule[0].robot: 'robot_9' is not a robot"),
    ({"schedule": [{"robot": "robot_0", "round": 3, "rate_bps": -1}]}, "network.schedule[0].rate_bps: must be > 0"),
    ({"burst_bytes": 1000}, "network.burst_bytes: must hold a full 1500-byte packet"),
])
def test_bad_network_settings_name_the_field(network: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        plan_network(config(**network))
    assert str(error.value).startswith(message)


def test_netsim_needs_the_dds_transport_and_parameter_server_mode() -> None:
    with pytest.raises(ConfigError, match=r"transport\.name: netsim runs its nodes over dds"):
        plan_network(config_from_dict({"transport": {"name": "inproc"}}))
    with pytest.raises(ConfigError, match=r"^mode: netsim runs parameter-server fleets"):
        plan_network(config_from_dict({"mode": "gossip", "algorithm": {"name": "choco"}}))


def test_a_change_at_round_r_is_due_once_round_r_minus_1_is_done_and_only_once() -> None:
    at_round = RateChange(robot="robot_2", round=20, rate_bps=1e6)
    at_time = RateChange(robot="robot_0", time_s=5.0, loss=0.1)
    schedule = Schedule([at_round, at_time])
    assert schedule.uses_loss()
    assert schedule.due(rounds_done=18, elapsed_s=1.0) == []
    assert schedule.due(rounds_done=19, elapsed_s=1.0) == [(0, at_round)]
    assert schedule.due(rounds_done=25, elapsed_s=4.9) == []
    assert schedule.due(rounds_done=25, elapsed_s=5.0) == [(1, at_time)]
    assert schedule.due(rounds_done=99, elapsed_s=99.0) == []


def test_a_change_keeps_what_it_leaves_out() -> None:
    link = Link(10e6, 0.02)
    assert apply_change(link, RateChange(robot="robot_0", round=1, rate_bps=1e6)) == Link(1e6, 0.02)
    assert apply_change(link, RateChange(robot="robot_0", round=1, loss=0.0)) == Link(10e6, 0.0)


def test_tail_returns_complete_lines_once(tmp_path) -> None:
    path = tmp_path / "node.jsonl"
    tail = JsonlTail(path)
    assert tail.read() == []
    path.write_text('{"round": 1}\n{"rou')
    assert tail.read() == [{"round": 1}]
    with path.open("a") as f:
        f.write('nd": 2}\n')
    assert tail.read() == [{"round": 2}]
    assert tail.read() == []
