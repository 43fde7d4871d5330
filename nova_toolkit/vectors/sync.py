"""Push a local index to an S3 Vectors endpoint, and pull one back, through boto3.

``push(source, client, bucket=..., index=...)`` copies every vector of a local index (an
:class:`~nova_toolkit._core.view.IndexRef`, a ``(local_client, bucket, index)`` triple, a
local mirror client, or a collection read through :class:`~nova_toolkit._core.view.CollectionView`
— resolved to its index reference; this module never imports the collection) to ``client`` — ``boto3.client("s3vectors")``
against AWS or the twin — in ``PutVectors`` batches of up to 500, paced under the
per-index write limits (default 2,500 vectors/s and 1,000 requests/s), retrying
throttling and 5xx errors with backoff. Progress is recorded after every batch in a small
JSON checkpoint (the last key written, keys go in sorted order), so an interrupted push
resumes where it stopped. The remote bucket and index are created if missing; metadata
keys that are large (or non-filterable locally) are declared non-filterable when the
index is created, and each vector's metadata is fitted inside the 2 KB filterable /
40 KB total limits (oversized string values are truncated, reported in the result).

``pull(client, bucket=..., index=..., to=...)`` lists the remote index (data and
metadata) and writes it into a local mirror (a directory or a local client), creating a
bucket and index of the same names and configuration. Pull is idempotent (same keys
overwrite) and resumable: after each page is written locally, its ``ListVectors``
position (``nextToken`` per listing segment) goes into a JSON checkpoint, tied to the
endpoint, remote index and local target. A saved token the service no longer accepts
(expired) makes that segment list again from the start. ``segments=n`` lists in ``n``
parallel ``segmentCount``/``segmentIndex`` segments.

Checkpoints are written atomically (:func:`.sync_common.write_checkpoint`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from nova_toolkit._core.view import IndexRef, index_ref

from . import sync_text_search
from . import validation as v
from .sync_common import SyncReport, set_up_text_search
from .sync_common import call_with_retry as _call
from .sync_common import endpoint_of as _endpoint
from .sync_common import error_code as _code
from .sync_common import read_checkpoint as _read_checkpoint
from .sync_common import write_checkpoint as _write_checkpoint
from .sync_pull import pull

__all__ = ["SyncReport", "fit_metadata", "large_keys", "pull", "push"]

WRITE_VECTORS_PER_S = 2500
WRITE_REQUESTS_PER_S = 1000
#: A string value longer than this (UTF-8 bytes) makes its key non-filterable remotely.
LARGE_VALUE_BYTES = 256
_TRUNC = "…"


class _Pacer:
    """Keeps writes under ``vectors_per_s`` and ``requests_per_s``."""

    def __init__(self, vectors_per_s: float, requests_per_s: float, sleep, clock) -> None:
        self.vps, self.rps = vectors_per_s, requests_per_s
        self.sleep, self.clock = sleep, clock
        self.t0 = clock()
        self.vectors = 0
        self.requests = 0

    def wait(self, n: int) -> None:
        # what was already sent must have "cost" its time at the allowed rates
        due = max(self.vectors / self.vps, self.requests / self.rps)
        ahead = due - (self.clock() - self.t0)
        if ahead > 0:
            self.sleep(ahead)
        self.vectors += n
        self.requests += 1


# ------------------------------------------------------------------ the local side
def resolve_source(source: Any) -> IndexRef:
    """The local index a push reads: an :class:`IndexRef` as is, a ``(client, bucket, index)``
    triple, a collection view (its derived index), or a local mirror client (its
    ``collection``/``segments`` index). A collection *directory* is the caller's to open."""
    if isinstance(source, IndexRef):
        return source
    if isinstance(source, tuple):
        client, bucket, index = source
        return IndexRef(client, bucket, index, Path(client.root))
    if hasattr(source, "index_client"):  # a CollectionView
        return index_ref(source)
    if hasattr(source, "list_vectors"):
        return IndexRef(source, "collection", "segments", Path(getattr(source, "root", ".")))
    if isinstance(source, (str, os.PathLike)):
        raise TypeError("push takes an index reference; open the collection at "
                        f"{os.fspath(source)!r} and pass it (or its index_ref) instead")
    raise TypeError(f"cannot push from {type(source).__name__}")


