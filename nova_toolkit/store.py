"""A collection on disk: Parquet parts for items, segment rows (with vectors) and failures.

Layout of a collection directory::

    manifest.json            format version, settings, the list of live parts, a version counter
    items/part-*.parquet     one row per source file
    segments/part-*.parquet  one row per vector (key, source, offsets, snippet, vector...)
    failures/part-*.parquet  one row per thing that went wrong, with the reason
    .lock                    held by the one writer

Parts are immutable. A commit writes its new parts (temp file, fsync, rename),
then swaps the manifest the same way: a crash at any point leaves the previous
manifest, which names only complete parts. Rows are removed by rewriting the
parts that hold them. The collection's settings travel in each part's Arrow
schema metadata as well as in the manifest (like LanceDB's embedding config).

This module never imports FAISS: the index is derived from the store elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nova_toolkit.embedders.document_modes import HISTORICAL_MODE as HISTORICAL_DOCUMENT_MODE

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = ".lock"
TABLES = ("items", "segments", "failures")
SCHEMA_KEY = b"nova_toolkit"

#: Settings that are fixed when a collection is created.
FIXED_SETTINGS = ("backend", "model_id", "dimension", "purpose", "segmentation")


class StoreError(RuntimeError):
    """A collection cannot be opened or written as asked."""


class SettingsMismatchError(StoreError):
    """``embed`` asked for settings that differ from the collection's fixed ones."""


class CollectionLockedError(StoreError):
    """Another writer (a notebook, another CLI run) holds the collection."""


@dataclass(frozen=True)
class CollectionSettings:
    """What a collection was built with; part of every cache key.

    Attributes
    ----------
    backend, model_id : str
        Embedding backend name and the model it ran.
    dimension : int
        Vector dimension.
    purpose : str
        Nova ``embeddingPurpose`` used when storing (GENERIC_INDEX by default).
    segmentation : dict
        :meth:`SegmentationConfig.to_dict` of the chunking used.
    extra : dict
        Backend settings that do not change the vectors' meaning.
    document_mode : str or None
        How PDF/DOCX pages became vectors: ``text``, ``image`` or ``both``; fixed, part of
        the cache key. ``None`` (recorded before the setting existed) means ``text``.
    """

    backend: str
    model_id: str
    dimension: int
    purpose: str
    segmentation: dict
    extra: dict = field(default_factory=dict)
    document_mode: str | None = None

    @property
    def effective_document_mode(self) -> str:
        return self.document_mode or HISTORICAL_DOCUMENT_MODE

    def to_dict(self) -> dict:
        d = {
            "backend": self.backend,
            "model_id": self.model_id,
            "dimension": self.dimension,
            "purpose": self.purpose,
            "segmentation": self.segmentation,
            "extra": self.extra,
        }
        if self.document_mode is not None:
            d["document_mode"] = self.document_mode
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CollectionSettings:
        return cls(**{k: d[k] for k in FIXED_SETTINGS}, extra=d.get("extra", {}),
                   document_mode=d.get("document_mode"))

    def differences(self, other: CollectionSettings) -> list[str]:
        """Human-readable list of fixed settings that differ (``self`` = stored)."""
        mine, theirs = self.to_dict(), other.to_dict()
        diff = [
            f"{k}: collection has {mine[k]!r}, asked for {theirs[k]!r}"
            for k in FIXED_SETTINGS
            if mine[k] != theirs[k]
        ]
        if self.effective_document_mode != other.effective_document_mode:
            diff.append(f"document_mode: collection has {self.effective_document_mode!r}, "
                        f"asked for {other.effective_document_mode!r}")
        return diff


def cache_key(content_sha256: str, settings: CollectionSettings) -> str:
    """Embedding-cache key: content hash + segmentation + model + purpose + dimension.

    A ``document_mode`` other than ``text`` is part of it too; ``text`` (what every
    collection did before the setting existed) adds nothing, so old keys stay valid.
    """
    parts: list = [content_sha256, settings.segmentation, settings.model_id, settings.purpose,
                   settings.dimension]
    if settings.effective_document_mode != HISTORICAL_DOCUMENT_MODE:
        parts.append({"document_mode": settings.effective_document_mode})
    blob = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def items_schema() -> pa.Schema:
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
    return pa.schema([
        ("source", pa.string()),
        ("stage", pa.string()),  # read | segment | embed
        ("segment_index", pa.int32()),
        ("reason", pa.string()),
        ("at", pa.timestamp("ms", tz="UTC")),
    ])


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


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through ``write(fh)`` into a hidden temp file, fsync, then rename.

    Readers see the old file or the complete new one, never a torn write; a
    failed write leaves no temp file behind. The one atomic-write mechanism of
    the package (the vectors mirror uses it too).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda fh: fh.write(data))


