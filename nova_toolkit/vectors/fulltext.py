"""The full-text (BM25) index of one vector index: one bm25s index per searchable key.

Each ``textSearchConfigurations`` key is its own field, scored like a Lucene field: its
documents are the live vectors whose metadata holds text under that key (a string, or a
list whose string items are joined by spaces; numbers and booleans are not text), with at
least one term after analysis (:mod:`.analyzers`); N, document frequencies and the average
length are those of that field. Scoring is bm25s's ``lucene`` BM25 with ``k1 = 1.2``,
``b = 0.75`` (Lucene's and OpenSearch's defaults; AWS does not publish its parameters),
``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``. A document matches a query when its score
is positive, i.e. it holds at least one query term.

Like the FAISS file, the text index is derived from the stored vectors (the Parquet parts
are the truth). It follows every put, overwrite and delete: each write changes the index's
version, and the next full-text query re-indexes the field (terms of rows already analysed
are cached, so only new rows are analysed; BM25 statistics are global, so bm25s rebuilds
its matrix, about 1 s per 100k short documents). ``flush()`` / ``close()`` persist it under
``text/<key digest>/`` (written to a temporary directory and renamed into place, with a
``state.json`` naming the index version and each file's SHA-256); a reopen loads it when
the version matches and the checksums hold, and otherwise (missing, stale, corrupt: a
:class:`~.index.CorruptIndexWarning` says which) rebuilds it from the stored metadata.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .analyzers import analyze
from .index import CorruptIndexWarning, VectorIndex

if TYPE_CHECKING:
    import bm25s

K1 = 1.2
B = 0.75
METHOD = "lucene"


def field_text(value: Any) -> str | None:
    """The text a metadata value contributes to its searchable field (None: no text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [x for x in value if isinstance(x, str)]
        return " ".join(parts) if parts else None
    return None


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Field:
    """The BM25 index of one searchable key."""

    def __init__(self, key: str, language: str | None) -> None:
        self.key = key
        self.language = language
        self.version: tuple[int, ...] | None = None
        self.rows = np.empty(0, np.int64)
        self.bm25: bm25s.BM25 | None = None
        self.terms: dict[int, list[str]] = {}  # row -> terms, for rows analysed so far
        self.upto = 0  # rows 0..upto-1 are in ``terms`` (or had no text)

    @property
    def dirname(self) -> str:
        return hashlib.sha1(f"{self.key}\0{self.language}".encode()).hexdigest()[:20]


class TextIndex:
    """Searchable keys of one vector index and their BM25 indexes (see module docstring)."""

    def __init__(self, path: Path, configs: Sequence[dict[str, Any]]) -> None:
        self.path = Path(path)
        self.fields: dict[str, _Field] = {}
        self._generation: tuple[int, int] | None = None
        self.configure(configs)

    # ------------------------------------------------------------------ configuration
    def configure(self, configs: Sequence[dict[str, Any]]) -> None:
        """Set the searchable keys (``TextSearchConfiguration`` dicts); drops removed ones."""
        want = {c["metadataKey"]: c.get("language") for c in configs}
        for key in list(self.fields):
            if key not in want or self.fields[key].language != want[key]:
                gone = self.fields.pop(key)
                shutil.rmtree(self.path / gone.dirname, ignore_errors=True)
        for key, lang in want.items():
            if key not in self.fields:
                self.fields[key] = _Field(key, lang)

    @property
    def keys(self) -> list[str]:
        """The searchable metadata keys."""
        return list(self.fields)

    # ------------------------------------------------------------------ keeping up to date
    @staticmethod
    def _version(store: VectorIndex) -> tuple[int, ...]:
        return (store.base_seq, store.next_seq, store.n, store.n_dead)

    def _sync(self, store: VectorIndex, field: _Field) -> None:
        store.load()
        generation = (id(store.keys), store.base_seq)
        if generation != self._generation:  # opened, or compacted: rows renumbered
            self._generation = generation
            for f in self.fields.values():
                f.terms, f.upto, f.version = {}, 0, None
                self._load(f, store)
        version = self._version(store)
        if field.version == version:
            return
        if field.upto < store.n:
            rows = list(range(field.upto, store.n))
            texts, with_text = [], []
            for row in rows:
                text = store.metas[row]
                value = field_text(json.loads(text).get(field.key)) if text else None
                if value is not None:
                    texts.append(value)
                    with_text.append(row)
            for row, terms in zip(with_text, analyze(texts, field.language), strict=True):
                if terms:
                    field.terms[row] = terms
            field.upto = store.n
        alive = store.alive
        rows = np.fromiter((r for r in sorted(field.terms) if alive[r]), dtype=np.int64)
        field.rows = rows
        field.bm25 = None
        if len(rows):
            import bm25s  # lazily: numba + scipy cost ~1 s, and a vector query needs neither

            field.bm25 = bm25s.BM25(k1=K1, b=B, method=METHOD)
            field.bm25.index([field.terms[r] for r in rows.tolist()], show_progress=False)
        field.version = version

    def backfill(self, store: VectorIndex) -> None:
        """Index every searchable key now (after UpdateMetadataConfiguration ``add``)."""
        for field in self.fields.values():
            self._sync(store, field)

    # ------------------------------------------------------------------ queries
    def search(
        self, store: VectorIndex, key: str, text: str, mask: np.ndarray | None, k: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows matching ``text`` in field ``key`` (and ``mask`` over rows, if given), best
        first: rows, BM25 scores. At most ``k`` (None: all matches); equal scores are
        ordered by vector key."""
        field = self.fields[key]
        self._sync(store, field)
        empty = np.empty(0, np.int64), np.empty(0, np.float64)
        terms = analyze([text], field.language)[0]
        if field.bm25 is None or not terms:
            return empty
        scores = np.asarray(field.bm25.get_scores(terms), dtype=np.float64)
        hit = scores > 0
        if mask is not None:
            hit &= mask[field.rows]
        idx = np.flatnonzero(hit)
        if k is not None and len(idx) > k:
            kth = np.partition(scores[idx], len(idx) - k)[len(idx) - k]
            idx = idx[scores[idx] >= kth]
        keys = np.array([store.keys[r] for r in field.rows[idx].tolist()], dtype=object)
        order = np.lexsort((keys, -scores[idx]))[:k]
        return field.rows[idx][order], scores[idx][order]

    # ------------------------------------------------------------------ disk
    def flush(self, store: VectorIndex) -> None:
        """Bring every field up to date and persist it (atomically, with checksums)."""
        for field in self.fields.values():
            self._sync(store, field)
            self._save(field)

    def _save(self, field: _Field) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        final = self.path / field.dirname
        state_path = final / "state.json"
        with contextlib.suppress(OSError, ValueError):
            if json.loads(state_path.read_text())["version"] == list(field.version or ()):
                return  # already on disk
        tmp = self.path / f".tmp-{secrets.token_hex(6)}"
        tmp.mkdir()
        np.save(tmp / "rows.npy", field.rows)
        if field.bm25 is not None:
            field.bm25.save(str(tmp), show_progress=False)
        files = {p.name: _digest(p) for p in sorted(tmp.iterdir())}
        state = {"key": field.key, "language": field.language,
                 "version": list(field.version or ()), "files": files}  # fmt: skip
        with open(tmp / "state.json", "w", encoding="utf-8") as fh:
            json.dump(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        old = self.path / f".old-{secrets.token_hex(6)}"
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)

    def _load(self, field: _Field, store: VectorIndex) -> None:
        """Use the persisted index of ``field`` if it is of the store's current version."""
        for stale in self.path.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        final = self.path / field.dirname
        if not (final / "state.json").exists():
            return
        problem = None
        try:
            state = json.loads((final / "state.json").read_text())
            if state["version"] != list(self._version(store)):
                return  # written before later puts/deletes: rebuilt when first queried
            for name, want in state["files"].items():
                if _digest(final / name) != want:
                    problem = f"{name} does not match its SHA-256 in state.json"
                    break
            if problem is None:
                import bm25s

                rows = np.load(final / "rows.npy")
                bm25 = bm25s.BM25.load(str(final), show_progress=False) if len(rows) else None
                if bm25 is not None and len(rows) != int(bm25.scores["num_docs"]):
                    problem = f"it holds {bm25.scores['num_docs']} documents, not {len(rows)}"
        except Exception as exc:  # noqa: BLE001 - any unreadable file is rebuilt
            problem = f"it cannot be read ({exc})"
        if problem is not None:
            warnings.warn(f"{final}: corrupt full-text index of key {field.key!r}, {problem}; "
                          "rebuilding it from the stored metadata", CorruptIndexWarning,
                          stacklevel=3)  # fmt: skip
            shutil.rmtree(final, ignore_errors=True)
            return
        field.rows, field.bm25, field.version = rows, bm25, self._version(store)
