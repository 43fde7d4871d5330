"""Storage of one vector index: Parquet parts on disk (source of truth), FAISS derived.

Layout of an index directory::

    base-<seq>.parquet   all live vectors as of operation <seq> (key, data, metadata)
    base-<seq>.faiss     the FAISS flat index built from that base (derived, optional)
    part-<seq>.parquet   a later PutVectors / import: vectors added or overwritten
    del-<seq>.parquet    a later DeleteVectors: keys removed

Loading replays the newest base and then every part with a larger sequence number in
order, so a write costs one small file, never a rewrite of the index. When more than
``max_parts`` parts pile up, or on ``flush()``, the live rows are compacted into a new
base (written before the old files are removed, so a crash leaves a loadable state).

In memory, rows are append-only: an overwrite or delete marks the old row dead and
(for overwrites) appends a new one; dead rows are skipped with a FAISS ID selector and
purged at compaction. Distances: cosine is ``1 - cos_sim`` (vectors normalised, inner
product); euclidean is the plain L2 distance ``sqrt(sum((a - b)**2))``, *not* squared —
AWS does not document which it reports, and the plain distance is the natural reading.
"""

from __future__ import annotations

import contextlib
import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .columns import MetadataColumns
from .filters import Mask
from .storage import atomic_write, read_keys, read_vectors, vectors_table, write_keys, write_parquet

_FILE_RE = re.compile(r"^(base|part|del)-(\d{10})\.(parquet|faiss)$")

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


