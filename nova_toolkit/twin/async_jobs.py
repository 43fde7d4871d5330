"""StartAsyncInvoke jobs: run in the background, write Nova's S3 output layout.

Output under ``<s3Uri>/<invocation id>/``: ``segmented-embedding-result.json`` and one
``embedding-<type>.jsonl`` per embedding type (see :data:`~.nova_compute.OUTPUT_FILES`).
GetAsyncInvoke and ListAsyncInvokes report that folder, as Bedrock does:
``outputDataConfig.s3OutputDataConfig.s3Uri`` is the request's ``s3Uri`` with the invocation
id appended (``s3://bucket/prefix/<invocation id>``), so code that appends a file name to it
finds the results. ``TwinConfig(echo_output_uri=True)`` reports the request's URI unchanged
instead (to test clients against a service that does that).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import string
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from nova_toolkit.twin.bedrock_ops import BAD_PAGE_TOKEN, JOB_NOT_FOUND, TOKEN_REUSED
from nova_toolkit.twin.models import TwinModel
from nova_toolkit.twin.nova_compute import OUTPUT_FILES, embed_segmented
from nova_toolkit.twin.nova_requests import NovaRequest
from nova_toolkit.twin.s3 import S3Access, parse_s3_uri
from nova_toolkit.twin.segment_limits import SegmentLimits
from nova_toolkit.twin.wire import ServiceError

_ID_CHARS = string.ascii_lowercase + string.digits


def output_folder(s3_uri: str, invocation_id: str) -> str:
    """Where a job's results go: ``<s3Uri>/<invocation id>`` (one slash between them)."""
    return f"{s3_uri.rstrip('/')}/{invocation_id}"


def _sort_key(job: dict[str, Any]) -> tuple[str, str]:
    return job["submitTime"].isoformat(), job["invocationArn"]


