"""A robot of decentralised (gossip) mode, written against the Bus only.

Each round, on its own clock: a local optimiser step on its own images, then the
compressed residual q = Q(x − x̂) on ``/<robot>/update``; then it waits for its
neighbours' residuals of that round (until the deadline), adds every residual to
the copy it keeps of that neighbour, and takes the consensus step of its algorithm
(CHOCO-SGD, AdaGossip or Malcom-PSGD). A neighbour that misses the round is left
out of that round's mix; its residual still updates the copy when it arrives, in
round order, so copies never diverge.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import torch
from torch import Tensor

from ..aggregate.gossip import RULES, gossip_error, sparsity
from ..aggregate.topology import Topology
from ..codec import Compressed, encode
from ..compress import make_compressor
from ..config import Config, robot_names
from ..msgs import CompressedUpdate, Header, RobotStatus
from ..task import Task
from ..transport import Bus
from . import topics
from .build import robot_seed
from .recorder import Recorder
from .server import params_crc32
from .uplink import dense_message_bytes, make_uplink_compressor
from .validate import ROBOT_ID, Rejected, decode_payload

log = logging.getLogger(__name__)


class Peer:
    """Gossip node logic: local steps, compressed residuals to neighbours, consensus steps."""

    def __init__(self, bus: Bus, task: Task, robot_id: str, config: Config, run_dir: Path | None = None,
                 initial: Tensor | None = None) -> None:
        self.bus = bus
        self.task = task
        self.robot_id = robot_id
        self.config = config
        self.run_dir = run_dir
        self.d = task.num_params
        if initial is not None:
            task.set_params_flat(initial)
        self.topology = Topology(config.gossip, robot_names(config.robots.count))
        self.tracked = self.topology.ever_neighbours(robot_id)
        start = task.params_flat() if config.gossip.same_init else torch.zeros(self.d)
        self.own = start.clone()                                  # x̂_i
        self.copies = {j: start.clone() for j in self.tracked}   # x̂_j
        self.next_apply = dict.fromkeys(self.tracked, 1)          # next residual round to add, per neighbour
        self.pending: dict[str, dict[int, Compressed]] = defaultdict(dict)
        self.last_heard = dict.fromkeys(self.tracked, 0)          # last round heard from each neighbour
        self.compressor = make_uplink_compressor(config.algorithm, robot_seed(config, robot_id), task.layout)
        self.dense = make_compressor("none")
        entry = config.algorithm.entry
        self.rule = RULES.make(entry.rule, **entry.rule_params(config.algorithm, task))
        self.round = 0
        self.mixed = 0
        self.round_started = 0.0
        self.done = False
        self.total_sent = 0
        self.total_received = 0
        self.rejected: Counter[str] = Counter()  # by reason
        self.loss = math.nan
        self.last_sent = 0
        self.last_k = 0
        self.dense_bytes: int | None = None
        self.recorder = Recorder(bus, robot_id, run_dir)
        self.heard: set[str] = set()
        self._starting = False
        self.created = bus.now()
        bus.advertise(topics.update_topic(robot_id), CompressedUpdate)
        for j in self.tracked:
            bus.subscribe(topics.update_topic(j), CompressedUpdate, lambda m, j=j: self.on_residual(j, m))
        bus.subscribe(topics.STATUS, RobotStatus, self.on_status)
        bus.call_every(config.robots.heartbeat_s, self.heartbeat)
        bus.call_later(0.0, self.heartbeat)

    # -- start: peers begin round 1 together once their first neighbours are up -----------
    def heartbeat(self) -> None:
        if self.done:
            return
        self.bus.publish(topics.STATUS, RobotStatus(
            header=self._header(), robot_id=self.robot_id,
            state=RobotStatus.STATE_ACTIVE, model_version=self.round, round=self.round,
            batch_size=self.task.batch_size))
        self._maybe_start()

    def on_status(self, msg: RobotStatus) -> None:
        if msg.robot_id in self.tracked and msg.robot_id not in self.heard:
            self.heard.add(msg.robot_id)
            self._maybe_start()

    def _maybe_start(self) -> None:
        """Round 1 starts when every first-round neighbour is heard from, or after round.start_wait_s."""
        if self.round or self._starting:
            return
        first = set(self.topology.at(1).neighbours(self.robot_id))
        if first <= self.heard or self.bus.now() - self.created >= self.config.round.start_wait_s:
            self._starting = True
            self.bus.call_later(self.config.gossip.round_period_s, self.start_round)

    # -- rounds ---------------------------------------------------------------------
    def start_round(self) -> None:
        if self.done:
            return
        self.round += 1
        self.round_started = self.bus.now()
        t = self.round
        if self.config.gossip.train:
            grad, self.loss = self.task.gradient()
            self.task.apply_update(grad)
        x = self.task.params_flat()
        # Robots that start from different models send theirs whole once, so copies start exact.
        first_exchange = t == 1 and not self.config.gossip.same_init
        q = (self.dense if first_exchange else self.compressor).compress(x - self.own)
        self.own = self.own + q.to_dense()  # what every neighbour adds to its copy of us
        payload = encode(q)
        msg = CompressedUpdate(header=self._header(),
                               robot_id=self.robot_id, round=t, model_version=t,
                               kind=CompressedUpdate.KIND_GOSSIP_RESIDUAL, codec=q.codec, num_params=self.d,
                               k=q.k, batch_size=self.task.batch_size,
                               loss=0.0 if math.isnan(self.loss) else self.loss, payload=payload,
                               crc32=zlib.crc32(payload))
        self.last_sent = self.bus.publish(topics.update_topic(self.robot_id), msg)
        if self.dense_bytes is None:
            self.dense_bytes = dense_message_bytes(x, self.last_sent - len(payload))
        self.last_k = q.k
        self.total_sent += self.last_sent
        self.bus.call_later(self.config.gossip.deadline_s, lambda: self.mix(t))
        self._mix_if_ready()

    def waiting_for(self, t: int) -> list[str]:
        """Live neighbours of round ``t`` whose residual of that round has not been added yet."""
        dead_after = self.config.gossip.dead_after_rounds
        return [j for j in self.topology.at(t).neighbours(self.robot_id)
                if self.next_apply[j] <= t and t - self.last_heard[j] <= dead_after]

    def _mix_if_ready(self) -> None:
        if self.round > self.mixed and not self.waiting_for(self.round):
            self.mix(self.round)

    def mix(self, t: int) -> None:
        """The consensus step of round ``t`` with the neighbours whose round-t residual is in."""
        if t != self.round or self.mixed >= t or self.done:
            return
        self.mixed = t
        started = time.perf_counter()
        row = self.topology.at(t).weights(self.robot_id)
        present = {j: w for j, w in row.items() if j != self.robot_id and self.next_apply[j] > t}
        error = gossip_error(self.own, self.copies, present)
        x = self.rule.step(self.task.params_flat(), error, self.task.lr)
        self.task.set_params_flat(x)
        neighbours = self.topology.at(t).neighbours(self.robot_id)
        self.recorder.record(
            "round", round=t, model_version=t, loss=self.loss, k=self.last_k, keep_ratio=self.last_k / self.d,
            bytes_sent=self.last_sent, dense_bytes=self.dense_bytes, total_bytes_sent=self.total_sent,
            total_bytes_received=self.total_received,
            participants=len(present), missing=sorted(set(neighbours) - set(present)),
            disagreement=float((error * error).mean()), sparsity=sparsity(x),
            rejected=self.rejected.total() + self.bus.stats.rejected_total, mix_s=time.perf_counter() - started)
        if t >= self.config.run.rounds:
            self.finish()
            return
        wait = max(0.0, self.round_started + self.config.gossip.round_period_s - self.bus.now())
        self.bus.call_later(wait, self.start_round)

    # -- residuals from neighbours ------------------------------------------------------
    def on_residual(self, j: str, msg: CompressedUpdate) -> None:
        try:
            if msg.robot_id != j or not ROBOT_ID.match(msg.robot_id):
                raise Rejected("robot_id_mismatch", f"message on {j}'s topic claims {msg.robot_id!r}")
            if msg.kind != CompressedUpdate.KIND_GOSSIP_RESIDUAL:
                raise Rejected("wrong_kind", f"kind {msg.kind} is not a gossip residual")
            if msg.round < self.next_apply[j]:
                raise Rejected("stale_round", f"round {msg.round} from {j} was already added")
            if msg.round in self.pending[j]:
                raise Rejected("duplicate", f"a second residual for round {msg.round} from {j}")
            if msg.round > self.next_apply[j] + 1000:
                raise Rejected("stale_round", f"round {msg.round} from {j} is far ahead of {self.next_apply[j]}")
            q = decode_payload(bytes(msg.payload), msg.crc32, msg.codec, msg.num_params, self.d,
                               self.config.transport.max_sample_bytes)
        except Rejected as rejected:
            self.rejected[rejected.reason] += 1
            log.warning("%s: rejected residual (%s): %s", self.robot_id, rejected.reason, rejected.detail)
            return
        self.total_received += len(msg.payload)
        self.pending[j][msg.round] = q
        self.last_heard[j] = max(self.last_heard[j], msg.round)
        while self.next_apply[j] in self.pending[j]:  # in round order: every copy sums the same way
            self.copies[j] = self.copies[j] + self.pending[j].pop(self.next_apply[j]).to_dense()
            self.next_apply[j] += 1
        self._mix_if_ready()

    def _header(self) -> Header:
        return Header.at(self.bus.now(), self.robot_id)

    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        x = self.task.params_flat()
        if self.run_dir is not None:
            models = Path(self.run_dir) / "models"
            models.mkdir(parents=True, exist_ok=True)
            torch.save(x, models / f"{self.robot_id}.pt")
        self.recorder.record("finish", round=self.round, model_crc32=params_crc32(x),
                             total_bytes_sent=self.total_sent, rejected=self.rejected.total(), sparsity=sparsity(x))
        self.recorder.close()
