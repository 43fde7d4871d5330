"""The collection's local S3-Vectors-shaped index, derived from the store and kept in step.

It lives in ``<collection>/index`` as bucket ``collection``, index ``segments``, stamped
with the store version it was built from; a stale or missing stamp rebuilds it.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

from nova_toolkit._core.view import COLLECTION_INDEX_BUCKET, COLLECTION_INDEX_NAME
from nova_toolkit.pipeline.rows import NON_FILTERABLE, index_metadata

INDEX_DIR = "index"
INDEX_BUCKET = COLLECTION_INDEX_BUCKET  # defined once, in _core (push derives it there too)
INDEX_NAME = COLLECTION_INDEX_NAME


class IndexUpkeep:
    """Mixin of :class:`Collection`: :meth:`index_client` (needs ``store``, ``path``, ``settings``)."""

    _index: tuple[dict, Any] | None = None

    def index_client(self) -> Any:
        """The local S3 Vectors client holding this collection's index, rebuilt if stale.

        The index lives in ``<collection>/index`` as bucket ``collection``, index
        ``segments``; it is derived from the store and rebuilt when the store's
        version moves on.
        """
        from nova_toolkit.vectors import local_client, sync_text_search

        self.store.refresh()  # another process may have committed since we opened
        root = self.path / INDEX_DIR
        stamp = root / "store-version.json"
        want = {"version": self.store.version, "dimension": self.settings.dimension}
        if self._index is not None and self._index[0] == want and stamp.is_file():
            return self._index[1]
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
                    keys=table.column("key").to_pylist(), data=self.store.vectors(),
                    metadata=index_metadata(table),
                )
            sync_text_search.wait_active(client, bucket=INDEX_BUCKET, index=INDEX_NAME,
                                         keys=["snippet"])
            from nova_toolkit.store import atomic_write_bytes

            atomic_write_bytes(stamp, json.dumps(want).encode())
        self._index = (want, client)
        return client
