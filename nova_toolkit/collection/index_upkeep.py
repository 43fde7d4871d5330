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
import tempfile
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from nova_toolkit._core.view import COLLECTION_INDEX_BUCKET, COLLECTION_INDEX_NAME
from nova_toolkit.pipeline.rows import NON_FILTERABLE, index_metadata
from nova_toolkit.store import CollectionLockedError, arrow_to_vectors, atomic_write_bytes
from nova_toolkit.vectors.index_files import CorruptIndexWarning

INDEX_DIR = "index"
INDEX_BUCKET = COLLECTION_INDEX_BUCKET  # defined once, in _core (push derives it there too)
INDEX_NAME = COLLECTION_INDEX_NAME
#: Stored rows compared with the index when it loads (keys, vectors and metadata).
CHECKED_ROWS = 32


class IndexUpkeep:
    """Mixin of :class:`Collection`: :meth:`index_client` (needs ``store``, ``path``, ``settings``)."""

    _index: tuple[dict, Any, Path | None] | None = None  # (stamp, client, private folder)

    def index_client(self) -> Any:
        """The local S3 Vectors client holding this collection's index, rebuilt if stale.

        The index lives in ``<collection>/index`` as bucket ``collection``, index
        ``segments``; it is derived from the store, rebuilt when the store's version moves
        on, and checked against the store when it is loaded (:func:`index_mismatch`): one
        that does not match is rebuilt, with a :class:`CorruptIndexWarning`.

        Readers never wait for a writer: while another process holds the collection's lock
        (an ``embed`` running), a stale index is rebuilt from the last committed version
        into a private temporary folder for this process, and the shared one is left to the
        writer.
        """
        from nova_toolkit.vectors import local_client, sync_text_search

        self.store.refresh()  # another process may have committed since we opened
        root = self.path / INDEX_DIR
        stamp = root / "store-version.json"
        want = self._index_stamp()
        if self._index is not None and self._index[0] == want and (
                self._index[2] is not None or stamp.is_file()):
            return self._index[1]
        if stamp.is_file() and _read_stamp(stamp) == want:
            client = local_client(root)
            problem = index_mismatch(client, self.store.segments(), self.settings.dimension)
            if problem is None:
                sync_text_search.ensure_text_search(  # an index from before full-text search
                    client, bucket=INDEX_BUCKET, index=INDEX_NAME)
                self._index = (want, client, None)
                return client
            client.close()
            warnings.warn(f"{root}: the index does not match the collection's rows ({problem});"
                          " rebuilding it from the store", CorruptIndexWarning, stacklevel=2)
        try:
            with self.store.writer():
                want = self._index_stamp()  # the writer lock re-read the store
                client = self._build_index(root)
                atomic_write_bytes(stamp, json.dumps(want).encode())
                private = None
        except CollectionLockedError:  # a writer is at work: build from what is committed
            self.store.refresh()
            want = self._index_stamp()
            private = Path(tempfile.mkdtemp(prefix="nova-toolkit-index-"))
            weakref.finalize(self, shutil.rmtree, private, True)
            client = self._build_index(private)
        self._index = (want, client, private)
        return client

    def _index_stamp(self) -> dict:
        return {"version": self.store.version, "dimension": self.settings.dimension}

    def _build_index(self, root: Path) -> Any:
        """A fresh index of every stored row in ``root`` (emptied first)."""
        from nova_toolkit.vectors import local_client, sync_text_search

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
        client = (cached[1] if cached is not None and cached[0] == old and cached[2] is None
                  else local_client(root))
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
        self._index = (new, client, None)
        return True


def _read_stamp(stamp: Path) -> dict | None:
    try:
        value = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None  # a damaged stamp: the index is rebuilt
    return value if isinstance(value, dict) else None


def index_mismatch(client: Any, table: pa.Table, dimension: int) -> str | None:
    """Why the index in ``client`` does not hold ``table``'s rows, or None when it does.

    The index is derived data, so its own checksum is not enough (a tampered file with a
    recomputed one loads fine): its vector count must equal the rows', and a sample of
    :data:`CHECKED_ROWS` rows (spread over the table, the same for a given table) must be
    there with the same vector and metadata.
    """
    where = {"vectorBucketName": INDEX_BUCKET, "indexName": INDEX_NAME}
    try:
        count = client.count_vectors(**where)
        if count != table.num_rows:
            return f"{count} vectors for {table.num_rows} rows"
        if not table.num_rows:
            return None
        rows = np.unique(np.linspace(0, table.num_rows - 1, CHECKED_ROWS).astype(np.int64))
        sample = table.take(pa.array(rows))
        keys = sample.column("key").to_pylist()
        found = {v["key"]: v for v in client.get_vectors(
            keys=keys, returnData=True, returnMetadata=True, **where)["vectors"]}
    except Exception as exc:  # noqa: BLE001 - an index that cannot even answer is rebuilt
        return f"it cannot be read: {type(exc).__name__}: {exc}"
    want = arrow_to_vectors(sample.column("vector"), dimension)
    for key, vector, meta in zip(keys, want, index_metadata(sample), strict=True):
        hit = found.get(key)
        if hit is None:
            return f"key {key!r} is missing"
        got = np.asarray(hit["data"]["float32"], dtype=np.float32)
        if got.shape != vector.shape or not np.allclose(got, vector, atol=1e-5):
            return f"the vector of {key!r} differs"
        if (hit.get("metadata") or {}) != meta:
            return f"the metadata of {key!r} differs"
    return None
