"""The cyclonedds mirror must match src/fleetlearn_msgs/msg/*.msg field for field.

The .msg files are read by rosidl_adapter, the parser the fleetlearn_msgs build itself runs.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from cyclonedds.idl import IdlStruct
from cyclonedds.idl.types import float32, float64, int32, sequence, uint8, uint32, uint64
from rosidl_adapter.parser import MessageSpecification, Type, parse_message_file, parse_message_string

from fleetlearn.msgs import FLEETLEARN_MESSAGES, Header, Time

MSG_DIR = Path(__file__).resolve().parents[2] / "src" / "fleetlearn_msgs" / "msg"
PRIMITIVE_TO_MIRROR = {"uint8": uint8, "uint32": uint32, "uint64": uint64, "int32": int32,
                       "float32": float32, "float64": float64, "string": str}
STANDARD = {
    "std_msgs/Header": (Header, parse_message_string("std_msgs", "Header",
                                                     "builtin_interfaces/Time stamp\nstring frame_id")),
    "builtin_interfaces/Time": (Time, parse_message_string("builtin_interfaces", "Time", "int32 sec\nuint32 nanosec")),
}
SPECS = {path.stem: parse_message_file("fleetlearn_msgs", str(path)) for path in sorted(MSG_DIR.glob("*.msg"))}


def expected_annotation(field_type: Type):
    if not field_type.is_primitive_type():
        return None  # nested message: checked recursively
    if field_type.type == "uint8" and field_type.is_array:
        return bytes
    base = PRIMITIVE_TO_MIRROR.get(field_type.type)
    return sequence[base] if field_type.is_array else base


def check_against_spec(cls: type[IdlStruct], spec: MessageSpecification) -> None:
    name = spec.base_type.type
    mirror = fields(cls)
    assert [f.name for f in mirror] == [f.name for f in spec.fields], f"{name}: field names or order differ"
    for mf, sf in zip(mirror, spec.fields, strict=True):
        assert not sf.type.is_array or sf.type.array_size is None, f"{name}.{sf.name}: only unbounded T[] is mirrored"
        expected = expected_annotation(sf.type)
        if expected is None:
            nested = f"{sf.type.pkg_name}/{sf.type.type}"
            nested_cls, nested_spec = STANDARD.get(nested) or (mf.type, SPECS[sf.type.type])
            assert not sf.type.is_array, f"{name}.{sf.name}: arrays of messages are not mirrored"
            assert mf.type is nested_cls, f"{name}.{sf.name}: {mf.type} is not {nested_cls.__name__}"
            check_against_spec(nested_cls, nested_spec)
        else:
            assert mf.type == expected, f"{name}.{sf.name}: mirror {mf.type} != .msg {sf.type}"
    for const in spec.constants:
        assert getattr(cls, const.name) == const.value, f"{name}.{const.name} differs"


def test_every_msg_file_is_mirrored() -> None:
    assert sorted(SPECS) == sorted(cls.__name__ for cls in FLEETLEARN_MESSAGES)


@pytest.mark.parametrize("cls", FLEETLEARN_MESSAGES, ids=lambda c: c.__name__)
def test_mirror_matches_msg_file(cls: type[IdlStruct]) -> None:
    assert cls.__idl_typename__ == f"fleetlearn_msgs::msg::dds_::{cls.__name__}_"
    check_against_spec(cls, SPECS[cls.__name__])


def test_checker_catches_a_reordered_field() -> None:
    swapped = parse_message_string("builtin_interfaces", "Time", "uint32 nanosec\nint32 sec")
    with pytest.raises(AssertionError, match="order"):
        check_against_spec(Time, swapped)


def test_checker_catches_a_changed_type() -> None:
    retyped = parse_message_string("builtin_interfaces", "Time", "int32 sec\nuint64 nanosec")
    with pytest.raises(AssertionError, match="nanosec"):
        check_against_spec(Time, retyped)


def test_msg_files_document_every_field() -> None:
    for path in MSG_DIR.glob("*.msg"):
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                assert "#" in line, f"{path.name}: undocumented line {line!r}"
