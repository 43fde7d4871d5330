"""Push a local index to an S3 Vectors endpoint, and pull one back, through boto3.

``push(source, client, bucket=..., index=...)`` copies every vector of a local index (a
:class:`~nova_toolkit.collection.Collection`, a local mirror client, or a
``(local_client, bucket, index)`` triple) to ``client`` — ``boto3.client("s3vectors")``
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

Checkpoints are written with :func:`nova_toolkit.store.atomic_write_bytes`.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from botocore.exceptions import ClientError

from . import validation as v

WRITE_VECTORS_PER_S = 2500
WRITE_REQUESTS_PER_S = 1000
#: A string value longer than this (UTF-8 bytes) makes its key non-filterable remotely.
LARGE_VALUE_BYTES = 256
_RETRY_CODES = {
    "TooManyRequestsException", "ThrottlingException", "ServiceUnavailableException",
    "InternalServerException", "RequestTimeoutException", "SlowDown",
}  # fmt: skip
_TRUNC = "…"


@dataclass
class SyncReport:
    """What a push or pull did."""

    vectors: int = 0  # written in this run
    skipped: int = 0  # already done by an earlier, interrupted run (push)
    requests: int = 0
    retries: int = 0
    truncated: list[str] = field(default_factory=list)  # keys whose metadata was cut
    non_filterable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    checkpoint: str | None = None
    relisted: int = 0  # listing segments started over: their saved token was rejected (pull)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.vectors} vectors in {self.requests} requests ({self.seconds:.1f} s), "
            f"{self.skipped} already done, {self.retries} retries, "
            f"{len(self.truncated)} with truncated metadata"
        )
        if self.relisted:
            text += f", {self.relisted} listing segment(s) restarted (saved token rejected)"
        return text


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


def _call(fn: Callable[..., Any], report: SyncReport, sleep, attempts: int = 8, **kw: Any) -> Any:
    delay = 0.2
    for attempt in range(attempts):
        try:
            return fn(**kw)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if attempt + 1 == attempts or not (code in _RETRY_CODES or status >= 500):
                raise
            report.retries += 1
            sleep(delay)
            delay = min(delay * 2, 10.0)
    raise AssertionError("unreachable")


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


# ------------------------------------------------------------------ the local side
def _resolve_source(source: Any) -> tuple[Any, str, str, Path | None]:
    """(local client, bucket, index, default checkpoint dir) of a push source."""
    if isinstance(source, tuple):
        client, bucket, index = source
        return client, bucket, index, Path(client.root)
    if hasattr(source, "index_client"):  # a Collection
        from nova_toolkit.collection import INDEX_BUCKET, INDEX_NAME

        client = source.index_client()
        return client, INDEX_BUCKET, INDEX_NAME, Path(source.path)
    if isinstance(source, (str, os.PathLike)):  # a collection directory
        from nova_toolkit.collection import Collection

        return _resolve_source(Collection.open(source, create=False))
    if hasattr(source, "list_vectors"):
        return source, "collection", "segments", Path(getattr(source, "root", "."))
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


# ------------------------------------------------------------------ checkpoint
def _read_checkpoint(path: Path, want: dict[str, Any]) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(data.get(k) != x for k, x in want.items()):
        return None
    return data


def _write_checkpoint(path: Path, data: dict[str, Any]) -> None:
    """Replace the checkpoint atomically (the package's one atomic-write mechanism)."""
    from nova_toolkit.store import atomic_write_bytes

    atomic_write_bytes(path, json.dumps(data, indent=1).encode("utf-8"))


def _endpoint(client: Any) -> str:
    meta = getattr(client, "meta", None)
    return str(getattr(meta, "endpoint_url", None) or "aws")


# ------------------------------------------------------------------ push
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
    local, lbucket, lindex, home = _resolve_source(source)
    cfg = local.get_index(vectorBucketName=lbucket, indexName=lindex)["index"]
    declared = list((cfg.get("metadataConfiguration") or {}).get("nonFilterableMetadataKeys") or [])
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
    except ClientError as exc:
        if _code(exc) != "NotFoundException":
            raise
        nonf = large_keys(local, lbucket, lindex, declared)
        params: dict[str, Any] = dict(
            vectorBucketName=bucket, indexName=index, dataType="float32",
            dimension=int(cfg["dimension"]), distanceMetric=cfg["distanceMetric"],
        )  # fmt: skip
        if nonf:
            params["metadataConfiguration"] = {"nonFilterableMetadataKeys": nonf}
        _call(client.create_index, report, sleep, **params)
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


# ------------------------------------------------------------------ pull
#: Error codes that, on a request carrying a saved ``nextToken``, mean the token is no
#: longer accepted (expired, or issued by an earlier incarnation of the service).
_STALE_TOKEN_CODES = {
    "ValidationException", "ExpiredTokenException", "InvalidTokenException",
    "InvalidNextTokenException", "InvalidPaginationTokenException",
}  # fmt: skip


def _stale_token(exc: ClientError) -> bool:
    code = _code(exc)
    return code in _STALE_TOKEN_CODES or "token" in code.lower() or "expired" in code.lower()


def _new_segments(n: int) -> list[dict[str, Any]]:
    return [{"token": None, "pages": 0, "vectors": 0, "done": False} for _ in range(n)]


def _valid_segments(state: dict[str, Any] | None, n: int) -> bool:
    segs = state.get("segments_state") if state else None
    return (
        isinstance(segs, list)
        and len(segs) == n
        and all(
            isinstance(s, dict)
            and isinstance(s.get("token"), (str, type(None)))
            and isinstance(s.get("pages"), int)
            and isinstance(s.get("vectors"), int)
            and isinstance(s.get("done"), bool)
            and (s["done"] or s["token"] is not None or s["pages"] == 0)
            for s in segs
        )
    )


def _write_local(local: Any, bucket: str, index: str, page: list[dict]) -> None:
    """Write one listed page into the local index; durable when this returns."""
    if hasattr(local, "import_vectors"):  # the local mirror: one atomic part file
        local.import_vectors(
            vectorBucketName=bucket, indexName=index, keys=[p["key"] for p in page],
            data=np.asarray([p["data"]["float32"] for p in page], dtype=np.float32),
            metadata=[p.get("metadata") or None for p in page],
        )  # fmt: skip
        return
    for i in range(0, len(page), v.MAX_PUT_VECTORS):
        local.put_vectors(vectorBucketName=bucket, indexName=index,
                          vectors=page[i : i + v.MAX_PUT_VECTORS])  # fmt: skip


def pull(
    client: Any,
    *,
    bucket: str,
    index: str,
    to: Any,
    local_bucket: str | None = None,
    local_index: str | None = None,
    page_size: int = 500,
    segments: int = 1,
    checkpoint: str | os.PathLike | None = None,
    restart: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    on_page: Callable[[int], None] | None = None,
) -> SyncReport:
    """Copy ``bucket``/``index`` of ``client`` into a local mirror (``to``: dir or client).

    The local bucket and index take the remote names unless ``local_bucket`` /
    ``local_index`` are given; the index is created with the remote configuration.

    Resumable: after every listed page is written locally (durably), the ``ListVectors``
    position (``nextToken`` and pages done, per listing segment) is saved in a JSON
    checkpoint, ``<to>/pull-<bucket>-<index>.json`` unless ``checkpoint`` is given. A
    later pull with the same endpoint, remote index, local target and ``segments``
    continues from there; ``restart=True`` ignores it, and a completed pull lists
    everything again. A page written but not yet checkpointed is simply fetched again
    (same keys overwrite), so a resumed pull neither loses nor duplicates vectors. If the
    service rejects a saved token (expired), that segment is listed again from the start
    (``report.relisted``; idempotent for the same reason).

    ``segments`` > 1 lists the index in that many parallel ``ListVectors`` segments
    (``segmentCount``/``segmentIndex``, 1–16), one thread each. ``on_page(n_done)`` is
    called after each page is checkpointed (``n_done`` counts this run and earlier ones).
    """
    import threading

    from .client import local_client

    if not 1 <= segments <= v.MAX_SEGMENTS:
        raise ValueError(f"segments must be 1-{v.MAX_SEGMENTS}")
    if not 1 <= page_size <= v.MAX_LIST_VECTORS:
        raise ValueError(f"page_size must be 1-{v.MAX_LIST_VECTORS}")
    t0 = time.monotonic()
    if isinstance(to, (str, os.PathLike)):
        home, local = Path(to), local_client(to)
        target = str(home.resolve())
    elif getattr(to, "root", None) is not None:  # a local mirror client
        home, local = Path(to.root), to
        target = str(home.resolve())
    else:  # any other S3 Vectors client (another endpoint)
        home, local = Path("."), to
        target = f"client:{_endpoint(to)}"
    lb, li = local_bucket or bucket, local_index or index
    name = f"pull-{bucket}-{index}" + ("" if (lb, li) == (bucket, index) else f"-to-{lb}-{li}")
    ck = Path(checkpoint) if checkpoint else home / f"{name}.json"
    report = SyncReport(checkpoint=str(ck))
    rcfg = _call(client.get_index, report, sleep, vectorBucketName=bucket, indexName=index)["index"]
    ident = {
        "op": "pull", "endpoint": _endpoint(client), "bucket": bucket, "index": index,
        "remote_created": str(rcfg.get("creationTime")), "target": target,
        "local_bucket": lb, "local_index": li, "segments": segments,
    }  # fmt: skip
    with contextlib.suppress(ClientError):
        local.create_vector_bucket(vectorBucketName=lb)
    try:
        lcfg = local.get_index(vectorBucketName=lb, indexName=li)["index"]
        if int(lcfg["dimension"]) != int(rcfg["dimension"]):
            raise ValueError(f"local index {lb}/{li} has dimension {lcfg['dimension']}")
    except ClientError:
        params: dict[str, Any] = dict(
            vectorBucketName=lb, indexName=li, dataType="float32",
            dimension=int(rcfg["dimension"]), distanceMetric=rcfg["distanceMetric"],
        )  # fmt: skip
        nonf = (rcfg.get("metadataConfiguration") or {}).get("nonFilterableMetadataKeys")
        if nonf:
            params["metadataConfiguration"] = {"nonFilterableMetadataKeys": list(nonf)}
        local.create_index(**params)

    state = None if restart else _read_checkpoint(ck, ident)
    if state is not None and (state.get("done") or not _valid_segments(state, segments)):
        state = None  # a finished (or unreadable) pull: list everything again
    segs: list[dict[str, Any]] = state["segments_state"] if state else _new_segments(segments)
    report.skipped = sum(s["vectors"] for s in segs)
    lock = threading.Lock()  # guards segs, report and the checkpoint file
    stop = threading.Event()

    def save(done: bool = False) -> None:
        _write_checkpoint(ck, {**ident, "segments_state": segs, "done": done})

    def run(i: int) -> None:
        seg = segs[i]
        relisted = False
        while not seg["done"] and not stop.is_set():
            kw: dict[str, Any] = dict(
                vectorBucketName=bucket, indexName=index, maxResults=page_size,
                returnData=True, returnMetadata=True,
            )  # fmt: skip
            if segments > 1:
                kw.update(segmentCount=segments, segmentIndex=i)
            if seg["token"]:
                kw["nextToken"] = seg["token"]
            try:
                out = _call(client.list_vectors, report, sleep, **kw)
            except ClientError as exc:
                if seg["token"] is None or relisted or not _stale_token(exc):
                    raise
                relisted = True  # the saved position is gone: this segment from the start
                with lock:
                    report.skipped -= seg["vectors"]
                    seg.update(token=None, pages=0, vectors=0, done=False)
                    report.relisted += 1
                    report.notes.append(
                        f"segment {i}: saved nextToken rejected ({_code(exc)}), listed again "
                        "from the start"
                    )
                    save()
                continue
            page = out.get("vectors", [])
            if page:
                with lock:  # one local writer at a time
                    _write_local(local, lb, li, page)
            token = out.get("nextToken") or None
            with lock:  # the local page is durable: now the position may advance
                seg.update(token=token, pages=seg["pages"] + 1,
                           vectors=seg["vectors"] + len(page), done=token is None)  # fmt: skip
                report.requests += 1
                report.vectors += len(page)
                save()
                n_done = sum(s["vectors"] for s in segs)
            if on_page is not None:
                on_page(n_done)

    if segments == 1:
        run(0)
    else:
        from concurrent.futures import ThreadPoolExecutor

        errors: list[BaseException] = []

        def guarded(i: int) -> None:
            try:
                run(i)
            except BaseException as exc:  # stop the other segments after their page
                stop.set()
                errors.append(exc)

        with ThreadPoolExecutor(max_workers=segments, thread_name_prefix="pull") as pool:
            list(pool.map(guarded, range(segments)))
        if errors:
            raise errors[0]
    if hasattr(local, "flush"):
        local.flush()
    save(done=True)
    report.seconds = time.monotonic() - t0
    return report
