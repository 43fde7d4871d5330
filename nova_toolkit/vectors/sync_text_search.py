"""ENHANCED mode and full-text-searchable metadata keys on an S3 Vectors index, via boto3.

Full-text (BM25) and hybrid (vector + text, Reciprocal Rank Fusion) queries need an index
in ``ENHANCED`` mode whose searchable keys are declared in
``metadataConfiguration.textSearchConfigurations``. ``CreateIndex`` takes those keys but
no mode (a new index gets its bucket's ``defaultIndexMode``), so :func:`create_index`
creates the index and then :func:`ensure_text_search` brings any index — new, or
created before full-text search existed — to ENHANCED with the keys searchable, through
``UpdateIndexMode`` and ``UpdateMetadataConfiguration``. Both changes keep every vector.

Written against the ``boto3.client("s3vectors")`` contract only, so the same code serves
the local mirror, the twin and AWS; ``push`` and collections use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

#: The language analyzer of a collection's snippets (S3 Vectors' English analyzer).
SNIPPET_LANGUAGE = "en"
#: The searchable key of a collection's rows: transcripts, OCR, page text, labels.
SNIPPET_TEXT_SEARCH = {"metadataKey": "snippet", "language": SNIPPET_LANGUAGE}


def _direct(fn: Callable[..., Any], **kw: Any) -> Any:
    return fn(**kw)


def text_search_configs(index: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``textSearchConfigurations`` of a GetIndex ``index`` dict, by metadata key."""
    meta = index.get("metadataConfiguration") or {}
    return {c["metadataKey"]: dict(c) for c in meta.get("textSearchConfigurations") or []}


def create_index(
    client: Any,
    *,
    bucket: str,
    index: str,
    dimension: int,
    distance_metric: str,
    non_filterable: Sequence[str] = (),
    text_search: Sequence[dict[str, str]] = (SNIPPET_TEXT_SEARCH,),
    call: Callable[..., Any] = _direct,
) -> list[str]:
    """Create ``bucket``/``index`` with ``text_search`` keys searchable, then make it ENHANCED.

    ``call(fn, **kw)`` wraps every request (``push`` passes its retrying caller). Returns
    notes on what :func:`ensure_text_search` had to change after creation.
    """
    meta: dict[str, Any] = {}
    if non_filterable:
        meta["nonFilterableMetadataKeys"] = list(non_filterable)
    params: dict[str, Any] = dict(
        vectorBucketName=bucket, indexName=index, dataType="float32",
        dimension=int(dimension), distanceMetric=distance_metric,
    )  # fmt: skip
    searchable = [dict(c) for c in text_search]
    plain = {"metadataConfiguration": meta} if meta else {}
    if not searchable:
        call(client.create_index, **params, **plain)
    else:
        try:
            call(client.create_index, **params,
                 metadataConfiguration={**meta, "textSearchConfigurations": searchable})
        except ClientError as exc:  # e.g. a CLASSIC bucket default refusing searchable keys
            if exc.response.get("Error", {}).get("Code") != "ValidationException":
                raise
            call(client.create_index, **params, **plain)
    return ensure_text_search(client, bucket=bucket, index=index, text_search=searchable,
                              call=call, wait=None)  # fmt: skip


def ensure_text_search(
    client: Any,
    *,
    bucket: str,
    index: str,
    text_search: Sequence[dict[str, str]] = (SNIPPET_TEXT_SEARCH,),
    call: Callable[..., Any] = _direct,
    wait: float | None = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Make ``bucket``/``index`` ENHANCED with every ``text_search`` key searchable.

    Uses ``UpdateIndexMode`` (when the index is not ENHANCED) and
    ``UpdateMetadataConfiguration`` ``add`` (for keys not yet searchable); vectors are
    untouched. A key already searchable keeps its language. With ``wait`` (seconds),
    waits until every wanted key is ``ACTIVE`` (backfilled) and raises ``TimeoutError``
    after that; ``wait=None`` returns at once. Returns a note per change made.
    """
    notes: list[str] = []
    cfg = call(client.get_index, vectorBucketName=bucket, indexName=index)["index"]
    if cfg.get("indexMode") != "ENHANCED":
        call(client.update_index_mode, vectorBucketName=bucket, indexName=index,
             indexMode="ENHANCED")  # fmt: skip
        notes.append(f"index {bucket}/{index}: mode {cfg.get('indexMode') or 'unset'} -> ENHANCED")
    have = text_search_configs(cfg)
    missing = [dict(c) for c in text_search if c["metadataKey"] not in have]
    if missing:
        call(client.update_metadata_configuration, vectorBucketName=bucket, indexName=index,
             add={"textSearchConfigurations": missing})  # fmt: skip
        keys = ", ".join(c["metadataKey"] for c in missing)
        notes.append(f"index {bucket}/{index}: full-text search added on {keys}")
    if wait is not None:
        wait_active(client, bucket=bucket, index=index,
                    keys=[c["metadataKey"] for c in text_search], timeout=wait, sleep=sleep,
                    call=call)  # fmt: skip
    return notes


def wait_active(
    client: Any,
    *,
    bucket: str,
    index: str,
    keys: Sequence[str],
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    call: Callable[..., Any] = _direct,
) -> None:
    """Wait until the searchable ``keys`` of ``bucket``/``index`` report status ACTIVE."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        cfg = call(client.get_index, vectorBucketName=bucket, indexName=index)["index"]
        have = text_search_configs(cfg)
        pending = [k for k in keys if have.get(k, {}).get("status", "ACTIVE") != "ACTIVE"]
        absent = [k for k in keys if k not in have]
        if absent:
            raise RuntimeError(f"index {bucket}/{index}: {', '.join(absent)} not searchable "
                               "after UpdateMetadataConfiguration")  # fmt: skip
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"index {bucket}/{index}: full-text search on "
                               f"{', '.join(pending)} still BUILDING after {timeout:.0f} s")
        sleep(delay)
        delay = min(delay * 2, 1.0)
