"""A searchable, Parquet-backed collection of embedded media: :class:`Collection`.

``Collection`` is a thin facade: adding runs the :mod:`nova_toolkit.pipeline` stages
(reader → planner → embedder → rows → writer, driven by its runner), the local index is
kept in :mod:`.index_upkeep`, search in :mod:`.search`, opening rules in :mod:`.opening`,
metadata updates and removal in :mod:`.metadata` (selecting files in :mod:`.selection`).
Every name importable from ``nova_toolkit.collection`` before the split still is.
"""

from __future__ import annotations

from nova_toolkit.collection.facade import Collection
from nova_toolkit.collection.index_upkeep import INDEX_BUCKET, INDEX_DIR, INDEX_NAME
from nova_toolkit.collection.metadata import MetadataChange, Removal
from nova_toolkit.collection.opening import build_embedder
from nova_toolkit.collection.search import SearchResults, hit_record
from nova_toolkit.pipeline.rows import (
    MAX_KEY_CHARS,
    NON_FILTERABLE,
    RESERVED_METADATA,
    SNIPPET_IN_INDEX,
    index_metadata,
    row_key,
)
from nova_toolkit.pipeline.runner import AddReport

__all__ = ["INDEX_BUCKET", "INDEX_DIR", "INDEX_NAME", "MAX_KEY_CHARS", "NON_FILTERABLE",
           "RESERVED_METADATA", "SNIPPET_IN_INDEX", "AddReport", "Collection", "MetadataChange",
           "Removal", "SearchResults",
           "build_embedder", "hit_record", "index_metadata", "row_key"]
