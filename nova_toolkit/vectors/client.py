"""``LocalS3VectorsClient``: the ``boto3.client("s3vectors")`` API, in process, on FAISS.

Same method names, keyword arguments, response shapes and exceptions as boto3, so code
switches between this mirror and AWS by swapping the client object. Every request is
first checked against botocore's own service model with ``ParamValidator`` (what boto3
does client-side, raising ``ParamValidationError``), then against the service-side limits
(raising ``client.exceptions.ValidationException`` and friends).

Layout under ``root_dir``::

    buckets/<bucket>/bucket.json
    buckets/<bucket>/indexes/<index>/index.json      + the index's data files (index.py)

One process should own a ``root_dir`` for writing at a time; calls on one client are
serialised by a lock, so a client can be shared between threads.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import json
import re
import secrets
import shutil
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from botocore import xform_name
from botocore.exceptions import ParamValidationError
from botocore.paginate import Paginator
from botocore.validate import ParamValidator

from . import validation as v
from .errors import ApiError, Invalid, client_exceptions, response_metadata, service_model
from .filters import compile_filter
from .index import VectorIndex
from .storage import read_json, write_json

_BUCKET_ARN = re.compile(r"^arn:aws[-a-z0-9]*:s3vectors:([a-z0-9-]+):(\d{12}):bucket/([^/]+)$")
_INDEX_ARN = re.compile(
    r"^arn:aws[-a-z0-9]*:s3vectors:([a-z0-9-]+):(\d{12}):bucket/([^/]+)/index/([^/]+)$"
)
MAX_INDEXES_PER_BUCKET = 10_000
MAX_TAGS = 50


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _encode_token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")


def _decode_token(token: str, path: str = "nextToken") -> dict[str, Any]:
    try:
        out = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise Invalid(path, f"Invalid pagination token {token[:40]!r}") from exc
    if not isinstance(out, dict):
        raise Invalid(path, f"Invalid pagination token {token[:40]!r}")
    return out


class _Index:
    """An index's configuration (index.json) and its lazily loaded storage."""

    def __init__(
        self,
        bucket: str,
        path: Path,
        config: dict[str, Any],
        max_parts: int,
        approx_threshold: int | None = None,
        memory_budget: int | None = None,
    ) -> None:
        self.bucket = bucket
        self.path = path
        self.config = config
        self.dimension = int(config["dimension"])
        self.metric = config["distanceMetric"]
        meta_cfg = config.get("metadataConfiguration") or {}
        self.non_filterable = frozenset(meta_cfg.get("nonFilterableMetadataKeys") or ())
        self.store = VectorIndex(
            path, self.dimension, self.metric, self.non_filterable, max_parts=max_parts,
            approx_threshold=approx_threshold, memory_budget=memory_budget,
        )  # fmt: skip