def _iter_local(client: Any, bucket: str, index: str, after: str | None) -> Iterator[list[dict]]:
    """Pages of local vectors (sorted by key) with data and metadata, keys > ``after``."""
    token = None
    while True:
        kw: dict[str, Any] = dict(
            vectorBucketName=bucket, indexName=index, maxResults=500, returnData=True,
            returnMetadata=True,
        )  # fmt: skip
        if token:
            kw["nextToken"] = token
        out = client.list_vectors(**kw)
        page = out.get("vectors", [])
        if after is not None:
            page = [p for p in page if p["key"] > after]
        if page:
            yield page
        token = out.get("nextToken")
        if not token:
            return


def _size(obj: Any) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def large_keys(client: Any, bucket: str, index: str, declared: list[str]) -> list[str]:
    """Keys to declare non-filterable remotely: the local ones, then large-valued ones."""
    out = list(dict.fromkeys(declared))
    sizes: dict[str, int] = {}
    for page in _iter_local(client, bucket, index, None):
        for item in page:
            for k, val in (item.get("metadata") or {}).items():
                s = _size(val)
                if s > sizes.get(k, 0):
                    sizes[k] = s
    for k, s in sorted(sizes.items(), key=lambda kv: -kv[1]):
        if s > LARGE_VALUE_BYTES and k not in out:
            out.append(k)
    return out[: v.MAX_NON_FILTERABLE_KEYS]


def fit_metadata(meta: dict[str, Any], non_filterable: frozenset[str]) -> tuple[dict, bool]:
    """``meta`` cut to the S3 Vectors limits (50 keys, 2 KB filterable, 40 KB total).

    Long string values are truncated (the longest first, non-filterable ones first for the
    total limit); returns the fitted metadata and whether anything was cut.
    """
    out = dict(meta)
    cut = False
    if len(out) > v.MAX_METADATA_KEYS:
        out = dict(list(out.items())[: v.MAX_METADATA_KEYS])
        cut = True

    def shrink(keys: list[str], limit: int, measure: Callable[[], int]) -> bool:
        changed = False
        for _ in range(200):
            over = measure() - limit
            if over <= 0:
                return changed
            strs = [k for k in keys if isinstance(out.get(k), str) and out[k]]
            if not strs:
                break
            k = max(strs, key=lambda key: len(out[key].encode("utf-8")))
            raw = out[k].encode("utf-8")
            keep = max(0, len(raw) - over - len(_TRUNC.encode()) - 8)
            out[k] = raw[:keep].decode("utf-8", "ignore") + _TRUNC if keep else ""
            changed = True
        while measure() > limit and keys:  # still over (non-string values): drop keys
            biggest = max((k for k in keys if k in out), key=lambda k: _size(out[k]), default=None)
            if biggest is None:
                break
            del out[biggest]
            changed = True
        return changed

    def filt() -> int:
        return _size({k: x for k, x in out.items() if k not in non_filterable})

    fkeys = [k for k in out if k not in non_filterable]
    cut |= shrink(fkeys, v.MAX_FILTERABLE_METADATA_BYTES, filt)
    nkeys = [k for k in out if k in non_filterable] + [k for k in out if k not in non_filterable]
    cut |= shrink(nkeys, v.MAX_METADATA_BYTES, lambda: _size(out))
    return out, cut


# ------------------------------------------------------------------ push
def _searchable(cfg: dict[str, Any], *, collection: bool) -> list[dict[str, str]]:
    """Full-text keys for the remote index: the local index's, and a collection's snippet."""
    out = [{k: c[k] for k in ("metadataKey", "language") if c.get(k)}
           for c in sync_text_search.text_search_configs(cfg).values()]
    if collection and not any(c["metadataKey"] == "snippet" for c in out):
        out.append(dict(sync_text_search.SNIPPET_TEXT_SEARCH))
    return out


