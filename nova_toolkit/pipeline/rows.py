"""Rows stage: embeddings → segment rows and item rows, row keys, index metadata.

Pure functions over plain data: a row is a dict of the store's segment columns (the
vector kept apart as a float32 array), so the writer can stack them into one Arrow table.
A picture row also carries its ``"thumbnail"`` (a
:class:`~nova_toolkit.decode.thumbnails.Thumbnail`, or None), which the writer stores apart.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from nova_toolkit.decode.thumbnails import Thumbnail, thumbnail_locator, thumbnails_for
from nova_toolkit.embedders import EmbedFailure
from nova_toolkit.media import MediaItem
from nova_toolkit.media.library import key_text
from nova_toolkit.pipeline.planner import Embed
from nova_toolkit.pipeline.reader import Failure
from nova_toolkit.store import CollectionSettings

MAX_KEY_CHARS = 1024
#: Metadata keys every vector carries in the index (user metadata may not reuse them).
RESERVED_METADATA = (
    "source", "modality", "embedding_type", "segment_index", "start_s", "end_s", "page",
    "char_start", "char_end", "snippet",
)
#: Index metadata kept out of filters (large text), as S3 Vectors' non-filterable keys.
NON_FILTERABLE = ("snippet",)
SNIPPET_IN_INDEX = 1000  # characters of snippet copied into index metadata


def row_key(source: str, embedding_type: str, segment_index: int) -> str:
    """Stable key, unique per (source, embedding type, segment), at most 1,024 characters.

    Readable (``source#TYPE#index``) when it fits; otherwise the source's tail
    prefixed by a hash of the whole source keeps it unique and within the limit.
    """
    suffix = f"#{embedding_type}#{segment_index}"
    key = source + suffix
    if len(key) <= MAX_KEY_CHARS:
        return key
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    room = MAX_KEY_CHARS - len(suffix) - len(digest) - 3
    return f"{digest}..{source[-room:]}{suffix}"


def now() -> pa.Scalar:
    """The current time as the store's ``timestamp[ms, UTC]``."""
    return pa.scalar(int(time.time() * 1000), type=pa.timestamp("ms", tz="UTC"))


def metadata_json(metadata: dict | None) -> str | None:
    """User metadata as stored on every row (sorted JSON), refusing reserved keys."""
    metadata = dict(metadata or {})
    clash = sorted(set(metadata) & set(RESERVED_METADATA))
    if clash:
        raise ValueError(f"metadata keys {clash} are reserved by nova_toolkit")
    return json.dumps(metadata, sort_keys=True) if metadata else None


@dataclass
class BuiltRows:
    """Rows of one embedded item: segment rows, their vectors, and segment failures."""

    rows: list[dict] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def embedded_rows(step: Embed, results: Sequence, settings: CollectionSettings,
                  meta_json: str | None) -> BuiltRows:
    """Segment rows for one item's embedder results (an :class:`EmbedFailure` becomes a failure).

    Each row carries the thumbnail of its spot: the step's own (made where the item's bytes
    were, :attr:`Embed.thumbnails`), else made here from the item's bytes.
    """
    by_index = {seg.index: seg for seg in step.segments}
    item = step.item
    pictures = {t.locator: t for t in step_thumbnails(step)}
    out = BuiltRows()
    for r in results:
        if isinstance(r, EmbedFailure):
            out.failures.append(Failure(item.source, "embed", r.reason, r.segment_index))
            continue
        seg = r.segment if r.segment is not None else by_index[r.segment_index]
        note = step.note
        if r.truncated_chars:
            cut = f"truncated: the model did not see the last {r.truncated_chars} chars"
            note = f"{note}; {cut}" if note else cut
        out.rows.append({
            "key": row_key(item.source, r.embedding_type, seg.index),
            "source": item.source, "content_sha256": item.sha256,
            "cache_key": step.key, "modality": item.modality,
            "embedding_type": r.embedding_type, "segment_index": seg.index,
            "start_s": seg.start_s, "end_s": seg.end_s, "page": seg.page,
            "char_start": seg.char_start, "char_end": seg.char_end,
            "snippet": r.snippet or seg.text or "", "truncated_chars": r.truncated_chars,
            "note": note or None, "metadata": meta_json, "model_id": settings.model_id,
            "purpose": settings.purpose, "dimension": settings.dimension,
            "thumbnail": pictures.get(thumbnail_locator(item.modality, seg.index, seg.page)),
        })
        out.vectors.append(np.asarray(r.vector, dtype=np.float32))
    return out


def step_thumbnails(step: Embed) -> tuple[Thumbnail, ...]:
    """The thumbnails of an embed step: those it carries, else made from its item's bytes
    (none when the bytes are gone)."""
    made = getattr(step, "thumbnails", None)
    if made is not None:
        return tuple(made)
    return thumbnails_for(step.item, step.segments) if step.item.data else ()


def row_thumbnail_key(row: dict) -> tuple[str, str | None]:
    """``(content hash, locator)``: what finds a stored row's thumbnail."""
    return row["content_sha256"], thumbnail_locator(row.get("modality"),
                                                   row.get("segment_index"), row.get("page"))


def copied_rows(rows: Sequence[dict], item: MediaItem, meta_json: str | None) -> list[dict]:
    """Rows of the same content stored under another source, re-keyed for ``item.source``."""
    out = []
    for row in rows:
        row = dict(row)
        row.update(source=item.source, metadata=meta_json, content_sha256=item.sha256,
                   key=row_key(item.source, row["embedding_type"], row["segment_index"]))
        out.append(row)
    return out


def item_row(item: MediaItem, key: str, n_segments: int, note: str = "") -> dict:
    """The items-table row of ``item`` stored with ``n_segments`` vector rows."""
    return {
        "source": item.source, "content_sha256": item.sha256,
        "path": None if item.path is None else key_text(item.path),  # Arrow-safe, reversible
        "cache_key": key, "modality": item.modality, "format": item.format,
        "size": item.size, "mtime": item.mtime, "n_segments": n_segments,
        "note": note or None, "added_at": now(),
    }


def failure_row(failure: Failure) -> dict:
    """The failures-table row of ``failure``."""
    return {"source": failure.source, "stage": failure.stage,
            "segment_index": failure.segment_index, "reason": failure.reason, "at": now()}


def index_metadata(table: pa.Table) -> list[dict]:
    """Per-row S3 Vectors metadata: source, modality, offsets, snippet, user metadata."""
    cols = {name: table.column(name).to_pylist() for name in
            ("source", "modality", "embedding_type", "segment_index", "start_s", "end_s",
             "page", "char_start", "char_end", "snippet", "metadata")}
    out = []
    for i in range(table.num_rows):
        meta = {k: cols[k][i] for k in RESERVED_METADATA if cols[k][i] is not None}
        if "snippet" in meta:
            meta["snippet"] = meta["snippet"][:SNIPPET_IN_INDEX]
        if cols["metadata"][i]:
            meta.update(json.loads(cols["metadata"][i]))
        out.append(meta)
    return out