class VectorIndex:
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
    ) -> None:
        self.path = Path(path)
        self.dimension = dimension
        self.metric = metric
        self.non_filterable = non_filterable
        self.max_parts = max_parts
        self._loaded = False

    # ------------------------------------------------------------------ in-memory state
    def _reset(self, capacity: int = 1024) -> None:
        self.n = 0
        self.n_dead = 0
        self.raw = np.empty((capacity, self.dimension), dtype=np.float32)
        self.alive = np.zeros(capacity, dtype=bool)
        self.keys: list[str] = []
        self.metas: list[str | None] = []
        self.key_to_row: dict[str, int] = {}
        self.columns = MetadataColumns(self.non_filterable)
        self.faiss = (
            faiss.IndexFlatIP(self.dimension)
            if self.metric == "cosine"
            else faiss.IndexFlatL2(self.dimension)
        )
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
        self.raw, self.alive = raw, alive

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

    # ------------------------------------------------------------------ disk
    def _scan(self) -> tuple[int, list[tuple[int, str, Path]]]:
        """Newest base seq (-1 if none) and the later parts, in order; drop stale files."""
        files = []
        if self.path.is_dir():
            for p in self.path.iterdir():
                m = _FILE_RE.match(p.name)
                if m:
                    files.append((int(m.group(2)), m.group(1), m.group(3), p))
                elif p.name.startswith(".tmp-"):
                    with contextlib.suppress(OSError):
                        p.unlink()
        bases = [seq for seq, kind, ext, _ in files if kind == "base" and ext == "parquet"]
        base = max(bases, default=-1)
        parts = []
        for seq, kind, _ext, p in files:
            if seq < base or (seq == base and kind != "base"):
                with contextlib.suppress(OSError):
                    p.unlink()
            elif kind != "base":
                parts.append((seq, kind, p))
        parts.sort()
        return base, parts

    def load(self) -> None:
        """Read the index from disk (idempotent; called lazily on first use)."""
        if self._loaded:
            return
        base, parts = self._scan()
        self._reset()
        self.base_seq = base
        self.parts = parts
        self.next_seq = max([base] + [s for s, _, _ in parts]) + 1
        if base >= 0:
            keys, data, metas = read_vectors(self._file("base", base, "parquet"), self.dimension)
            self._reset(max(1024, int(len(keys) * 1.25)))
            loaded = self._load_faiss(base, len(keys))
            self._apply_put(keys, data, metas, add_to_faiss=loaded is None)
            if loaded is not None:
                self.faiss = loaded
        for _seq, kind, p in parts:
            if kind == "part":
                self._apply_put(*read_vectors(p, self.dimension))
            else:
                self._apply_delete(read_keys(p))
        self._loaded = True

    def _file(self, kind: str, seq: int, ext: str) -> Path:
        return self.path / f"{kind}-{seq:010d}.{ext}"

    def _load_faiss(self, seq: int, n: int) -> Any:
        """The persisted FAISS index of base ``seq`` if sound, else None (then rebuilt)."""
        path = self._file("base", seq, "faiss")
        if not path.exists():
            return None
        try:
            index = faiss.read_index(str(path))
        except Exception:  # corrupt or truncated: FAISS is derived, rebuild it
            return None
        want = faiss.METRIC_INNER_PRODUCT if self.metric == "cosine" else faiss.METRIC_L2
        if index.ntotal != n or index.d != self.dimension or index.metric_type != want:
            return None
        if not isinstance(index, faiss.IndexFlat):
            return None
        return index

    def _write_part(self, kind: str, write: Any) -> None:
        seq = self.next_seq
        path = self._file(kind, seq, "parquet")
        write(path)
        self.next_seq = seq + 1
        self.parts.append((seq, kind, path))

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
        return faiss.SearchParameters(sel=sel), bits

    def _to_distance(self, scores: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            return 1.0 - scores
        return np.sqrt(np.maximum(scores, 0.0))

    def query(
        self, vector: np.ndarray, k: int, mask_fn: Mask | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-``k`` live rows (matching ``mask_fn`` if given): rows, distances.

        Returns exactly ``min(k, number of matching live rows)`` results, nearest first.
        """
        self.load()
        n = self.n
        if n == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        q = self._search_form(vector.reshape(1, -1))
        if mask_fn is None:
            if self.n_dead == 0:
                scores, rows = self.faiss.search(q, min(k, n))
            else:
                if self._alive_bits is None:
                    self._alive_bits = self.alive[:n].copy()
                params, bits = self._bits(self._alive_bits)
                scores, rows = self.faiss.search(q, min(k, n), params=params)
                del bits
            rows, scores = rows[0], scores[0]
            ok = rows >= 0
            return rows[ok], self._to_distance(scores[ok])
        mask = mask_fn(self.columns, n)
        mask &= self.alive[:n]
        match = np.flatnonzero(mask)
        m = len(match)
        if m == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        if m <= BRUTE_MAX or m <= BRUTE_FRACTION * n:
            return self._brute(q[0], match, k)
        params, bits = self._bits(mask)
        scores, rows = self.faiss.search(q, min(k, m), params=params)
        del bits
        rows, scores = rows[0], scores[0]
        ok = rows >= 0
        return rows[ok], self._to_distance(scores[ok])

    def _brute(self, q: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.metric == "cosine":
            stored = faiss.rev_swig_ptr(self.faiss.get_xb(), self.n * self.dimension)
            sub = stored.reshape(self.n, self.dimension)[rows]
            dist = 1.0 - sub @ q
        else:
            diff = self.raw[rows] - q
            dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        top = np.argpartition(dist, k - 1)[:k] if len(rows) > k else np.arange(len(rows))
        top = top[np.argsort(dist[top], kind="stable")]
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

    # ------------------------------------------------------------------ compaction
    def _maybe_compact(self) -> None:
        if len(self.parts) > self.max_parts or self.n_dead > max(4096, self.n - self.n_dead):
            self.compact()

    def compact(self) -> None:
        """Rewrite live rows as a new base (+ FAISS file), then drop the older files."""
        self.load()
        live = np.flatnonzero(self.alive[: self.n])
        keys = [self.keys[i] for i in live]
        metas = [self.metas[i] for i in live]
        data = self.raw[live]
        seq = self.next_seq
        self.next_seq += 1
        self.path.mkdir(parents=True, exist_ok=True)
        write_parquet(self._file("base", seq, "parquet"), vectors_table(keys, data, metas))
        self._reset(max(1024, int(len(keys) * 1.25)))
        self._apply_put(keys, data, metas)
        self._write_faiss(seq)
        self.base_seq, self.parts = seq, []
        self._scan()  # removes the superseded base and parts

    def _write_faiss(self, seq: int) -> None:
        path = self._file("base", seq, "faiss")
        blob = faiss.serialize_index(self.faiss)
        atomic_write(path, lambda fh: fh.write(blob.tobytes()))

    def flush(self) -> None:
        """Compact if any part is pending or the FAISS file is missing; no-op otherwise."""
        if not self._loaded:
            return
        if self.parts or self.n_dead:
            self.compact()
        elif self.base_seq >= 0 and not self._file("base", self.base_seq, "faiss").exists():
            self._write_faiss(self.base_seq)
