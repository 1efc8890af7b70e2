"""Cyclone DDS mirror of ``fleetlearn_msgs``, ``std_msgs/Header`` and ``builtin_interfaces/Time``.

``src/fleetlearn_msgs/msg/*.msg`` is the source of truth; ``tests/msgs/test_mirror.py``
fails if any field, type or order here differs from it, and a golden test checks
that these classes serialize to the same CDR bytes as rclpy.

Type names follow the ROS 2 DDS mapping ``<pkg>::msg::dds_::<Name>_`` so rclpy
nodes and these plain-DDS endpoints match. ``uint8[]`` fields are ``bytes``: the
same bytes on the wire as ``sequence[uint8]``, and far faster to serialize.

No ``from __future__ import annotations`` here: cyclonedds resolves the
field annotations at run time.
"""

from dataclasses import dataclass, field, fields

from cyclonedds.idl import IdlStruct
from cyclonedds.idl.annotations import final
from cyclonedds.idl.types import float32, float64, sequence, uint8, uint32, uint64
from cyclonedds.idl.types import int32 as int32_t


def _ros_type(package: str, name: str) -> str:
    return f"{package}::msg::dds_::{name}_"


def _with_type_object(cls: type[IdlStruct]) -> type[IdlStruct]:
    """Give a class with ``bytes`` fields the XTypes type object of ``sequence<uint8>``.

    cyclonedds serializes a ``bytes`` field as a ``uint8`` sequence (same wire
    bytes, ~40x faster than a list) but cannot build its XTypes type object,
    which every Topic needs. A twin with ``sequence[uint8]`` in those places has
    the identical type, so its type data is lent to the real class.
    """
    hints = {f.name: (sequence[uint8] if f.type is bytes else f.type) for f in fields(cls)}
    twin = type(cls.__name__, (IdlStruct,), {"__annotations__": hints, "__module__": cls.__module__},
                typename=cls.__idl_typename__)
    twin = final(dataclass(twin))
    twin.__idl__.fill_type_data()
    cls.__idl__.populate()
    cls.__idl__._xt_data = twin.__idl__._xt_data
    cls.__idl__._xt_bytedata = twin.__idl__._xt_bytedata
    return cls


