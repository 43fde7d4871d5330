"""Small disk helpers: atomic file writes and the Parquet layout of vector parts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from nova_toolkit._core.atomic import atomic_write  # the package's one atomic-write mechanism


def write_json(path: Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON."""
    text = json.dumps(obj, indent=1, sort_keys=True, default=str).encode("utf-8")
    atomic_write(path, lambda fh: fh.write(text))


def read_json(path: Path) -> Any:
    """Read a JSON file written by ``write_json``."""
    return json.loads(path.read_text("utf-8"))


def vectors_table(
    keys: Sequence[str], data: np.ndarray, metadata: Sequence[str | None]
) -> pa.Table:
    """Arrow table of a vector part: ``key``, ``data`` fixed_size_list<float32>, ``metadata``.

    Metadata is kept as compact JSON text: the S3 Vectors metadata is schemaless per vector,
    and JSON round-trips its string/number/bool/list values exactly.
    """
    dim = data.shape[1]
    flat = pa.array(np.ascontiguousarray(data, dtype=np.float32).reshape(-1))
    return pa.table(
        {
            "key": pa.array(list(keys), type=pa.string()),
            "data": pa.FixedSizeListArray.from_arrays(flat, dim),
            "metadata": pa.array(list(metadata), type=pa.string()),
        }
    )


def write_parquet(path: Path, table: pa.Table) -> None:
    """Atomically write a Parquet file.

    Vectors are incompressible and keys unique, so compression and dictionary encoding
    only cost time (they made a 100k x 384 write ~3x slower).
    """
    atomic_write(
        path,
        lambda fh: pq.write_table(
            table, fh, compression="none", use_dictionary=False, write_statistics=False
        ),
    )


def read_vectors(path: Path, dim: int) -> tuple[list[str], np.ndarray, list[str | None]]:
    """Read a part written by ``vectors_table``: keys, ``(n, dim)`` float32, metadata texts."""
    table = pq.read_table(path)
    keys = table.column("key").to_pylist()
    data_col = table.column("data").combine_chunks()
    if len(data_col):
        flat = data_col.flatten().to_numpy(zero_copy_only=False)
        data = np.asarray(flat, dtype=np.float32).reshape(-1, dim)
    else:
        data = np.empty((0, dim), dtype=np.float32)
    metadata = table.column("metadata").to_pylist()
    return keys, data, metadata


def write_keys(path: Path, keys: Sequence[str]) -> None:
    """Atomically write a delete-log part (one ``key`` column)."""
    write_parquet(path, pa.table({"key": pa.array(list(keys), type=pa.string())}))


def read_keys(path: Path) -> list[str]:
    """Read a delete-log part."""
    return pq.read_table(path).column("key").to_pylist()
