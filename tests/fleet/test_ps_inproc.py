"""Parameter-server fleets in one process (inproc): the protocol with real tasks, codecs and messages."""

from __future__ import annotations

import math
import zlib

import pytest
import torch
from fleet_testing import InprocFleet, assert_in_step, digits_config

from fleetlearn.codec import decode, encode
from fleetlearn.compress import make_compressor
from fleetlearn.config import DEFAULT_LOCAL_STEPS
from fleetlearn.fleet import topics
from fleetlearn.fleet.build import build_task, partitions
from fleetlearn.fleet.uplink import Uplink
from fleetlearn.msgs import CompressedUpdate, GlobalStep, RobotStatus, RoundAnnouncement


def losses(fleet: InprocFleet) -> list[float]:
    return [r["loss"] for r in fleet.coordinator.recorder.rows if r["event"] == "round"]


def test_compressed_fleet_learns_and_stays_bit_identical(tmp_path) -> None:
    fleet = InprocFleet(digits_config(run={"rounds": 25}), tmp_path)
    assert fleet.config.algorithm.update == "delta" and fleet.config.algorithm.local_steps == DEFAULT_LOCAL_STEPS
    assert fleet.run()
    assert fleet.coordinator.rounds_done == 25
    assert_in_step(fleet)
    curve = losses(fleet)
    assert sum(curve[-5:]) / 5 < 0.9 * sum(curve[:5]) / 5, curve
    rows = [r for robot in fleet.robots.values() for r in robot.recorder.rows if r["event"] == "round"]
    assert len(rows) == 75
    assert all(r["bytes_sent"] <= r["budget_bytes"] for r in rows), "an update exceeded its budget"
    assert all(r["k"] > 0 for r in rows)


@pytest.mark.parametrize(("algorithm", "kind"), [
    ({"name": "topk", "local_steps": 1}, CompressedUpdate.KIND_MODEL_DELTA),  # one step, on the robot's optimiser
    ({"name": "dense", "update": "gradient"}, CompressedUpdate.KIND_GRADIENT),  # the coordinator's optimiser
])
def test_updates_are_the_kind_the_mode_sends_and_the_fleet_learns(tmp_path, algorithm, kind) -> None:
    fleet = InprocFleet(digits_config(algorithm=algorithm, run={"rounds": 10}), tmp_path)
    kinds = []
    fleet.coordinator.bus.subscribe(topics.update_topic("robot_0"), CompressedUpdate, lambda m: kinds.append(m.kind))
    assert fleet.run()
    assert set(kinds) == {kind}
    assert_in_step(fleet)
    curve = losses(fleet)
    assert curve[-1] < 0.97 * curve[0], curve


@pytest.mark.parametrize(("steps", "choice", "on"), [(1, None, True), (4, None, False), (4, True, True),
                                                      (1, False, False)])
def test_training_with_memory_is_the_default_with_one_local_step_only(steps, choice, on) -> None:
    config = digits_config(algorithm={"local_steps": steps, "train_with_memory": choice})
    assert Uplink(config.algorithm, 100).train_with_memory is on
    no_memory = digits_config(algorithm={"local_steps": 1, "error_feedback": False})
    assert Uplink(no_memory.algorithm, 100).train_with_memory is False


@pytest.mark.parametrize("with_memory", [True, False])
def test_robots_take_their_local_steps_from_the_model_plus_their_memory(tmp_path, with_memory) -> None:
    """``train_with_memory``: local steps start where the robot would be had it sent everything (the global
    model plus its error-feedback memory); off, from the global model. Either way the global model moves
    only by global steps, so every node stays bit-identical."""
    fleet = InprocFleet(digits_config(algorithm={"train_with_memory": with_memory}, run={"rounds": 5}), tmp_path)
    robot = fleet.robots["robot_0"]
    take_steps = robot.task.local_steps
    starts = []

    def recorded(steps: int):
        memory = robot.uplink.memory.residual
        expected = fleet.coordinator.task.params_flat()
        if with_memory and memory is not None:
            expected = expected + memory
        starts.append(torch.equal(robot.task.params_flat(), expected))
        return take_steps(steps)

    robot.task.local_steps = recorded
    assert fleet.run()
    assert starts == [True] * 5
    assert_in_step(fleet)


