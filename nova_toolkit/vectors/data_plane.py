"""Vector data: PutVectors, GetVectors, ListVectors, DeleteVectors, and bulk ``import_vectors``.

Writes go to the index's Parquet parts (:mod:`.index`); the FAISS index and the full-text
index are derived from them and follow every put, overwrite and delete.
"""

from __future__ import annotations

import bisect
import secrets
from typing import Any

import numpy as np
from botocore.exceptions import ParamValidationError

from . import paging as pg
from . import validation as v
from .errors import ApiError, Invalid, response_metadata
from .resources import ClientBase, IndexHandle


class VectorOps(ClientBase):
    """PutVectors, GetVectors, ListVectors, DeleteVectors, import_vectors (mixin)."""

    # ================================================================= vectors
    def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectors(index, vectors=[{key, data: {float32: [...]}, metadata?}]); 1–500 vectors.

        A key that already exists is overwritten (data and metadata).
        """
        return self._call("PutVectors", kwargs, self._put_vectors)

    def _put_vectors(self, p: dict[str, Any]) -> dict[str, Any]:
        vectors = p["vectors"]
        v.check_count(vectors, 1, v.MAX_PUT_VECTORS, "vectors")
        if v.estimate_put_request_bytes(vectors) > v.MAX_REQUEST_BYTES:
            raise Invalid("vectors", f"Request exceeds {v.MAX_REQUEST_BYTES} bytes")
        idx = self._index(p)
        keys = [v.check_key(item["key"], f"vectors[{i}].key") for i, item in enumerate(vectors)]
        v.check_unique_keys(keys, "vectors")
        rows = []
        for i, item in enumerate(vectors):
            data = item["data"]
            floats = data.get("float32")
            if floats is None:
                raise Invalid(
                    f"vectors[{i}].data", "Vector data must be given as {'float32': [...]}"
                )
            if len(floats) != idx.dimension:
                raise Invalid(
                    f"vectors[{i}].data.float32",
                    f"Vector dimension {len(floats)} does not match index dimension "
                    f"{idx.dimension}",
                )
            rows.append(floats)
        with np.errstate(over="ignore"):
            block = np.asarray(rows, dtype=np.float32)
        block = v.check_vectors(block, idx.dimension, idx.metric, "vectors[{}].data.float32")
        metas = [
            v.check_metadata(item["metadata"], idx.non_filterable, f"vectors[{i}].metadata")
            if item.get("metadata") is not None
            else None
            for i, item in enumerate(vectors)
        ]
        idx.store.put(keys, block, metas, dicts=[item.get("metadata") for item in vectors])
        return {}

    def import_vectors(
        self,
        *,
        keys: list[str],
        data: np.ndarray,
        metadata: list[dict[str, Any] | None] | None = None,
        **index: Any,
    ) -> dict[str, Any]:
        """Bulk put (non-AWS extension): ``keys`` + ``(n, dim)`` float32 ``data`` in one write.

        Validates like ``put_vectors`` (keys, dimension, NaN/Inf, zero vectors on cosine,
        metadata limits) but without the 500-vector cap, and writes one Parquet file instead
        of one per 500. Name the index as for any call (``vectorBucketName``/``indexName``
        or ``indexArn``). AWS has no such call: use ``put_vectors`` in batches there.
        """
        unknown = set(index) - {"vectorBucketName", "vectorBucketArn", "indexName", "indexArn"}
        if unknown:
            raise ParamValidationError(report=f"Unknown parameter(s) in input: {sorted(unknown)}")

        def run(p: dict[str, Any]) -> dict[str, Any]:
            idx = self._index(p)
            arr = np.asarray(data)
            if arr.ndim != 2 or len(arr) != len(keys):
                raise Invalid("data", f"data must be (len(keys)={len(keys)}, dim), got {arr.shape}")
            if metadata is not None and len(metadata) != len(keys):
                raise Invalid("metadata", "metadata must have one entry per key")
            for i, k in enumerate(keys):
                v.check_key(k, f"keys[{i}]")
            v.check_unique_keys(keys, "keys")
            block = v.check_vectors(arr, idx.dimension, idx.metric, "data[{}]")
            metas = (
                [None] * len(keys)
                if metadata is None
                else [
                    v.check_metadata(m, idx.non_filterable, f"metadata[{i}]") if m else None
                    for i, m in enumerate(metadata)
                ]
            )
            idx.store.put(list(keys), block, metas, dicts=metadata)
            return {}

        with self._lock:
            try:
                out = run(index)
            except ApiError as exc:
                raise exc.to_client_error("ImportVectors") from None
        out["ResponseMetadata"] = response_metadata(200)
        return out

    def count_vectors(self, **index: Any) -> int:
        """Live vectors in an index (non-AWS extension: S3 Vectors reports no count).

        Name the index as for any call. Used to check a derived index against its source
        without listing every key.
        """
        with self._lock:
            try:
                return self._index(index).store.count
            except ApiError as exc:
                raise exc.to_client_error("CountVectors") from None

    def get_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectors(index, keys (1–100), returnData?, returnMetadata?) → vectors (found ones)."""
        return self._call("GetVectors", kwargs, self._get_vectors)

    def _vector_item(self, idx: IndexHandle, row: int, data: bool, meta: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"key": idx.store.keys[row]}
        if data:
            item["data"] = {"float32": idx.store.data(row)}
        if meta and idx.store.metas[row]:
            item["metadata"] = idx.store.metadata(row)
        return item

    def _get_vectors(self, p: dict[str, Any]) -> dict[str, Any]:
        keys = p["keys"]
        v.check_count(keys, 1, v.MAX_GET_VECTORS, "keys")
        for i, k in enumerate(keys):
            v.check_key(k, f"keys[{i}]")
        idx = self._index(p)
        data, meta = bool(p.get("returnData")), bool(p.get("returnMetadata"))
        return {
            "vectors": [
                self._vector_item(idx, row, data, meta)
                for row in idx.store.rows_of(keys)
                if row is not None
            ]
        }

    def list_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectors(index, maxResults 1–1000 (500), nextToken?, returnData?, returnMetadata?,
        segmentCount 1–16 + segmentIndex) → vectors, nextToken?.

        Keys are listed in sorted order; segment ``i`` of ``n`` holds the keys whose CRC-32
        is ``i`` mod ``n``, so the segments partition the index deterministically.
        """
        return self._call("ListVectors", kwargs, self._list_vectors)

    def _list_vectors(self, p: dict[str, Any]) -> dict[str, Any]:
        max_results = v.check_range(
            p.get("maxResults", v.DEFAULT_LIST_VECTORS), 1, v.MAX_LIST_VECTORS, "maxResults"
        )
        count, seg = p.get("segmentCount"), p.get("segmentIndex")
        if (count is None) != (seg is None):
            raise Invalid("segmentCount", "segmentCount and segmentIndex must be given together")
        if count is not None:
            v.check_range(count, 1, v.MAX_SEGMENTS, "segmentCount")
            v.check_range(seg, 0, count - 1, "segmentIndex")
        idx = self._index(p)
        keys = idx.store.sorted_keys(count, seg or 0)
        start = 0
        if p.get("nextToken") is not None:
            token = p["nextToken"]
            state = self._tokens.get(token) if token.startswith("t.") else pg.decode(token)
            if state is None or state.get("seg") != [count, seg]:
                raise Invalid("nextToken", "nextToken does not belong to this listing")
            start = bisect.bisect_right(keys, state["after"])
        page = keys[start : start + max_results]
        data, meta = bool(p.get("returnData")), bool(p.get("returnMetadata"))
        rows = idx.store.rows_of(page)
        out: dict[str, Any] = {
            "vectors": [self._vector_item(idx, r, data, meta) for r in rows if r is not None]
        }
        if start + max_results < len(keys):
            state = {"after": page[-1], "seg": [count, seg]}
            token = pg.encode(state)
            if len(token) > 2048:
                token = "t." + secrets.token_hex(16)
                self._tokens[token] = state
            out["nextToken"] = token
        return out

    def delete_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectors(index, keys (1–500)); keys that do not exist are ignored."""
        return self._call("DeleteVectors", kwargs, self._delete_vectors)

    def _delete_vectors(self, p: dict[str, Any]) -> dict[str, Any]:
        keys = p["keys"]
        v.check_count(keys, 1, v.MAX_DELETE_VECTORS, "keys")
        for i, k in enumerate(keys):
            v.check_key(k, f"keys[{i}]")
        self._index(p).store.delete(keys)
        return {}
