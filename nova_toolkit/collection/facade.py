"""``Collection``: open, add, read, copy; a thin facade over the store and the pipeline.

Adding runs :class:`~nova_toolkit.pipeline.runner.AddRunner` (``runner_class``, so
another engine can take its place); the local index and search come from the
:class:`~.index_upkeep.IndexUpkeep` and :class:`~.search.SearchMixin` mixins.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nova_toolkit._core.errors import InvalidArgumentError
from nova_toolkit.collection.index_upkeep import IndexUpkeep
from nova_toolkit.collection.info import CollectionInfo
from nova_toolkit.collection.metadata import MetadataMixin
from nova_toolkit.collection.opening import (
    EmbedderSpec,
    ReadyEmbedder,
    embedder_for_settings,
    open_store,
)
from nova_toolkit.collection.search import SearchMixin
from nova_toolkit.collection.verify import VerifyReport, open_for_verify, verify_collection
from nova_toolkit.embedders import Embedder
from nova_toolkit.media.library import MediaLibrary
from nova_toolkit.pipeline.metadata_update import given_metadata
from nova_toolkit.pipeline.ray_engine import RayEngine
from nova_toolkit.pipeline.reader import SourceReader, stored_library
from nova_toolkit.pipeline.runner import AddReport, AddRunner
from nova_toolkit.segment import SegmentationConfig
from nova_toolkit.store import CollectionSettings, Store, cache_key, vectors_to_arrow


class Collection(IndexUpkeep, SearchMixin, MetadataMixin):
    """A searchable, Parquet-backed collection of embedded media.

    Open with :meth:`open`; see :meth:`add`, :meth:`search`, :meth:`update_metadata` and
    :meth:`remove`.
    """

    #: Builds the runner :meth:`add` uses (the in-process engine).
    runner_class = AddRunner

    def __init__(self, store: Store, embedder: Embedder | None = None, *,
                 backend_options: dict | None = None,
                 media_root: str | os.PathLike | None = None) -> None:
        self.store = store
        self._media_root = None if media_root is None else os.fspath(media_root)
        self._library: tuple[tuple, MediaLibrary] | None = None
        self._embedder = embedder
        self._backend_options = backend_options or {}
        self._lookup = None
        self._index = None
        self._embedder_given = embedder is not None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        *,
        backend: str | None = None,
        dimension: int | None = None,
        max_chars: int | None = None,
        overlap_chars: int | None = None,
        segment_seconds: float | None = None,
        embedding_mode: str | None = None,
        purpose: str | None = None,
        document_mode: str | None = None,
        embedder: Embedder | None = None,
        create: bool = True,
        media_root: str | os.PathLike | None = None,
        **backend_options: Any,
    ) -> Collection:
        """Open the collection at ``path``, creating it if needed.

        Options left as ``None`` take the stored settings of an existing
        collection, or the backend's defaults for a new one. Options that differ
        from an existing collection's raise :class:`SettingsMismatchError`;
        ``create=False`` raises :class:`StoreError` when there is no collection.

        Parameters
        ----------
        backend : str
            Registered embedder name (``"local"``, ``"nova"``).
        dimension : int
            Vector dimension (the backend's default when None).
        max_chars, overlap_chars : int
            Text chunking (defaults follow the backend's input limit).
        segment_seconds : float
            Audio/video window length, 1–30 s (Nova's ``durationSeconds``, default 5).
        embedding_mode : str
            AUDIO_VIDEO_COMBINED (one row per video window) or AUDIO_VIDEO_SEPARATE.
        purpose : str
            ``embeddingPurpose`` for stored vectors (GENERIC_INDEX).
        document_mode : str
            PDF/DOCX pages as ``text``, ``image`` or ``both`` (default: the backend's, nova
            ``image``, local ``text``); see :mod:`nova_toolkit.embedders.document_modes`.
        embedder : Embedder
            A ready backend instance instead of ``backend`` + options.
        media_root : path
            The folder the collection's media are in, when it is not the library root the
            collection recorded (a collection made elsewhere, media moved): stored sources
            are keys relative to the root (:mod:`nova_toolkit.media.library`), so they are
            found, re-added unchanged and named under this folder. On a new collection it is
            the root recorded.
        **backend_options
            Passed to the backend's constructor (e.g. ``profile``, ``region``).
        """
        if media_root is not None and not os.path.isdir(media_root):
            raise InvalidArgumentError("media_root", "is not a folder (where the collection's "
                                       "media are)", value=os.fspath(media_root))
        store, emb = open_store(
            path, backend=backend, dimension=dimension, max_chars=max_chars,
            overlap_chars=overlap_chars, segment_seconds=segment_seconds,
            embedding_mode=embedding_mode, purpose=purpose, document_mode=document_mode,
            embedder=embedder, create=create, backend_options=backend_options)
        coll = cls(store, emb, backend_options=backend_options, media_root=media_root)
        coll._embedder_given = embedder is not None
        return coll

    # -- checking ------------------------------------------------------------------------
    def verify(self, *, repair: bool = False) -> VerifyReport:
        """Check the whole collection: manifest, every part (checksums, vector lengths), part
        files no manifest lists, rows that disagree across tables, the index, ``derived/``.

        ``repair=True`` (under the writer lock) rebuilds the index, removes derived files
        that do not fit and leftover parts, and quarantines damaged parts: moved to
        ``quarantine/<timestamp>/``, with the other rows of the sources that lost rows, and
        dropped in one commit; ``report.lost_sources`` are then the files to re-embed (the
        next :meth:`add` of the same folder does). Nothing stored is deleted.
        """
        return verify_collection(self, repair=repair)

    @classmethod
    def verify_at(cls, path: str | os.PathLike, *, repair: bool = False) -> VerifyReport:
        """:meth:`verify` the collection at ``path``; a manifest that cannot be read is the
        report's one problem (not an exception)."""
        store, report = open_for_verify(path, repair=repair)
        return report if store is None else cls(store).verify(repair=repair)

    @property
    def path(self) -> Path:
        return self.store.root

    @property
    def settings(self) -> CollectionSettings:
        return self.store.settings

    @property
    def library(self) -> MediaLibrary:
        """How local sources are keyed and found: the ``media_root`` given to :meth:`open`,
        else the library root the collection recorded at its first add."""
        stamp = (self.store.version, self.store.media_root_entry)
        if self._library is None or self._library[0] != stamp:
            self._library = (stamp, stored_library(self.store, self._media_root))
        return self._library[1]

    @property
    def media_root(self) -> str | None:
        """The library root, absolute (None before the first add of local files)."""
        return self.library.root

    def locate(self, source: str) -> str:
        """Where the file stored as ``source`` (a key) is now: an absolute path, or its URI."""
        return self.library.locate(source)

    @property
    def embedder(self) -> Embedder:
        """The backend, built on first use (``info`` never loads a model)."""
        if self._embedder is None:
            self._embedder = embedder_for_settings(self.settings, self.path,
                                                   self._backend_options)
        return self._embedder

    @property
    def segmentation(self) -> SegmentationConfig:
        return SegmentationConfig(**self.settings.segmentation)

    # -- adding ----------------------------------------------------------------------------
    def add(
        self,
        paths: str | os.PathLike | Iterable[str | os.PathLike],
        *,
        keep_missing: bool = False,
        metadata: dict | None = None,
        batch_segments: int = 256,
        commit_rows: int = 4096,
        progress: bool = True,
        engine: str | RayEngine = "local",
        follow_links: bool = False,
    ) -> AddReport:
        """Embed files and folders into the collection, using the cache.

        Unchanged files cost nothing; a changed file is re-embedded and its old
        rows replaced; content already stored under another path is copied from
        the cache. A file is stored once, under its key (its resolved location relative
        to the library root the first add records, :attr:`media_root`): ``lib``,
        ``./lib/`` and ``/abs/lib`` add the same files. Files gone from an embedded folder
        are removed unless ``keep_missing``. Failures are stored with their reason and the run goes
        on. Work is committed every ``commit_rows`` rows, so an interrupted run
        resumes where it stopped.

        Parameters
        ----------
        paths : path or iterable of paths
            Files and folders (walked recursively, hidden files skipped).
        keep_missing : bool
            Keep rows of files that disappeared from an embedded folder.
        metadata : dict, optional
            User metadata of the files named (filterable in :meth:`search`). ``None`` (not
            given): each file keeps the metadata it has (a changed file re-embedded too).
            A dict replaces it on every file named, ``{}`` clears it; files already stored
            unchanged get it by a metadata-only update (no model call; ``updated`` in the
            report). Key by key changes: :meth:`update_metadata`.
        engine : ``"local"``, ``"ray"`` or :class:`~nova_toolkit.pipeline.ray_engine.RayEngine`
            Embed in this process, or on Ray Data (reading and segmenting in tasks,
            embedding in an actor pool; this process still commits). The same collection
            comes out of both.
        follow_links : bool
            Follow symbolic links that lead out of a folder being walked (default: each is a
            failure saying it was not followed, so nothing outside the folder is read or
            sent to a model). Links within the folder, and paths named here, are followed.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        paths = [os.fspath(p) for p in paths]
        meta_json = given_metadata(metadata)
        options = dict(segmentation=self.segmentation, embedder=lambda: self.embedder,
                       batch_segments=batch_segments, commit_rows=commit_rows,
                       progress=progress, media_root=self._media_root,
                       reader=partial(SourceReader, follow_links=follow_links))
        if engine == "local":
            runner = self.runner_class(self.store, **options)
        else:
            runner = self._ray_runner(engine, options)
        return runner.run(paths, keep_missing=keep_missing, meta_json=meta_json)

    def _ray_runner(self, engine: str | RayEngine, options: dict) -> Any:
        """The Ray engine's runner; the embedder is rebuilt in each actor from the settings."""
        from nova_toolkit.pipeline.ray_engine import RayAddRunner

        if engine == "ray":
            engine = RayEngine()
        if not isinstance(engine, RayEngine):
            raise ValueError(f"engine must be 'local', 'ray' or a RayEngine, not {engine!r}")
        if self._embedder_given:
            remote, modalities = ReadyEmbedder(self.embedder), self.embedder.modalities
        else:
            remote = EmbedderSpec(self.settings, str(self.path), self._backend_options)
            modalities = self.embedder_factory_info().modalities
        return RayAddRunner(self.store, remote_embedder=remote, modalities=modalities,
                            engine=engine, **options)

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.store.segments().num_rows

    def vectors(self) -> np.ndarray:
        """All vectors as one ``(n, d)`` float32 array, in :meth:`to_pandas` row order."""
        return self.store.vectors()

    def to_arrow(self, *, vectors: bool = False) -> pa.Table:
        """Segment rows as an Arrow table (``vectors=True`` keeps the vector column)."""
        table = self.store.segments()
        return table if vectors else table.drop_columns(["vector"])

    def to_pandas(self, *, vectors: bool = False):
        """Segment rows as a pandas DataFrame (``vectors=True`` adds the vector column)."""
        return self.to_arrow(vectors=vectors).to_pandas()

    def failures(self):
        """Failure rows (source, stage, segment_index, reason, at) as an Arrow table."""
        return self.store.failures()

    def with_dimension(self, dimension: int, path: str | os.PathLike) -> Collection:
        """Copy this collection to ``path`` with vectors cut to ``dimension`` — no embedder call.

        Matryoshka truncation: keep the first ``dimension`` axes and renormalise.
        Exact for Nova (Matryoshka-trained) and for the local backend (its 256-d
        space *is* the renormalised prefix of its PCA-rotated 384-d space).
        """
        s = self.settings
        if dimension not in getattr(self.embedder_factory_info(), "dimensions", (dimension,)):
            raise ValueError(f"the {s.backend!r} backend has no {dimension}-d vectors")
        if dimension > s.dimension:
            raise ValueError(f"cannot truncate {s.dimension}-d vectors to {dimension} "
                             "(only to a smaller dimension)")
        from nova_toolkit.embedders import l2_normalize

        settings = CollectionSettings(
            backend=s.backend, model_id=s.model_id, dimension=dimension, purpose=s.purpose,
            segmentation=s.segmentation, extra=s.extra, document_mode=s.document_mode)
        target = Store.open(path, settings)
        items, segs = self.store.items(), self.store.segments()
        new_key = {k: cache_key(h, settings) for k, h in zip(
            items.column("cache_key").to_pylist(), items.column("content_sha256").to_pylist(),
            strict=True)}
        items = items.set_column(items.schema.get_field_index("cache_key"), "cache_key",
                                 pa.array([new_key[k] for k in
                                           items.column("cache_key").to_pylist()], pa.string()))
        vecs = l2_normalize(self.vectors()[:, :dimension])
        segs = segs.drop_columns(["vector"])
        segs = segs.set_column(segs.schema.get_field_index("cache_key"), "cache_key",
                               pa.array([new_key.get(k, k) for k in
                                         segs.column("cache_key").to_pylist()], pa.string()))
        segs = segs.set_column(segs.schema.get_field_index("dimension"), "dimension",
                               pa.array([dimension] * segs.num_rows, pa.int32()))
        segs = segs.append_column("vector", vectors_to_arrow(vecs))
        with target.writer():
            if self.media_root is not None:  # the copy's keys are relative to the same root
                target.record_media_root(self.media_root)
            target.commit(items=items, segments=segs, failures=self.store.failures(),
                          thumbnails=self.store.thumbnails())
        return Collection(target, None, backend_options=self._backend_options)

    def embedder_factory_info(self):
        """The backend's class (dimensions, modalities) without building a model."""
        from nova_toolkit.embedders import registered_factory

        return registered_factory(self.settings.backend)

    def info(self) -> CollectionInfo:
        """Settings and counts: a JSON-able dict with a readable notebook form."""
        items = self.store.items()
        segs = self.store.segments()
        by_modality: dict[str, int] = {}
        if items.num_rows:
            for row in pc.value_counts(items.column("modality")).to_pylist():
                by_modality[row["values"]] = row["counts"]
        return CollectionInfo({
            "path": str(self.path),
            "media_root": self.media_root,
            "format_version": self.store.manifest["format_version"],
            "version": self.store.version,
            "settings": self.settings.to_dict(),
            "items": items.num_rows,
            "segments": segs.num_rows,
            "failures": self.store.failures().num_rows,
            "items_by_modality": by_modality,
        })
