"""``pull``: copy a remote S3 Vectors index into a local mirror, resumably (see :mod:`.sync`)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from botocore.exceptions import ClientError

from . import sync_text_search
from . import validation as v
from .sync_common import SyncReport, set_up_text_search
from .sync_common import call_with_retry as _call
from .sync_common import endpoint_of as _endpoint
from .sync_common import error_code as _code
from .sync_common import read_checkpoint as _read_checkpoint
from .sync_common import write_checkpoint as _write_checkpoint

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
        nonf = (rcfg.get("metadataConfiguration") or {}).get("nonFilterableMetadataKeys")
        searchable = [{k: c[k] for k in ("metadataKey", "language") if c.get(k)}
                      for c in sync_text_search.text_search_configs(rcfg).values()]
        set_up_text_search(  # ENHANCED, same searchable keys
            report, sync_text_search.create_index, local, bucket=lb, index=li,
            dimension=int(rcfg["dimension"]),
            distance_metric=rcfg["distanceMetric"], non_filterable=list(nonf or []),
            text_search=searchable,
        )  # fmt: skip

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