@final
@dataclass
class Time(IdlStruct, typename=_ros_type("builtin_interfaces", "Time")):
    sec: int32_t = 0
    nanosec: uint32 = 0

    @classmethod
    def from_seconds(cls, seconds: float) -> "Time":
        ns = round(seconds * 1e9)
        return cls(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


@final
@dataclass
class Header(IdlStruct, typename=_ros_type("std_msgs", "Header")):
    stamp: Time = field(default_factory=Time)
    frame_id: str = ""

    @classmethod
    def at(cls, seconds: float, frame_id: str = "") -> "Header":
        return cls(stamp=Time.from_seconds(seconds), frame_id=frame_id)


@_with_type_object
@final
@dataclass
class CompressedUpdate(IdlStruct, typename=_ros_type("fleetlearn_msgs", "CompressedUpdate")):
    KIND_GRADIENT = 0
    KIND_MODEL_DELTA = 1
    KIND_GOSSIP_RESIDUAL = 2

    header: Header = field(default_factory=Header)
    robot_id: str = ""
    round: uint32 = 0
    model_version: uint64 = 0
    kind: uint8 = 0
    codec: str = ""
    num_params: uint64 = 0
    k: uint64 = 0
    batch_size: uint32 = 0
    loss: float32 = 0.0
    payload: bytes = b""
    crc32: uint32 = 0


@_with_type_object
@final
@dataclass
class GlobalStep(IdlStruct, typename=_ros_type("fleetlearn_msgs", "GlobalStep")):
    header: Header = field(default_factory=Header)
    round: uint32 = 0
    base_version: uint64 = 0
    model_version: uint64 = 0
    codec: str = ""
    num_params: uint64 = 0
    k: uint64 = 0
    payload: bytes = b""
    crc32: uint32 = 0
    contributors: sequence[str] = field(default_factory=list)
    next_round: uint32 = 0
    next_deadline: Time = field(default_factory=Time)
    budget_hint_bytes: uint64 = 0
    incarnation: uint32 = 0


@final
@dataclass
class RoundAnnouncement(IdlStruct, typename=_ros_type("fleetlearn_msgs", "RoundAnnouncement")):
    STATE_OPEN = 0
    STATE_FINISHED = 1

    header: Header = field(default_factory=Header)
    state: uint8 = 0
    round: uint32 = 0
    model_version: uint64 = 0
    deadline: Time = field(default_factory=Time)
    comm_time_s: float32 = 0.0
    expected_robots: sequence[str] = field(default_factory=list)
    budget_hint_bytes: uint64 = 0
    incarnation: uint32 = 0


@_with_type_object
@final
@dataclass
class ModelSnapshot(IdlStruct, typename=_ros_type("fleetlearn_msgs", "ModelSnapshot")):
    header: Header = field(default_factory=Header)
    robot_id: str = ""
    round: uint32 = 0
    model_version: uint64 = 0
    codec: str = ""
    num_params: uint64 = 0
    chunk_index: uint32 = 0
    chunk_count: uint32 = 0
    total_bytes: uint64 = 0
    total_crc32: uint32 = 0
    payload: bytes = b""
    crc32: uint32 = 0
    incarnation: uint32 = 0


@final
@dataclass
class SnapshotRequest(IdlStruct, typename=_ros_type("fleetlearn_msgs", "SnapshotRequest")):
    header: Header = field(default_factory=Header)
    robot_id: str = ""
    have_version: uint64 = 0
    reason: str = ""


@final
@dataclass
class RobotStatus(IdlStruct, typename=_ros_type("fleetlearn_msgs", "RobotStatus")):
    STATE_JOINING = 0
    STATE_ACTIVE = 1
    STATE_LEAVING = 2

    header: Header = field(default_factory=Header)
    robot_id: str = ""
    state: uint8 = 0
    model_version: uint64 = 0
    round: uint32 = 0
    batch_size: uint32 = 0
    num_samples: uint32 = 0


@final
@dataclass
class LinkReport(IdlStruct, typename=_ros_type("fleetlearn_msgs", "LinkReport")):
    header: Header = field(default_factory=Header)
    robot_id: str = ""
    round: uint32 = 0
    throughput_bps: float64 = 0.0
    last_throughput_bps: float64 = 0.0
    ack_time_s: float32 = 0.0
    loss_rate: float32 = 0.0
    configured_cap_bps: float64 = 0.0
    comm_time_s: float32 = 0.0
    budget_bytes: uint64 = 0
    bytes_sent: uint64 = 0


@final
@dataclass
class Metrics(IdlStruct, typename=_ros_type("fleetlearn_msgs", "Metrics")):
    header: Header = field(default_factory=Header)
    round: uint32 = 0
    model_version: uint64 = 0
    loss: float32 = 0.0
    map50: float32 = 0.0
    map50_95: float32 = 0.0
    accuracy: float32 = 0.0
    k: uint64 = 0
    keep_ratio: float32 = 0.0
    bytes_sent: uint64 = 0
    bytes_received: uint64 = 0
    total_bytes_sent: uint64 = 0
    total_bytes_received: uint64 = 0
    budget_bytes: uint64 = 0
    throughput_bps: float64 = 0.0
    consensus_distance: float32 = 0.0
    participants: uint32 = 0
    rejected: uint32 = 0
    round_time_s: float32 = 0.0


FLEETLEARN_MESSAGES: tuple[type[IdlStruct], ...] = (
    CompressedUpdate,
    GlobalStep,
    LinkReport,
    Metrics,
    ModelSnapshot,
    RobotStatus,
    RoundAnnouncement,
    SnapshotRequest,
)
