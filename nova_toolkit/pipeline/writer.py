"""Writer stage: buffers rows and commits them to the :class:`Store` every ``commit_rows``.

Each commit is one atomic ``Store.commit`` (items, segments, failures, replaced sources,
cleared failures), so a run killed between commits resumes from the last one. Only the
store's public methods are used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nova_toolkit.store import Store, vectors_to_arrow


@dataclass(frozen=True)
class Committed:
    """What one commit wrote: vector rows, replaced sources, sources with new failures."""

    rows: int
    removed: frozenset[str] = field(default_factory=frozenset)
    failed: frozenset[str] = field(default_factory=frozenset)


class BufferedWriter:
    """Holds rows until ``commit_rows`` are buffered (or :meth:`flush` is forced)."""

    def __init__(self, store: Store, commit_rows: int = 4096) -> None:
        self.store = store
        self.commit_rows = commit_rows
        self.items: list[dict] = []
        self.rows: list[dict] = []
        self.vectors: list[np.ndarray] = []
        self.fails: list[dict] = []
        self.remove: set[str] = set()
        self.clear_failures: set[str] = set()

    def add_item(self, item_row: dict, rows: Sequence[dict],
                 vectors: Sequence[np.ndarray]) -> None:
        """Buffer one item and its vector rows; its old rows go at the commit."""
        self.items.append(item_row)
        self.rows.extend(rows)
        self.vectors.extend(vectors)
        self.remove.add(item_row["source"])

    def add_failure(self, failure_row: dict) -> None:
        """Buffer a failure row; it replaces the source's older failure rows (not its vectors)."""
        self.fails.append(failure_row)
        self.clear_failures.add(failure_row["source"])

    def rows_of(self, source: str) -> tuple[list[dict], list[np.ndarray]]:
        """Rows and vectors of ``source``: buffered ones if any, else the stored ones."""
        mine = [i for i, r in enumerate(self.rows) if r["source"] == source]
        if mine:
            return [dict(self.rows[i]) for i in mine], [self.vectors[i] for i in mine]
        table = self.store.segments()
        hit = pc.equal(table.column("source"), source)
        rows = table.filter(hit).drop_columns(["vector"]).to_pylist()
        picked = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
        return rows, list(self.store.vectors()[picked])

    @property
    def due(self) -> bool:
        """Enough rows buffered for a commit."""
        return len(self.rows) >= self.commit_rows

    def flush(self, *, force: bool = False) -> Committed | None:
        """Commit the buffer when due (or ``force``); None when nothing was committed."""
        if not (force or self.due):
            return None
        if not (self.items or self.fails or self.remove or self.clear_failures):
            return None
        segments = None
        if self.rows:
            cols = {name: [r[name] for r in self.rows] for name in self.rows[0]}
            segments = pa.table({**cols, "vector": vectors_to_arrow(np.stack(self.vectors))})
        items = pa.Table.from_pylist(self.items) if self.items else None
        fails = pa.Table.from_pylist(self.fails) if self.fails else None
        self.store.commit(items=items, segments=segments, failures=fails,
                          remove_sources=self.remove, clear_failures=self.clear_failures)
        done = Committed(len(self.rows), frozenset(self.remove),
                         frozenset(f["source"] for f in self.fails))
        self.items, self.rows, self.vectors, self.fails = [], [], [], []
        self.remove, self.clear_failures = set(), set()
        return done

    def remove_sources(self, sources: Iterable[str]) -> None:
        """Commit the removal of every row of ``sources`` (files gone from a folder)."""
        self.store.commit(remove_sources=list(sources))
