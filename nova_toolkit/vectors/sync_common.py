"""What push and pull share: the report, the retrying caller, checkpoints (see :mod:`.sync`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from nova_toolkit._core.aws import error_code as error_code  # re-exported for push / pull
from nova_toolkit._core.retry import retry


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


def call_with_retry(fn: Callable[..., Any], report: SyncReport, sleep, attempts: int = 8,
                    **kw: Any) -> Any:
    """``fn(**kw)`` under the package's retry policy (:func:`nova_toolkit._core.retry.retry`):
    throttling, transient and 5xx errors are retried with backoff (0.2 s doubling to 10 s,
    no jitter: pacing is already deterministic), each retry counted in ``report``."""

    def count(_exc: BaseException) -> None:
        report.retries += 1

    return retry(lambda: fn(**kw), attempts=attempts, base_delay=0.2, max_delay=10.0,
                 jitter=False, sleep=sleep, on_retry=count)


# ------------------------------------------------------------------ checkpoint
def read_checkpoint(path: Path, want: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if readable and its identity matches ``want``, else None."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or any(data.get(k) != x for k, x in want.items()):
        return None
    return data


def write_checkpoint(path: Path, data: dict[str, Any]) -> None:
    """Replace the checkpoint atomically (the package's one atomic-write mechanism)."""
    from nova_toolkit._core.atomic import atomic_write_bytes

    atomic_write_bytes(path, json.dumps(data, indent=1).encode("utf-8"))


def endpoint_of(client: Any) -> str:
    """The endpoint URL of a boto3 client (``"aws"`` when it has none: AWS itself)."""
    meta = getattr(client, "meta", None)
    return str(getattr(meta, "endpoint_url", None) or "aws")


def set_up_text_search(report: SyncReport, fn: Callable[..., list[str]], client: Any,
                        **kw: Any) -> None:
    """Run ``fn`` (create / upgrade the remote index); a refused mode or text-search change
    (no permission, a service without it) is a note, and the vectors are still pushed."""
    try:
        report.notes += fn(client, **kw)
    except ClientError as exc:
        if kw.get("dimension") is not None and not _index_exists(client, kw["bucket"], kw["index"]):
            raise  # the index itself could not be created
        err = exc.response.get("Error", {})
        report.notes.append(
            f"index {kw['bucket']}/{kw['index']}: ENHANCED mode / full-text search not set up "
            f"({err.get('Code')}: {err.get('Message')})")


def _index_exists(client: Any, bucket: str, index: str) -> bool:
    try:
        client.get_index(vectorBucketName=bucket, indexName=index)
    except ClientError:
        return False
    return True