def test_the_downlink_carries_exactly_the_average_of_what_robots_sent(tmp_path) -> None:
    """Delta mode: the coordinator only averages, so the global step is the union of the robots' sparse
    supports, sent whole (no second sparsification), and every node lands on the same model."""
    fleet = InprocFleet(digits_config(algorithm={"keep_ratio": 0.02}, run={"rounds": 6}), tmp_path)
    sent: dict[int, list] = {}
    for name in fleet.robots:
        fleet.coordinator.bus.subscribe(topics.update_topic(name), CompressedUpdate,
                                        lambda m: sent.setdefault(m.round, []).append(m))
    steps = []
    fleet.coordinator.bus.subscribe(topics.STEP, GlobalStep, steps.append, topics.STEP_QOS)
    assert fleet.run()
    assert len(steps) == 6
    for step in steps:
        updates = [decode(bytes(m.payload)).to_dense() for m in sent[step.round]]
        average = torch.stack(updates).mean(0)
        applied = decode(bytes(step.payload)).to_dense()
        assert step.k == int(torch.count_nonzero(average)) <= sum(m.k for m in sent[step.round])
        # fp16 values: the rounding stays in the coordinator's error feedback and travels later
        torch.testing.assert_close(applied, average, rtol=2e-3, atol=2e-3 * float(average.abs().max()))
    assert_in_step(fleet)


def test_a_robot_whose_training_diverged_sends_nothing_and_the_fleet_goes_on(tmp_path) -> None:
    """NaN in a robot's model (diverged training, a corrupted write) makes a NaN update: the robot logs
    and records the skip instead of crashing, and the others keep training the fleet's model."""
    fleet = InprocFleet(digits_config(run={"rounds": 6}), tmp_path)
    broken = fleet.robots["robot_2"]

    def corrupt(announcement: RoundAnnouncement) -> None:
        if announcement.round == 3:  # after joining (a joining robot loads the coordinator's snapshot)
            broken.task.set_params_flat(torch.full_like(broken.task.params_flat(), math.nan))

    broken.bus.subscribe(topics.ROUND, RoundAnnouncement, corrupt, topics.ROUND_QOS)
    assert fleet.run()
    assert fleet.coordinator.rounds_done == 6
    assert torch.isfinite(fleet.coordinator.task.params_flat()).all()
    skipped = [r for r in broken.recorder.rows if r["event"] == "skipped"]
    assert skipped and all(r["reason"] == "non-finite update" for r in skipped)
    assert torch.isfinite(broken.uplink.memory.residual).all()  # its error feedback is not poisoned
    for name in ("robot_0", "robot_1"):
        assert torch.equal(fleet.robots[name].task.params_flat(), fleet.coordinator.task.params_flat())


def test_the_coordinator_hears_how_many_samples_each_robot_trains_on() -> None:
    fleet = InprocFleet(digits_config(robots={"count": 4}, run={"rounds": 2}))
    heard: dict[str, set[int]] = {}
    fleet.coordinator.bus.subscribe(topics.STATUS, RobotStatus, lambda m: heard.setdefault(m.robot_id, set()).add(
        m.num_samples) if m.state != RobotStatus.STATE_LEAVING else None)
    assert fleet.run()
    shares = {name: len(items) for name, items in partitions(fleet.config).items()}
    assert sorted(set(shares.values())) == [336, 337]  # 1,347 digits dealt to 4 robots
    assert heard == {name: {count} for name, count in shares.items()}


def test_the_learning_rate_schedule_spans_every_round_of_local_steps() -> None:
    config = digits_config(algorithm={"local_steps": 3}, run={"rounds": 10}, optimizer={"warmup_rounds": 2})
    task = build_task(config, "robot_0", partitions(config)["robot_0"])
    rates = []
    for _ in range(10):
        task.local_steps(3)
        rates.append(task.lr)
    assert max(rates) == rates[1] and rates[-2] > 0 and rates[-1] < 1e-3 * rates[1], rates


