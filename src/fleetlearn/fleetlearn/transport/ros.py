"""``ros``: an rclpy node as a :class:`Bus`.

Publishers and subscriptions use the real ROS 2 types from ``fleetlearn_msgs``
(so rqt, ``ros2 topic`` and other nodes see ordinary topics), but samples cross
this adapter as serialized CDR: rclpy publishes the bytes the cyclonedds mirror
made and hands raw bytes to subscriptions, which decode them through the shared
bad-input guard. The golden test proves those bytes are what rclpy would make.

Discovery stays on this host unless ``ROS_AUTOMATIC_DISCOVERY_RANGE`` says
otherwise (the network rule for tests and default configs), and Fast DDS writers
heartbeat every 10 ms so acknowledgements measure the link, not a 3 s timer.
"""

from __future__ import annotations

import importlib
import logging
import os
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cyclonedds.idl import IdlStruct

from .base import DEFAULT_MAX_SAMPLE_BYTES, AckWorker, Bus, DeliveryCallback, QoS, Subscription, TransportError

log = logging.getLogger(__name__)

# Fast DDS acknowledges on the writer's heartbeat (3 s by default), which would make every
# transfer look 3 s long; this profile sets 10 ms. Used unless the environment names another.
FASTDDS_PROFILE = Path(__file__).with_name("fastdds_prompt_acks.xml")


def use_ros_defaults() -> None:
    """Loopback discovery and prompt acknowledgements, unless the environment says otherwise."""
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(FASTDDS_PROFILE))


def ros_message_type(msg_type: type[IdlStruct]) -> type:
    """The rclpy class for a mirror type: ``pkg::msg::dds_::Name_`` → ``pkg.msg.Name``."""
    package, _, _, name = msg_type.__idl_typename__.split("::")
    try:
        return getattr(importlib.import_module(f"{package}.msg"), name.rstrip("_"))
    except (ImportError, AttributeError) as exc:
        raise TransportError(f"ROS message type {package}/msg/{name.rstrip('_')} is not importable ({exc}); "
                             "build the workspace first: `make setup` or `colcon build`") from exc


def ros_qos(qos: QoS) -> Any:
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=qos.depth,
        reliability=ReliabilityPolicy.RELIABLE if qos.reliable else ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.TRANSIENT_LOCAL if qos.transient_local else DurabilityPolicy.VOLATILE,
    )


class RosBus(Bus):
    """Wraps an rclpy node (its own, or one the caller owns) and a single-threaded executor."""

    name = "ros"

    def __init__(self, node_name: str = "fleetlearn", namespace: str = "", domain_id: int | None = None,
                 node: Any = None, max_sample_bytes: int = DEFAULT_MAX_SAMPLE_BYTES,
                 ack_timeout_s: float = 60.0) -> None:
        super().__init__(max_sample_bytes)
        use_ros_defaults()
        try:
            import rclpy
            from rclpy.context import Context
            from rclpy.executors import SingleThreadedExecutor
        except ImportError as exc:
            raise TransportError(
                f"the ros transport needs rclpy: {exc}; install the ros-* wheels (`make setup`)") from exc
        self._own_context = None
        if node is None:
            self._own_context = Context()
            rclpy.init(context=self._own_context, domain_id=domain_id)
            node = rclpy.create_node(node_name, namespace=namespace, context=self._own_context)
        self.node = node
        self.ack_timeout_s = ack_timeout_s
        self._executor = SingleThreadedExecutor(context=node.context)
        self._executor.add_node(node)
        self._posted: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._wakeup = node.create_guard_condition(self._run_posted)
        self._publishers: dict[str, tuple[Any, AckWorker]] = {}
        self._subscriptions: list[Any] = []

    def now(self) -> float:
        return time.time()

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the spin thread (thread-safe)."""
        self._posted.put(callback)
        self._wakeup.trigger()

    def _run_posted(self) -> None:
        while not self._posted.empty():
            self._posted.get()()

    def matched_readers(self, topic: str) -> int:
        pub = self._publishers.get(topic)
        return pub[0].get_subscription_count() if pub else 0

    def _advertise(self, topic: str, msg_type: type[IdlStruct], qos: QoS) -> None:
        if topic not in self._publishers:
            from rclpy.duration import Duration

            publisher = self.node.create_publisher(ros_message_type(msg_type), topic, ros_qos(qos))
            timeout = Duration(seconds=self.ack_timeout_s)
            acks = AckWorker(lambda p=publisher: p.wait_for_all_acked(timeout), self.post, name="ros-acks")
            self._publishers[topic] = (publisher, acks)

    def _write(self, topic: str, msg_type: type[IdlStruct], data: bytes,
               on_delivered: DeliveryCallback | None, qos: QoS) -> None:
        self._advertise(topic, msg_type, qos)
        publisher, acks = self._publishers[topic]
        readers = publisher.get_subscription_count() if on_delivered else 0
        published = time.time()
        publisher.publish(data)
        if on_delivered is not None:
            acks.submit(topic, len(data), published, readers, on_delivered)

    def _add_subscription(self, sub: Subscription, qos: QoS) -> None:
        self._subscriptions.append(self.node.create_subscription(
            ros_message_type(sub.msg_type), sub.topic, sub.deliver, ros_qos(qos), raw=True))

    def spin_once(self, timeout_s: float) -> None:
        if self._closed:
            return
        next_timer = self._scheduler.next_time()
        wait = timeout_s if next_timer is None else min(timeout_s, max(0.0, next_timer - self.now()))
        self._executor.spin_once(timeout_sec=wait)
        self._run_posted()
        self._run_due_timers()

    def close(self) -> None:
        if self._closed:
            return
        super().close()
        for _, acks in self._publishers.values():
            acks.stop()
        self._executor.shutdown(timeout_sec=1.0)
        if self._own_context is not None:
            self.node.destroy_node()
            self._own_context.try_shutdown()
