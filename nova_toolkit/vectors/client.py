"""``LocalS3VectorsClient``: the ``boto3.client("s3vectors")`` API, in process, on FAISS.

Same method names, keyword arguments, response shapes and exceptions as boto3, so code
switches between this mirror and AWS by swapping the client object. Every request is
first checked against botocore's own service model with ``ParamValidator`` (what boto3
does client-side, raising ``ParamValidationError``), then against the service-side limits
(raising ``client.exceptions.ValidationException`` and friends).

The operations live in groups (mixins over :class:`~.resources.ClientBase`):
:mod:`.buckets` (buckets, policy, default index mode, tags), :mod:`.indexes` (indexes,
index mode, metadata configuration), :mod:`.data_plane` (put / get / list / delete) and
:mod:`.query` (vector, full-text and hybrid QueryVectors). Index modes: :mod:`.modes`;
full-text search: :mod:`.fulltext` and :mod:`.analyzers`; RRF: :mod:`.hybrid`; tokens:
:mod:`.paging`. Members of the model the mirror refuses: :mod:`.model_coverage`.

One process should own a ``root_dir`` for writing at a time; calls on one client are
serialised by a lock, so a client can be shared between threads.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.paginate import Paginator

from . import paging as pg
from .buckets import BucketOps
from .data_plane import VectorOps
from .errors import service_model
from .indexes import IndexOps
from .query import QueryOps


@functools.lru_cache(maxsize=1)
def paginator_model() -> Any:
    """botocore's ``s3vectors`` paginator model, loaded once (a new botocore session and a
    model read from disk per ``get_paginator`` call cost more than a search of 100k vectors)."""
    return botocore.session.get_session().get_paginator_model("s3vectors")


@functools.lru_cache(maxsize=64)
def _paginated_operation(operation_name: str) -> str | None:
    model = paginator_model()
    for op in service_model().operation_names:
        if xform_name(op) == operation_name:
            try:
                model.get_paginator(op)
            except ValueError:
                return None
            return op
    return None


class LocalS3VectorsClient(BucketOps, IndexOps, VectorOps, QueryOps):
    """A local, persistent mirror of ``boto3.client("s3vectors")``.

    Parameters
    ----------
    root_dir
        Directory holding all buckets (created if missing).
    region, account_id
        Used only to build and check ARNs.
    max_top_k
        Optional per-call cap on ``topK`` (None, the default: no cap, as in the model;
        results beyond a page come with ``nextToken``).
    max_parts
        Pending part files per index before automatic compaction.
    approx_threshold, memory_budget
        Indexes with at least ``approx_threshold`` live vectors (default 100,000) get an
        approximate FAISS index (HNSW or IVF-PQ) chosen to fit ``memory_budget`` bytes
        (default unbounded) at compaction / ``flush()``; smaller ones stay flat (exact).
    query_page_size
        QueryVectors results per page (default 100, see :mod:`.paging`).
    clock
        Returns "now" (UTC) for creation times, which decide a bucket's index modes.
    """

    # ================================================================= boto3 extras
    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator(operation_name)`` works (as on a boto3 client)."""
        return self._paginator_name(operation_name) is not None

    def _paginator_name(self, operation_name: str) -> str | None:
        return _paginated_operation(operation_name) if isinstance(operation_name, str) else None

    def get_paginator(self, operation_name: str) -> Paginator:
        """A botocore ``Paginator`` for list_vector_buckets, list_indexes, list_vectors and
        query_vectors, from botocore's own paginator model: ``.paginate(**params)`` yields
        response pages, ``.build_full_result()`` merges them."""
        op = self._paginator_name(operation_name)
        if op is None:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        config = paginator_model().get_paginator(op)
        return Paginator(getattr(self, operation_name), config, service_model().operation_model(op))

    def flush(self) -> None:
        """Compact every loaded index (parts folded into a base, FAISS file written) and
        persist its full-text index."""
        with self._lock:
            for idx in self._indexes.values():
                if idx.path.exists():
                    idx.store.flush()
                    if idx.text.keys:
                        idx.text.flush(idx.store)

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
    max_top_k: int | None = None,
    max_parts: int = 64,
    approx_threshold: int | None = None,
    memory_budget: int | None = None,
    query_page_size: int = pg.QUERY_PAGE_SIZE,
    clock: Callable[[], dt.datetime] | None = None,
) -> LocalS3VectorsClient:
    """A local S3 Vectors client persisted under ``root_dir`` (drop-in for boto3's)."""
    return LocalS3VectorsClient(
        root_dir, region=region, account_id=account_id, max_top_k=max_top_k,
        max_parts=max_parts, approx_threshold=approx_threshold, memory_budget=memory_budget,
        query_page_size=query_page_size, clock=clock,
    )  # fmt: skip