def test_adaptive_k_follows_each_robots_measured_link(tmp_path) -> None:
    config = digits_config(link={"cap_bps": None, "comm_time_s": 0.5, "latency_s": 0.002},
                           algorithm={"keep_ratio": 1.0},
                           robots={"overrides": {"robot_0": {"rate_bps": 200_000}, "robot_1": {"rate_bps": 2_000_000}}})
    fleet = InprocFleet(config, tmp_path)
    assert fleet.run()
    late = {name: [r for r in robot.recorder.rows if r["event"] == "round"][-5:]
            for name, robot in fleet.robots.items()}
    for name, rate in (("robot_0", 200_000), ("robot_1", 2_000_000)):
        for row in late[name]:
            assert row["bytes_sent"] <= row["budget_bytes"]
            assert abs(row["throughput_bps"] - rate) / rate < 0.1, (name, row["throughput_bps"])
            # the budget is what the measured link carries in the communication time, minus latency
            assert row["budget_bytes"] > 0.8 * rate * 0.5 / 8
    assert late["robot_0"][-1]["k"] * 5 < late["robot_1"][-1]["k"]


def test_bad_updates_are_rejected_and_training_goes_on(tmp_path) -> None:
    fleet = InprocFleet(digits_config(run={"rounds": 8}), tmp_path)
    rogue = fleet.network.bus("rogue")
    coordinator = fleet.coordinator
    d = coordinator.d
    sent: list[str] = []

    def attack(announcement: RoundAnnouncement) -> None:
        current = coordinator.round
        if current is None or sent or announcement.state != RoundAnnouncement.STATE_OPEN:
            return
        good = encode(make_compressor("topk", keep_ratio=0.01).compress(torch.randn(d)))

        def update(**fields) -> CompressedUpdate:
            payload = fields.pop("payload", good)
            values = dict(robot_id="robot_0", round=current.number, model_version=current.version, codec="topk",
                          kind=CompressedUpdate.KIND_MODEL_DELTA, num_params=d, k=10, batch_size=32, loss=1.0,
                          payload=payload, crc32=zlib.crc32(payload))
            values.update(fields)
            return CompressedUpdate(**values)

        attacks = {
            "wrong_version": update(model_version=current.version + 7),
            "stale_round": update(round=current.number + 3),
            "checksum": update(crc32=123),
            "undecodable": update(payload=b"\x00" * 64, crc32=zlib.crc32(b"\x00" * 64)),
            "wrong_size": update(num_params=d + 1),
            "robot_id_mismatch": update(robot_id="robot_1"),
            "non_finite": update(loss=math.nan),  # NaN values in a payload fail decoding: "undecodable"
            "wrong_codec": update(codec="sign"),  # a sign payload would crash a Top-K mean, and vice versa
            "wrong_kind": update(kind=CompressedUpdate.KIND_GRADIENT),  # a gradient averaged as a model change
            "bad_batch_size": update(batch_size=0),
        }
        for reason, msg in attacks.items():
            rogue.publish(topics.update_topic("robot_0"), msg)
            sent.append(reason)
        rogue.publish(topics.STATUS, RobotStatus(robot_id="robot_9", state=RobotStatus.STATE_JOINING))
        sent.append("unknown_robot")

    rogue.subscribe(topics.ROUND, RoundAnnouncement, attack, topics.ROUND_QOS)
    assert fleet.run()
    assert coordinator.rounds_done == 8
    assert len(sent) == 11, sent
    for reason in sent:
        assert coordinator.rejected[reason] >= 1, (reason, coordinator.rejected)
    assert torch.isfinite(coordinator.task.params_flat()).all()
    assert "robot_9" not in coordinator.members
    assert_in_step(fleet)


def test_dead_robot_is_dropped_and_late_joiner_catches_up(tmp_path) -> None:
    config = digits_config(run={"rounds": 16}, round={"min_robots": 1, "robot_timeout_s": 2.0, "start_wait_s": 1.0},
                           robots={"step_time_s": 0.1})
    fleet = InprocFleet(config, tmp_path, robots=["robot_0", "robot_1"])
    assert fleet.run(until=lambda: fleet.coordinator.rounds_done >= 4)
    fleet.robots["robot_1"].bus.close()  # dies without a word
    late = fleet.add_robot("robot_2")
    assert fleet.run()
    assert fleet.coordinator.rounds_done == 16
    assert "robot_1" not in fleet.coordinator.members
    assert late.version == fleet.coordinator.version
    assert torch.equal(late.task.params_flat(), fleet.coordinator.task.params_flat())
    contributors = [r["participants"] for r in fleet.coordinator.recorder.rows if r["event"] == "round"]
    assert contributors[-1] == 2  # robot_0 and the late joiner


