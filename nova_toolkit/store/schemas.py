"""The Arrow schemas of a collection's tables and the vector column's conversions.

``items``, ``segments`` and ``failures`` hold what was embedded; ``thumbnails`` holds small
pictures of the picture rows (one per source and spot, see
:func:`nova_toolkit.decode.thumbnails.thumbnail_locator`), apart from the segment rows so that
reading rows and vectors never reads picture bytes. A collection written before the
``thumbnails`` table existed simply has no part of it (:func:`~.manifest.read_manifest`).

Every part carries the collection's settings in its schema metadata under
:data:`SCHEMA_KEY` (like LanceDB's embedding config), as well as the manifest does.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .errors import StoreError

TABLES = ("items", "segments", "failures", "thumbnails")
SCHEMA_KEY = b"nova_toolkit"


def items_schema() -> pa.Schema:
    """One row per source file."""
    return pa.schema([
        ("source", pa.string()),
        ("path", pa.string()),
        ("content_sha256", pa.string()),
        ("cache_key", pa.string()),
        ("modality", pa.string()),
        ("format", pa.string()),
        ("size", pa.int64()),
        ("mtime", pa.float64()),
        ("n_segments", pa.int32()),
        ("note", pa.string()),
        ("added_at", pa.timestamp("ms", tz="UTC")),
    ])


def segments_schema(dimension: int) -> pa.Schema:
    """One row per vector (key, source, offsets, snippet, vector...)."""
    return pa.schema([
        ("key", pa.string()),
        ("source", pa.string()),
        ("content_sha256", pa.string()),
        ("cache_key", pa.string()),
        ("modality", pa.string()),
        ("embedding_type", pa.string()),
        ("segment_index", pa.int32()),
        ("start_s", pa.float64()),
        ("end_s", pa.float64()),
        ("page", pa.int32()),
        ("char_start", pa.int64()),
        ("char_end", pa.int64()),
        ("snippet", pa.string()),
        ("truncated_chars", pa.int64()),
        ("note", pa.string()),
        ("metadata", pa.string()),  # user metadata, JSON object
        ("model_id", pa.string()),
        ("purpose", pa.string()),
        ("dimension", pa.int32()),
        ("vector", pa.list_(pa.float32(), dimension)),
    ])


def failures_schema() -> pa.Schema:
    """One row per thing that went wrong, with the reason."""
    return pa.schema([
        ("source", pa.string()),
        ("stage", pa.string()),  # read | segment | embed
        ("segment_index", pa.int32()),
        ("reason", pa.string()),
        ("at", pa.timestamp("ms", tz="UTC")),
    ])


def thumbnails_schema() -> pa.Schema:
    """One small picture per source and spot (image, video window, PDF page)."""
    return pa.schema([
        ("source", pa.string()),
        ("content_sha256", pa.string()),
        ("locator", pa.string()),  # "image" | "segment=N" | "page=N"
        ("mime", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("data", pa.binary()),
    ])


def table_schema(name: str, dimension: int, settings_json: str) -> pa.Schema:
    """The schema of table ``name`` with the collection's settings in its metadata."""
    schema = {
        "items": items_schema,
        "failures": failures_schema,
        "thumbnails": thumbnails_schema,
        "segments": lambda: segments_schema(dimension),
    }[name]()
    return schema.with_metadata({SCHEMA_KEY: settings_json})


def vectors_to_arrow(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """``(n, d)`` float32 → fixed-size-list array sharing the buffer (no per-row copies)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    flat = pa.array(vectors.reshape(-1), type=pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])


def arrow_to_vectors(column: pa.ChunkedArray | pa.Array, dimension: int) -> np.ndarray:
    """Fixed-size-list column → one ``(n, d)`` float32 array (zero-copy per chunk)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = []
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        if chunk.null_count:
            raise StoreError("vector column holds nulls")
        values = chunk.values.slice(chunk.offset * dimension, len(chunk) * dimension)
        parts.append(values.to_numpy(zero_copy_only=True).reshape(-1, dimension))
    if not parts:
        return np.zeros((0, dimension), dtype=np.float32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
