"""A collection on disk: Parquet parts for items, segment rows (with vectors) and failures.

Layout of a collection directory::

    manifest.json            format version, settings, the list of live parts, a version counter
    items/part-*.parquet     one row per source file
    segments/part-*.parquet  one row per vector (key, source, offsets, snippet, vector...)
    failures/part-*.parquet  one row per thing that went wrong, with the reason
    thumbnails/part-*.parquet  small JPEGs of picture rows (images, video frames, PDF pages)
    .lock                    held by the one writer

Parts are immutable. A commit writes its new parts (temp file, fsync, rename),
then swaps the manifest the same way: a crash at any point leaves the previous
manifest, which names only complete parts. Rows are removed by rewriting the
parts that hold them, found through a per-table source index (commit cost stays
flat as the collection grows). The collection's settings travel in each part's
Arrow schema metadata as well as in the manifest (like LanceDB's embedding config).

Modules: :mod:`.settings` (what a collection is built with, the cache key),
:mod:`.errors`, :mod:`.schemas` (tables, vector column), :mod:`.manifest`,
:mod:`.parts` (part files and the source index), :mod:`.thumbnails` (reading them, keeping
them across rewrites), :mod:`.store` (:class:`Store`).
The atomic-write helpers live in :mod:`nova_toolkit._core.atomic` and are re-exported
here. This package never imports FAISS: the index is derived from the store elsewhere.
"""

from nova_toolkit._core.atomic import atomic_write, atomic_write_bytes, atomic_write_table

from .errors import (
    CollectionLockedError,
    CollectionNotFoundError,
    CommitError,
    PartError,
    SettingsMismatchError,
    StoreError,
)
from .manifest import FORMAT_VERSION, LOCK, MANIFEST
from .parts import CommitStats, SourceIndex
from .schemas import (
    SCHEMA_KEY,
    TABLES,
    arrow_to_vectors,
    failures_schema,
    items_schema,
    segments_schema,
    thumbnails_schema,
    vectors_to_arrow,
)
from .settings import FIXED_SETTINGS, CollectionSettings, cache_key
from .store import Store

__all__ = [
    "FIXED_SETTINGS",
    "FORMAT_VERSION",
    "LOCK",
    "MANIFEST",
    "SCHEMA_KEY",
    "TABLES",
    "CollectionLockedError",
    "CollectionNotFoundError",
    "CollectionSettings",
    "CommitError",
    "CommitStats",
    "PartError",
    "SettingsMismatchError",
    "SourceIndex",
    "Store",
    "StoreError",
    "arrow_to_vectors",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_table",
    "cache_key",
    "failures_schema",
    "items_schema",
    "segments_schema",
    "thumbnails_schema",
    "vectors_to_arrow",
]
