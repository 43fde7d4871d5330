"""The collection's local S3-Vectors-shaped index, derived from the store and kept in step.

It lives in ``<collection>/index`` as bucket ``collection``, index ``segments``, stamped
with the store version it was built from; a stale or missing stamp rebuilds it. A metadata
update or a removal (:mod:`.metadata`) does not rebuild it: :meth:`IndexUpkeep._index_follows`
puts the rewritten rows and deletes the removed keys (S3 Vectors' PutVectors / DeleteVectors
on the mirror), then moves the stamp on.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import warnings
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from nova_toolkit._core.view import COLLECTION_INDEX_BUCKET, COLLECTION_INDEX_NAME
from nova_toolkit.pipeline.rows import NON_FILTERABLE, index_metadata
from nova_toolkit.store import arrow_to_vectors, atomic_write_bytes

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
            atomic_write_bytes(stamp, json.dumps(want).encode())
        self._index = (want, client)
        return client

    def _index_follows(self, before: int, *, put: pa.Table | None = None,
                       delete: Sequence[str] = ()) -> bool:
        """Apply a commit made under the writer lock (store version ``before`` → now) to the
        index: PutVectors the rows of ``put`` (same keys: overwritten), DeleteVectors
        ``delete``; then stamp the index with the new version. No rebuild.

        Only an index that was current at ``before`` is touched (else the next search
        rebuilds it anyway); returns whether it followed. The store is the truth: if the
        index cannot follow, its stamp is dropped (next search rebuilds) and a warning says so.
        """
        from nova_toolkit.vectors import local_client
        from nova_toolkit.vectors.validation import MAX_DELETE_VECTORS  # keys per call

        root = self.path / INDEX_DIR
        stamp = root / "store-version.json"
        old = {"version": before, "dimension": self.settings.dimension}
        new = {"version": self.store.version, "dimension": self.settings.dimension}
        if not stamp.is_file() or json.loads(stamp.read_text()) != old:
            return False
        cached = self._index
        client = cached[1] if cached is not None and cached[0] == old else local_client(root)
        where = {"vectorBucketName": INDEX_BUCKET, "indexName": INDEX_NAME}
        try:
            keys = list(delete)
            for i in range(0, len(keys), MAX_DELETE_VECTORS):
                client.delete_vectors(keys=keys[i:i + MAX_DELETE_VECTORS], **where)
            if put is not None and put.num_rows:
                client.import_vectors(
                    keys=put.column("key").to_pylist(),
                    data=arrow_to_vectors(put.column("vector"), self.settings.dimension),
                    metadata=index_metadata(put), **where)
            atomic_write_bytes(stamp, json.dumps(new).encode())
        except Exception as exc:  # noqa: BLE001 - derived state: rebuilt on the next search
            with contextlib.suppress(OSError):
                stamp.unlink()
            self._index = None
            warnings.warn(f"{root}: the index could not follow the change ({exc}); "
                          "the next search rebuilds it", RuntimeWarning, stacklevel=3)
            return False
        self._index = (new, client)
        return True
