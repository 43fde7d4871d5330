"""The read interface analysis, viz, evaluation and sync use instead of ``Collection``.

Higher rooms (analysis, viz) and the S3 Vectors room (push) need to *read* a collection, not
to know how it is built; they type against :class:`CollectionView`, which
:class:`nova_toolkit.collection.Collection` satisfies (its owner keeps these names stable).
Push works on an :class:`IndexRef` — a local S3 Vectors client, a bucket and an index — which
:func:`index_ref` derives from a view, so ``nova_toolkit.vectors`` never imports the collection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["COLLECTION_INDEX_BUCKET", "COLLECTION_INDEX_NAME", "CollectionView", "IndexRef",
           "SearchView", "StoreView", "index_ref"]

#: Bucket and index name of a collection's derived local S3 Vectors index.
COLLECTION_INDEX_BUCKET = "collection"
COLLECTION_INDEX_NAME = "segments"


@runtime_checkable
class StoreView(Protocol):
    """What readers use of a collection's store: its commit version, a re-read, the sources."""

    @property
    def version(self) -> int: ...

    def refresh(self) -> None: ...

    def items(self) -> Any: ...


@runtime_checkable
class CollectionView(Protocol):
    """A collection as readers see it: rows, vectors, settings, where it lives, its index.

    Rows and vectors are in the same order (:meth:`to_arrow` row ``i`` has vector ``i``).
    """

    @property
    def path(self) -> Path: ...

    @property
    def settings(self) -> Any: ...

    @property
    def store(self) -> StoreView: ...

    def __len__(self) -> int: ...

    def vectors(self) -> np.ndarray: ...

    def to_arrow(self, *, vectors: bool = False) -> Any: ...

    def to_pandas(self, *, vectors: bool = False) -> Any: ...

    def index_client(self) -> Any: ...


@dataclass(frozen=True)
class IndexRef:
    """One S3 Vectors index: a client (local mirror or boto3), a bucket and an index name.

    ``home`` is where state about it (push checkpoints) is kept by default; ``collection``
    marks a collection's derived index (its ``snippet`` is made full-text searchable remotely).
    """

    client: Any
    bucket: str
    index: str
    home: Path | None = None
    collection: bool = False


def index_ref(view: Any) -> IndexRef:
    """The :class:`IndexRef` of a collection's derived index (anything with ``index_client()``
    and ``path``: a :class:`CollectionView`)."""
    return IndexRef(view.index_client(), COLLECTION_INDEX_BUCKET, COLLECTION_INDEX_NAME,
                    Path(view.path), collection=True)


@runtime_checkable
class SearchView(CollectionView, Protocol):
    """A :class:`CollectionView` that also answers queries (what evaluation needs)."""

    def search(self, text: str | None = None, **kwargs: Any) -> Any: ...
