"""The runner behind ``Collection.open / add / search``.

It walks sources, asks the embedding cache, segments and embeds only what is
missing, appends rows to the :class:`~nova_toolkit.store.Store`, keeps the
collection in step with the folders it was built from, and keeps a local
S3-Vectors-shaped index derived from the store for search. It knows neither a
model's nor FAISS's internals: it talks to an :class:`Embedder` and to the
``s3vectors``-shaped client of :mod:`nova_toolkit.vectors`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from nova_toolkit.embedders import RETRIEVAL_PURPOSE, Embedder, EmbedFailure
from nova_toolkit.embedders.document_modes import mode_for_open
from nova_toolkit.media import MediaError, MediaItem, iter_files
from nova_toolkit.segment import Segment, SegmentationConfig, segment_item
from nova_toolkit.store import (
    CollectionSettings,
    Store,
    StoreError,
    cache_key,
    vectors_to_arrow,
)

INDEX_DIR = "index"
INDEX_BUCKET = "collection"
INDEX_NAME = "segments"
MAX_KEY_CHARS = 1024
#: Metadata keys every vector carries in the index (user metadata may not reuse them).
RESERVED_METADATA = (
    "source", "modality", "embedding_type", "segment_index", "start_s", "end_s", "page",
    "char_start", "char_end", "snippet",
)
#: Index metadata kept out of filters (large text), as S3 Vectors' non-filterable keys.
NON_FILTERABLE = ("snippet",)
SNIPPET_IN_INDEX = 1000  # characters of snippet copied into index metadata


def row_key(source: str, embedding_type: str, segment_index: int) -> str:
    """Stable key, unique per (source, embedding type, segment), at most 1,024 characters.

    Readable (``source#TYPE#index``) when it fits; otherwise the source's tail
    prefixed by a hash of the whole source keeps it unique and within the limit.
    """
    suffix = f"#{embedding_type}#{segment_index}"
    key = source + suffix
    if len(key) <= MAX_KEY_CHARS:
        return key
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    room = MAX_KEY_CHARS - len(suffix) - len(digest) - 3
    return f"{digest}..{source[-room:]}{suffix}"


@dataclass
class AddReport:
    """What one :meth:`Collection.add` did."""

    embedded: int = 0          # items sent to the embedder
    cached: int = 0            # items whose vectors came from the cache
    unchanged: int = 0         # items already stored under the same source, untouched
    failed: int = 0            # items (or segments) that failed
    removed: list[str] = field(default_factory=list)  # sources gone from embedded folders
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    segments: int = 0          # vector rows written
    embedder_calls: int = 0    # batches sent to the embedder
    seconds: float = 0.0

    def summary(self) -> str:
        cached = self.cached + self.unchanged
        text = (f"embedded {self.embedded}, cached {cached}, failed {self.failed}"
                f" ({self.segments} new vector rows, {self.seconds:.1f} s)")
        if self.removed:
            text += f"; removed {len(self.removed)} missing"
        return text


@dataclass
class _Pending:
    item: MediaItem
    key: str
    segments: list[Segment]
    note: str


class Collection:
    """A searchable, Parquet-backed collection of embedded media.

    Open with :meth:`open`; see :meth:`add` and :meth:`search`.
    """

    def __init__(self, store: Store, embedder: Embedder | None = None, *,
                 backend_options: dict | None = None) -> None:
        self.store = store
        self._embedder = embedder
        self._backend_options = backend_options or {}
        self._lookup: tuple[int, dict[str, int]] | None = None
        self._index: tuple[dict, Any] | None = None

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
        **backend_options
            Passed to the backend's constructor (e.g. ``profile``, ``region``).
        """
        path = Path(path)
        exists = Store.exists(path)
        if not create and not exists:
            raise StoreError(f"{path}: not a collection (no manifest.json)")
        stored = Store.open(path).settings if exists else None
        seg = stored.segmentation if stored else {}
        asked = (backend, dimension, max_chars, overlap_chars, segment_seconds, embedding_mode,
                 purpose, document_mode)
        if stored is not None and embedder is None and all(v is None for v in asked):
            return cls(Store.open(path), None, backend_options=backend_options)
        if embedder is None:
            name = backend or (stored.backend if stored else "local")
            embedder = build_embedder(
                name, dimension=dimension or (stored.dimension if stored else None),
                embedding_mode=embedding_mode or seg.get("embedding_mode"),
                segment_seconds=segment_seconds or seg.get("segment_seconds"),
                extra=stored.extra if stored and stored.backend == name else None,
                document_mode=mode_for_open(document_mode, stored and stored.document_mode,
                                            exists), **backend_options,
            )
        elif document_mode not in (None, getattr(embedder, "document_mode", document_mode)):
            raise ValueError(f"document_mode={document_mode!r} differs from the embedder's")
        if max_chars is None:
            max_chars = seg.get("max_chars", embedder.default_max_chars)
        if overlap_chars is None:
            overlap_chars = seg.get(
                "overlap_chars", min(embedder.default_overlap_chars, max(0, max_chars // 5)))
        config = SegmentationConfig(
            max_chars=max_chars, overlap_chars=overlap_chars,
            segment_seconds=segment_seconds or seg.get("segment_seconds", 5.0),
            embedding_mode=getattr(embedder, "embedding_mode", None)
            or embedding_mode or "AUDIO_VIDEO_COMBINED",
        )
        settings = _settings_for(embedder, purpose or (stored.purpose if stored else
                                                       "GENERIC_INDEX"), config)
        return cls(Store.open(path, settings), embedder, backend_options=backend_options)

    @property
    def path(self) -> Path:
        return self.store.root

    @property
    def settings(self) -> CollectionSettings:
        return self.store.settings

    @property
    def embedder(self) -> Embedder:
        """The backend, built on first use (``info`` never loads a model)."""
        if self._embedder is None:
            s = self.settings
            emb = build_embedder(
                s.backend, dimension=s.dimension, extra=s.extra,
                embedding_mode=s.segmentation.get("embedding_mode"),
                segment_seconds=s.segmentation.get("segment_seconds"),
                document_mode=s.effective_document_mode, **self._backend_options)
            if emb.model_id != s.model_id:
                raise StoreError(
                    f"{self.path}: built with model {s.model_id!r}, but this installation "
                    f"provides {emb.model_id!r}; install the same model wheels, or embed "
                    "into a new collection")
            self._embedder = emb
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
    ) -> AddReport:
        """Embed files and folders into the collection, using the cache.

        Unchanged files cost nothing; a changed file is re-embedded and its old
        rows replaced; content already stored under another path is copied from
        the cache. Files gone from an embedded folder are removed unless
        ``keep_missing``. Failures are stored with their reason and the run goes
        on. Work is committed every ``commit_rows`` rows, so an interrupted run
        resumes where it stopped.

        Parameters
        ----------
        paths : path or iterable of paths
            Files and folders (walked recursively, hidden files skipped).
        keep_missing : bool
            Keep rows of files that disappeared from an embedded folder.
        metadata : dict, optional
            User metadata added to every row (filterable in :meth:`search`).
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        paths = [os.fspath(p) for p in paths]
        metadata = dict(metadata or {})
        clash = sorted(set(metadata) & set(RESERVED_METADATA))
        if clash:
            raise ValueError(f"metadata keys {clash} are reserved by nova_toolkit")
        meta_json = json.dumps(metadata, sort_keys=True) if metadata else None
        started = time.perf_counter()
        report = AddReport()
        with self.store.writer():
            run = _AddRun(self, report, meta_json, batch_segments, commit_rows)
            seen: set[str] = set()
            files = list(iter_files(paths))
            for source, error in tqdm(files, desc="embed", unit="file", disable=not progress):
                seen.add(source)
                if error is not None:
                    run.fail(source, "read", error)
                    continue
                run.visit(source)
            run.flush(final=True)
            unreadable = [src for src, error in files if error is not None]
            gone = [] if keep_missing else self._missing(paths, seen, unreadable)
            if gone:
                self.store.commit(remove_sources=gone)
                report.removed = gone
        report.seconds = time.perf_counter() - started
        return report

    def _missing(self, paths: Sequence[str], seen: set[str],
                 unreadable: Sequence[str] = ()) -> list[str]:
        """Stored sources under an embedded folder that the walk did not find.

        Nothing under a folder or prefix that could not be read (permission
        denied, listing failed) counts as missing: it may still be there.
        """
        from nova_toolkit.media import is_s3_prefix

        folders = [os.path.normpath(p).rstrip(os.sep) + os.sep for p in paths
                   if not p.startswith("s3://") and os.path.isdir(p)]
        prefixes = [p if p.endswith("/") else p + "/" for p in paths if is_s3_prefix(p)]
        if not (folders or prefixes):
            return []
        stored = set(self.store.items().column("source").to_pylist())
        stored |= set(self.store.failures().column("source").to_pylist())
        out = []
        blind = [u.rstrip("/" + os.sep) for u in unreadable]
        for source in sorted(stored - seen):
            if any(source == b or source.startswith(b + "/") or source.startswith(b + os.sep)
                   for b in blind):
                continue
            if source.startswith("s3://"):
                if any(source.startswith(p) for p in prefixes):
                    out.append(source)
            elif any(os.path.normpath(source).startswith(f) for f in folders):
                out.append(source)
        return out

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.store.segments().num_rows

    def vectors(self) -> np.ndarray:
        """All vectors as one ``(n, d)`` float32 array, in :meth:`to_pandas` row order."""
        return self.store.vectors()

    def to_arrow(self, *, vectors: bool = False) -> pa.Table:
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
            target.commit(items=items, segments=segs, failures=self.store.failures())
        return Collection(target, None, backend_options=self._backend_options)

    def embedder_factory_info(self):
        """The backend's class (dimensions, modalities) without building a model."""
        from nova_toolkit.embedders import registered_factory

        return registered_factory(self.settings.backend)

    def info(self) -> dict:
        """Settings and counts, JSON-able."""
        items = self.store.items()
        segs = self.store.segments()
        by_modality: dict[str, int] = {}
        if items.num_rows:
            for row in pc.value_counts(items.column("modality")).to_pylist():
                by_modality[row["values"]] = row["counts"]
        return {
            "path": str(self.path),
            "format_version": self.store.manifest["format_version"],
            "version": self.store.version,
            "settings": self.settings.to_dict(),
            "items": items.num_rows,
            "segments": segs.num_rows,
            "failures": self.store.failures().num_rows,
            "items_by_modality": by_modality,
        }

    # -- index and search ------------------------------------------------------------------
    def index_client(self):
        """The local S3 Vectors client holding this collection's index, rebuilt if stale.

        The index lives in ``<collection>/index`` as bucket ``collection``, index
        ``segments``; it is derived from the store and rebuilt when the store's
        version moves on.
        """
        from nova_toolkit.vectors import local_client

        self.store.refresh()  # another process may have committed since we opened
        root = self.path / INDEX_DIR
        stamp = root / "store-version.json"
        want = {"version": self.store.version, "dimension": self.settings.dimension}
        if self._index is not None and self._index[0] == want and stamp.is_file():
            return self._index[1]
        from nova_toolkit.vectors import sync_text_search

        if stamp.is_file() and json.loads(stamp.read_text()) == want:
            client = local_client(root)
            sync_text_search.ensure_text_search(  # an index from before full-text search
                client, bucket=INDEX_BUCKET, index=INDEX_NAME)
            self._index = (want, client)
            return client
        with self.store.writer():
            if root.exists():
                shutil.rmtree(root)
            client = local_client(root)
            client.create_vector_bucket(vectorBucketName=INDEX_BUCKET)
            sync_text_search.create_index(  # ENHANCED, snippet full-text searchable
                client, bucket=INDEX_BUCKET, index=INDEX_NAME, distance_metric="cosine",
                dimension=self.settings.dimension, non_filterable=NON_FILTERABLE)
            table = self.store.segments()
            if table.num_rows:
                client.import_vectors(
                    vectorBucketName=INDEX_BUCKET, indexName=INDEX_NAME,
                    keys=table.column("key").to_pylist(), data=self.vectors(),
                    metadata=index_metadata(table),
                )
            sync_text_search.wait_active(client, bucket=INDEX_BUCKET, index=INDEX_NAME,
                                         keys=["snippet"])
            from nova_toolkit.store import atomic_write_bytes
            atomic_write_bytes(stamp, json.dumps(want).encode())
        self._index = (want, client)
        return client

    def embed_query(self, *, text: str | None = None, file: str | os.PathLike | None = None,
                    modality: str | None = None) -> np.ndarray:
        """Query vector for a text or a file (query by example), with a retrieval purpose."""
        if (text is None) == (file is None):
            raise ValueError("give exactly one of text= or file=")
        purpose = RETRIEVAL_PURPOSE.get(modality, "GENERIC_RETRIEVAL")
        if text is not None:
            if not text.strip():
                raise ValueError("the query text is empty")
            return self.embedder.embed_texts([text], purpose=purpose)[0]
        item = MediaItem.from_path(file)
        return self.embedder.embed_query(item, purpose=purpose)

    def search(
        self,
        text: str | None = None,
        *,
        file: str | os.PathLike | None = None,
        vector: np.ndarray | None = None,
        top_k: int = 10,
        filter: dict | None = None,
        modality: str | None = None,
        mode: str = "vector",
        remote: tuple[Any, str, str] | None = None,
    ) -> SearchResults:
        """Segments best matching a text, a file or a vector, in one of three modes.

        Parameters
        ----------
        text, file, vector
            The query: exactly one in ``vector`` mode; ``text`` only in ``text`` mode;
            ``text`` plus at most one of ``file`` / ``vector`` in ``hybrid`` mode.
        top_k : int
            Results wanted, fetched over as many QueryVectors pages as it takes; not
            capped on the local index, capped at S3 Vectors' limit (with a warning) on
            ``remote``.
        filter : dict, optional
            S3 Vectors filter on row metadata, e.g. ``{"modality": "image"}`` (every mode).
        modality : str, optional
            Target modality: adds ``{"modality": ...}`` to the filter and picks
            the matching retrieval purpose.
        mode : str
            ``vector`` (embedding distance), ``text`` (BM25 over the rows' snippets; loads
            no model) or ``hybrid`` (both, Reciprocal Rank Fusion). See
            :mod:`nova_toolkit.search_modes`.
        remote : (client, bucket, index), optional
            Query a pushed copy (``boto3.client("s3vectors")``, AWS or the twin) instead
            of the local index; hits are matched to this collection's rows by key.
        """
        from nova_toolkit.search_modes import check_query, query_index

        check_query(mode, text, file, vector)
        if vector is None and mode != "text":
            vector = self.embed_query(text=None if file else text, file=file, modality=modality)
        if modality is not None:
            filter = {"$and": [filter, {"modality": modality}]} if filter else {"modality": modality}
        client, bucket, index = remote or (self.index_client(), INDEX_BUCKET, INDEX_NAME)
        found = query_index(client, bucket=bucket, index=index, mode=mode, top_k=top_k,
                            vector=vector, text=text, filter=filter)
        return SearchResults(self._hits(found))

    def _hits(self, found: list[dict]) -> list[dict]:
        if not found:
            return []
        table = self.store.segments()
        if self._lookup is None or self._lookup[0] != self.store.version:
            keys = table.column("key").to_pylist()
            self._lookup = (self.store.version, {k: i for i, k in enumerate(keys)})
        found = [v for v in found if v["key"] in self._lookup[1]]  # remote: rows gone here
        rows = [self._lookup[1][v["key"]] for v in found]
        picked = table.drop_columns(["vector"]).take(pa.array(rows, pa.int64())).to_pylist()
        return [hit_record(row, v["distance"], v.get("scores"))
                for row, v in zip(picked, found, strict=True)]


class SearchResults(list):
    """Search hits (dicts), nearest first, with :meth:`to_pandas`."""

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self)


def hit_record(row: dict, distance: float | None, scores: dict | None = None) -> dict:
    """The public shape of one search hit (the CLI's ``--json`` objects).

    ``distance`` is None in text mode; ``scores`` holds ``bm25`` / ``fused`` /
    ``vector_distance`` as the mode gives them (see :mod:`nova_toolkit.search_modes`).
    """
    return {
        "key": row["key"],
        "distance": None if distance is None else float(distance),
        "scores": dict(scores or {}),
        "source": row["source"],
        "modality": row["modality"],
        "embedding_type": row["embedding_type"],
        "segment": {
            "index": row["segment_index"],
            "start_s": row["start_s"],
            "end_s": row["end_s"],
            "page": row["page"],
            "char_start": row["char_start"],
            "char_end": row["char_end"],
        },
        "snippet": row["snippet"],
        "metadata": json.loads(row["metadata"]) if row["metadata"] else {},
    }


def index_metadata(table: pa.Table) -> list[dict]:
    """Per-row S3 Vectors metadata: source, modality, offsets, snippet, user metadata."""
    cols = {name: table.column(name).to_pylist() for name in
            ("source", "modality", "embedding_type", "segment_index", "start_s", "end_s",
             "page", "char_start", "char_end", "snippet", "metadata")}
    out = []
    for i in range(table.num_rows):
        meta = {k: cols[k][i] for k in RESERVED_METADATA if cols[k][i] is not None}
        if "snippet" in meta:
            meta["snippet"] = meta["snippet"][:SNIPPET_IN_INDEX]
        if cols["metadata"][i]:
            meta.update(json.loads(cols["metadata"][i]))
        out.append(meta)
    return out


def build_embedder(name: str, *, extra: dict | None = None, **options: Any) -> Embedder:
    """Build backend ``name``, passing the options its constructor takes.

    ``None`` options are dropped; ``extra`` (stored backend settings such as the
    image model) fills in constructor parameters not given explicitly, so a
    stored collection gets back the embedder it was built with.
    """
    import inspect

    from nova_toolkit.embedders import registered_factory

    factory = registered_factory(name)
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in (extra or {}).items() if k in params}
    for key, value in options.items():
        if value is None:
            continue
        if key in params or takes_any or key not in ("embedding_mode", "segment_seconds",
                                                     "document_mode"):
            kwargs[key] = value
    return factory(**kwargs)


def _settings_for(embedder: Embedder, purpose: str,
                  config: SegmentationConfig) -> CollectionSettings:
    extra = {k: v for k, v in embedder.settings().items()
             if k not in ("backend", "model_id", "dimension")}
    return CollectionSettings(
        backend=embedder.name, model_id=embedder.model_id, dimension=embedder.dimension,
        purpose=purpose, segmentation=config.to_dict(), extra=extra,
        document_mode=getattr(embedder, "document_mode", None),
    )


def _now() -> pa.Scalar:
    return pa.scalar(int(time.time() * 1000), type=pa.timestamp("ms", tz="UTC"))


class _AddRun:
    """State of one ``add``: pending embeddings, rows to commit, the report."""

    def __init__(self, coll: Collection, report: AddReport, meta_json: str | None,
                 batch_segments: int, commit_rows: int) -> None:
        self.coll = coll
        self.store = coll.store
        self.settings = coll.settings
        self.report = report
        self.meta_json = meta_json
        self.batch_segments = batch_segments
        self.commit_rows = commit_rows
        items = self.store.items()
        self.stored_key = dict(zip(items.column("source").to_pylist(),
                                   items.column("cache_key").to_pylist(), strict=True))
        self.cache_owner = {k: s for s, k in self.stored_key.items()}
        self.failed_sources = set(self.store.failures().column("source").to_pylist())
        self.pending: list[_Pending] = []
        self.pending_segments = 0
        self.items: list[dict] = []
        self.rows: list[dict] = []
        self.vectors: list[np.ndarray] = []
        self.fails: list[dict] = []
        self.remove: set[str] = set()
        self.clear_failures: set[str] = set()
        self.waiting: dict[str, list[tuple[MediaItem, str]]] = {}
        self._s3 = None
        self.failed_now: set[str] = set()

    def s3_client(self):
        """One boto3 S3 client per run (standard AWS configuration)."""
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3")
        return self._s3

    def fail(self, source: str, stage: str, reason: str, segment_index: int | None = None) -> None:
        if source not in self.failed_now:  # count items, not segments
            self.failed_now.add(source)
            self.report.failed += 1
        if (source, reason) not in self.report.failures:
            self.report.failures.append((source, reason))
        self.fails.append({"source": source, "stage": stage, "segment_index": segment_index,
                           "reason": reason, "at": _now()})
        # a new failure replaces the old failure rows of this source; vectors stored
        # before for it stay (nothing already stored is lost because a file went bad)
        self.clear_failures.add(source)

    def visit(self, source: str) -> None:
        try:
            if source.startswith("s3://"):
                item = MediaItem.from_s3(source, client=self.s3_client())
            else:
                item = MediaItem.from_path(source, source=source)
        except MediaError as exc:
            self.fail(source, "read", exc.reason)
            return
        except OSError as exc:
            self.fail(source, "read", exc.strerror or str(exc))
            return
        key = cache_key(item.sha256, self.settings)
        if self.stored_key.get(source) == key and source not in self.failed_sources:
            self.report.unchanged += 1
            return
        if any(p.key == key for p in self.pending):  # same content, embedded in this batch
            self.waiting.setdefault(key, []).append((item, key))
            return
        owner = self.cache_owner.get(key)
        if owner is not None and owner != source:
            self._copy_from_cache(item, key, owner)
            return
        if item.modality not in self.coll.embedder.modalities:
            self.fail(source, "embed",
                      f"the {self.settings.backend!r} backend cannot embed {item.modality}")
            return
        note = ""
        try:
            if item.modality == "text":
                decoded = item.text()
                if decoded.replaced:
                    note = "non-UTF-8 text decoded with replacement characters"
            segments = segment_item(item, self.coll.segmentation)
        except MediaError as exc:
            self.fail(source, "segment", exc.reason)
            return
        if not segments:
            self.fail(source, "segment", "nothing to embed (no text)")
            return
        self.pending.append(_Pending(item, key, segments, note))
        self.pending_segments += len(segments)
        if self.pending_segments >= self.batch_segments:
            self._embed_pending()

    def _copy_from_cache(self, item: MediaItem, key: str, owner: str) -> None:
        """Store cached rows of ``owner`` (same content) under ``item.source``: no embedder call."""
        mine = [i for i, r in enumerate(self.rows) if r["source"] == owner]
        if mine:  # not committed yet
            rows = [dict(self.rows[i]) for i in mine]
            vecs = [self.vectors[i] for i in mine]
        else:
            table = self.store.segments()
            hit = pc.equal(table.column("source"), owner)
            rows = table.filter(hit).drop_columns(["vector"]).to_pylist()
            vecs = list(self.store.vectors()[np.flatnonzero(hit.to_numpy(zero_copy_only=False))])
        for row, vec in zip(rows, vecs, strict=True):
            row.update(source=item.source, metadata=self.meta_json, content_sha256=item.sha256,
                       key=row_key(item.source, row["embedding_type"], row["segment_index"]))
            self.rows.append(row)
            self.vectors.append(vec)
        self._add_item(item, key, len(rows), note="")
        self.report.cached += 1

    def _add_item(self, item: MediaItem, key: str, n: int, note: str) -> None:
        self.items.append({
            "source": item.source, "path": item.path, "content_sha256": item.sha256,
            "cache_key": key, "modality": item.modality, "format": item.format,
            "size": item.size, "mtime": item.mtime, "n_segments": n,
            "note": note or None, "added_at": _now(),
        })
        self.remove.add(item.source)
        self.stored_key[item.source] = key
        self.cache_owner.setdefault(key, item.source)

    def _embed_pending(self) -> None:
        if not self.pending:
            return
        batch = [(p.item, p.segments) for p in self.pending]
        results = self.coll.embedder.embed(batch, purpose=self.settings.purpose)
        self.report.embedder_calls += 1
        s = self.settings
        for p, result in zip(self.pending, results, strict=True):
            by_index = {seg.index: seg for seg in p.segments}
            n = 0
            for r in result:
                if isinstance(r, EmbedFailure):
                    self.fail(p.item.source, "embed", r.reason, r.segment_index)
                    continue
                seg = r.segment if r.segment is not None else by_index[r.segment_index]
                note = p.note
                if r.truncated_chars:
                    cut = f"truncated: the model did not see the last {r.truncated_chars} chars"
                    note = f"{note}; {cut}" if note else cut
                self.rows.append({
                    "key": row_key(p.item.source, r.embedding_type, seg.index),
                    "source": p.item.source, "content_sha256": p.item.sha256,
                    "cache_key": p.key, "modality": p.item.modality,
                    "embedding_type": r.embedding_type, "segment_index": seg.index,
                    "start_s": seg.start_s, "end_s": seg.end_s, "page": seg.page,
                    "char_start": seg.char_start, "char_end": seg.char_end,
                    "snippet": r.snippet or seg.text or "", "truncated_chars": r.truncated_chars,
                    "note": note or None, "metadata": self.meta_json, "model_id": s.model_id,
                    "purpose": s.purpose, "dimension": s.dimension,
                })
                self.vectors.append(np.asarray(r.vector, dtype=np.float32))
                n += 1
            if n == 0:  # every segment failed: keep what was stored before, retry next run
                for twin, _ in self.waiting.pop(p.key, []):
                    self.fail(twin.source, "embed",
                              f"same content as {p.item.source}, which could not be embedded")
                continue
            self._add_item(p.item, p.key, n, p.note)
            self.report.embedded += 1
            for twin, key in self.waiting.pop(p.key, []):
                self._copy_from_cache(twin, key, p.item.source)
        self.pending.clear()
        self.pending_segments = 0
        self.flush()

    def flush(self, *, final: bool = False) -> None:
        if final:
            self._embed_pending()
        elif len(self.rows) < self.commit_rows:
            return
        if not (self.items or self.fails or self.remove or self.clear_failures):
            return
        dim = self.settings.dimension
        segments = None
        if self.rows:
            vecs = np.stack(self.vectors) if self.vectors else np.zeros((0, dim), np.float32)
            cols = {name: [r[name] for r in self.rows] for name in self.rows[0]}
            segments = pa.table({**cols, "vector": vectors_to_arrow(vecs)})
            self.report.segments += len(self.rows)
        items = pa.Table.from_pylist(self.items) if self.items else None
        fails = pa.Table.from_pylist(self.fails) if self.fails else None
        self.store.commit(items=items, segments=segments, failures=fails,
                          remove_sources=self.remove, clear_failures=self.clear_failures)
        self.failed_sources -= self.remove
        self.failed_sources |= {f["source"] for f in self.fails}
        self.items, self.rows, self.vectors, self.fails = [], [], [], []
        self.remove, self.clear_failures = set(), set()