def _parquet_options(schema: pa.Schema) -> dict:
    """Vector columns (fixed-size lists of floats) are written plain: dictionary encoding,
    min/max statistics and snappy cost time on write and read and save nothing on
    embedding values (benchmarks/bench_store.py)."""
    dense = {
        f.name for f in schema
        if pa.types.is_fixed_size_list(f.type) and pa.types.is_floating(f.type.value_type)
    }
    if not dense:
        return {}
    others = [n for n in schema.names if n not in dense]
    return {
        "use_dictionary": others,
        "write_statistics": others,
        "compression": {n: "none" if n in dense else "snappy" for n in schema.names},
    }


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically (never a half-written part)."""
    atomic_write(path, lambda fh: pq.write_table(table, fh, **_parquet_options(table.schema)))


class Store:
    """Read and write one collection directory.

    Use :meth:`open`; writers take :meth:`writer` (a lock) around :meth:`commit`.
    """

    def __init__(self, root: Path, manifest: dict) -> None:
        self.root = root
        self._manifest = manifest
        self._cache: dict[str, Any] = {}
        self._lock = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def exists(cls, root: str | os.PathLike) -> bool:
        return (Path(root) / MANIFEST).is_file()

    @classmethod
    def open(cls, root: str | os.PathLike, settings: CollectionSettings | None = None) -> Store:
        """Open ``root``; create it with ``settings`` when it does not exist yet.

        Raises
        ------
        SettingsMismatchError
            If ``settings`` differ from the stored fixed settings.
        StoreError
            If the directory is not a collection, or was written by a newer format.
        """
        root = Path(root)
        path = root / MANIFEST
        if path.is_file():
            manifest = _read_manifest(path)
            store = cls(root, manifest)
            if settings is not None:
                diff = store.settings.differences(settings)
                if diff:
                    raise SettingsMismatchError(
                        f"{root}: settings differ from the collection's: " + "; ".join(diff)
                        + " (a collection's settings are fixed when it is created; "
                        "use another --collection directory)"
                    )
            return store
        if settings is None:
            raise StoreError(f"{root}: not a collection (no {MANIFEST})")
        if root.exists() and any(p for p in root.iterdir() if p.name != LOCK):
            raise StoreError(f"{root}: exists and is not an empty directory nor a collection")
        root.mkdir(parents=True, exist_ok=True)
        now = time.time()
        manifest = {
            "format_version": FORMAT_VERSION,
            "settings": settings.to_dict(),
            "version": 0,
            "created_at": now,
            "updated_at": now,
            "parts": {t: [] for t in TABLES},
        }
        store = cls(root, manifest)
        with store.writer():
            if not path.is_file():
                store._write_manifest()
            else:  # someone created it meanwhile
                store._manifest = _read_manifest(path)
        return store

    @property
    def settings(self) -> CollectionSettings:
        return CollectionSettings.from_dict(self._manifest["settings"])

    @property
    def version(self) -> int:
        """Increments at every commit; derived state (indexes, projections) keys on it."""
        return int(self._manifest["version"])

    @property
    def manifest(self) -> dict:
        return json.loads(json.dumps(self._manifest))

    def refresh(self) -> None:
        """Re-read the manifest (another process may have committed)."""
        if not (self.root / MANIFEST).is_file():
            return  # being created
        manifest = _read_manifest(self.root / MANIFEST)
        if manifest["version"] != self._manifest["version"]:
            self._manifest = manifest
            self._cache.clear()

    # -- locking ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self):
        """Hold the collection's single-writer lock (re-entrant within this object)."""
        if self._lock is not None:
            yield self
            return
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / LOCK), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise CollectionLockedError(
                f"{self.root}: another process is writing this collection (a notebook or "
                "another nova-toolkit run); wait for it to finish, or close it, and retry"
            ) from None
        self._lock = lock
        try:
            self.refresh()
            yield self
        finally:
            self._lock = None
            lock.release()

    # -- reading ---------------------------------------------------------------------------
    def table(self, name: str) -> pa.Table:
        """All rows of ``items``, ``segments`` or ``failures`` as one Arrow table."""
        if name not in self._cache:
            schema = self._schema(name)
            parts = [
                pq.read_table(self.root / name / p, schema=schema)
                for p in self._manifest["parts"][name]
            ]
            self._cache[name] = (
                pa.concat_tables(parts) if parts else schema.empty_table()
            )
        return self._cache[name]

    def items(self) -> pa.Table:
        return self.table("items")

    def segments(self) -> pa.Table:
        return self.table("segments")

    def failures(self) -> pa.Table:
        return self.table("failures")

    def vectors(self) -> np.ndarray:
        """Every stored vector, in segment-row order, as one ``(n, d)`` float32 array.

        Zero-copy from the Arrow buffers when the column is one chunk (one part
        of ≤ 131,072 rows); otherwise one concatenation, never a copy per row.
        Cached until the next commit; read-only.
        """
        if "vectors" not in self._cache:
            vecs = arrow_to_vectors(self.segments().column("vector"), self.settings.dimension)
            vecs.flags.writeable = False
            self._cache["vectors"] = vecs
        return self._cache["vectors"]

    def _schema(self, name: str) -> pa.Schema:
        schema = {
            "items": items_schema,
            "failures": failures_schema,
            "segments": lambda: segments_schema(self.settings.dimension),
        }[name]()
        return schema.with_metadata({SCHEMA_KEY: json.dumps(self._manifest["settings"])})

    # -- writing ---------------------------------------------------------------------------
    def commit(
        self,
        *,
        items: pa.Table | None = None,
        segments: pa.Table | None = None,
        failures: pa.Table | None = None,
        remove_sources: Iterable[str] = (),
        clear_failures: Iterable[str] = (),
    ) -> None:
        """Atomically remove every row of ``remove_sources`` and append the given rows.

        ``clear_failures`` removes only the failure rows of those sources (a new
        failure replaces an old one without dropping the vectors stored before).

        New parts are written first; removals rewrite only the parts that hold
        such sources; the manifest swap makes it all visible at once. Must be
        called inside :meth:`writer`.
        """
        if self._lock is None:
            raise StoreError("commit() needs the writer lock: use `with store.writer():`")
        remove_all = set(remove_sources)
        removals = {
            "items": pa.array(sorted(remove_all), type=pa.string()),
            "segments": pa.array(sorted(remove_all), type=pa.string()),
            "failures": pa.array(sorted(remove_all | set(clear_failures)), type=pa.string()),
        }
        new_parts = {t: list(self._manifest["parts"][t]) for t in TABLES}
        written: list[Path] = []
        obsolete: list[Path] = []
        try:
            for name, added in (("items", items), ("segments", segments), ("failures", failures)):
                remove = removals[name]
                if len(remove):
                    kept = []
                    for part in new_parts[name]:
                        path = self.root / name / part
                        table = pq.read_table(path, schema=self._schema(name))
                        hit = pc.is_in(table.column("source"), value_set=remove)
                        if pc.any(hit).as_py():
                            rest = table.filter(pc.invert(hit))
                            obsolete.append(path)
                            if len(rest):
                                kept.append(self._write_part(name, rest, written))
                        else:
                            kept.append(part)
                    new_parts[name] = kept
                if added is not None and len(added):
                    new_parts[name].append(self._write_part(name, added, written))
            manifest = dict(self._manifest)
            manifest["parts"] = new_parts
            manifest["version"] = self.version + 1
            manifest["updated_at"] = time.time()
            old = self._manifest
            self._manifest = manifest
            try:
                self._write_manifest()
            except BaseException:
                self._manifest = old
                raise
        except BaseException:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        self._cache.clear()
        for path in obsolete:
            with contextlib.suppress(OSError):
                path.unlink()

    def _write_part(self, name: str, table: pa.Table, written: list[Path]) -> str:
        schema = self._schema(name)
        table = table.select(schema.names).cast(schema)
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        part = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"
        atomic_write_table(folder / part, table)
        written.append(folder / part)
        return part

    def _write_manifest(self) -> None:
        data = json.dumps(self._manifest, indent=2, sort_keys=True).encode()
        atomic_write_bytes(self.root / MANIFEST, data)

    def garbage(self) -> list[Path]:
        """Part files no manifest names (left by a crash); safe to delete under the lock."""
        out = []
        for name in TABLES:
            live = set(self._manifest["parts"][name])
            folder = self.root / name
            if folder.is_dir():
                out.extend(p for p in folder.iterdir() if p.name not in live)
        return out


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable manifest ({exc})") from exc
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StoreError(
            f"{path}: format version {version!r} is not supported by this nova-toolkit "
            f"(supports ≤ {FORMAT_VERSION}); upgrade nova-toolkit"
        )
    return manifest
