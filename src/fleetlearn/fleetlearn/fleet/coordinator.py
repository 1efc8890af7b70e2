"""The coordinator of parameter-server mode, written against the Bus only.

Round r: announce (round, model version, deadline, expected robots) → collect the
updates that arrive before the deadline (partial participation) → aggregate, step,
publish the compressed global step → open round r+1. Robots announce themselves on
``/fleet/status``; a robot that joins or falls behind gets a snapshot; a robot that
stays silent longer than the timeout is dropped and training goes on.

Every ``run.checkpoint_every`` rounds and when it stops, the coordinator checkpoints its whole
state (``checkpoint``); started with ``run.resume`` it goes on from the last intact one as a new
*incarnation*, a number every announcement, step and snapshot carries, so robots can tell a
restart from a stale message. Its round numbers go on past any it used before.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..aggregate import Contribution
from ..config import Config, ConfigError, robot_names
from ..metrics_files import metrics_path, node_rows
from ..msgs import CompressedUpdate, GlobalStep, Header, RobotStatus, RoundAnnouncement, SnapshotRequest, Time
from ..task import Task
from ..transport import Bus
from . import topics
from .checkpoint import CheckpointWriter, checkpoint_dir, load_latest
from .recorder import Recorder
from .server import Server, params_crc32
from .snapshot import snapshot_chunks
from .uplink import dense_message_bytes
from .validate import ROBOT_ID, Rejected, decode_payload

log = logging.getLogger(__name__)


@dataclass
class Member:
    robot_id: str
    last_seen: float
    state: int = RobotStatus.STATE_JOINING
    model_version: int = 0
    snapshot_sent_at: float = -math.inf
    snapshot_version: int = -1


@dataclass
class OpenRound:
    number: int
    version: int
    deadline: float
    expected: list[str]
    opened_at: float
    received: dict[str, Contribution] = field(default_factory=dict)
    bytes_received: int = 0


class Coordinator:
    """Parameter-server coordinator node logic."""

    def __init__(self, bus: Bus, task: Task, config: Config, run_dir: Path | None = None,
                 evaluate: Callable[[Task], dict[str, Any]] | None = None) -> None:
        self.bus = bus
        self.task = task
        self.config = config
        self.run_dir = run_dir
        self.server = Server(task, config.algorithm, seed=config.run.seed)
        self.evaluate = evaluate or (lambda t: t.evaluate())
        self.d = task.num_params
        self.version = 0
        self.round: OpenRound | None = None
        self.rounds_done = 0   # global steps made (rounds that had enough updates)
        self.round_number = 0  # last round announced: every announcement gets a new number
        self.members: dict[str, Member] = {}
        self.fleet = set(robot_names(config.robots.count))
        self.subscribed: set[str] = set()  # a Bus subscription lives on after its robot is dropped
        self.update_codec = config.algorithm.entry.compressor
        self.update_kind = (CompressedUpdate.KIND_MODEL_DELTA if config.algorithm.sends_deltas
                            else CompressedUpdate.KIND_GRADIENT)
        self.rejected: Counter[str] = Counter()
        self.total_uplink = 0
        self.total_downlink = 0
        self.done = False
        self.finish_reason: str | None = None  # "done" when every round ran; the process exits non-zero otherwise
        self.started_at = bus.now()
        self.last_eval: dict[str, Any] = {}
        self.incarnation = 0  # +1 on each resume
        resumed = self._resume() if config.run.resume else None
        self.recorder = Recorder(bus, "coordinator", run_dir, resumed)
        self.checkpoints = CheckpointWriter(checkpoint_dir(run_dir, "coordinator")) if run_dir is not None else None
        self._round_timer = None
        self._dense_step_bytes: int | None = None
        if resumed is not None:
            self.checkpoint(wait=True)  # this incarnation is on disk before it says a word: a second resume
            # that finds no newer checkpoint still counts past it
            if self.rounds_done >= config.run.rounds:
                bus.call_later(0.0, self.finish)  # it had done every round: it only says so again
        bus.advertise(topics.ROUND, RoundAnnouncement, topics.ROUND_QOS)
        bus.advertise(topics.STEP, GlobalStep, topics.STEP_QOS)
        bus.subscribe(topics.STATUS, RobotStatus, self.on_status)
        bus.subscribe(topics.SNAPSHOT_REQUEST, SnapshotRequest, self.on_snapshot_request)
        bus.call_every(config.robots.heartbeat_s, self.check_members)

    # -- membership ---------------------------------------------------------------
    def active_members(self) -> list[str]:
        return sorted(m.robot_id for m in self.members.values()
                      if m.state == RobotStatus.STATE_ACTIVE and m.model_version == self.version)

    def on_status(self, msg: RobotStatus) -> None:
        if not ROBOT_ID.match(msg.robot_id):
            return self._reject("bad_robot_id", f"status from {msg.robot_id!r}")
        if msg.robot_id not in self.fleet:
            return self._reject("unknown_robot", f"status from {msg.robot_id!r}, not one of the "
                                f"{len(self.fleet)} robots of this run")
        member = self.members.get(msg.robot_id)
        if member is None:
            member = self.members[msg.robot_id] = Member(msg.robot_id, self.bus.now())
            if msg.robot_id not in self.subscribed:
                self.subscribed.add(msg.robot_id)
                self.bus.subscribe(topics.update_topic(msg.robot_id), CompressedUpdate,
                                   lambda m, r=msg.robot_id: self.on_update(r, m))
            log.info("%s joined (holds model version %d)", msg.robot_id, msg.model_version)
        member.last_seen = self.bus.now()
        member.state = msg.state
        active = msg.state == RobotStatus.STATE_ACTIVE
        if active and msg.model_version > self.version:
            # Steps of an incarnation that died after its last checkpoint: the robot gets our model, and is
            # in step once it says it holds our version.
            member.state, member.model_version = RobotStatus.STATE_JOINING, 0
            self.send_snapshot(msg.robot_id)
            return
        # A heartbeat may be older than the last step: an active robot's version only moves forward here.
        # A robot that fell behind says so itself, with a snapshot request.
        member.model_version = max(member.model_version, msg.model_version) if active else msg.model_version
        if msg.state == RobotStatus.STATE_LEAVING:
            self._drop(msg.robot_id, "left")
        elif msg.state == RobotStatus.STATE_JOINING:
            self.send_snapshot(msg.robot_id)
        self.maybe_open_round()

    def on_snapshot_request(self, msg: SnapshotRequest) -> None:
        if msg.robot_id not in self.members:
            if msg.robot_id not in self.fleet:
                return self._reject("unknown_robot", f"snapshot request from {msg.robot_id!r}")
            # a robot of the fleet that asks before its first heartbeat reached us (we just resumed): it joins
            return self.on_status(RobotStatus(robot_id=msg.robot_id, state=RobotStatus.STATE_JOINING,
                                              model_version=msg.have_version))
        log.info("%s asks for a snapshot (%s, holds version %d)", msg.robot_id, msg.reason, msg.have_version)
        member = self.members[msg.robot_id]
        member.state, member.model_version = RobotStatus.STATE_JOINING, msg.have_version
        self.send_snapshot(msg.robot_id)

    def send_snapshot(self, robot_id: str) -> None:
        """Send the current model to one robot, at most once per version and heartbeat."""
        member = self.members[robot_id]
        now = self.bus.now()
        recently = now - member.snapshot_sent_at < 2 * self.config.robots.heartbeat_s
        if member.snapshot_version == self.version and recently:
            return
        member.snapshot_version, member.snapshot_sent_at = self.version, now
        for chunk in snapshot_chunks(self.task.params_flat(), self.version, self.round_number, robot_id, now,
                                     incarnation=self.incarnation):
            self.total_downlink += self.bus.publish(topics.SNAPSHOT, chunk, qos=topics.SNAPSHOT_QOS)

    def check_members(self) -> None:
        now = self.bus.now()
        for robot_id, member in list(self.members.items()):
            if now - member.last_seen > self.config.round.robot_timeout_s:
                self._drop(robot_id, f"silent for {now - member.last_seen:.1f} s")
        if self.round is None and not self.done:
            self.maybe_open_round()
            waited = now - self.started_at
            if self.rounds_done == 0 and waited > self.config.round.start_timeout_s and not self.active_members():
                log.error("no robot joined within %.0f s; stopping", self.config.round.start_timeout_s)
                self.finish(reason="no robots")

    def _drop(self, robot_id: str, why: str) -> None:
        if self.members.pop(robot_id, None) is not None:
            level = logging.INFO if why == "left" else logging.WARNING
            log.log(level, "dropped %s (%s); training goes on with %d robot(s)", robot_id, why, len(self.members))
            self._close_if_complete()

    def _close_if_complete(self) -> None:
        """Close the open round once every expected robot still in the fleet has sent its update."""
        current = self.round
        if current is not None and set(current.expected) & set(self.members) <= set(current.received):
            self.close_round(current.number)

    # -- rounds -------------------------------------------------------------------
    def maybe_open_round(self) -> None:
        """Open the next round when enough robots are in step (the first waits for the whole fleet a while)."""
        if self.round is not None or self.done:
            return
        active = len(self.active_members())
        needed = self.config.round.min_robots
        if self.rounds_done == 0 and self.bus.now() - self.started_at < self.config.round.start_wait_s:
            needed = max(needed, self.config.robots.count)
        if active >= needed:
            self.open_round()

    def open_round(self) -> None:
        now = self.bus.now()
        self.round_number += 1
        number = self.round_number
        self.round = OpenRound(number, self.version, now + self.config.round.deadline_s, self.active_members(), now)
        self.bus.publish(topics.ROUND, RoundAnnouncement(
            header=Header(stamp=Time.from_seconds(now)), state=RoundAnnouncement.STATE_OPEN, round=number,
            model_version=self.version, deadline=Time.from_seconds(self.round.deadline),
            comm_time_s=self.config.link.comm_time_s, expected_robots=self.round.expected,
            incarnation=self.incarnation), qos=topics.ROUND_QOS)
        self._round_timer = self.bus.call_later(self.config.round.deadline_s, lambda n=number: self.close_round(n))

    def on_update(self, topic_robot: str, msg: CompressedUpdate) -> None:
        try:
            contribution = self._check_update(topic_robot, msg)
        except Rejected as rejected:
            return self._reject(rejected.reason, f"update from {topic_robot} for round {msg.round}: {rejected.detail}")
        assert self.round is not None
        self.round.received[topic_robot] = contribution
        self.round.bytes_received += len(msg.payload)
        self._close_if_complete()

    def _check_update(self, topic_robot: str, msg: CompressedUpdate) -> Contribution:
        if msg.robot_id != topic_robot:
            raise Rejected("robot_id_mismatch", f"message claims {msg.robot_id!r}")
        if topic_robot not in self.members:
            raise Rejected("unknown_robot", "not a member (dropped, or never announced)")
        current = self.round
        if current is None or msg.round != current.number:
            raise Rejected("stale_round", f"the open round is {current.number if current else 'none'}")
        if msg.model_version != current.version:
            raise Rejected("wrong_version", f"computed on version {msg.model_version}, round is on {current.version}")
        if topic_robot in current.received:
            raise Rejected("duplicate", "a second update for this round")
        if msg.kind != self.update_kind:
            raise Rejected("wrong_kind", f"kind {msg.kind}, this run's updates are kind {self.update_kind}")
        if msg.codec != self.update_codec:
            raise Rejected("wrong_codec", f"codec {msg.codec!r}, this run's updates are {self.update_codec!r}")
        message = decode_payload(bytes(msg.payload), msg.crc32, msg.codec, msg.num_params, self.d,
                                 self.config.transport.max_sample_bytes)
        if not math.isfinite(msg.loss):
            raise Rejected("non_finite", "loss is NaN or Inf")
        if msg.batch_size < 1:  # it weighs the update with algorithm.weight_by_batch
            raise Rejected("bad_batch_size", f"batch size {msg.batch_size}")
        return Contribution(topic_robot, message, msg.batch_size, msg.loss)

    def close_round(self, number: int) -> None:
        current = self.round
        if current is None or current.number != number:
            return  # already closed early
        if self._round_timer is not None:
            self._round_timer.cancel()
        self.round = None
        contributions = [current.received[r] for r in sorted(current.received)]
        missing = sorted(set(current.expected) - set(current.received))
        if missing:
            log.info("round %d: no update in time from %s", number, ", ".join(missing))
        if len(contributions) < self.config.round.min_robots:
            log.warning("round %d: %d update(s), fewer than %d; no step", number, len(contributions),
                        self.config.round.min_robots)
        else:
            self._step(current, contributions)
        if self.rounds_done >= self.config.run.rounds:
            self.finish()
        else:
            self.maybe_open_round()

    def _step(self, current: OpenRound, contributions: list[Contribution]) -> None:
        started = time.perf_counter()
        result = self.server.step(contributions)
        base, self.version = self.version, self.version + 1
        self.rounds_done += 1
        now = self.bus.now()
        step = GlobalStep(header=Header(stamp=Time.from_seconds(now)), round=current.number, base_version=base,
                          model_version=self.version, codec=result.message.codec, num_params=self.d,
                          k=result.message.k, payload=result.payload, crc32=zlib.crc32(result.payload),
                          contributors=[c.robot_id for c in contributions], next_round=current.number + 1,
                          next_deadline=Time.from_seconds(now + self.config.round.deadline_s),
                          incarnation=self.incarnation)
        sent = self.bus.publish(topics.STEP, step, qos=topics.STEP_QOS)
        if self._dense_step_bytes is None:  # the same step sent dense in fp32, from a real encoding
            self._dense_step_bytes = dense_message_bytes(self.task.params_flat(), sent - len(result.payload))
        for member in self.members.values():  # robots in step apply it; one that misses it resyncs by snapshot
            if member.state == RobotStatus.STATE_ACTIVE and member.model_version == base:
                member.model_version = self.version
        self.total_uplink += current.bytes_received
        self.total_downlink += sent
        row = dict(round=current.number, model_version=self.version, participants=len(contributions),
                   loss=float(sum(c.loss for c in contributions) / len(contributions)),
                   k=result.message.k, bytes_sent=sent, bytes_received=current.bytes_received,
                   dense_bytes=self._dense_step_bytes, total_bytes_sent=self.total_downlink,
                   total_bytes_received=self.total_uplink,
                   rejected=sum(self.rejected.values()), round_time_s=now - current.opened_at,
                   step_time_s=time.perf_counter() - started, update_norm=result.update_norm,
                   members=len(self.members))
        self.recorder.record("round", **row, **self.server.aggregator.metrics())
        every = self.config.run.eval_every
        if every and self.rounds_done % every == 0 and self.rounds_done < self.config.run.rounds:
            self.run_evaluation()
        every = self.config.run.checkpoint_period
        if every and self.rounds_done % every == 0 and self.rounds_done < self.config.run.rounds:
            self.checkpoint()

    def run_evaluation(self) -> dict[str, Any]:
        started = time.perf_counter()
        metrics = self.evaluate(self.task)
        self.last_eval = metrics
        self.recorder.record("eval", round=self.round_number, model_version=self.version,
                             map50=metrics.get("mAP50"), map50_95=metrics.get("mAP"),
                             voc07_map50=metrics.get("voc07_mAP50"),
                             accuracy=metrics.get("accuracy"), total_bytes_received=self.total_uplink,
                             total_bytes_sent=self.total_downlink, eval_time_s=time.perf_counter() - started)
        return metrics

    def finish(self, reason: str = "done") -> None:
        if self.done:
            return
        if self._round_timer is not None:
            self._round_timer.cancel()
        self.round = None
        # model and final score first: robots leave on the announcement, and a launcher that stops
        # the coordinator once its robots are gone (compose's --exit-code-from) must not cut them short
        if self.run_dir is not None:
            torch.save(self.task.model_state(), Path(self.run_dir) / "model.pt")
            self.checkpoint(wait=True)
        if self.rounds_done:
            self.run_evaluation()
        self.bus.publish(topics.ROUND, RoundAnnouncement(
            header=Header(stamp=Time.from_seconds(self.bus.now())), state=RoundAnnouncement.STATE_FINISHED,
            round=self.round_number, model_version=self.version, incarnation=self.incarnation),
            qos=topics.ROUND_QOS)
        self.recorder.record("finish", reason=reason, round=self.round_number, rounds_done=self.rounds_done,
                             model_version=self.version,
                             model_crc32=params_crc32(self.task.params_flat()),
                             rejected=sum(self.rejected.values()), rejected_by_reason=dict(self.rejected))
        self.recorder.close()
        self.finish_reason = reason
        self.done = True

    # -- checkpoints ------------------------------------------------------------------
    def checkpoint(self, wait: bool = False) -> None:
        """Copy the whole state and write it in the background (``wait``: until it is on disk); the row of
        each written checkpoint (bytes, copy and write times) is recorded on the node's own thread."""
        if self.checkpoints is None:
            return
        started = time.perf_counter()
        state = {"incarnation": self.incarnation, "round_number": self.round_number, "rounds_done": self.rounds_done,
                 "version": self.version, "model": self.task.model_state(), "server": self.server.state_dict(),
                 "members": sorted(self.members), "total_uplink": self.total_uplink,
                 "total_downlink": self.total_downlink, "rejected": dict(self.rejected),
                 "torch_rng": torch.get_rng_state(), "config": self.config.to_dict()}
        info = {"round": self.round_number, "model_version": self.version, "copy_s": time.perf_counter() - started}
        self.checkpoints.write(f"round-{self.rounds_done:08d}-incarnation-{self.incarnation:04d}", state, info,
                               wait=wait)
        for row in self.checkpoints.drain():  # earlier ones, or this one when waited for
            self.recorder.record("checkpoint", **row)

    def _resume(self) -> dict[str, Any]:
        """Load the last intact checkpoint of the run directory; returns what the resume row records."""
        if self.run_dir is None:
            raise ConfigError("run.resume: needs the run directory the checkpoints are in (--run-dir)")
        folder = checkpoint_dir(self.run_dir, "coordinator")
        loaded = load_latest(folder)
        if loaded is None:
            raise FileNotFoundError(f"{folder} holds no intact checkpoint to resume from")
        state, path = loaded
        saved = state["config"]
        for section in ("task", "algorithm"):
            if saved[section] != self.config.to_dict()[section]:
                raise ConfigError(f"{section}: differs from the config the checkpoint {path.name} was taken with; "
                                  f"a resumed run keeps its task and algorithm")
        self.task.load_model_state(state["model"])
        self.server.load_state_dict(state["server"])
        self.version, self.rounds_done = state["version"], state["rounds_done"]
        self.total_uplink, self.total_downlink = state["total_uplink"], state["total_downlink"]
        self.rejected.update(state["rejected"])
        torch.set_rng_state(state["torch_rng"])
        self.incarnation = state["incarnation"] + 1
        # Past every round this coordinator numbered: a step may have gone out after its last row, and a
        # round may have been open when it stopped.
        rows = node_rows(metrics_path(self.run_dir, "coordinator"), since_start=False)
        self.round_number = max([state["round_number"], *(r.get("round", 0) for r in rows)]) + 1
        lost = [r for r in rows if r["event"] == "round" and r["round"] > state["round_number"]]
        log.warning("resuming from %s: incarnation %d, model version %d after %d rounds; the next round is %d",
                    path.name, self.incarnation, self.version, self.rounds_done, self.round_number + 1)
        return {"checkpoint": path.name, "incarnation": self.incarnation, "model_version": self.version,
                "rounds_done": self.rounds_done, "round": self.round_number, "rounds_lost": len(lost)}

    def _reject(self, reason: str, detail: str) -> None:
        self.rejected[reason] += 1
        log.warning("rejected (%s): %s", reason, detail)