def test_a_dropped_robot_that_returns_is_heard_once_and_rounds_do_not_wait_for_it(tmp_path) -> None:
    config = digits_config(run={"rounds": 16}, robots={"count": 2, "step_time_s": 0.1},
                           round={"min_robots": 1, "deadline_s": 30.0, "robot_timeout_s": 1.5, "start_wait_s": 1.0})
    fleet = InprocFleet(config, tmp_path)
    coordinator = fleet.coordinator
    assert fleet.run(until=lambda: coordinator.rounds_done >= 3)
    fleet.robots["robot_1"].bus.close()
    started = coordinator.bus.now()
    assert fleet.run(until=lambda: "robot_1" not in coordinator.members and coordinator.rounds_done >= 5)
    # the open round closed when its missing robot was dropped, not at its 30 s deadline
    assert coordinator.bus.now() - started < 10.0
    fleet.add_robot("robot_1")
    assert fleet.run()
    assert coordinator.rounds_done == 16
    assert coordinator.rejected["duplicate"] == 0, coordinator.rejected
    participants = [r["participants"] for r in coordinator.recorder.rows if r["event"] == "round"]
    assert participants[-1] == 2
    assert_in_step(fleet)


@pytest.mark.parametrize("algorithm", [{"name": "threshold", "threshold": 1e-3},
                                       {"name": "topk", "scope": "layer"}], ids=["threshold", "topk_layer"])
def test_every_sparsifier_setting_trains(tmp_path, algorithm) -> None:
    fleet = InprocFleet(digits_config(algorithm=algorithm, run={"rounds": 6}), tmp_path)
    assert fleet.run()
    assert fleet.coordinator.rounds_done == 6
    rows = [r for robot in fleet.robots.values() for r in robot.recorder.rows if r["event"] == "round"]
    assert len(rows) == 18 and all(r["k"] > 0 for r in rows)
    assert_in_step(fleet)


def test_rounds_without_enough_updates_are_announced_again_under_new_numbers(tmp_path) -> None:
    """With min_robots 2 and one robot gone, rounds close empty; training resumes when it is back."""
    config = digits_config(run={"rounds": 10}, robots={"count": 2},
                           round={"min_robots": 2, "deadline_s": 1.0, "robot_timeout_s": 30.0, "start_wait_s": 1.0})
    fleet = InprocFleet(config, tmp_path)
    assert fleet.run(until=lambda: fleet.coordinator.rounds_done >= 3)
    fleet.robots["robot_1"].bus.close()
    assert fleet.run(until=lambda: fleet.coordinator.round_number >= fleet.coordinator.rounds_done + 3)
    steps_while_gone = fleet.coordinator.rounds_done
    fleet.add_robot("robot_1")  # back, under the same name: it resyncs from a snapshot
    assert fleet.run()
    assert steps_while_gone <= 4 and fleet.coordinator.rounds_done == 10
    assert fleet.coordinator.round_number > 10
    assert_in_step(fleet)


def test_heartbeats_queued_behind_updates_do_not_skew_the_link_estimate(tmp_path) -> None:
    """Updates that fill the link every ~1 s and a 1 s heartbeat: for many rounds every status waits
    behind an update. Taken as latency, those waits once shrank the budget and inflated the rate
    estimate up to 10x, and whole rounds then missed the deadline."""
    config = digits_config(run={"rounds": 100}, robots={"count": 2, "heartbeat_s": 1.0, "overrides": {
                               "robot_0": {"rate_bps": 500_000}, "robot_1": {"rate_bps": 4_000_000}}},
                           algorithm={"keep_ratio": 1.0}, link={"cap_bps": None, "comm_time_s": 1.0,
                                                                "latency_s": 0.005},
                           round={"deadline_s": 1.25, "robot_timeout_s": 30.0})
    fleet = InprocFleet(config, tmp_path)
    assert fleet.run()
    rounds = [r for r in fleet.coordinator.recorder.rows if r["event"] == "round"]
    assert len(rounds) == 100 and all(r["participants"] == 2 for r in rounds[2:])
    for name, rate in (("robot_0", 500_000), ("robot_1", 4_000_000)):
        rows = [r for r in fleet.robots[name].recorder.rows if r["event"] == "round"][3:]
        assert all(abs(r["throughput_bps"] - rate) / rate < 0.1 for r in rows), name
