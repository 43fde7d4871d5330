"""Search over a collection's index: the query vector, the three modes, hits as rows.

:class:`SearchMixin` gives :class:`Collection` ``embed_query`` and ``search``; the modes
themselves are :mod:`nova_toolkit.search_modes`', the hits' shape :mod:`.results`'.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyarrow as pa

from nova_toolkit._core.errors import InvalidArgumentError
from nova_toolkit.collection.index_upkeep import INDEX_BUCKET, INDEX_NAME
from nova_toolkit.collection.results import SearchResults, hit_record
from nova_toolkit.embedders import RETRIEVAL_PURPOSE
from nova_toolkit.media import MediaItem


class SearchMixin:
    """Mixin of :class:`Collection` (needs ``store``, ``embedder``, ``index_client``,
    ``locate``)."""

    _lookup: tuple[int, dict[str, int]] | None = None
    _keys: tuple[int, frozenset[str]] | None = None

    def embed_query(self, *, text: str | None = None, file: str | os.PathLike | None = None,
                    modality: str | None = None) -> np.ndarray:
        """Query vector for a text or a file (query by example), with a retrieval purpose."""
        if (text is None) == (file is None):
            raise InvalidArgumentError("text", "give exactly one of text= or file=")
        purpose = RETRIEVAL_PURPOSE.get(modality, "GENERIC_RETRIEVAL")
        if text is not None:
            if not text.strip():
                raise InvalidArgumentError("text", "the query text is empty")
            return self.embedder.embed_texts([text], purpose=purpose)[0]
        if os.path.isdir(file):
            raise InvalidArgumentError("file", "is a folder; a query by example is one file",
                                       value=os.fspath(file))
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
        from nova_toolkit.search_modes import (
            check_filter,
            check_filter_keys,
            check_modality,
            check_query,
            check_top_k,
            query_index,
        )

        # every argument is checked before a model loads or the index opens
        check_query(mode, text, file, vector)
        top_k = check_top_k(top_k)
        check_modality(modality)
        check_filter(filter)
        if filter is not None and len(self.store.segments()):
            check_filter_keys(filter, self.metadata_keys())
        if vector is None and mode != "text":
            vector = self.embed_query(text=None if file else text, file=file, modality=modality)
        if modality is not None:
            filter = {"$and": [filter, {"modality": modality}]} if filter else {"modality": modality}
        client, bucket, index = remote or (self.index_client(), INDEX_BUCKET, INDEX_NAME)
        found = query_index(client, bucket=bucket, index=index, mode=mode, top_k=top_k,
                            vector=vector, text=text, filter=filter)
        asked = text if text is not None else (os.fspath(file) if file is not None else None)
        return SearchResults(self._hits(found), query=asked, mode=mode)

    def metadata_keys(self) -> frozenset[str]:
        """Every metadata key a filter can name here: the reserved ones and the users'."""
        import json

        import pyarrow.compute as pc

        from nova_toolkit.pipeline.rows import RESERVED_METADATA

        version = self.store.version
        if self._keys is None or self._keys[0] != version:
            keys = set(RESERVED_METADATA)
            for text in pc.unique(self.store.segments().column("metadata")).to_pylist():
                if text:
                    keys.update(json.loads(text))
            self._keys = (version, frozenset(keys))
        return self._keys[1]

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
        return [hit_record(row, v["distance"], v.get("scores"), path=self.locate(row["source"]))
                for row, v in zip(picked, found, strict=True)]
