"""A robot of parameter-server mode, written against the Bus only.

The robot announces itself, receives a snapshot, then for every round it is
expected in: takes τ steps of its own optimiser on its own images and compresses
the model change (delta mode; or computes one gradient for the coordinator's
optimiser, gradient mode) to fit the byte budget of its measured link, and publishes
it. Its optimiser state and error-feedback memory stay on the robot; with
``train_with_memory`` its local steps start from the model plus that memory. It applies
every global step so its model stays on the coordinator's version, and
resynchronises from a snapshot when it sees a gap.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from collections import Counter, deque
from pathlib import Path

from ..config import Config
from ..link import LinkEstimator
from ..msgs import (
    CompressedUpdate,
    GlobalStep,
    Header,
    LinkReport,
    ModelSnapshot,
    RobotStatus,
    RoundAnnouncement,
    SnapshotRequest,
)
from ..task import Task
from ..transport import Bus, Delivery
from . import topics
from .build import robot_seed
from .checkpoint import CheckpointWriter, checkpoint_dir, load_latest
from .recorder import Recorder
from .server import apply_step, params_crc32
from .snapshot import SnapshotAssembler, SnapshotError
from .uplink import NonFiniteUpdate, Uplink, dense_message_bytes
from .validate import Rejected, decode_payload

log = logging.getLogger(__name__)

# CDR aligns the uint32 crc32 after the payload: up to 3 bytes the empty message does not show.
PAYLOAD_PADDING = 3


class Robot:
    """Parameter-server robot node logic."""

    def __init__(self, bus: Bus, task: Task, robot_id: str, config: Config, run_dir: Path | None = None) -> None:
        self.bus = bus
        self.task = task
        self.robot_id = robot_id
        self.config = config
        settings = config.robots.for_robot(robot_id)
        self.batch_size = settings.batch_size
        self.step_time_s = settings.step_time_s
        self.d = task.num_params
        self.uplink = Uplink(config.algorithm, self.d, seed=robot_seed(config, robot_id), layout=task.layout)
        cap = settings.cap_bps if settings.cap_bps is not None else config.link.cap_bps
        self.link = LinkEstimator(cap_bps=cap, comm_time_s=config.link.comm_time_s,
                                  initial_bps=config.link.initial_bps)
        self.state = RobotStatus.STATE_JOINING
        self.version = 0
        self.last_round = 0
        self.done = False
        self.total_sent = 0
        self.total_received = 0
        self.rejected: Counter[str] = Counter()  # by reason
        self.assembler = SnapshotAssembler(self.d)
        # a robot started for a resumed run goes on with the run's metrics (its model comes by snapshot)
        self.recorder = Recorder(bus, robot_id, run_dir, {} if config.run.resume else None)
        persist = config.robots.persist_memory and run_dir is not None
        self.checkpoints = CheckpointWriter(checkpoint_dir(run_dir, robot_id)) if persist else None
        self._restore_state()
        self._dense_bytes: int | None = None
        self._busy = False
        # (sequence, round, bytes) of updates not yet known to be through the link
        self.inflight: deque[tuple[int, int, int]] = deque()
        self.updates_sent = 0
        self.updates_acked = 0
        self.final_version: int | None = None
        self.pending: RoundAnnouncement | None = None
        self.incarnation = 0        # the newest coordinator incarnation heard from
        self.model_incarnation = 0  # the incarnation whose steps or snapshot made this robot's model
        bus.advertise(topics.update_topic(robot_id), CompressedUpdate)
        bus.advertise(topics.STATUS, RobotStatus)
        bus.advertise(topics.SNAPSHOT_REQUEST, SnapshotRequest)
        bus.advertise(topics.link_topic(robot_id), LinkReport)
        bus.subscribe(topics.ROUND, RoundAnnouncement, self.on_round, topics.ROUND_QOS)
        bus.subscribe(topics.STEP, GlobalStep, self.on_step, topics.STEP_QOS)
        bus.subscribe(topics.SNAPSHOT, ModelSnapshot, self.on_snapshot, topics.SNAPSHOT_QOS)
        bus.call_every(config.robots.heartbeat_s, self.heartbeat)
        bus.call_later(0.0, self.heartbeat)

    # -- membership -----------------------------------------------------------------
    def heartbeat(self) -> None:
        if self.done:
            return
        # A status sent while an update is on the link waits behind it: its ack time is queueing,
        # not latency. Such samples made the latency look large, the budget small and the rate
        # (bytes over ack time minus latency) up to 10x too high; measure latency on a quiet link only.
        quiet = not self.inflight
        self.bus.publish(topics.STATUS, RobotStatus(
            header=self._header(), robot_id=self.robot_id, state=self.state, model_version=self.version,
            round=self.last_round, batch_size=self.batch_size,
            num_samples=self.task.num_items), on_delivered=self.link.observe if quiet else None)

    def request_snapshot(self, reason: str) -> None:
        log.info("%s: asking for a snapshot (%s)", self.robot_id, reason)
        self.state = RobotStatus.STATE_JOINING
        self.bus.publish(topics.SNAPSHOT_REQUEST, SnapshotRequest(
            header=self._header(), robot_id=self.robot_id, have_version=self.version, reason=reason))

    def _from_coordinator(self, incarnation: int) -> bool:
        """Whether a message comes from the coordinator as it is now. A newer incarnation: it restarted from
        a checkpoint, so the round in flight is gone (an update already sent went to the one that died)."""
        if incarnation < self.incarnation:
            self.rejected["stale_incarnation"] += 1
            return False
        if incarnation > self.incarnation:
            if self.state == RobotStatus.STATE_ACTIVE:  # (a robot that just started has nothing in flight)
                log.warning("%s: the coordinator restarted (incarnation %d); dropping the round in flight",
                            self.robot_id, incarnation)
            self.incarnation = incarnation
            self.pending, self.final_version = None, None
            self.inflight.clear()
        return True

    def on_snapshot(self, msg: ModelSnapshot) -> None:
        if msg.robot_id not in ("", self.robot_id) or self.done or not self._from_coordinator(msg.incarnation):
            return
        self.total_received += len(msg.payload)
        try:
            complete = self.assembler.add(msg)
        except SnapshotError as exc:
            self.rejected["snapshot"] += 1
            log.warning("%s: rejected snapshot chunk: %s", self.robot_id, exc)
            return
        if complete is None:
            return
        flat, version, round_ = complete
        newer = msg.incarnation > self.model_incarnation  # a restarted coordinator's model replaces ours
        if self.state == RobotStatus.STATE_ACTIVE and version <= self.version and not newer:
            return
        self.task.set_params_flat(flat)
        self.version, self.last_round, self.model_incarnation = version, round_, msg.incarnation
        self.state = RobotStatus.STATE_ACTIVE
        log.info("%s: in sync at model version %d", self.robot_id, version)
        self.heartbeat()
        self._start_pending()

    # -- rounds ---------------------------------------------------------------------
    def on_round(self, msg: RoundAnnouncement) -> None:
        """Remember the open round; start on it once this robot holds its model version.

        Topics are not ordered with each other: the announcement of round r+1 may
        arrive before the global step that brings the robot to its version. So a
        robot one step behind waits a moment for the step before it resyncs.
        """
        if not self._from_coordinator(msg.incarnation):
            return
        if msg.incarnation > self.model_incarnation and self.state == RobotStatus.STATE_ACTIVE:
            if msg.model_version != self.version:  # it went back to its checkpoint: later steps are gone
                self.request_snapshot(f"coordinator restarted on version {msg.model_version}, I hold {self.version}")
                return
            self.model_incarnation = msg.incarnation  # every node's model at a version is the same, bit for bit
        if msg.state == RoundAnnouncement.STATE_FINISHED:
            # the last global step may still be on its way (topics are not ordered with each other)
            self.final_version = msg.model_version
            if self.version >= msg.model_version or self.state != RobotStatus.STATE_ACTIVE:
                self.finish()
            else:
                self.bus.call_later(3 * self.config.robots.heartbeat_s, self.finish)
            return
        if msg.round <= self.last_round or msg.model_version < self.version:
            return
        self.pending = msg
        if msg.model_version > self.version and self.state == RobotStatus.STATE_ACTIVE:
            self.bus.call_later(self.config.robots.heartbeat_s, lambda: self._resync_if_behind(msg))
        self._start_pending()

    def _resync_if_behind(self, msg: RoundAnnouncement) -> None:
        if self.pending is msg and self.version < msg.model_version and self.state == RobotStatus.STATE_ACTIVE:
            self.request_snapshot(f"version_gap: round {msg.round} is on {msg.model_version}, I hold {self.version}")

    def _start_pending(self) -> None:
        msg = self.pending
        if msg is None or self._busy or self.state != RobotStatus.STATE_ACTIVE or msg.model_version != self.version:
            return
        self.pending = None
        if self.robot_id not in msg.expected_robots:
            return  # joined after the round opened: take part from the next one
        self._busy = True
        self.bus.call_later(self.step_time_s * self.config.algorithm.local_steps, lambda: self.train_and_send(msg))

    def train_and_send(self, msg: RoundAnnouncement) -> None:
        started = time.perf_counter()
        self._busy = False
        if self.done or msg.model_version != self.version:
            self._start_pending()
            return
        if self.config.algorithm.sends_deltas:
            start = self.task.params_flat()
            self.task.set_params_flat(self.uplink.training_start(start))
            vector, loss = self.task.local_steps(self.config.algorithm.local_steps)
            self.task.set_params_flat(start)  # the global model moves only by global steps
            kind = CompressedUpdate.KIND_MODEL_DELTA
        else:
            vector, loss = self.task.gradient()
            kind = CompressedUpdate.KIND_GRADIENT
        compute_s = time.perf_counter() - started
        # an earlier update still on the link shares it with this one: its bytes come off the budget
        budget = max(0, self.link.budget_bytes(msg.comm_time_s or None) - sum(b for *_, b in self.inflight))
        empty = self._message(msg, kind, loss, b"", self.uplink.codec, 0)
        overhead = len(empty.serialize())
        try:
            encoded = self.uplink.encode(vector, max(0, budget - overhead - PAYLOAD_PADDING))
        except NonFiniteUpdate as exc:
            log.warning("%s: round %d: not sent: %s", self.robot_id, msg.round, exc)
            self.recorder.record("skipped", round=msg.round, reason="non-finite update")
            self.last_round = msg.round
            self._start_pending()
            return
        self.last_round = msg.round
        if encoded is None:
            log.warning("%s: round %d: a budget of %d bytes carries no update", self.robot_id, msg.round, budget)
            self._start_pending()
            return
        update = self._message(msg, kind, loss, encoded.payload, self.uplink.codec, encoded.k)
        self._start_pending()
        sent = self.bus.publish(topics.update_topic(self.robot_id), update, on_delivered=self._on_delivered)
        self.updates_sent += 1
        self.inflight.append((self.updates_sent, msg.round, sent))
        every = self.config.run.checkpoint_period
        if every and self.updates_sent % every == 0:
            self._save_state()
        self.total_sent += sent
        fig = self.link.figures(msg.comm_time_s or None)
        self.recorder.record(
            "round", round=msg.round, model_version=self.version, loss=loss, k=encoded.k,
            keep_ratio=encoded.k / self.d, bytes_sent=sent, payload_bytes=len(encoded.payload),
            budget_bytes=budget, throughput_bps=None if math.isnan(fig.throughput_bps) else fig.throughput_bps,
            usable_bps=self.link.usable_bps(), total_bytes_sent=self.total_sent,
            total_bytes_received=self.total_received, dense_bytes=self.dense_bytes(overhead),
            rejected=self.rejected.total() + self.bus.stats.rejected_total, compute_s=compute_s,
            encode_s=time.perf_counter() - started - compute_s)

    def _message(self, msg: RoundAnnouncement, kind: int, loss: float, payload: bytes, codec: str,
                 k: int) -> CompressedUpdate:
        return CompressedUpdate(header=self._header(), robot_id=self.robot_id, round=msg.round,
                                model_version=self.version, kind=kind, codec=codec, num_params=self.d, k=k,
                                batch_size=self.batch_size, loss=loss, payload=payload,
                                crc32=zlib.crc32(payload))

    def dense_bytes(self, overhead: int) -> int:
        """Size of the same update sent dense in fp32 (measured once from a real encoding)."""
        if self._dense_bytes is None:
            self._dense_bytes = dense_message_bytes(self.task.params_flat(), overhead)
        return self._dense_bytes

    def _on_delivered(self, delivery: Delivery) -> None:
        self.updates_acked += 1  # acknowledgements come in publish order
        while self.inflight and self.inflight[0][0] <= self.updates_acked:
            self.inflight.popleft()
        self.link.observe(delivery)
        fig = self.link.figures()
        self.bus.publish(topics.link_topic(self.robot_id), LinkReport(
            header=self._header(), robot_id=self.robot_id, round=self.last_round,
            throughput_bps=_finite(fig.throughput_bps), last_throughput_bps=_finite(fig.last_throughput_bps),
            ack_time_s=delivery.seconds, loss_rate=fig.loss_rate,
            configured_cap_bps=0.0 if math.isinf(fig.cap_bps) else fig.cap_bps,
            comm_time_s=self.config.link.comm_time_s, budget_bytes=fig.budget_bytes, bytes_sent=delivery.nbytes))

    def on_step(self, msg: GlobalStep) -> None:
        if self.state != RobotStatus.STATE_ACTIVE or self.done:
            return
        self.total_received += len(msg.payload)
        if not self._from_coordinator(msg.incarnation):
            return
        if msg.model_version <= self.version and msg.incarnation <= self.model_incarnation:
            return  # already have it
        if msg.base_version != self.version:
            self.request_snapshot(f"missed_step: step {msg.base_version}->{msg.model_version}, I hold {self.version}")
            return
        try:
            step = decode_payload(bytes(msg.payload), msg.crc32, msg.codec, msg.num_params, self.d,
                                  self.config.transport.max_sample_bytes)
        except Rejected as rejected:
            self.rejected[f"step_{rejected.reason}"] += 1
            log.warning("%s: rejected global step %d: %s", self.robot_id, msg.model_version, rejected)
            self.request_snapshot(f"corrupt step: {rejected.reason}")
            return
        self.task.set_params_flat(apply_step(self.task.params_flat(), step))
        self.version, self.model_incarnation = msg.model_version, msg.incarnation
        if self.robot_id in msg.contributors:  # the coordinator has our update: it is off the link
            while self.inflight and self.inflight[0][1] <= msg.round:
                self.inflight.popleft()
        if self.final_version is not None and self.version >= self.final_version:
            self.finish()
            return
        self._start_pending()

    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        self.state = RobotStatus.STATE_LEAVING
        self.bus.publish(topics.STATUS, RobotStatus(header=self._header(), robot_id=self.robot_id,
                                                    state=self.state, model_version=self.version))
        self._save_state(wait=True)
        self.recorder.record("finish", round=self.last_round, model_version=self.version,
                             model_crc32=params_crc32(self.task.params_flat()), total_bytes_sent=self.total_sent,
                             rejected=self.rejected.total())
        self.recorder.close()

    # -- own state across restarts (robots.persist_memory) -----------------------------------
    def _save_state(self, wait: bool = False) -> None:
        if self.checkpoints is None:
            return
        memory = self.uplink.memory.residual if self.uplink.memory is not None else None
        state = {"memory": None if memory is None else memory.clone(), "training": self.task.training_state(),
                 "round": self.last_round, "model_version": self.version}
        # named by the wall clock: a restarted robot counts its updates from 0 again
        self.checkpoints.write(f"{time.time_ns():020d}", state, {"round": self.last_round}, wait=wait)
        for row in self.checkpoints.drain():
            self.recorder.record("checkpoint", **row)

    def _restore_state(self) -> None:
        """Take back the memory and optimiser state a previous run of this robot saved, saying which."""
        if self.checkpoints is None:
            return
        loaded = load_latest(self.checkpoints.folder)
        memory = None if loaded is None else loaded[0]["memory"]
        if loaded is None or (memory is not None and memory.numel() != self.d):
            log.info("%s: no saved state of this model to take back; error feedback starts at zero", self.robot_id)
            return
        state, path = loaded
        if self.uplink.memory is not None:
            self.uplink.memory.residual = memory
        self.task.load_training_state(state["training"])
        log.info("%s: took back its error-feedback memory and optimiser state from %s (round %d)", self.robot_id,
                 path.name, state["round"])
        self.recorder.record("restored", checkpoint=path.name, round=state["round"])
    def _header(self) -> Header:
        return Header.at(self.bus.now(), self.robot_id)


def _finite(value: float) -> float:
    return 0.0 if math.isnan(value) else value
