"""The :class:`Store`: open, read, lock and commit one collection directory.

A commit writes its new parts (temp file, fsync, rename), then swaps the manifest the same
way: a crash at any point leaves the previous manifest, which names only complete parts.
Rows are removed by rewriting the parts that hold them, and only those: a per-table
:class:`~nova_toolkit.store.parts.SourceIndex` says which parts hold a source, so a commit
costs what it adds, not what is already stored. Readers never take the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .derived_files import fingerprint
from .errors import (
    CollectionLockedError,
    CollectionNotFoundError,
    CommitError,
    SettingsMismatchError,
    StoreError,
)
from .manifest import (
    LOCK,
    MANIFEST,
    MEDIA_ROOT,
    media_root_entry,
    new_manifest,
    read_manifest,
    write_manifest,
)
from .parts import (
    CommitStats,
    SourceIndex,
    distinct_sources,
    read_part,
    read_part_sources,
    write_part,
)
from .schemas import TABLES, arrow_to_vectors, table_schema
from .settings import CollectionSettings
from .thumbnails import carried_thumbnails, read_thumbnails

#: How long creating a collection waits for another process creating the same one.
CREATE_WAIT_S = 30.0


class Store:
    """Read and write one collection directory.

    Use :meth:`open`; writers take :meth:`writer` (a lock) around :meth:`commit`.
    """

    def __init__(self, root: Path, manifest: dict) -> None:
        self.root = root
        self._manifest = manifest
        self._cache: dict[str, Any] = {}
        self._lock = None
        # parts are immutable, so what the index knows survives commits and refreshes
        self._index: dict[str, SourceIndex] = {t: SourceIndex() for t in TABLES}
        #: What the last :meth:`commit` read and wrote (``None`` before the first).
        self.last_commit: CommitStats | None = None

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
        CollectionNotFoundError
            If there is no collection at ``root`` and no ``settings`` to create one.
        StoreError
            If the directory is not a collection, or was written by a newer format.
        """
        root = Path(root)
        path = root / MANIFEST
        if path.is_file():
            return cls._existing(root, settings)
        if settings is None:
            raise CollectionNotFoundError(f"{root}: not a collection (no {MANIFEST})")
        return cls._create(root, settings)

    @classmethod
    def _existing(cls, root: Path, settings: CollectionSettings | None) -> Store:
        """The collection at ``root``, refused when ``settings`` differ from its own."""
        store = cls(root, read_manifest(root / MANIFEST))
        if settings is not None and (diff := store.settings.differences(settings)):
            raise SettingsMismatchError(
                f"{root}: settings differ from the collection's: " + "; ".join(diff)
                + " (a collection's settings are fixed when it is created; "
                "use another --collection directory)")
        return store

    @classmethod
    def _create(cls, root: Path, settings: CollectionSettings) -> Store:
        """Create ``root`` under its lock; a manifest another process wrote meanwhile is
        opened and compared like any other (no racer silently gets another's settings)."""
        from filelock import FileLock, Timeout

        root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(root / LOCK))
        deadline = time.monotonic() + CREATE_WAIT_S
        while True:
            if (root / MANIFEST).is_file():  # created meanwhile (no lock needed to read it)
                return cls._existing(root, settings)
            try:
                lock.acquire(timeout=0.05)
                break
            except Timeout:
                if time.monotonic() > deadline:
                    raise CollectionLockedError(f"{root}: another process is creating this "
                                                "collection; retry when it is done") from None
        try:
            if (root / MANIFEST).is_file():
                return cls._existing(root, settings)
            if any(p for p in root.iterdir() if p.name != LOCK):
                raise StoreError(f"{root}: exists and is not an empty directory nor a collection")
            store = cls(root, new_manifest(settings.to_dict()))
            store._write_manifest()
            return store
        finally:
            lock.release()

    @property
    def settings(self) -> CollectionSettings:
        return CollectionSettings.from_dict(self._manifest["settings"])

    @property
    def version(self) -> int:
        """Increments at every commit; derived state (indexes, projections) keys on it."""
        return int(self._manifest["version"])

    @property
    def fingerprint(self) -> str:
        """What derived files must be made from: this version of these (unique) segment parts."""
        return fingerprint(self.version, self._manifest["parts"]["segments"],
                           self.settings.dimension)

    @property
    def manifest(self) -> dict:
        return json.loads(json.dumps(self._manifest))

    def refresh(self) -> None:
        """Re-read the manifest (another process may have committed)."""
        if not (self.root / MANIFEST).is_file():
            return  # being created
        manifest = read_manifest(self.root / MANIFEST)
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
            parts = [read_part(self.root / name / p, schema)
                     for p in self._manifest["parts"][name]]
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

    def thumbnails(self, *, sources: Iterable[str] | None = None,
                   contents: Iterable[str] | None = None) -> pa.Table:
        """Stored thumbnails, only those of ``sources`` / ``contents`` when given (not cached:
        rows and vectors are read without them)."""
        return read_thumbnails(self.root, self._manifest["parts"]["thumbnails"],
                               sources=sources, contents=contents)

    def _schema(self, name: str) -> pa.Schema:
        return table_schema(name, self.settings.dimension, json.dumps(self._manifest["settings"]))

    # -- writing ---------------------------------------------------------------------------
    def commit(
        self,
        *,
        items: pa.Table | None = None,
        segments: pa.Table | None = None,
        failures: pa.Table | None = None,
        thumbnails: pa.Table | None = None,
        remove_sources: Iterable[str] = (),
        clear_failures: Iterable[str] = (),
        drop_parts: dict[str, Iterable[str]] | None = None,
    ) -> None:
        """Atomically remove every row of ``remove_sources`` and append the given rows.

        ``clear_failures`` removes only the failure rows of those sources (a new
        failure replaces an old one without dropping the vectors stored before).
        A source removed and re-added (in ``items``) with the same content keeps its stored
        thumbnails unless ``thumbnails`` has rows for it (:func:`.thumbnails.carried_thumbnails`).

        New parts are written first; removals rewrite only the parts that hold
        such sources (found in the source index, not by reading every part); the
        manifest swap makes it all visible at once. Must be called inside
        :meth:`writer`. :attr:`last_commit` then tells what was read and written.

        ``drop_parts`` (``{table: [names]}``) leaves parts out unread and undeleted: damaged
        parts ``verify --repair`` moved to quarantine (:mod:`.verify`).
        """
        if self._lock is None:
            raise StoreError("commit() needs the writer lock: use `with store.writer():`")
        remove_all = set(remove_sources)
        removals = {"items": remove_all, "segments": remove_all,
                    "failures": remove_all | set(clear_failures), "thumbnails": remove_all}
        stats = CommitStats()
        drop = {t: set((drop_parts or {}).get(t, ())) for t in TABLES}
        new_parts = {t: [p for p in self._manifest["parts"][t] if p not in drop[t]]
                     for t in TABLES}
        learnt: list[tuple[str, str, list[str]]] = []  # (table, new part, its sources)
        shared: dict[str, str] = {}  # one string object per source in this commit
        dropped: list[tuple[str, str]] = []  # (table, part made obsolete)
        written: list[Path] = []
        try:
            if remove_all:
                thumbnails = self._carried_thumbnails(thumbnails, items, remove_all, stats, shared)
            for name, added in (("items", items), ("segments", segments), ("failures", failures),
                                ("thumbnails", thumbnails)):
                remove = removals[name]
                if remove:
                    new_parts[name] = self._remove(name, new_parts[name], remove, stats,
                                                   learnt, dropped, written, shared)
                if added is not None and len(added):
                    path = self._write(name, added, stats, written)
                    new_parts[name].append(path.name)
                    learnt.append((name, path.name,
                                   distinct_sources(added.column("source"), shared)))
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
        except BaseException as exc:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            if isinstance(exc, OSError):  # a full disk, a read-only one: say so, plainly
                raise CommitError(self.root, exc, self.version) from exc
            raise
        self._cache.clear()
        self.last_commit = stats
        for name, part in dropped:
            self._index[name].drop(part)
            with contextlib.suppress(OSError):
                (self.root / name / part).unlink()
        for name, part, sources in learnt:
            self._index[name].add(part, sources)

    @property
    def media_root_entry(self) -> dict | None:
        """The manifest's library-root entry (:mod:`.manifest`), None before the first add."""
        entry = self._manifest.get(MEDIA_ROOT)
        return dict(entry) if isinstance(entry, dict) else None

    def record_media_root(self, root: str) -> None:
        """Record ``root`` (absolute) as the library root (:mod:`.manifest`); needs the lock.

        Rows are untouched, so the version stays: derived state keyed on it stays valid.
        """
        if self._lock is None:
            raise StoreError("record_media_root() needs the writer lock")
        manifest = dict(self._manifest)
        manifest[MEDIA_ROOT] = media_root_entry(root, self.root)
        manifest["updated_at"] = time.time()
        write_manifest(self.root, manifest)
        self._manifest = manifest

    def _carried_thumbnails(self, given: pa.Table | None, items: pa.Table | None,
                            remove: set[str], stats: CommitStats,
                            shared: dict[str, str]) -> pa.Table | None:
        index = self._index["thumbnails"]
        folder = self.root / "thumbnails"
        loaded = index.sync(self._manifest["parts"]["thumbnails"],
                            lambda p: read_part_sources(folder / p, shared))
        if loaded:
            stats.sources_read["thumbnails"] = loaded
        return carried_thumbnails(
            index, lambda parts, sources: read_thumbnails(self.root, parts, sources=sources),
            given, items, remove)

    def _remove(self, name: str, parts: list[str], remove: set[str], stats: CommitStats,
                learnt: list, dropped: list, written: list[Path],
                shared: dict[str, str]) -> list[str]:
        """``parts`` with the rows of ``remove`` taken out: the parts holding none are kept
        as they are (unread), the others rewritten without those rows (or dropped)."""
        index = self._index[name]
        loaded = index.sync(parts, lambda p: read_part_sources(self.root / name / p, shared))
        if loaded:
            stats.sources_read[name] = loaded
        hit = index.holding(remove)
        if not hit:
            return parts
        value_set = pa.array(sorted(remove), type=pa.string())
        kept = []
        for part in parts:
            if part not in hit:
                kept.append(part)
                continue
            table = read_part(self.root / name / part, self._schema(name))
            stats.rewritten.setdefault(name, []).append(part)
            mask = pc.is_in(table.column("source"), value_set=value_set)
            if not pc.any(mask).as_py():  # the index never says so; kept to be safe
                kept.append(part)
                continue
            rest = table.filter(pc.invert(mask))
            dropped.append((name, part))
            if len(rest):
                path = self._write(name, rest, stats, written)
                kept.append(path.name)
                learnt.append((name, path.name,
                               distinct_sources(rest.column("source"), shared)))
        return kept

    def _write(self, name: str, table: pa.Table, stats: CommitStats,
               written: list[Path]) -> Path:
        path = write_part(self.root / name, table, self._schema(name))
        written.append(path)
        stats.written.setdefault(name, []).append(path.name)
        return path

    def _write_manifest(self) -> None:
        write_manifest(self.root, self._manifest)

    def garbage(self) -> list[Path]:
        """Part files no manifest names (left by a crash); safe to delete under the lock."""
        parts = {t: set(names) for t, names in self._manifest["parts"].items()}
        return [p for name in TABLES if (self.root / name).is_dir()
                for p in (self.root / name).iterdir() if p.name not in parts[name]]
