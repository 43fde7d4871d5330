"""Reading a collection's stored thumbnails, and keeping them across a rewrite of their rows.

Thumbnails live in their own table (:func:`~.schemas.thumbnails_schema`), so rows and vectors
are read without them; they are read only when asked, filtered to the sources or contents
wanted (Parquet skips what its statistics rule out). A row finds its thumbnail by content hash
and locator (:func:`nova_toolkit.decode.thumbnails.thumbnail_locator`): whatever the row's
source is called, and only while the content is the one the picture was made from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .parts import SourceIndex, reading_part
from .schemas import thumbnails_schema

TABLE = "thumbnails"


def read_thumbnails(root: Path, parts: Iterable[str], *, sources: Iterable[str] | None = None,
                    contents: Iterable[str] | None = None) -> pa.Table:
    """The thumbnail rows of ``parts`` (live part names of ``root``'s thumbnails table),
    only those of ``sources`` and/or ``contents`` (content hashes) when given."""
    schema = thumbnails_schema()
    filters = []
    if sources is not None:
        filters.append(pc.field("source").isin(sorted(set(sources))))
    if contents is not None:
        filters.append(pc.field("content_sha256").isin(sorted(set(contents))))
    expr = None
    for f in filters:
        expr = f if expr is None else expr & f
    tables = []
    for part in parts:
        with reading_part(root / TABLE / part):  # a missing or damaged part is named
            tables.append(pq.read_table(root / TABLE / part, schema=schema, filters=expr,
                                        page_checksum_verification=True))
    tables = [t for t in tables if t.num_rows]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def carried_thumbnails(index: SourceIndex, read: Callable[[list[str], set[str]], pa.Table],
                       given: pa.Table | None, items: pa.Table | None,
                       remove: set[str]) -> pa.Table | None:
    """``given`` plus the stored thumbnails a commit keeps although it replaces their source.

    A source whose rows a commit removes and re-adds (in ``items``) with the same content keeps
    its thumbnails unless ``given`` brings some for it: a caller that rewrites rows (their
    metadata, say) need not know about thumbnails. ``index`` (synced to the live thumbnail
    parts) says which parts hold such sources; ``read(parts, sources)`` reads their rows, so a
    commit of new sources reads nothing.
    """
    if items is None or not len(items) or not remove:
        return given
    content = dict(zip(items.column("source").to_pylist(),
                       items.column("content_sha256").to_pylist(), strict=True))
    kept = set(content) & remove
    if given is not None and len(given):
        kept -= set(given.column("source").to_pylist())
    parts = sorted(index.holding(kept)) if kept else []
    if not parts:
        return given
    stored = read(parts, kept)
    same = [content.get(s) == c for s, c in zip(stored.column("source").to_pylist(),
                                                stored.column("content_sha256").to_pylist(),
                                                strict=True)]
    stored = stored.filter(pa.array(same, pa.bool_()))
    if not stored.num_rows:
        return given
    if given is None or not len(given):
        return stored
    schema = thumbnails_schema()
    return pa.concat_tables([given.select(schema.names).cast(schema), stored])
