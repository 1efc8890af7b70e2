"""``dds``: Cyclone DDS speaking the ROS 2 wire protocol, no ROS install needed.

ROS topic ``/robot_1/update`` is DDS topic ``rt/robot_1/update``; type names and
CDR bytes are those of rclpy (see ``fleetlearn.msgs``), so ``ros2 topic echo``
and rclpy nodes interoperate with this bus. One spin thread waits on a WaitSet;
samples are taken as raw CDR and decoded by the shared bad-input guard.

Delivery feedback: a worker thread per writer waits until every matched reliable
reader acknowledged the sample (``dds_wait_for_acks``); the time from publish to
that moment is the transfer's measured duration.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from cyclonedds._clayer import ddspy_take, ddspy_write
from cyclonedds.core import GuardCondition, InstanceState, Policy, Qos, ReadCondition, SampleState, ViewState
from cyclonedds.core import WaitSet as _WaitSet
from cyclonedds.domain import Domain, DomainParticipant
from cyclonedds.idl import IdlStruct
from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic
from cyclonedds.util import duration

from .base import DEFAULT_MAX_SAMPLE_BYTES, AckWorker, Bus, DeliveryCallback, QoS, Subscription, TransportError
from .dds_config import resolve_config

log = logging.getLogger(__name__)

_TAKE_BATCH = 64
_ANY_STATE = SampleState.Any | ViewState.Any | InstanceState.Any
_domains: dict[int, Domain] = {}
_domains_lock = threading.Lock()


def dds_topic_name(ros_topic: str) -> str:
    """The DDS topic that carries a ROS 2 topic: ``rt`` + the fully qualified name."""
    return "rt" + ros_topic


def dds_qos(qos: QoS) -> Qos:
    """Every policy set explicitly: Cyclone's defaults differ from ROS 2's."""
    return Qos(
        Policy.Reliability.Reliable(duration(seconds=1)) if qos.reliable else Policy.Reliability.BestEffort,
        Policy.Durability.TransientLocal if qos.transient_local else Policy.Durability.Volatile,
        Policy.History.KeepLast(qos.depth),
        Policy.Deadline(duration(infinite=True)),
        Policy.Lifespan(duration(infinite=True)),
        Policy.Liveliness.Automatic(duration(infinite=True)),
        Policy.DestinationOrder.ByReceptionTimestamp,
        Policy.Ownership.Shared,
    )


def _domain(domain_id: int, config: str | None) -> None:
    """Create the process's Domain once per id, with our config (Cyclone allows one)."""
    with _domains_lock:
        if domain_id not in _domains:
            _domains[domain_id] = Domain(domain_id, resolve_config(config))


class DdsBus(Bus):
    """A Cyclone DDS participant as a :class:`Bus`."""

    name = "dds"

    def __init__(self, domain_id: int = 0, config: str | None = None,
                 max_sample_bytes: int = DEFAULT_MAX_SAMPLE_BYTES, ack_timeout_s: float = 60.0) -> None:
        super().__init__(max_sample_bytes)
        try:
            _domain(domain_id, config)
            self.participant = DomainParticipant(domain_id)
        except Exception as exc:
            raise TransportError(f"cannot start Cyclone DDS on domain {domain_id}: {exc}") from exc
        self.domain_id = domain_id
        self.ack_timeout_s = ack_timeout_s
        self._waitset = _WaitSet(self.participant)
        self._wakeup = GuardCondition(self.participant)
        self._waitset.attach(self._wakeup)
        self._posted: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._topics: dict[str, Topic] = {}
        self._writers: dict[str, tuple[DataWriter, AckWorker]] = {}
        self._readers: dict[str, tuple[DataReader, ReadCondition, list[Subscription]]] = {}

    def now(self) -> float:
        return time.time()

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the spin thread (thread-safe)."""
        self._posted.put(callback)
        self._wakeup.set(True)

    def matched_readers(self, topic: str) -> int:
        writer = self._writers.get(topic)
        return len(writer[0].get_matched_subscriptions()) if writer else 0

    def _topic(self, topic: str, msg_type: type[IdlStruct]) -> Topic:
        if topic not in self._topics:
            self._topics[topic] = Topic(self.participant, dds_topic_name(topic), msg_type)
        found = self._topics[topic]
        if found.data_type is not msg_type:
            raise TypeError(f"topic {topic} carries {found.data_type.__name__}, not {msg_type.__name__}")
        return found

    def _advertise(self, topic: str, msg_type: type[IdlStruct], qos: QoS) -> None:
        if topic not in self._writers:
            writer = DataWriter(self.participant, self._topic(topic, msg_type), dds_qos(qos))
            timeout = duration(seconds=self.ack_timeout_s)
            acks = AckWorker(lambda w=writer: w.wait_for_acks(timeout), self.post, name="dds-acks")
            self._writers[topic] = (writer, acks)

    def _write(self, topic: str, msg_type: type[IdlStruct], data: bytes,
               on_delivered: DeliveryCallback | None, qos: QoS) -> None:
        self._advertise(topic, msg_type, qos)
        writer, acks = self._writers[topic]
        readers = len(writer.get_matched_subscriptions()) if on_delivered else 0
        published = time.time()
        padded = data.ljust((len(data) + 3) & ~3, b"\0")  # as DataWriter.write pads
        ret = ddspy_write(writer._ref, padded)
        if ret < 0:
            raise TransportError(f"DDS write on {topic} failed with code {ret}")
        if on_delivered is not None:
            acks.submit(topic, len(data), published, readers, on_delivered)

    def _add_subscription(self, sub: Subscription, qos: QoS) -> None:
        if sub.topic in self._readers:
            self._readers[sub.topic][2].append(sub)
            return
        reader = DataReader(self.participant, self._topic(sub.topic, sub.msg_type), dds_qos(qos))
        condition = ReadCondition(reader, SampleState.NotRead | ViewState.Any | InstanceState.Any)
        self._waitset.attach(condition)
        self._readers[sub.topic] = (reader, condition, [sub])

    def spin_once(self, timeout_s: float) -> None:
        if self._closed:
            return
        next_timer = self._scheduler.next_time()
        wait = timeout_s if next_timer is None else min(timeout_s, max(0.0, next_timer - self.now()))
        if wait > 0 and self._posted.empty():
            self._waitset.wait(duration(seconds=wait))
        self._wakeup.set(False)
        for reader, _, subs in list(self._readers.values()):
            self._take_all(reader, subs)
        while not self._posted.empty():
            self._posted.get()()
        self._run_due_timers()

    def _take_all(self, reader: DataReader, subs: list[Subscription]) -> None:
        while True:
            samples = ddspy_take(reader._ref, _ANY_STATE, _TAKE_BATCH)
            if isinstance(samples, int):
                log.warning("DDS take failed with code %d", samples)
                return
            for data, info in samples:
                if info.valid_data:
                    for sub in subs:
                        sub.deliver(data)
            if len(samples) < _TAKE_BATCH:
                return

    def close(self) -> None:
        if self._closed:
            return
        super().close()
        for _, acks in self._writers.values():
            acks.stop()
        self.participant.__del__()  # deletes every child entity; ack waits return at once
