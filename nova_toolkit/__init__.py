"""nova_toolkit — multimodal embeddings around Amazon Nova, Parquet collections and S3 Vectors.

Public API (imported lazily, so ``import nova_toolkit`` is fast and loads no model)::

    from nova_toolkit import Collection
    coll = Collection.open("my-collection", backend="local")
    coll.add("data/sample/")
    coll.search("a dog on a beach", top_k=5)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Collection": "nova_toolkit.collection",
    "AddReport": "nova_toolkit.collection",
    "SearchResults": "nova_toolkit.collection",
    "MediaItem": "nova_toolkit.media",
    "MediaError": "nova_toolkit.media",
    "Segment": "nova_toolkit.segment",
    "SegmentationConfig": "nova_toolkit.segment",
    "get_embedder": "nova_toolkit.embedders",
    "register_embedder": "nova_toolkit.embedders",
    "local_client": "nova_toolkit.vectors",
    # the sample library and the notebooks' folders, found from any working directory
    "sample_library": "nova_toolkit.datasets",
    "SampleDataNotFoundError": "nova_toolkit.datasets",
    # the package's own errors (every one a NovaToolkitError; see nova_toolkit._core.errors)
    "NovaToolkitError": "nova_toolkit._core.errors",
    "InvalidArgumentError": "nova_toolkit._core.errors",
    "ConfigurationError": "nova_toolkit._core.errors",
    "StoreError": "nova_toolkit.store",
    "CollectionNotFoundError": "nova_toolkit.store",
    "CollectionLockedError": "nova_toolkit.store",
    "SettingsMismatchError": "nova_toolkit.store",
    "TopKCapWarning": "nova_toolkit.search_modes",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nova_toolkit' has no attribute {name!r}")
