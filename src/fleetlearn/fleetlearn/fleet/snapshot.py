"""Model snapshots for robots that join late or fell behind: chunked, checksummed fp32.

A snapshot is the flat parameter vector as little-endian float32 bytes, cut into
chunks that each fit comfortably in one DDS sample. The receiver checks every
chunk's CRC, the declared sizes against the model it expects, and the CRC of the
whole before it touches its model.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from ..msgs import Header, ModelSnapshot, Time

SNAPSHOT_CODEC = "fp32"
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024


class SnapshotError(ValueError):
    """A snapshot chunk was inconsistent or corrupt; the message says how."""


def snapshot_chunks(flat: Tensor, model_version: int, round_: int, robot_id: str = "", stamp: float = 0.0,
                    chunk_bytes: int = DEFAULT_CHUNK_BYTES, incarnation: int = 0) -> list[ModelSnapshot]:
    """Cut a flat parameter vector into ModelSnapshot messages."""
    data = flat.detach().to(torch.float32).numpy().astype("<f4", copy=False).tobytes()
    count = max(1, -(-len(data) // chunk_bytes))
    total_crc = zlib.crc32(data)
    header = Header(stamp=Time.from_seconds(stamp))
    chunks = []
    for index in range(count):
        part = data[index * chunk_bytes:(index + 1) * chunk_bytes]
        chunks.append(ModelSnapshot(header=header, robot_id=robot_id, round=round_, model_version=model_version,
                                    codec=SNAPSHOT_CODEC, num_params=flat.numel(), chunk_index=index,
                                    chunk_count=count, total_bytes=len(data), total_crc32=total_crc,
                                    payload=part, crc32=zlib.crc32(part), incarnation=incarnation))
    return chunks


@dataclass
class SnapshotAssembler:
    """Collects the chunks of one snapshot version for a model of ``num_params`` parameters."""

    num_params: int
    version: int | None = None
    chunks: dict[int, bytes] = field(default_factory=dict)
    first: ModelSnapshot | None = None

    def add(self, msg: ModelSnapshot) -> tuple[Tensor, int, int] | None:
        """Add a chunk; returns (flat, model_version, round) once complete. Raises SnapshotError."""
        expected = 4 * self.num_params
        if msg.codec != SNAPSHOT_CODEC:
            raise SnapshotError(f"snapshot codec {msg.codec!r} is not {SNAPSHOT_CODEC!r}")
        if msg.num_params != self.num_params or msg.total_bytes != expected:
            raise SnapshotError(f"snapshot of {msg.num_params} parameters / {msg.total_bytes} bytes does not fit "
                                f"this model ({self.num_params} parameters)")
        if not 0 < msg.chunk_count <= expected // 1024 + 1 or msg.chunk_index >= msg.chunk_count:
            raise SnapshotError(f"chunk {msg.chunk_index} of {msg.chunk_count} is out of range")
        if zlib.crc32(msg.payload) != msg.crc32:
            raise SnapshotError(f"chunk {msg.chunk_index} fails its CRC32")
        if self.version != msg.model_version or self.first is None or \
                (self.first.chunk_count, self.first.total_crc32, self.first.incarnation) != \
                (msg.chunk_count, msg.total_crc32, msg.incarnation):
            self.version, self.chunks, self.first = msg.model_version, {}, msg  # a newer snapshot replaces
        held = sum(len(part) for index, part in self.chunks.items() if index != msg.chunk_index)
        if held + len(msg.payload) > expected:  # memory stays bounded by one model, whatever chunks claim
            raise SnapshotError(f"chunk {msg.chunk_index} takes the snapshot past its {expected} bytes")
        self.chunks[msg.chunk_index] = bytes(msg.payload)
        if len(self.chunks) < msg.chunk_count:
            return None
        data = b"".join(self.chunks[i] for i in range(msg.chunk_count))
        self.chunks = {}
        if len(data) != expected or zlib.crc32(data) != msg.total_crc32:
            raise SnapshotError("assembled snapshot fails its size or CRC32 check")
        flat = torch.from_numpy(np.frombuffer(data, dtype="<f4").copy())
        if not torch.isfinite(flat).all():
            raise SnapshotError("snapshot holds non-finite values")
        return flat, msg.model_version, msg.round
