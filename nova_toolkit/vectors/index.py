"""Storage of one vector index: Parquet parts on disk (source of truth), FAISS derived.

Layout of an index directory::

    base-<seq>.parquet   all live vectors as of operation <seq> (key, data, metadata)
    base-<seq>.faiss     the FAISS index built from that base (derived, optional)
    base-<seq>.sha256    the FAISS file's checksum, verified on load (a mismatch: rebuilt)
    base-<seq>.json      the index choice (factory string, tuned search parameters)
    part-<seq>.parquet   a later PutVectors / import: vectors added or overwritten
    del-<seq>.parquet    a later DeleteVectors: keys removed

Loading replays the newest base and then every part with a larger sequence number in
order, so a write costs one small file, never a rewrite of the index. When more than
``max_parts`` parts pile up, or on ``flush()``, the live rows are compacted into a new
base (written before the old files are removed, so a crash leaves a loadable state).

In memory, rows are append-only: an overwrite or delete marks the old row dead and
(for overwrites) appends a new one; dead rows are skipped with a FAISS ID selector and
purged at compaction.

Index type: below ``approx_threshold`` live vectors (default
:data:`nova_toolkit.vectors.ann.FLAT_THRESHOLD`) the FAISS index is flat and every query
is exact. At or above it, compaction builds the index chosen by
:func:`nova_toolkit.vectors.ann.choose_index` under ``memory_budget`` (HNSW, or IVF-PQ)
and tunes its search parameters to recall 0.95 @ 10 on a sample of the stored vectors.
Unfiltered queries are then approximate; every returned distance is recomputed exactly
from the stored vectors, and the result count is always ``min(k, live)``. Filtered
queries brute-force over the matching rows when selective (exact); otherwise they
search the index with an ID selector, widening k until ``min(k, matches)`` results are
found, and re-rank those exactly. Rows appended after the build are added to the
approximate index (HNSW and IVF both support it); deletes and overwrites are skipped by
the selector, and compaction rebuilds. Distances: cosine is ``1 - cos_sim`` (vectors normalised, inner
product); euclidean is the plain L2 distance ``sqrt(sum((a - b)**2))``, *not* squared —
AWS does not document which it reports, and the plain distance is the natural reading.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from . import ann
from .columns import MetadataColumns
from .filters import Mask
from .index_files import CorruptIndexWarning, IndexFiles
from .storage import vectors_table, write_keys, write_parquet

__all__ = ["BRUTE_FRACTION", "BRUTE_MAX", "CorruptIndexWarning", "VectorIndex", "key_segment"]

#: Filtered queries brute-force over the matching rows when at most this many match
#: (or at most ``BRUTE_FRACTION`` of the rows); otherwise FAISS searches with a bitmap.
BRUTE_MAX = 4096
BRUTE_FRACTION = 0.125


def key_segment(keys: Sequence[str], segment_count: int) -> np.ndarray:
    """Deterministic segment number of each key (CRC-32 of its UTF-8 bytes, mod count)."""
    crc = np.fromiter(
        (zlib.crc32(k.encode("utf-8")) for k in keys), dtype=np.int64, count=len(keys)
    )
    return crc % segment_count


class VectorIndex(IndexFiles):
    """The vectors, keys and metadata of one index, on disk and in memory.

    Not thread-safe by itself: the client serialises calls.
    """

    def __init__(
        self,
        path: Path,
        dimension: int,
        metric: str,
        non_filterable: frozenset[str] = frozenset(),
        max_parts: int = 64,
        approx_threshold: int | None = None,
        memory_budget: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.dimension = dimension
        self.metric = metric
        self.non_filterable = non_filterable
        self.max_parts = max_parts
        self.approx_threshold = ann.FLAT_THRESHOLD if approx_threshold is None else approx_threshold
        self.memory_budget = memory_budget
        self._loaded = False

    # ------------------------------------------------------------------ in-memory state
    def _reset(self, capacity: int = 1024) -> None:
        self.n = 0
        self.n_dead = 0
        self.raw = np.empty((capacity, self.dimension), dtype=np.float32)
        self.alive = np.zeros(capacity, dtype=bool)
        self.inv_norm = np.ones(capacity, dtype=np.float32)
        self.keys: list[str] = []
        self.metas: list[str | None] = []
        self.key_to_row: dict[str, int] = {}
        self.columns = MetadataColumns(self.non_filterable)
        self.faiss = (
            faiss.IndexFlatIP(self.dimension)
            if self.metric == "cosine"
            else faiss.IndexFlatL2(self.dimension)
        )
        self.choice = ann.IndexChoice("Flat", "flat", self.metric, 0, self.dimension, 0)
        self._changed()

    def _changed(self) -> None:
        self._alive_bits: np.ndarray | None = None
        self._sorted: list[str] | None = None
        self._segments: dict[int, np.ndarray] = {}

    def _ensure_capacity(self, need: int) -> None:
        if need <= len(self.alive):
            return
        cap = max(need, 2 * len(self.alive))
        raw = np.empty((cap, self.dimension), dtype=np.float32)
        raw[: self.n] = self.raw[: self.n]
        alive = np.zeros(cap, dtype=bool)
        alive[: self.n] = self.alive[: self.n]
        inv = np.ones(cap, dtype=np.float32)
        inv[: self.n] = self.inv_norm[: self.n]
        self.raw, self.alive, self.inv_norm = raw, alive, inv

    def _search_form(self, data: np.ndarray) -> np.ndarray:
        if self.metric != "cosine":
            return data
        out = np.array(data, dtype=np.float32, copy=True)
        faiss.normalize_L2(out)
        return out

    def _apply_put(
        self,
        keys: Sequence[str],
        data: np.ndarray,
        metas: Sequence[str | None],
        add_to_faiss: bool = True,
        dicts: Sequence[dict[str, Any] | None] | None = None,
    ) -> None:
        for key in keys:
            old = self.key_to_row.get(key)
            if old is not None:
                self.alive[old] = False
                self.n_dead += 1
        start, m = self.n, len(keys)
        self._ensure_capacity(start + m)
        self.raw[start : start + m] = data
        self.alive[start : start + m] = True
        if self.metric == "cosine":
            norms = np.linalg.norm(np.asarray(data, dtype=np.float32), axis=1)
            self.inv_norm[start : start + m] = 1.0 / np.where(norms > 0, norms, 1.0)
        self.keys.extend(keys)
        self.metas.extend(metas)
        for i, key in enumerate(keys):
            self.key_to_row[key] = start + i
        if add_to_faiss:
            self.faiss.add(self._search_form(data))
        self.n = start + m
        if dicts is None:
            dicts = [json.loads(t) if t else None for t in metas]
        self.columns.append(start, dicts)
        self._changed()

    def _apply_delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            row = self.key_to_row.pop(key, None)
            if row is not None:
                self.alive[row] = False
                self.n_dead += 1
        self._changed()

    # ------------------------------------------------------------------ public API
    @property
    def count(self) -> int:
        """Number of live vectors."""
        self.load()
        return self.n - self.n_dead

    def put(
        self,
        keys: Sequence[str],
        data: np.ndarray,
        metas: Sequence[str | None],
        dicts: Sequence[dict[str, Any] | None] | None = None,
    ) -> None:
        """Add or overwrite vectors (already validated); one part file on disk.

        ``metas`` is each vector's metadata as JSON text (stored); ``dicts`` the same
        metadata already parsed, if the caller has it (saves re-parsing).
        """
        self.load()
        if not len(keys):
            return
        if self.base_seq < 0 and not self.parts and len(keys) >= 10_000:
            # Bulk load into an empty index: write it straight as the base.
            seq = self.next_seq
            write_parquet(self._file("base", seq, "parquet"), vectors_table(keys, data, metas))
            self.base_seq, self.next_seq = seq, seq + 1
        else:
            table = vectors_table(keys, data, metas)
            self._write_part("part", lambda p: write_parquet(p, table))
        self._apply_put(keys, data, metas, dicts=dicts)
        self._maybe_compact()

    def delete(self, keys: Sequence[str]) -> None:
        """Delete keys (missing keys are ignored, as in AWS); one delete-log part on disk."""
        self.load()
        present = [k for k in keys if k in self.key_to_row]
        if not present:
            return
        self._write_part("del", lambda p: write_keys(p, present))
        self._apply_delete(present)
        self._maybe_compact()

    def rows_of(self, keys: Sequence[str]) -> list[int | None]:
        """Row number of each key, or None when absent."""
        self.load()
        return [self.key_to_row.get(k) for k in keys]

    def metadata(self, row: int) -> dict[str, Any]:
        """A fresh copy of the metadata of ``row`` ({} when none)."""
        text = self.metas[row]
        return json.loads(text) if text else {}

    def data(self, row: int) -> list[float]:
        """The stored vector of ``row`` as the float list the API returns."""
        return self.raw[row].tolist()

    def _bits(self, mask: np.ndarray) -> tuple[Any, np.ndarray]:
        bits = np.packbits(mask, bitorder="little")
        sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        return sel, bits

    def _to_distance(self, scores: np.ndarray) -> np.ndarray:
        return ann.to_distance(self.metric, scores)

    def query(
        self, vector: np.ndarray, k: int, mask_fn: Mask | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` live rows (matching ``mask_fn`` if given): rows, distances.

        Returns exactly ``min(k, number of matching live rows)`` results, nearest first,
        with exact distances. Exact on a flat index and for selective filters; with an
        approximate index, recall is what the tuned search parameters give.
        """
        self.load()
        n = self.n
        if n == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        q = self._search_form(vector.reshape(1, -1))
        if mask_fn is None:
            live = n - self.n_dead
            if self.n_dead == 0:
                if self.choice.exact:
                    scores, rows = self.faiss.search(q, min(k, n))
                    rows, scores = rows[0], scores[0]
                    ok = rows >= 0
                    return rows[ok], self._to_distance(scores[ok])
                if self.choice.kind == "hnsw" and k <= 10:
                    # HNSW,Flat scores are exact: no re-ranking needed at the tuned width
                    scores, rows = ann.search(self.faiss, self.choice, q, min(k, n))
                    rows, scores = rows[0], scores[0]
                    if (rows >= 0).all():
                        return rows, self._to_distance(scores)
                return self._approx(q, vector, k, None, live)
            if self._alive_bits is None:
                self._alive_bits = self.alive[:n].copy()
            mask = self._alive_bits
            m = live
        else:
            mask = mask_fn(self.columns, n)
            mask &= self.alive[:n]
            m = int(mask.sum())
            if m == 0:
                return np.empty(0, np.int64), np.empty(0, np.float32)
            if m <= BRUTE_MAX or m <= BRUTE_FRACTION * n:
                return self._brute(vector, np.flatnonzero(mask), k)
        if not self.choice.exact:
            return self._approx(q, vector, k, mask, m)
        sel, bits = self._bits(mask)
        scores, rows = self.faiss.search(q, min(k, m), params=faiss.SearchParameters(sel=sel))
        del bits
        rows, scores = rows[0], scores[0]
        ok = rows >= 0
        return rows[ok], self._to_distance(scores[ok])

    def _approx(
        self, q: np.ndarray, vector: np.ndarray, k: int, mask: np.ndarray | None, m: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate search (optionally restricted to ``mask``), re-ranked exactly.

        Widens the candidate count until ``min(k, m)`` distinct matching rows are found;
        falls back to brute force over the matches if the index cannot supply them.
        """
        want = min(k, m)
        factor = int(self.choice.search_params.get("k_factor", 1))
        kk = max(want * factor, want)
        if mask is not None:  # the selector thins the candidates: ask for more
            kk *= min(64, -(-self.n // max(m, 1)))
        sel = bits = None
        if mask is not None:
            sel, bits = self._bits(mask)
        choice = self.choice
        # nprobe / efSearch were tuned for 10 unfiltered results: search wider for more
        # results, and for filters (the nearest matches lie further out)
        scale = -(-want // 10) * (min(8, -(-self.n // m)) if mask is not None else 1)
        if scale > 1:
            params = dict(choice.search_params)
            if "nprobe" in params:
                params["nprobe"] = min(choice.nlist, params["nprobe"] * scale)
            if "efSearch" in params:
                params["efSearch"] = min(4096, params["efSearch"] * scale)
            choice = dataclasses.replace(choice, search_params=params)
        while True:
            kk = min(kk, self.n)
            _, ids = ann.search(self.faiss, choice, q, kk, sel=sel)
            rows = ids[0][ids[0] >= 0]
            if mask is not None:
                rows = rows[mask[rows]]
            rows = np.unique(rows)
            if len(rows) >= want:
                break
            if kk >= self.n or kk >= 4 * max(m, 1):
                rows = (
                    np.flatnonzero(mask)
                    if mask is not None
                    else np.flatnonzero(self.alive[: self.n])
                )
                break
            kk *= 4
        del bits
        return self._brute(vector, rows, k)

    def _brute(self, vector: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        ids = np.ascontiguousarray(rows, dtype=np.int64)
        # FAISS reads the rows in place: no (m, d) copy of a large matching set
        out = np.empty(len(ids), np.float32)
        by_idx = (faiss.fvec_inner_products_by_idx if self.metric == "cosine"
                  else faiss.fvec_L2sqr_by_idx)
        by_idx(faiss.swig_ptr(out), faiss.swig_ptr(q), faiss.swig_ptr(self.raw),
               faiss.swig_ptr(ids), self.dimension, 1, len(ids))
        if self.metric == "cosine":
            qn = max(float(np.linalg.norm(q)), 1e-30)
            dist = 1.0 - out * (self.inv_norm[rows] / qn)
        else:
            dist = self._to_distance(out)
        top = np.argpartition(dist, k - 1)[:k] if len(rows) > k else np.arange(len(rows))
        top = top[np.lexsort((rows[top], dist[top]))]
        return rows[top], dist[top].astype(np.float32)

    def sorted_keys(self, segment_count: int | None = None, segment: int = 0) -> list[str]:
        """Live keys in sorted order, optionally only those of one listing segment."""
        self.load()
        if self._sorted is None:
            self._sorted = sorted(self.key_to_row)
        if not segment_count or segment_count == 1:
            return self._sorted
        seg = self._segments.get(segment_count)
        if seg is None:
            seg = self._segments[segment_count] = key_segment(self._sorted, segment_count)
        return [self._sorted[i] for i in np.flatnonzero(seg == segment)]

