"""Writer stage: buffers rows and commits them to the :class:`Store` every ``commit_rows``
or every ``commit_seconds``, whichever comes first.

Each commit is one atomic ``Store.commit`` (items, segments, failures, thumbnails, replaced
sources, cleared failures), so a run killed between commits resumes from the last one. Only
the store's public methods are used.

A row's ``"thumbnail"`` (see :mod:`.rows`) goes to the thumbnails table, one per source and
spot; rows copied from stored content get the stored thumbnails of that content (never made
twice). Rows without the key (a caller that rewrites stored rows) keep what is stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nova_toolkit.decode.thumbnails import Thumbnail
from nova_toolkit.pipeline.rows import row_thumbnail_key
from nova_toolkit.store import Store, thumbnails_schema, vectors_to_arrow


@dataclass(frozen=True)
class Committed:
    """What one commit wrote: vector rows, replaced sources, sources with new failures."""

    rows: int
    removed: frozenset[str] = field(default_factory=frozenset)
    failed: frozenset[str] = field(default_factory=frozenset)


class BufferedWriter:
    """Holds rows until ``commit_rows`` are buffered or ``commit_seconds`` have passed since
    the oldest buffered one (or :meth:`flush` is forced).

    The time bound keeps what a slow run has done (a paid Bedrock call, a long video) safe
    against a kill or a full disk: at most ``commit_seconds`` of work is ever lost.
    """

    def __init__(self, store: Store, commit_rows: int = 4096,
                 commit_seconds: float = 30.0) -> None:
        self.store = store
        self.commit_rows = commit_rows
        self.commit_seconds = commit_seconds
        self._since: float | None = None  # monotonic time of the oldest buffered item
        self.items: list[dict] = []
        self.rows: list[dict] = []
        self.vectors: list[np.ndarray] = []
        self.fails: list[dict] = []
        self.thumbs: dict[tuple[str, str], dict] = {}  # (source, locator) -> thumbnail row
        self.remove: set[str] = set()
        self.clear_failures: set[str] = set()

    def add_item(self, item_row: dict, rows: Sequence[dict],
                 vectors: Sequence[np.ndarray]) -> None:
        """Buffer one item and its vector rows; its old rows go at the commit."""
        source = item_row["source"]
        for row in rows:
            pic = row.get("thumbnail")
            if pic is not None:
                self.thumbs[(source, pic.locator)] = {
                    "source": source, "content_sha256": item_row["content_sha256"],
                    "locator": pic.locator, "mime": pic.mime, "width": pic.width,
                    "height": pic.height, "data": pic.data}
        self._started()
        self.items.append(item_row)
        self.rows.extend(rows)
        self.vectors.extend(vectors)
        self.remove.add(item_row["source"])

    def add_failure(self, failure_row: dict) -> None:
        """Buffer a failure row; it replaces the source's older failure rows (not its vectors)."""
        self._started()
        self.fails.append(failure_row)
        self.clear_failures.add(failure_row["source"])

    def _started(self) -> None:
        if self._since is None:
            self._since = time.monotonic()

    def rows_of(self, source: str) -> tuple[list[dict], list[np.ndarray]]:
        """Rows and vectors of ``source``: buffered ones if any, else the stored ones (with
        their stored thumbnails)."""
        mine = [i for i, r in enumerate(self.rows) if r["source"] == source]
        if mine:
            return [dict(self.rows[i]) for i in mine], [self.vectors[i] for i in mine]
        table = self.store.segments()
        hit = pc.equal(table.column("source"), source)
        rows = table.filter(hit).drop_columns(["vector"]).to_pylist()
        picked = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
        stored = stored_thumbnails(self.store, {r["content_sha256"] for r in rows})
        for row in rows:
            row["thumbnail"] = stored.get(row_thumbnail_key(row))
        return rows, list(self.store.vectors()[picked])

    @property
    def due(self) -> bool:
        """Enough rows buffered for a commit, or the oldest has waited ``commit_seconds``."""
        return len(self.rows) >= self.commit_rows or (
            self._since is not None and time.monotonic() - self._since >= self.commit_seconds)

    def flush(self, *, force: bool = False) -> Committed | None:
        """Commit the buffer when due (or ``force``); None when nothing was committed."""
        if not (force or self.due):
            return None
        if not (self.items or self.fails or self.remove or self.clear_failures):
            return None
        segments = None
        if self.rows:
            cols = {name: [r[name] for r in self.rows] for name in self.rows[0]
                    if name != "thumbnail"}
            segments = pa.table({**cols, "vector": vectors_to_arrow(np.stack(self.vectors))})
        items = pa.Table.from_pylist(self.items) if self.items else None
        fails = pa.Table.from_pylist(self.fails) if self.fails else None
        thumbs = (pa.Table.from_pylist(list(self.thumbs.values()), schema=thumbnails_schema())
                  if self.thumbs else None)
        self.store.commit(items=items, segments=segments, failures=fails, thumbnails=thumbs,
                          remove_sources=self.remove, clear_failures=self.clear_failures)
        done = Committed(len(self.rows), frozenset(self.remove),
                         frozenset(f["source"] for f in self.fails))
        self.items, self.rows, self.vectors, self.fails = [], [], [], []
        self.thumbs = {}
        self.remove, self.clear_failures = set(), set()
        self._since = None
        return done

    def remove_sources(self, sources: Iterable[str]) -> None:
        """Commit the removal of every row of ``sources`` (files gone from a folder)."""
        self.store.commit(remove_sources=list(sources))


def stored_thumbnails(store: Store, contents: set[str]) -> dict[tuple[str, str], Thumbnail]:
    """``{(content hash, locator): Thumbnail}`` stored for ``contents``."""
    if not contents:
        return {}
    table = store.thumbnails(contents=contents)
    return {(r["content_sha256"], r["locator"]): Thumbnail(r["locator"], r["data"], r["width"],
                                                          r["height"], r["mime"])
            for r in table.to_pylist()}
