"""Plumbing of the local S3 Vectors client: request checking, ARNs, buckets and indexes on disk.

Layout under ``root_dir``::

    buckets/<bucket>/bucket.json
    buckets/<bucket>/indexes/<index>/index.json      + the index's data files (index.py)
    buckets/<bucket>/indexes/<index>/text/           the derived full-text index (fulltext.py)

:class:`ClientBase` holds what every operation group (buckets, indexes, vectors, query)
shares; the groups are mixins on top of it and :class:`~.client.LocalS3VectorsClient`
combines them.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

from . import modes
from . import paging as pg
from . import validation as v
from .errors import ApiError, Invalid, client_exceptions, response_metadata, service_model
from .fulltext import TextIndex
from .index import VectorIndex
from .storage import read_json, write_json

_BUCKET_ARN = re.compile(r"arn:aws[-a-z0-9]*:s3vectors:([a-z0-9-]+):(\d{12}):bucket/([^/]+)")
_INDEX_ARN = re.compile(
    r"arn:aws[-a-z0-9]*:s3vectors:([a-z0-9-]+):(\d{12}):bucket/([^/]+)/index/([^/]+)"
)
MAX_INDEXES_PER_BUCKET = 10_000
MAX_TAGS = 50


def parse_time(text: str) -> dt.datetime:
    """A timestamp as written in bucket.json / index.json."""
    return dt.datetime.fromisoformat(text)


class IndexHandle:
    """An index's configuration (index.json), its mode, and its lazily loaded storage."""

    def __init__(
        self,
        bucket: str,
        path: Path,
        config: dict[str, Any],
        bucket_doc: dict[str, Any],
        max_parts: int,
        approx_threshold: int | None = None,
        memory_budget: int | None = None,
    ) -> None:
        self.bucket = bucket
        self.path = path
        self.config = config
        self.dimension = int(config["dimension"])
        self.metric = config["distanceMetric"]
        self.mode = modes.index_mode(config, bucket_doc)
        meta_cfg = config.get("metadataConfiguration") or {}
        self.non_filterable = frozenset(meta_cfg.get("nonFilterableMetadataKeys") or ())
        self.store = VectorIndex(
            path, self.dimension, self.metric, self.non_filterable, max_parts=max_parts,
            approx_threshold=approx_threshold, memory_budget=memory_budget,
        )  # fmt: skip
        self.text = TextIndex(path / "text", meta_cfg.get("textSearchConfigurations") or [])

    @property
    def name(self) -> str:
        return self.config["indexName"]


class ClientBase:
    """State and helpers shared by the operation groups of the local client."""

    def __init__(
        self,
        root_dir: str | Path,
        *,
        region: str = "us-east-1",
        account_id: str = "000000000000",
        max_top_k: int | None = None,
        max_parts: int = 64,
        approx_threshold: int | None = None,
        memory_budget: int | None = None,
        query_page_size: int = pg.QUERY_PAGE_SIZE,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.root = Path(root_dir)
        (self.root / "buckets").mkdir(parents=True, exist_ok=True)
        self.region = region
        self.account_id = account_id
        self.max_top_k = max_top_k
        self.max_parts = max_parts
        self.approx_threshold = approx_threshold
        self.memory_budget = memory_budget
        self.query_page_size = query_page_size
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.exceptions = client_exceptions()
        self.meta = types.SimpleNamespace(
            service_model=service_model(), region_name=region, endpoint_url=None
        )
        self._validator = ParamValidator()
        self._lock = threading.RLock()
        self._indexes: dict[tuple[str, str], IndexHandle] = {}
        self._tokens: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ requests
    def _call(
        self, operation: str, params: dict[str, Any], handler: Callable[[dict[str, Any]], Any]
    ) -> dict[str, Any]:
        """Check ``params`` against botocore's model (as boto3 does), run ``handler`` under
        the client lock, and turn internal errors into the modeled botocore exceptions."""
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

    def _now(self) -> dt.datetime:
        return self._clock()

    # ------------------------------------------------------------------ names and ARNs
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
            m = _BUCKET_ARN.fullmatch(arn)
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
            m = _INDEX_ARN.fullmatch(arn)
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

    def _index(self, p: dict[str, Any]) -> IndexHandle:
        bucket, name = self._index_names(p)
        idx = self._indexes.get((bucket, name))
        if idx is not None:
            return idx
        bucket_doc = self._bucket(bucket)
        path = self._bucket_dir(bucket) / "indexes" / name
        if not (path / "index.json").exists():
            raise ApiError("NotFoundException", f"Index {name!r} not found in bucket {bucket!r}")
        idx = IndexHandle(
            bucket, path, read_json(path / "index.json"), bucket_doc, self.max_parts,
            self.approx_threshold, self.memory_budget,
        )  # fmt: skip
        self._indexes[(bucket, name)] = idx
        configs = (idx.config.get("metadataConfiguration") or {}).get("textSearchConfigurations")
        if any(c.get("status") == "BUILDING" for c in configs or ()):
            # a backfill interrupted by a crash: finish it, then report the keys ACTIVE
            idx.text.backfill(idx.store)
            for c in configs:
                c["status"] = "ACTIVE"
            write_json(path / "index.json", idx.config)
        return idx

    def _index_dirs(self, bucket: str) -> list[str]:
        base = self._bucket_dir(bucket) / "indexes"
        if not base.is_dir():
            return []
        return [d.name for d in base.iterdir() if (d / "index.json").exists()]

    # ------------------------------------------------------------------ listing pages
    def _page(
        self, names: list[str], p: dict[str, Any], default_max: int, hi: int
    ) -> tuple[list[str], str | None]:
        max_results = v.check_range(p.get("maxResults", default_max), 1, hi, "maxResults")
        prefix = p.get("prefix")
        if prefix is not None:
            names = [n for n in names if n.startswith(prefix)]
        names = sorted(names)
        if p.get("nextToken") is not None:
            after = pg.decode(p["nextToken"]).get("after", "")
            names = [n for n in names if n > after]
        page = names[:max_results]
        token = pg.encode({"after": page[-1]}) if len(names) > max_results else None
        return page, token

    # ------------------------------------------------------------------ tags
    def _check_tags(self, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_TAGS:
            raise Invalid("tags", f"At most {MAX_TAGS} tags are allowed, got {len(tags)}")
        for k, val in tags.items():
            if not 1 <= len(k) <= 128 or len(val) > 256:
                raise Invalid(f"tags.{k}", "Tag keys are 1-128 and values 0-256 characters")
        return dict(tags)

    def _resource(self, arn: str) -> tuple[Path, dict[str, Any]]:
        m = _INDEX_ARN.fullmatch(arn)
        if m:
            self._check_arn_home(m.group(1), m.group(2), arn, "resourceArn")
            idx = self._index({"indexArn": arn})
            return idx.path / "index.json", idx.config
        m = _BUCKET_ARN.fullmatch(arn)
        if m:
            self._check_arn_home(m.group(1), m.group(2), arn, "resourceArn")
            name = m.group(3)
            return self._bucket_dir(name) / "bucket.json", self._bucket(name)
        raise Invalid("resourceArn", f"Invalid resource ARN {arn!r}")
