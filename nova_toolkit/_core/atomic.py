"""Atomic file writes: the package's one mechanism (store parts and manifest, the vectors
mirror, sync checkpoints, analysis and viz outputs).

A write goes to a hidden temp file beside the target, is fsynced, then renamed over the
target, and the directory is fsynced: a reader sees the old file or the complete new one,
never a torn write, and a crash leaves at most a hidden ``.*.tmp`` file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_table", "fsync_dir",
           "parquet_options"]


def fsync_dir(path: Path) -> None:
    """Fsync a directory so a rename in it survives a power cut (where the OS allows)."""
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through ``write(fh)`` into a hidden temp file, fsync, then rename.

    Readers see the old file or the complete new one, never a torn write; a
    failed write leaves no temp file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda fh: fh.write(data))


def parquet_options(schema: pa.Schema) -> dict:
    """``pq.write_table`` options for ``schema``: vector columns (fixed-size lists of
    floats) are written plain, since dictionary encoding, min/max statistics and snappy
    cost time on write and read and save nothing on embedding values
    (benchmarks/bench_store.py). Every page carries a CRC32 checksum."""
    dense = {
        f.name for f in schema
        if pa.types.is_fixed_size_list(f.type) and pa.types.is_floating(f.type.value_type)
    }
    if not dense:
        return {"write_page_checksum": True}
    others = [n for n in schema.names if n not in dense]
    return {
        "write_page_checksum": True,  # a flipped byte is found on read (parts.read_part)
        "use_dictionary": others,
        "write_statistics": others,
        "compression": {n: "none" if n in dense else "snappy" for n in schema.names},
    }


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically (never a half-written part)."""
    atomic_write(path, lambda fh: pq.write_table(table, fh, **parquet_options(table.schema)))
