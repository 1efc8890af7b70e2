"""The Bus: the only thing fleet logic sees of the network.

A bus publishes and subscribes ROS 2 messages (the cyclonedds mirror types of
``fleetlearn.msgs``) by ROS topic name, schedules callbacks on its own clock, and
reports delivery feedback for what it published so a robot can *measure* its
uplink. Every callback (message, timer, delivery) runs on the thread that spins
the bus, as with an rclpy single-threaded executor, so node logic needs no locks.

Samples always cross a bus as real CDR bytes. A sample that is oversized,
truncated, garbage or of another type is dropped, counted by reason and logged;
it never reaches node logic.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import queue
import re
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cyclonedds.idl import IdlStruct

log = logging.getLogger(__name__)

DEFAULT_MAX_SAMPLE_BYTES = 256 * 1024 * 1024
_TOPIC = re.compile(r"^(/[A-Za-z][A-Za-z0-9_]*)+$")


@dataclass(frozen=True)
class QoS:
    """The QoS policies fleetlearn uses; every adapter sets all of them explicitly."""

    reliable: bool = True
    transient_local: bool = False
    depth: int = 10


RELIABLE = QoS()
LATCHED = QoS(reliable=True, transient_local=True, depth=1)
BEST_EFFORT = QoS(reliable=False, transient_local=False, depth=1)


@dataclass(frozen=True)
class Delivery:
    """Delivery feedback for one published sample.

    ``seconds`` runs from the publish call until every matched reliable reader
    acknowledged the sample (or the wait timed out: ``acked`` is False).
    """

    topic: str
    nbytes: int
    seconds: float
    acked: bool
    readers: int

    @property
    def throughput_bps(self) -> float:
        """Measured goodput of this transfer in bits/s (NaN when nothing was measured)."""
        if not self.acked or self.readers == 0 or self.seconds <= 0:
            return math.nan
        return 8.0 * self.nbytes / self.seconds


DeliveryCallback = Callable[[Delivery], None]


class AckWorker:
    """Waits for acknowledgements of one writer's samples, in publish order, on its own thread.

    ``wait_for_acks`` blocks until every matched reader acknowledged all that was written (True)
    or times out (False); it raises once the writer is gone. Each Delivery is handed to ``post``.
    """

    def __init__(self, wait_for_acks: Callable[[], bool], post: Callable[[Callable[[], None]], None],
                 name: str) -> None:
        self._wait_for_acks = wait_for_acks
        self._post = post
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, daemon=True, name=name).start()

    def submit(self, topic: str, nbytes: int, published: float, readers: int, callback: DeliveryCallback) -> None:
        self._jobs.put((topic, nbytes, published, readers, callback))

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        previous_ack = 0.0
        while (job := self._jobs.get()) is not None:
            topic, nbytes, published, readers, callback = job
            try:
                acked = self._wait_for_acks()
            except Exception as exc:  # the writer was deleted while we waited: the bus is closing
                log.debug("waiting for acknowledgements on %s ended: %s", topic, exc)
                return
            done = time.time()
            # time queued behind this writer's earlier samples is not this sample's transfer time
            delivery = Delivery(topic, nbytes, done - max(published, previous_ack), acked, readers)
            previous_ack = done
            self._post(lambda cb=callback, d=delivery: cb(d))


@dataclass
class TransportStats:
    """Counters a node reports in Metrics and diagnostics."""

    sent_samples: int = 0
    sent_bytes: int = 0
    received_samples: int = 0
    received_bytes: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


class TransportError(RuntimeError):
    """A bus could not be created or used (bad config, missing middleware)."""


def check_topic(topic: str) -> str:
    """Validate a fully qualified ROS topic name (``/robot_1/update``)."""
    if not _TOPIC.match(topic) or "__" in topic:
        raise ValueError(f"invalid ROS topic name {topic!r}: use /[A-Za-z][A-Za-z0-9_]* segments")
    return topic


class Handle:
    """A scheduled callback; ``cancel()`` stops it."""

    __slots__ = ("callback", "cancelled", "fired", "period")

    def __init__(self, callback: Callable[[], None], period: float | None) -> None:
        self.callback = callback
        self.period = period
        self.cancelled = False
        self.fired = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    """A heap of timed callbacks on some clock, shared by every adapter."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Handle]] = []
        self._seq = itertools.count()

    def add(self, when: float, handle: Handle) -> Handle:
        heapq.heappush(self._heap, (when, next(self._seq), handle))
        return handle

    def next_time(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[tuple[float, Handle]]:
        """Remove and return the callbacks due at ``now``; periodic ones are re-armed."""
        due = []
        while self._heap and self._heap[0][0] <= now:
            when, _, handle = heapq.heappop(self._heap)
            if handle.cancelled:
                continue
            due.append((when, handle))
            handle.fired = True
            if handle.period is not None:
                self.add(when + handle.period, handle)
        return due


class Subscription:
    """A typed subscriber callback with the bus's bad-input guard in front of it."""

    def __init__(self, topic: str, msg_type: type[IdlStruct], callback: Callable[[Any], None],
                 max_bytes: int, stats: TransportStats) -> None:
        self.topic = topic
        self.msg_type = msg_type
        self.callback = callback
        self.max_bytes = max_bytes
        self.stats = stats

    def deliver(self, data: bytes) -> None:
        """Deserialize ``data`` and call back; reject (count + log) anything malformed."""
        msg = self.decode(data)
        if msg is not None:
            self.callback(msg)

    def decode(self, data: bytes) -> Any | None:
        size = len(data)
        if size > self.max_bytes:
            return self._reject("oversized", f"{size} bytes > limit {self.max_bytes}")
        if size < 4 or data[:2] not in (b"\x00\x01", b"\x00\x00"):
            return self._reject("malformed", f"{size} bytes without a CDR encapsulation header")
        try:
            msg = self.msg_type.deserialize(data)
        except Exception as exc:  # cyclonedds raises many types on garbage: all mean "malformed"
            return self._reject("malformed", f"{type(exc).__name__}: {exc}"[:200])
        self.stats.received_samples += 1
        self.stats.received_bytes += size
        return msg

    def _reject(self, reason: str, detail: str) -> None:
        self.stats.rejected[reason] += 1
        log.warning("rejected sample on %s (%s): %s", self.topic, reason, detail)
        return None


class Bus(ABC):
    """Publish/subscribe by ROS topic name, a clock, timers and delivery feedback."""

    name: str = "bus"

    def __init__(self, max_sample_bytes: int = DEFAULT_MAX_SAMPLE_BYTES) -> None:
        self.max_sample_bytes = max_sample_bytes
        self.stats = TransportStats()
        self._scheduler = Scheduler()
        self._handles: list[Handle] = []
        self._closed = False

    # -- messages ---------------------------------------------------------------
    def publish(self, topic: str, msg: IdlStruct, on_delivered: DeliveryCallback | None = None,
                qos: QoS = RELIABLE) -> int:
        """Serialize and publish ``msg``; returns its size in bytes on the wire."""
        data = msg.serialize()
        if len(data) > self.max_sample_bytes:
            raise ValueError(f"{type(msg).__name__} on {topic} is {len(data)} bytes, "
                             f"over the bus limit of {self.max_sample_bytes}")
        self.publish_raw(topic, type(msg), data, on_delivered, qos)
        return len(data)

    def publish_raw(self, topic: str, msg_type: type[IdlStruct], data: bytes,
                    on_delivered: DeliveryCallback | None = None, qos: QoS = RELIABLE) -> None:
        """Publish already-serialized CDR bytes as ``msg_type`` (tests use it to send garbage)."""
        check_topic(topic)
        if self._closed:
            log.debug("dropped a sample on %s: the bus is closed", topic)
            return
        self.stats.sent_samples += 1
        self.stats.sent_bytes += len(data)
        self._write(topic, msg_type, data, on_delivered, qos)

    def advertise(self, topic: str, msg_type: type[IdlStruct], qos: QoS = RELIABLE) -> None:
        """Create the publisher for ``topic`` now, so readers can match before the first sample."""
        self._advertise(check_topic(topic), msg_type, qos)

    @abstractmethod
    def matched_readers(self, topic: str) -> int:
        """Readers currently matched by this bus's publisher on ``topic`` (0 if none advertised)."""

    def subscribe(self, topic: str, msg_type: type[IdlStruct], callback: Callable[[Any], None],
                  qos: QoS = RELIABLE) -> Subscription:
        sub = Subscription(check_topic(topic), msg_type, callback, self.max_sample_bytes, self.stats)
        self._add_subscription(sub, qos)
        return sub

    # -- time ------------------------------------------------------------------
    @abstractmethod
    def now(self) -> float:
        """Seconds on this bus's clock (wall clock, or simulated time for inproc)."""

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Handle:
        return self._schedule(self.now() + max(0.0, delay_s), Handle(callback, None))

    def call_every(self, period_s: float, callback: Callable[[], None]) -> Handle:
        if period_s <= 0:
            raise ValueError(f"timer period must be > 0, got {period_s}")
        return self._schedule(self.now() + period_s, Handle(callback, period_s))

    def _schedule(self, when: float, handle: Handle) -> Handle:
        self._handles = [h for h in self._handles if not h.cancelled and (h.period or not h.fired)]
        self._handles.append(handle)
        return self._scheduler.add(when, handle)

    # -- running ---------------------------------------------------------------
    def spin(self, until: Callable[[], bool] | None = None, timeout_s: float | None = None) -> bool:
        """Run callbacks until ``until()`` is true or ``timeout_s`` passes; returns ``until()``."""
        deadline = None if timeout_s is None else self.now() + timeout_s
        while not self._closed:
            if until is not None and until():
                return True
            if deadline is not None and self.now() >= deadline:
                break
            self.spin_once(0.05 if deadline is None else max(0.0, min(0.05, deadline - self.now())))
        return bool(until and until())

    @abstractmethod
    def spin_once(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for work and run what is due."""

    def close(self) -> None:
        """Stop: timers of this bus are cancelled, and nothing more is sent or delivered."""
        self._closed = True
        for handle in self._handles:
            handle.cancel()

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- adapter hooks ---------------------------------------------------------
    @abstractmethod
    def _advertise(self, topic: str, msg_type: type[IdlStruct], qos: QoS) -> None: ...

    @abstractmethod
    def _write(self, topic: str, msg_type: type[IdlStruct], data: bytes,
               on_delivered: DeliveryCallback | None, qos: QoS) -> None: ...

    @abstractmethod
    def _add_subscription(self, sub: Subscription, qos: QoS) -> None: ...

    def _run_due_timers(self) -> None:
        for _, handle in self._scheduler.pop_due(self.now()):
            handle.callback()
