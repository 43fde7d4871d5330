"""On-disk side of a vector index: replaying parts, the FAISS file (checked), compaction.

A mixin of :class:`~.index.VectorIndex` (whose docstring describes the layout): scanning
the index directory, loading the newest base and replaying later parts, verifying and
loading the persisted FAISS index (:class:`CorruptIndexWarning` and a rebuild when it
fails its checks), and compaction into a new base.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
import warnings
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from . import ann
from .storage import atomic_write, read_keys, read_vectors, vectors_table, write_parquet

_FILE_RE = re.compile(r"(base|part|del)-(\d{10})\.(parquet|faiss|json|sha256)")


class CorruptIndexWarning(UserWarning):
    """A persisted derived index (FAISS file, full-text index) failed its checks and is
    rebuilt from the stored vectors."""


def _checksum_problem(path: Path, sum_path: Path) -> str | None:
    """Why ``path`` does not match its recorded checksum, or None when it does."""
    try:
        want_hex, want_size = sum_path.read_text().split()
    except (OSError, ValueError):
        return f"its checksum file {sum_path.name} is missing or unreadable"
    size = path.stat().st_size
    if size != int(want_size):
        return f"it is {size} bytes, its checksum file says {want_size}"
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 23), b""):
            h.update(chunk)
    if h.hexdigest() != want_hex:
        return "its SHA-256 does not match the checksum written with it"
    return None


class IndexFiles:
    """Disk operations of :class:`~.index.VectorIndex` (mixin; not usable alone)."""

    # ------------------------------------------------------------------ disk
    def _scan(self) -> tuple[int, list[tuple[int, str, Path]]]:
        """Newest base seq (-1 if none) and the later parts, in order; drop stale files."""
        files = []
        if self.path.is_dir():
            for p in self.path.iterdir():
                m = _FILE_RE.fullmatch(p.name)
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
            loaded = self._load_faiss(base, data)
            self._apply_put(keys, data, metas, add_to_faiss=loaded is None)
            if loaded is not None:
                self.faiss, self.choice = loaded
        for _seq, kind, p in parts:
            if kind == "part":
                self._apply_put(*read_vectors(p, self.dimension))
            else:
                self._apply_delete(read_keys(p))
        self._loaded = True
        if self.choice.exact and self.n - self.n_dead >= self.approx_threshold:
            self._build_approx(persist=True)

    def _file(self, kind: str, seq: int, ext: str) -> Path:
        return self.path / f"{kind}-{seq:010d}.{ext}"

    def _load_faiss(self, seq: int, data: np.ndarray) -> tuple[Any, ann.IndexChoice] | None:
        """The persisted FAISS index of base ``seq`` (whose stored vectors are ``data``) and
        its choice if sound, else None."""
        n = len(data)
        path = self._file("base", seq, "faiss")
        if not path.exists():
            return None
        problem = _checksum_problem(path, self._file("base", seq, "sha256"))
        index = None
        if problem is None:
            try:
                index = faiss.read_index(str(path))
            except Exception as exc:  # noqa: BLE001 - any unreadable file is rebuilt
                problem = f"FAISS cannot read it ({exc})"
        want = faiss.METRIC_INNER_PRODUCT if self.metric == "cosine" else faiss.METRIC_L2
        if index is not None and (
            index.ntotal != n or index.d != self.dimension or index.metric_type != want
        ):
            problem = (f"it holds {index.ntotal} vectors of dimension {index.d}, "
                       f"the stored vectors are {n} of dimension {self.dimension}")
        if index is not None and problem is None:
            problem = self._sample_problem(index, data)
        if problem is not None:
            # FAISS is derived from the Parquet vectors: say so, and rebuild it from them
            warnings.warn(f"{path}: corrupt FAISS index file, {problem}; rebuilding it from "
                          f"the stored vectors", CorruptIndexWarning, stacklevel=2)
            for bad in (path, self._file("base", seq, "sha256")):
                with contextlib.suppress(OSError):
                    bad.unlink()  # so that the next flush writes a sound one
            return None
        if isinstance(index, faiss.IndexFlat):
            return index, ann.IndexChoice("Flat", "flat", self.metric, n, self.dimension, 0)
        try:
            info = json.loads(self._file("base", seq, "json").read_text())
            choice = ann.IndexChoice(**info)
        except (OSError, ValueError, TypeError):
            return None
        if choice.kind not in ("hnsw", "ivfpq") or choice.n != n:
            return None
        ann.apply_params(index, choice)
        return index, choice

    def _sample_problem(self, index: Any, data: np.ndarray) -> str | None:
        """Why ``index`` does not hold ``data`` (a sample of rows, reconstructed), or None.

        The FAISS file is derived data: a tampered one whose checksum was recomputed passes
        the hash, so its content is checked against the Parquet vectors it was built from.
        Indexes that cannot reconstruct exactly (IVF-PQ codes) keep the count check only.
        """
        rows = np.unique(np.linspace(0, len(data) - 1, min(len(data), 16)).astype(np.int64))
        if not rows.size or isinstance(faiss.downcast_index(index), faiss.IndexIVFPQ):
            return None
        try:
            got = np.stack([index.reconstruct(int(i)) for i in rows])
        except RuntimeError:  # no exact reconstruction for this index type
            return None
        want = self._search_form(data[rows])
        off = np.flatnonzero(~np.all(np.isclose(got, want, atol=1e-5), axis=1))
        if off.size:
            return (f"its vector {int(rows[off[0]])} differs from the stored one "
                    f"({off.size} of {rows.size} checked differ)")
        return None

    def _write_part(self, kind: str, write: Any) -> None:
        seq = self.next_seq
        path = self._file(kind, seq, "parquet")
        write(path)
        self.next_seq = seq + 1
        self.parts.append((seq, kind, path))

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
        approx = len(keys) >= self.approx_threshold
        self._reset(max(1024, int(len(keys) * 1.25)))
        self._apply_put(keys, data, metas, add_to_faiss=not approx)
        if approx:
            self._build_approx(persist=False)
        self._write_faiss(seq)
        self.base_seq, self.parts = seq, []
        self._scan()  # removes the superseded base and parts

    def _build_approx(self, persist: bool = False) -> None:
        """Replace the flat FAISS index by the chosen one over rows ``0..n-1``."""
        n = self.n
        choice = ann.choose_index(
            n, self.dimension, memory_budget_bytes=self.memory_budget, metric=self.metric,
            flat_threshold=self.approx_threshold,
        )  # fmt: skip
        x = self._search_form(self.raw[:n])
        if choice.exact:
            if self.faiss.ntotal != n:
                self.faiss = ann.build_index(choice, x)
            return
        index = ann.build_index(choice, x)
        self.faiss = index
        self.choice = ann.tune_search(index, choice, x)
        del x
        self._changed()
        if persist and self.base_seq >= 0 and not self.parts and not self.n_dead:
            self._write_faiss(self.base_seq)

    def _write_faiss(self, seq: int) -> None:
        path = self._file("base", seq, "faiss")
        blob = faiss.serialize_index(self.faiss)
        if not self.choice.exact:
            info = json.dumps(dataclasses.asdict(self.choice))
            atomic_write(self._file("base", seq, "json"), lambda fh: fh.write(info.encode()))
        atomic_write(path, lambda fh: fh.write(memoryview(blob)))
        # the checksum last: a crash in between leaves a mismatch, so a rebuild, not a
        # silently wrong index
        digest = f"{hashlib.sha256(memoryview(blob)).hexdigest()} {len(blob)}\n"
        atomic_write(self._file("base", seq, "sha256"), lambda fh: fh.write(digest.encode()))

    def flush(self) -> None:
        """Compact if any part is pending or the FAISS file is missing; no-op otherwise."""
        if not self._loaded:
            return
        if self.parts or self.n_dead or (self.choice.exact and self.n >= self.approx_threshold):
            self.compact()
        elif self.base_seq >= 0 and not self._file("base", self.base_seq, "faiss").exists():
            self._write_faiss(self.base_seq)
