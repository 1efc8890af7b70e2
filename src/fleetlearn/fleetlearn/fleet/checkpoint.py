"""Checkpoints: what a restarted coordinator (or robot) needs to go on where it stopped.

A checkpoint is one file in ``<run dir>/checkpoints/<node>/``: a magic line, the SHA-256 of the
payload, and the payload (``torch.save`` of plain containers and tensors, loaded back with
``weights_only``). It is written to a temporary file, flushed to disk and renamed, so a crash
leaves either the old set or the new file whole; a file that is cut short or fails its digest
anyway (a disk that lied) is reported and the one before it is used. The newest ``KEEP`` stay.

Writing runs on a background thread: the coordinator only copies its state (milliseconds for a
model of a few million parameters) and goes on with its rounds.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)

MAGIC = b"fleetlearn-checkpoint-1\n"
DIGEST_BYTES = 32
KEEP = 3


class CheckpointError(ValueError):
    """A checkpoint file is not a whole, intact checkpoint; the message says why."""


def checkpoint_dir(run_dir: Path, node: str) -> Path:
    return Path(run_dir) / "checkpoints" / node


def encode_checkpoint(state: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    return MAGIC + hashlib.sha256(payload).digest() + payload


def decode_checkpoint(data: bytes) -> dict[str, Any]:
    """The state in ``data``; CheckpointError if it is not a whole checkpoint with a matching digest."""
    if not data.startswith(MAGIC):
        raise CheckpointError("not a fleetlearn checkpoint (bad magic)")
    digest, payload = data[len(MAGIC):len(MAGIC) + DIGEST_BYTES], data[len(MAGIC) + DIGEST_BYTES:]
    if len(digest) < DIGEST_BYTES or hashlib.sha256(payload).digest() != digest:
        raise CheckpointError(f"its SHA-256 does not match its {len(payload)} bytes (cut short or corrupt)")
    try:
        return torch.load(io.BytesIO(payload), weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"its payload does not load: {exc}") from exc


def write_checkpoint(folder: Path, name: str, state: dict[str, Any]) -> tuple[Path, int]:
    """Write ``folder/name.ckpt`` atomically (temporary file, fsync, rename, fsync of the directory); keep the
    newest ``KEEP`` in ``folder``. Returns the path and its size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    data = encode_checkpoint(state)
    path = folder / f"{name}.ckpt"
    temporary = folder / f".{name}.ckpt.tmp"
    with temporary.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    for old in sorted(folder.glob("*.ckpt"))[:-KEEP]:
        old.unlink()
    return path, len(data)


def load_latest(folder: Path) -> tuple[dict[str, Any], Path] | None:
    """The newest intact checkpoint in ``folder`` and its path; a damaged one is logged and skipped. None
    when there is none."""
    for path in sorted(folder.glob("*.ckpt"), reverse=True):
        try:
            return decode_checkpoint(path.read_bytes()), path
        except (CheckpointError, OSError) as exc:
            log.warning("checkpoint %s is unusable (%s); trying the one before it", path.name, exc)
    return None


class CheckpointWriter:
    """Writes checkpoints one at a time on a background thread, in the order they were taken; what each
    write measured is collected for the node to record on its own thread (``drain``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._thread: threading.Thread | None = None
        self._written: list[dict[str, Any]] = []

    def write(self, name: str, state: dict[str, Any], info: dict[str, Any], wait: bool = False) -> None:
        """Start writing ``state`` (already a copy: the caller goes on changing its own); ``info`` goes into
        its row; ``wait``: until it is on disk."""
        self.wait()
        self._thread = threading.Thread(target=self._write, args=(name, state, info), name="checkpoint",
                                        daemon=True)
        self._thread.start()
        if wait:
            self.wait()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def drain(self) -> list[dict[str, Any]]:
        """Rows of the checkpoints written since the last call: ``info``, file name, bytes, write seconds."""
        rows, self._written = self._written, []
        return rows

    def _write(self, name: str, state: dict[str, Any], info: dict[str, Any]) -> None:
        started = time.perf_counter()
        try:
            path, size = write_checkpoint(self.folder, name, state)
        except OSError as exc:
            log.error("could not write checkpoint %s: %s (the previous one stays)", name, exc)
            return
        self._written.append({**info, "file": path.name, "bytes": size, "write_s": time.perf_counter() - started})
