"""SEGMENTED_EMBEDDING through StartAsyncInvoke: stage the input on S3, poll, read the output."""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

from nova_toolkit.embedders.base import Embedding, EmbedFailure
from nova_toolkit.embedders.nova.constants import MODEL_ID, OUTPUT_FILES, RESULT_FILE
from nova_toolkit.embedders.nova.parse import jsonl_rows
from nova_toolkit.embedders.nova.transport import PermanentError, with_retries
from nova_toolkit.embedders.nova.usage import Usage


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → ``(bucket, prefix)``."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def join_uri(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *[p.strip("/") for p in parts]])


class AsyncRunner:
    """Runs async invocations with a Bedrock client and an S3 client.

    Parameters
    ----------
    staging_uri : str
        ``s3://bucket/prefix`` where local inputs are uploaded (``inputs/``) and where
        Bedrock writes outputs (``outputs/``).
    poll_initial, poll_max : float
        Polling backoff for GetAsyncInvoke (seconds; doubled each poll, jittered).
    timeout : float
        Give up on a job after this many seconds (the item becomes a failure row).
    """

    def __init__(self, bedrock: Any, s3: Any, staging_uri: str, usage: Usage, *,
                 poll_initial: float = 0.5, poll_max: float = 15.0,
                 timeout: float = 3600.0) -> None:
        split_uri(staging_uri)
        self.bedrock = bedrock
        self.s3 = s3
        self.staging = staging_uri
        self.usage = usage
        self.poll_initial = poll_initial
        self.poll_max = poll_max
        self.timeout = timeout

    def stage(self, data: bytes, name: str, sha256: str) -> str:
        """Upload bytes under ``<staging>/inputs/<sha256>/<name>`` (once) → its URI."""
        uri = join_uri(self.staging, "inputs", sha256, name.replace("/", "_"))
        bucket, key = split_uri(uri)
        with_retries(lambda: self.s3.put_object(Bucket=bucket, Key=key, Body=data),
                     usage=self.usage)
        return uri

    def start(self, model_input: dict[str, Any]) -> str:
        """StartAsyncInvoke with outputs under ``<staging>/outputs/`` → the invocation ARN."""
        token = uuid.uuid4().hex  # idempotent across our own retries of StartAsyncInvoke
        started = with_retries(lambda: self.bedrock.start_async_invoke(
            modelId=MODEL_ID, modelInput=model_input, clientRequestToken=token,
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": self.output_uri}}),
            usage=self.usage)
        self.usage.add(async_jobs=1, calls=1)
        return started["invocationArn"]

    @property
    def output_uri(self) -> str:
        return join_uri(self.staging, "outputs") + "/"

    def run(self, model_input: dict[str, Any], embedding_types: list[str], *,
            text: str | None = None) -> list[Embedding | EmbedFailure]:
        """Start one job, wait for it, and return its rows (failed segments as failures)."""
        return self.collect(self.start(model_input), embedding_types, text=text)

    def collect(self, arn: str, embedding_types: list[str], *,
                text: str | None = None) -> list[Embedding | EmbedFailure]:
        """Wait for a started job and read its rows (a failed job is one failure row)."""
        job = self.wait(arn)
        if job["status"] != "Completed":
            return [EmbedFailure(0, f"async job {job['status']}: "
                                    f"{job.get('failureMessage', 'no message')}")]
        folder, summary = self.result_folder(job, arn)
        rows: list[Embedding | EmbedFailure] = []
        for result in summary.get("embeddingResults", []):
            kind = result["embeddingType"]
            if kind not in embedding_types:
                continue
            if result.get("status") == "FAILURE" and not result.get("outputFileUri"):
                rows.append(EmbedFailure(0, f"{kind}: {result.get('failureReason')}: "
                                            f"{result.get('message', '')}"))
                continue
            uri = result.get("outputFileUri") or join_uri(folder, OUTPUT_FILES[kind])
            rows.extend(jsonl_rows(self._read(uri), kind, text=text))
        return rows

    def result_folder(self, job: dict[str, Any], arn: str) -> tuple[str, dict[str, Any]]:
        """The folder holding a completed job's results and its parsed result manifest.

        Bedrock's GetAsyncInvoke reports ``s3Uri`` with the invocation id appended: that
        folder is tried first. A service that echoes the bare request prefix is handled by
        then trying ``<prefix>/<invocation id>`` (where Bedrock writes the results).
        """
        invocation_id = arn.rsplit("/", 1)[-1]
        reported = ((job.get("outputDataConfig") or {}).get("s3OutputDataConfig") or {}).get(
            "s3Uri") or self.output_uri
        candidates = [reported.rstrip("/")]
        if candidates[0].rsplit("/", 1)[-1] != invocation_id:
            candidates.append(join_uri(reported, invocation_id))
        missing = []
        for folder in candidates:
            try:
                return folder, json.loads(self._read(join_uri(folder, RESULT_FILE)))
            except PermanentError as exc:
                if exc.code not in ("NoSuchKey", "404"):
                    raise
                missing.append(join_uri(folder, RESULT_FILE))
        raise PermanentError(f"async job {invocation_id} completed but no {RESULT_FILE} was "
                             f"found (looked at {', '.join(missing)})")

    def wait(self, arn: str) -> dict[str, Any]:
        delay, deadline = self.poll_initial, time.monotonic() + self.timeout
        while True:
            job = with_retries(lambda: self.bedrock.get_async_invoke(invocationArn=arn),
                               usage=self.usage)
            if job["status"] != "InProgress":
                return job
            if time.monotonic() > deadline:
                return {"status": "TimedOut", "failureMessage": f"still InProgress after "
                        f"{self.timeout:.0f} s ({arn})"}
            time.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(self.poll_max, delay * 2)

    def _read(self, uri: str) -> bytes:
        bucket, key = split_uri(uri)
        return with_retries(lambda: self.s3.get_object(Bucket=bucket, Key=key)["Body"].read(),
                            usage=self.usage)