def push(
    source: Any,
    client: Any,
    *,
    bucket: str,
    index: str,
    batch: int = 500,
    checkpoint: str | os.PathLike | None = None,
    vectors_per_s: float = WRITE_VECTORS_PER_S,
    requests_per_s: float = WRITE_REQUESTS_PER_S,
    restart: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_batch: Callable[[int], None] | None = None,
) -> SyncReport:
    """Copy a local index to ``bucket``/``index`` of ``client``; resumable.

    ``checkpoint`` defaults to ``<collection or local root>/push-<bucket>-<index>.json``;
    ``restart=True`` ignores it. ``on_batch(n_done)`` is called after each batch.
    """
    if not 1 <= batch <= v.MAX_PUT_VECTORS:
        raise ValueError(f"batch must be 1-{v.MAX_PUT_VECTORS}")
    t_start = clock()
    ref = resolve_source(source)
    local, lbucket, lindex, home = ref.client, ref.bucket, ref.index, ref.home
    cfg = local.get_index(vectorBucketName=lbucket, indexName=lindex)["index"]
    declared = list((cfg.get("metadataConfiguration") or {}).get("nonFilterableMetadataKeys") or [])
    searchable = _searchable(cfg, collection=ref.collection)

    def retrying(fn: Callable[..., Any], **kw: Any) -> Any:
        return _call(fn, report, sleep, **kw)
    ck = Path(checkpoint) if checkpoint else (home or Path(".")) / f"push-{bucket}-{index}.json"
    report = SyncReport(checkpoint=str(ck))
    ident = {"bucket": bucket, "index": index, "endpoint": _endpoint(client)}
    state = None if restart else _read_checkpoint(ck, ident)
    after = state.get("last_key") if state else None
    done = int(state.get("pushed", 0)) if state else 0

    # remote bucket and index
    try:
        _call(client.create_vector_bucket, report, sleep, vectorBucketName=bucket)
    except ClientError as exc:
        if _code(exc) != "ConflictException":
            raise
    try:
        remote = _call(client.get_index, report, sleep, vectorBucketName=bucket, indexName=index)
        rcfg = remote["index"]
        if int(rcfg["dimension"]) != int(cfg["dimension"]) or (
            rcfg["distanceMetric"] != cfg["distanceMetric"]
        ):
            raise ValueError(
                f"remote index {bucket}/{index} is {rcfg['dimension']}-d "
                f"{rcfg['distanceMetric']}, local is {cfg['dimension']}-d {cfg['distanceMetric']}"
            )
        nonf = list(
            (rcfg.get("metadataConfiguration") or {}).get("nonFilterableMetadataKeys") or []
        )
        set_up_text_search(report, sync_text_search.ensure_text_search, client, bucket=bucket,
                            index=index, text_search=searchable, call=retrying, wait=None)
    except ClientError as exc:
        if _code(exc) != "NotFoundException":
            raise
        nonf = large_keys(local, lbucket, lindex, declared)
        set_up_text_search(
            report, sync_text_search.create_index, client, bucket=bucket, index=index,
            dimension=int(cfg["dimension"]), distance_metric=cfg["distanceMetric"],
            non_filterable=nonf, text_search=searchable, call=retrying,
        )  # fmt: skip
    report.non_filterable = nonf
    nonf_set = frozenset(nonf)

    pacer = _Pacer(vectors_per_s, requests_per_s, sleep, clock)
    report.skipped = done
    pending: list[dict] = []

    def send() -> None:
        nonlocal done
        if not pending:
            return
        pacer.wait(len(pending))
        _call(client.put_vectors, report, sleep, vectorBucketName=bucket, indexName=index,
              vectors=pending)  # fmt: skip
        report.requests += 1
        report.vectors += len(pending)
        done += len(pending)
        _write_checkpoint(ck, {**ident, "last_key": pending[-1]["key"], "pushed": done,
                               "done": False})  # fmt: skip
        pending.clear()
        if on_batch is not None:
            on_batch(done)

    for page in _iter_local(local, lbucket, lindex, after):
        for item in page:
            out: dict[str, Any] = {
                "key": item["key"],
                "data": {"float32": [float(x) for x in item["data"]["float32"]]},
            }
            meta = item.get("metadata")
            if meta:
                fitted, cut = fit_metadata(meta, nonf_set)
                if cut:
                    report.truncated.append(item["key"])
                out["metadata"] = fitted
            pending.append(out)
            if len(pending) >= batch:
                send()
    send()
    _write_checkpoint(ck, {**ident, "last_key": None, "pushed": done, "done": True})
    report.seconds = clock() - t_start
    return report
