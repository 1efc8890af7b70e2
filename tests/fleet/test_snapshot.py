"""Model snapshots: chunked, checksummed, and checked before they touch a model."""

from __future__ import annotations

import math
import zlib
from dataclasses import replace

import pytest
import torch

from fleetlearn.fleet.snapshot import SnapshotAssembler, SnapshotError, snapshot_chunks


def test_chunks_reassemble_bit_exactly_in_any_order() -> None:
    flat = torch.randn(100_003)
    chunks = snapshot_chunks(flat, model_version=7, round_=5, chunk_bytes=40_000)
    assert len(chunks) == 11 and all(len(c.payload) <= 40_000 for c in chunks)
    assembler = SnapshotAssembler(flat.numel())
    results = [assembler.add(c) for c in reversed(chunks)]
    assert results[:-1] == [None] * 10
    restored, version, round_ = results[-1]
    assert torch.equal(restored, flat) and (version, round_) == (7, 5)


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: replace(c, payload=b"\x00" + c.payload[1:]), "CRC32"),
    (lambda c: replace(c, num_params=c.num_params + 1), "does not fit"),
    (lambda c: replace(c, codec="fp16"), "codec"),
    (lambda c: replace(c, chunk_index=c.chunk_count), "out of range"),
])
def test_corrupt_or_lying_chunks_are_rejected(change, message) -> None:
    chunk = snapshot_chunks(torch.randn(1000), 1, 1)[0]
    with pytest.raises(SnapshotError, match=message):
        SnapshotAssembler(1000).add(change(chunk))


def test_chunks_that_add_up_to_more_than_the_model_are_rejected() -> None:
    first, second = snapshot_chunks(torch.randn(1000), 1, 1, chunk_bytes=2000)
    assembler = SnapshotAssembler(1000)
    assert assembler.add(first) is None
    big = bytes(2001)
    with pytest.raises(SnapshotError, match="past its 4000 bytes"):
        assembler.add(replace(second, payload=big, crc32=zlib.crc32(big)))


def test_non_finite_snapshots_are_rejected() -> None:
    flat = torch.randn(1000)
    flat[3] = math.inf
    with pytest.raises(SnapshotError, match="non-finite"):
        SnapshotAssembler(1000).add(snapshot_chunks(flat, 1, 1)[0])