def _make_token(key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _read_token(token: str) -> tuple[str, str]:
    """The sort key a ``nextToken`` continues after; BAD_PAGE_TOKEN when it is not one of
    this twin's tokens."""
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
        if isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key):
            return key[0], key[1]
    except (ValueError, TypeError):
        pass
    raise BAD_PAGE_TOKEN.error()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class AsyncJobs:
    """The twin's async invocations (in memory, lost when the twin stops)."""

    def __init__(self, model: TwinModel, s3: S3Access, region: str, account: str, *,
                 echo_output_uri: bool = False, limits: SegmentLimits | None = None) -> None:
        self.echo_output_uri = echo_output_uri
        self.limits = limits or SegmentLimits()
        self.model = model
        self.s3 = s3
        self.region = region
        self.account = account
        self.jobs: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, tuple[str, str]] = {}  # token -> (ARN, request fingerprint)
        self.tags: dict[str, list[dict[str, str]]] = {}  # kept, not returned (as on AWS)
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="twin-async")

    def start(self, model_arn: str, req: NovaRequest, output: dict[str, Any],
              token: str | None, *, fingerprint: str = "",
              tags: list[dict[str, str]] | None = None) -> str:
        """Record a job and queue it. The same ``clientRequestToken`` with the same request
        (``fingerprint``) returns the same ARN; with another request it is refused
        (:data:`~.bedrock_ops.TOKEN_REUSED`)."""
        s3_uri = output["s3OutputDataConfig"]["s3Uri"]
        parse_s3_uri(s3_uri)
        with self._lock:
            if token and token in self.tokens:
                arn, seen = self.tokens[token]
                if seen != fingerprint:
                    raise TOKEN_REUSED.error()
                return arn
            job_id = "".join(secrets.choice(_ID_CHARS) for _ in range(12))
            arn = f"arn:aws:bedrock:{self.region}:{self.account}:async-invoke/{job_id}"
            now = _now()
            folder = output_folder(s3_uri, job_id)
            reported = {**output["s3OutputDataConfig"],
                        "s3Uri": s3_uri if self.echo_output_uri else folder}
            job = {"invocationArn": arn, "modelArn": model_arn, "status": "InProgress",
                   "submitTime": now, "lastModifiedTime": now,
                   "outputDataConfig": {**output, "s3OutputDataConfig": reported}}
            if token:
                job["clientRequestToken"] = token
                self.tokens[token] = (arn, fingerprint)
            self.jobs[arn] = job
            self.tags[arn] = list(tags or [])
        self._pool.submit(self._run, arn, folder, req)
        return arn

    def _finish(self, arn: str, status: str, message: str | None = None) -> None:
        with self._lock:
            job = self.jobs[arn]
            job["status"] = status
            job["lastModifiedTime"] = job["endTime"] = _now()
            if message:
                job["failureMessage"] = message[:2048]

    def _run(self, arn: str, folder: str, req: NovaRequest) -> None:
        try:
            data = req.data if req.data is not None else (
                self.s3.read(req.s3_uri) if req.s3_uri else None)
            lines = embed_segmented(self.model, req, data, self.limits)
            results = []
            for kind, rows in lines.items():
                uri = f"{folder}/{OUTPUT_FILES[kind]}"
                body = "".join(json.dumps(r) + "\n" for r in rows).encode()
                self.s3.write(uri, body, "application/jsonl")
                ok = sum(r["status"] == "SUCCESS" for r in rows)
                status = ("SUCCESS" if ok == len(rows) else
                          "FAILURE" if ok == 0 else "PARTIAL_SUCCESS")
                entry = {"embeddingType": kind, "status": status, "outputFileUri": uri}
                if status == "FAILURE":
                    entry.update(failureReason="INVALID_CONTENT",
                                 message="no segment could be embedded")
                results.append(entry)
            summary: dict[str, Any] = {"embeddingDimension": req.dimension,
                                       "embeddingResults": results}
            if req.s3_uri:
                summary = {"sourceFileUri": req.s3_uri, **summary}
            self.s3.write(f"{folder}/segmented-embedding-result.json", json.dumps(summary).encode())
            self._finish(arn, "Completed")
        except ServiceError as exc:
            self._finish(arn, "Failed", exc.message)
        except Exception as exc:  # a job must end Failed, never hang InProgress
            self._finish(arn, "Failed", f"Internal error: {type(exc).__name__}: {exc}")

    def get(self, arn: str) -> dict[str, Any]:
        with self._lock:
            job = self.jobs.get(arn)
            if job is None:
                raise JOB_NOT_FOUND.error(arn=arn)
            return dict(job)

    def list(self, query: dict[str, Any]) -> dict[str, Any]:
        """ListAsyncInvokes: status and submit-time filters, sorting by submission time,
        pages of ``maxResults`` with keyset tokens (a page never repeats or skips a job
        when jobs are added between pages)."""
        from botocore.utils import parse_timestamp

        with self._lock:
            jobs = [dict(j) for j in self.jobs.values()]
        if query.get("statusEquals"):
            jobs = [j for j in jobs if j["status"] == query["statusEquals"]]
        if query.get("submitTimeAfter"):
            after = parse_timestamp(query["submitTimeAfter"])
            jobs = [j for j in jobs if j["submitTime"] > after]
        if query.get("submitTimeBefore"):
            before = parse_timestamp(query["submitTimeBefore"])
            jobs = [j for j in jobs if j["submitTime"] < before]
        descending = query.get("sortOrder", "Descending") == "Descending"
        jobs.sort(key=_sort_key, reverse=descending)
        if query.get("nextToken"):
            last = _read_token(query["nextToken"])
            jobs = [j for j in jobs if (_sort_key(j) < last if descending
                                        else _sort_key(j) > last)]
        size = int(query.get("maxResults") or 1000)
        out: dict[str, Any] = {"asyncInvokeSummaries": jobs[:size]}
        if len(jobs) > size:
            out["nextToken"] = _make_token(_sort_key(jobs[size - 1]))
        return out

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