class LocalS3VectorsClient:
    """A local, persistent mirror of ``boto3.client("s3vectors")``.

    Parameters
    ----------
    root_dir
        Directory holding all buckets (created if missing).
    region, account_id
        Used only to build and check ARNs.
    max_top_k
        Per-call cap on ``topK`` (AWS: 100).
    max_parts
        Pending part files per index before automatic compaction.
    approx_threshold, memory_budget
        Indexes with at least ``approx_threshold`` live vectors (default 100,000) get an
        approximate FAISS index (HNSW or IVF-PQ) chosen to fit ``memory_budget`` bytes
        (default unbounded) at compaction / ``flush()``; smaller ones stay flat (exact).
    """

    def __init__(
        self,
        root_dir: str | Path,
        *,
        region: str = "us-east-1",
        account_id: str = "000000000000",
        max_top_k: int = v.DEFAULT_TOP_K_CAP,
        max_parts: int = 64,
        approx_threshold: int | None = None,
        memory_budget: int | None = None,
    ) -> None:
        self.root = Path(root_dir)
        self.approx_threshold = approx_threshold
        self.memory_budget = memory_budget
        (self.root / "buckets").mkdir(parents=True, exist_ok=True)
        self.region = region
        self.account_id = account_id
        self.max_top_k = max_top_k
        self.max_parts = max_parts
        self.exceptions = client_exceptions()
        self.meta = types.SimpleNamespace(
            service_model=service_model(), region_name=region, endpoint_url=None
        )
        self._validator = ParamValidator()
        self._lock = threading.RLock()
        self._indexes: dict[tuple[str, str], _Index] = {}
        self._tokens: dict[str, dict[str, Any]] = {}

    # ================================================================= plumbing
    def _call(
        self, operation: str, params: dict[str, Any], handler: Callable[[dict[str, Any]], Any]
    ) -> dict[str, Any]:
        shape = service_model().operation_model(operation).input_shape
        report = self._validator.validate(v.for_model_validation(operation, params), shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        with self._lock:
            try:
                out = handler(params) or {}
            except ApiError as exc:
                raise exc.to_client_error(operation) from None
        out["ResponseMetadata"] = response_metadata(200)
        return out

    def _bucket_arn(self, bucket: str) -> str:
        return f"arn:aws:s3vectors:{self.region}:{self.account_id}:bucket/{bucket}"

    def _index_arn(self, bucket: str, index: str) -> str:
        return f"{self._bucket_arn(bucket)}/index/{index}"

    def _bucket_dir(self, bucket: str) -> Path:
        return self.root / "buckets" / bucket

    def _check_arn_home(self, region: str, account: str, arn: str, path: str) -> None:
        if region != self.region or account != self.account_id:
            raise ApiError(
                "NotFoundException",
                f"{path} {arn!r} is not in this mirror's region/account "
                f"({self.region}/{self.account_id})",
            )

    def _bucket_name(self, p: dict[str, Any]) -> str:
        name, arn = p.get("vectorBucketName"), p.get("vectorBucketArn")
        if (name is None) == (arn is None):
            raise Invalid(
                "vectorBucketName", "Exactly one of vectorBucketName or vectorBucketArn is required"
            )
        if arn is not None:
            m = _BUCKET_ARN.match(arn)
            if not m:
                raise Invalid("vectorBucketArn", f"Invalid vector bucket ARN {arn!r}")
            self._check_arn_home(m.group(1), m.group(2), arn, "vectorBucketArn")
            return v.check_bucket_name(m.group(3), "vectorBucketArn")
        return v.check_bucket_name(name)

    def _bucket(self, name: str) -> dict[str, Any]:
        path = self._bucket_dir(name) / "bucket.json"
        if not path.exists():
            raise ApiError("NotFoundException", f"Vector bucket {name!r} not found")
        return read_json(path)

    def _index_names(self, p: dict[str, Any]) -> tuple[str, str]:
        arn = p.get("indexArn")
        if arn is not None:
            if any(
                p.get(k) is not None for k in ("vectorBucketName", "vectorBucketArn", "indexName")
            ):
                raise Invalid(
                    "indexArn", "Give either indexArn or vectorBucketName/Arn + indexName, not both"
                )
            m = _INDEX_ARN.match(arn)
            if not m:
                raise Invalid("indexArn", f"Invalid index ARN {arn!r}")
            self._check_arn_home(m.group(1), m.group(2), arn, "indexArn")
            return (
                v.check_bucket_name(m.group(3), "indexArn"),
                v.check_index_name(m.group(4), "indexArn"),
            )
        bucket = self._bucket_name(p)
        if p.get("indexName") is None:
            raise Invalid("indexName", "indexName (or indexArn) is required")
        return bucket, v.check_index_name(p["indexName"])

    def _index(self, p: dict[str, Any]) -> _Index:
        bucket, name = self._index_names(p)
        idx = self._indexes.get((bucket, name))
        if idx is not None:
            return idx
        self._bucket(bucket)
        path = self._bucket_dir(bucket) / "indexes" / name
        if not (path / "index.json").exists():
            raise ApiError("NotFoundException", f"Index {name!r} not found in bucket {bucket!r}")
        idx = _Index(
            bucket, path, read_json(path / "index.json"), self.max_parts,
            self.approx_threshold, self.memory_budget,
        )  # fmt: skip
        self._indexes[(bucket, name)] = idx
        return idx

    def _page(
        self, names: list[str], p: dict[str, Any], default_max: int, hi: int
    ) -> tuple[list[str], str | None]:
        max_results = v.check_range(p.get("maxResults", default_max), 1, hi, "maxResults")
        prefix = p.get("prefix")
        if prefix is not None:
            names = [n for n in names if n.startswith(prefix)]
        names = sorted(names)
        if p.get("nextToken") is not None:
            after = _decode_token(p["nextToken"]).get("after", "")
            names = [n for n in names if n > after]
        page = names[:max_results]
        token = _encode_token({"after": page[-1]}) if len(names) > max_results else None
        return page, token

    # ================================================================= buckets
    def create_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """CreateVectorBucket(vectorBucketName, encryptionConfiguration?, tags?) → vectorBucketArn."""
        return self._call("CreateVectorBucket", kwargs, self._create_vector_bucket)

    def _create_vector_bucket(self, p: dict[str, Any]) -> dict[str, Any]:
        name = v.check_bucket_name(p["vectorBucketName"])
        if (self._bucket_dir(name) / "bucket.json").exists():
            raise ApiError("ConflictException", f"Vector bucket {name!r} already exists")
        tags = self._check_tags(p.get("tags") or {})
        write_json(
            self._bucket_dir(name) / "bucket.json",
            {
                "vectorBucketName": name,
                "creationTime": _now().isoformat(),
                "encryptionConfiguration": p.get("encryptionConfiguration")
                or {"sseType": "AES256"},
                "tags": tags,
            },
        )
        return {"vectorBucketArn": self._bucket_arn(name)}

    def get_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucket(vectorBucketName | vectorBucketArn) → {"vectorBucket": {...}}."""
        return self._call("GetVectorBucket", kwargs, self._get_vector_bucket)

    def _get_vector_bucket(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        return {
            "vectorBucket": {
                "vectorBucketName": name,
                "vectorBucketArn": self._bucket_arn(name),
                "creationTime": _time(b["creationTime"]),
                "encryptionConfiguration": b["encryptionConfiguration"],
            }
        }

    def list_vector_buckets(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectorBuckets(maxResults?, nextToken?, prefix?) → vectorBuckets, nextToken?."""
        return self._call("ListVectorBuckets", kwargs, self._list_vector_buckets)

    def _list_vector_buckets(self, p: dict[str, Any]) -> dict[str, Any]:
        base = self.root / "buckets"
        names = [d.name for d in base.iterdir() if (d / "bucket.json").exists()]
        page, token = self._page(names, p, v.MAX_LIST_NAMES, v.MAX_LIST_NAMES)
        out: dict[str, Any] = {
            "vectorBuckets": [
                {
                    "vectorBucketName": n,
                    "vectorBucketArn": self._bucket_arn(n),
                    "creationTime": _time(self._bucket(n)["creationTime"]),
                }
                for n in page
            ]
        }
        if token:
            out["nextToken"] = token
        return out

    def delete_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucket(vectorBucketName | vectorBucketArn); ConflictException if not empty."""
        return self._call("DeleteVectorBucket", kwargs, self._delete_vector_bucket)

    def _delete_vector_bucket(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        self._bucket(name)
        if self._index_dirs(name):
            raise ApiError(
                "ConflictException",
                f"Vector bucket {name!r} is not empty: delete its indexes first",
            )
        shutil.rmtree(self._bucket_dir(name))
        return {}

    def _index_dirs(self, bucket: str) -> list[str]:
        base = self._bucket_dir(bucket) / "indexes"
        if not base.is_dir():
            return []
        return [d.name for d in base.iterdir() if (d / "index.json").exists()]

    # ================================================================= bucket policy
    def put_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketPolicy(vectorBucketName | vectorBucketArn, policy) (stored, not enforced)."""
        return self._call("PutVectorBucketPolicy", kwargs, self._put_policy)

    def _put_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        try:
            json.loads(p["policy"])
        except ValueError as exc:
            raise Invalid("policy", f"Policy is not valid JSON: {exc}") from None
        b["policy"] = p["policy"]
        write_json(self._bucket_dir(name) / "bucket.json", b)
        return {}

    def get_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucketPolicy → {"policy": str}; NotFoundException when none is set."""
        return self._call("GetVectorBucketPolicy", kwargs, self._get_policy)

    def _get_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        if "policy" not in b:
            raise ApiError("NotFoundException", f"Vector bucket {name!r} has no policy")
        return {"policy": b["policy"]}

    def delete_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucketPolicy(vectorBucketName | vectorBucketArn)."""
        return self._call("DeleteVectorBucketPolicy", kwargs, self._delete_policy)

    def _delete_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket_name(p)
        b = self._bucket(name)
        if b.pop("policy", None) is not None:
            write_json(self._bucket_dir(name) / "bucket.json", b)
        return {}

    # ================================================================= indexes
    def create_index(self, **kwargs: Any) -> dict[str, Any]:
        """CreateIndex(bucket, indexName, dataType, dimension, distanceMetric,
        metadataConfiguration?) → {"indexArn"}."""
        return self._call("CreateIndex", kwargs, self._create_index)

    def _create_index(self, p: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket_name(p)
        name = v.check_index_name(p["indexName"])
        if p["dataType"] != "float32":
            raise Invalid("dataType", f"Unsupported dataType {p['dataType']!r}; use 'float32'")
        v.check_range(p["dimension"], 1, v.MAX_DIMENSION, "dimension")
        if p["distanceMetric"] not in ("cosine", "euclidean"):
            raise Invalid(
                "distanceMetric",
                f"Unsupported distanceMetric {p['distanceMetric']!r}; use cosine or euclidean",
            )
        meta_cfg = dict(p.get("metadataConfiguration") or {})
        if meta_cfg.get("textSearchConfigurations"):
            raise Invalid(
                "metadataConfiguration.textSearchConfigurations",
                "Text search is not supported by the local mirror",
            )
        keys = meta_cfg.get("nonFilterableMetadataKeys")
        if keys is not None:
            if not 1 <= len(keys) <= v.MAX_NON_FILTERABLE_KEYS:
                raise Invalid(
                    "metadataConfiguration.nonFilterableMetadataKeys",
                    f"Must list 1-{v.MAX_NON_FILTERABLE_KEYS} keys, got {len(keys)}",
                )
            for i, k in enumerate(keys):
                if not 1 <= len(k) <= 63:
                    raise Invalid(
                        f"metadataConfiguration.nonFilterableMetadataKeys[{i}]",
                        f"Key {k!r} must be 1-63 characters",
                    )
        self._bucket(bucket)
        path = self._bucket_dir(bucket) / "indexes" / name
        existing = self._index_dirs(bucket)
        if name in existing:
            raise ApiError("ConflictException", f"Index {name!r} already exists in {bucket!r}")
        if len(existing) >= MAX_INDEXES_PER_BUCKET:
            raise ApiError(
                "ServiceQuotaExceededException",
                f"Bucket {bucket!r} already has {MAX_INDEXES_PER_BUCKET} indexes",
            )
        config = {
            "indexName": name,
            "creationTime": _now().isoformat(),
            "dataType": "float32",
            "dimension": p["dimension"],
            "distanceMetric": p["distanceMetric"],
            "metadataConfiguration": {"nonFilterableMetadataKeys": list(keys)} if keys else {},
            "encryptionConfiguration": p.get("encryptionConfiguration"),
            "tags": self._check_tags(p.get("tags") or {}),
        }
        if path.exists():  # leftovers of a half-deleted index
            shutil.rmtree(path)
        write_json(path / "index.json", config)
        self._indexes.pop((bucket, name), None)
        return {"indexArn": self._index_arn(bucket, name)}

    def get_index(self, **kwargs: Any) -> dict[str, Any]:
        """GetIndex(bucket + indexName | indexArn) → {"index": {...}}."""
        return self._call("GetIndex", kwargs, self._get_index)

    def _get_index(self, p: dict[str, Any]) -> dict[str, Any]:
        idx = self._index(p)
        c = idx.config
        out = {
            "vectorBucketName": idx.bucket,
            "indexName": c["indexName"],
            "indexArn": self._index_arn(idx.bucket, c["indexName"]),
            "creationTime": _time(c["creationTime"]),
            "dataType": c["dataType"],
            "dimension": c["dimension"],
            "distanceMetric": c["distanceMetric"],
        }
        if c.get("metadataConfiguration"):
            out["metadataConfiguration"] = c["metadataConfiguration"]
        if c.get("encryptionConfiguration"):
            out["encryptionConfiguration"] = c["encryptionConfiguration"]
        return {"index": out}

    def list_indexes(self, **kwargs: Any) -> dict[str, Any]:
        """ListIndexes(bucket, maxResults?, nextToken?, prefix?) → indexes, nextToken?."""
        return self._call("ListIndexes", kwargs, self._list_indexes)

    def _list_indexes(self, p: dict[str, Any]) -> dict[str, Any]:
        bucket = self._bucket_name(p)
        self._bucket(bucket)
        page, token = self._page(self._index_dirs(bucket), p, v.MAX_LIST_NAMES, v.MAX_LIST_NAMES)
        items = []
        for n in page:
            cfg = read_json(self._bucket_dir(bucket) / "indexes" / n / "index.json")
            items.append(
                {
                    "vectorBucketName": bucket,
                    "indexName": n,
                    "indexArn": self._index_arn(bucket, n),
                    "creationTime": _time(cfg["creationTime"]),
                }
            )
        out: dict[str, Any] = {"indexes": items}
        if token:
            out["nextToken"] = token
        return out

    def delete_index(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteIndex(bucket + indexName | indexArn): removes the index and its vectors."""
        return self._call("DeleteIndex", kwargs, self._delete_index)

    def _delete_index(self, p: dict[str, Any]) -> dict[str, Any]:
        idx = self._index(p)
        self._indexes.pop((idx.bucket, idx.config["indexName"]), None)
        (idx.path / "index.json").unlink()
        shutil.rmtree(idx.path, ignore_errors=True)
        return {}

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

    def get_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectors(index, keys (1–100), returnData?, returnMetadata?) → vectors (found ones)."""
        return self._call("GetVectors", kwargs, self._get_vectors)

    def _vector_item(self, idx: _Index, row: int, data: bool, meta: bool) -> dict[str, Any]:
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
            state = self._tokens.get(token) if token.startswith("t.") else _decode_token(token)
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
            token = _encode_token(state)
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

    def query_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """QueryVectors(index, topK, queryVector={"float32": [...]}, filter?, returnMetadata?,
        returnDistance?) → {"vectors": [{key, distance?, metadata?}], "distanceMetric"}.

        Exact (flat) search: returns ``min(topK, matching vectors)`` results, nearest first.
        Distances: cosine ``1 - cos_sim``; euclidean plain (not squared) L2.
        """
        return self._call("QueryVectors", kwargs, self._query_vectors)

    def _query_vectors(self, p: dict[str, Any]) -> dict[str, Any]:
        top_k = v.check_range(p["topK"], 1, self.max_top_k, "topK")
        for unsupported in ("queryTexts", "nextToken"):
            if p.get(unsupported) is not None:
                raise Invalid(unsupported, f"{unsupported} is not supported by the local mirror")
        if p.get("queryVector") is None:
            raise Invalid("queryVector", "queryVector is required")
        idx = self._index(p)
        q = v.vector_from_request(p["queryVector"], idx.dimension, idx.metric, "queryVector")
        flt = p.get("filter")
        mask_fn = compile_filter(flt, idx.non_filterable) if flt is not None else None
        rows, dists = idx.store.query(q, top_k, mask_fn)
        with_meta, with_dist = bool(p.get("returnMetadata")), bool(p.get("returnDistance"))
        store = idx.store
        out = []
        for row, dist in zip(rows.tolist(), dists.tolist(), strict=True):
            item: dict[str, Any] = {"key": store.keys[row]}
            if with_dist:
                item["distance"] = dist
            if with_meta and store.metas[row]:
                item["metadata"] = store.metadata(row)
            out.append(item)
        return {"vectors": out, "distanceMetric": idx.metric}

    # ================================================================= tags
    def _check_tags(self, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_TAGS:
            raise Invalid("tags", f"At most {MAX_TAGS} tags are allowed, got {len(tags)}")
        for k, val in tags.items():
            if not 1 <= len(k) <= 128 or len(val) > 256:
                raise Invalid(f"tags.{k}", "Tag keys are 1-128 and values 0-256 characters")
        return dict(tags)

    def _resource(self, arn: str) -> tuple[Path, dict[str, Any]]:
        m = _INDEX_ARN.match(arn)
        if m:
            self._check_arn_home(m.group(1), m.group(2), arn, "resourceArn")
            idx = self._index({"indexArn": arn})
            return idx.path / "index.json", idx.config
        m = _BUCKET_ARN.match(arn)
        if m:
            self._check_arn_home(m.group(1), m.group(2), arn, "resourceArn")
            name = m.group(3)
            return self._bucket_dir(name) / "bucket.json", self._bucket(name)
        raise Invalid("resourceArn", f"Invalid resource ARN {arn!r}")

    def tag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """TagResource(resourceArn, tags) on a bucket or index ARN."""
        return self._call("TagResource", kwargs, self._tag_resource)

    def _tag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        path, doc = self._resource(p["resourceArn"])
        doc["tags"] = self._check_tags({**(doc.get("tags") or {}), **p["tags"]})
        write_json(path, doc)
        return {}

    def untag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """UntagResource(resourceArn, tagKeys)."""
        return self._call("UntagResource", kwargs, self._untag_resource)

    def _untag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        path, doc = self._resource(p["resourceArn"])
        tags = doc.get("tags") or {}
        doc["tags"] = {k: val for k, val in tags.items() if k not in set(p["tagKeys"])}
        write_json(path, doc)
        return {}

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        """ListTagsForResource(resourceArn) → {"tags": {...}}."""
        return self._call("ListTagsForResource", kwargs, self._list_tags)

    def _list_tags(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._resource(p["resourceArn"])[1].get("tags") or {})}

    # ================================================================= boto3 extras
    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator(operation_name)`` works (as on a boto3 client)."""
        return self._paginator_name(operation_name) is not None

    def _paginator_name(self, operation_name: str) -> str | None:
        import botocore.session

        model = botocore.session.get_session().get_paginator_model("s3vectors")
        for op in service_model().operation_names:
            if xform_name(op) == operation_name:
                try:
                    model.get_paginator(op)
                except ValueError:
                    return None
                return op
        return None

    def get_paginator(self, operation_name: str) -> Paginator:
        """A botocore ``Paginator`` for list_vector_buckets, list_indexes, list_vectors
        (and query_vectors): ``.paginate(**params)`` yields response pages."""
        import botocore.session

        op = self._paginator_name(operation_name)
        if op is None:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        config = botocore.session.get_session().get_paginator_model("s3vectors").get_paginator(op)
        return Paginator(getattr(self, operation_name), config, service_model().operation_model(op))

    def flush(self) -> None:
        """Compact every loaded index (parts folded into a base, FAISS file written)."""
        with self._lock:
            for idx in self._indexes.values():
                if idx.path.exists():
                    idx.store.flush()

    def close(self) -> None:
        """Flush and drop in-memory state; the client can still be used (reloads lazily)."""
        with self._lock:
            self.flush()
            self._indexes.clear()

    def __enter__(self) -> LocalS3VectorsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_client(
    root_dir: str | Path,
    *,
    region: str = "us-east-1",
    account_id: str = "000000000000",
    max_top_k: int = v.DEFAULT_TOP_K_CAP,
    max_parts: int = 64,
    approx_threshold: int | None = None,
    memory_budget: int | None = None,
) -> LocalS3VectorsClient:
    """A local S3 Vectors client persisted under ``root_dir`` (drop-in for boto3's)."""
    return LocalS3VectorsClient(
        root_dir, region=region, account_id=account_id, max_top_k=max_top_k,
        max_parts=max_parts, approx_threshold=approx_threshold, memory_budget=memory_budget,
    )  # fmt: skip
