"""Bedrock/S3 clients for the Nova embedder, and retries that never lose an item.

Clients come from the package's one factory (:func:`nova_toolkit._core.aws.make_client`,
botocore's adaptive retry mode); :func:`with_retries` is the package's one retry policy
(:func:`nova_toolkit._core.retry.retry`) with the embedder's usage counters and its
``PermanentError`` for what will not succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from nova_toolkit._core import aws
from nova_toolkit._core.aws import error_code, make_session
from nova_toolkit._core.retry import RETRYABLE_CODES, TRANSIENT_ERRORS, is_retryable, retry
from nova_toolkit.embedders.nova.usage import Usage

__all__ = ["RETRYABLE_CODES", "TRANSIENT_ERRORS", "PermanentError", "error_code", "make_client",
           "make_session", "with_retries"]

T = TypeVar("T")


class PermanentError(Exception):
    """A request that will not succeed by retrying (ValidationException, access denied...).

    ``code`` is the service's error code when there was one (e.g. ``NoSuchKey``).
    """

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def make_client(session: Any, service: str, *, pool_size: int = 16,
                endpoint_url: str | None = None, max_attempts: int = 4,
                retry_mode: str = "adaptive", read_timeout: float = 60.0,
                usage: Usage | None = None) -> Any:
    """A thread-safe client from the package's factory; ``usage`` counts every HTTP attempt."""
    client = aws.make_client(service, session=session, pool_size=pool_size,
                             endpoint_url=endpoint_url, max_attempts=max_attempts,
                             retry_mode=retry_mode, read_timeout=read_timeout)
    if usage is not None:
        client.meta.events.register(f"needs-retry.{client.meta.service_model.endpoint_prefix}",
                                    _attempt_counter(usage))
    return client


def _attempt_counter(usage: Usage) -> Callable[..., None]:
    """Count every HTTP attempt botocore makes (its own retries included)."""

    def count(response=None, caught_exception=None, attempts=1, **_: Any) -> None:
        extra: dict[str, int] = {"requests": 1}
        if attempts > 1:
            extra["retries"] = 1
        if caught_exception is not None:
            extra["connection_errors"] = 1
        elif response is not None:
            status = response[0].status_code
            code = response[1].get("Error", {}).get("Code", "")
            if status == 429 or code == "ThrottlingException":
                extra["throttles"] = 1
            elif status >= 500:
                extra["server_errors"] = 1
        usage.add(**extra)
        return None

    return count


def with_retries(call: Callable[[], T], *, usage: Usage | None = None, max_retries: int = 8,
                 base_delay: float = 0.2, max_delay: float = 20.0) -> T:
    """Run ``call`` until it succeeds, retrying transient errors with full-jitter backoff.

    botocore's adaptive mode retries first; this outer loop takes over when botocore
    gives up, so throttling, ModelNotReady, ModelTimeout, 5xx and dropped connections
    cost time, never an item.

    Raises
    ------
    PermanentError
        For non-retryable errors (e.g. ValidationException) and after ``max_retries``.
    """
    on_retry = (lambda _exc: usage.add(retries=1)) if usage is not None else None
    try:
        return retry(call, attempts=max_retries + 1, base_delay=base_delay * 2,
                     max_delay=max_delay, on_retry=on_retry)
    except ClientError as exc:
        code = error_code(exc)
        if not is_retryable(exc):
            message = exc.response.get("Error", {}).get("Message", exc)
            raise PermanentError(f"{code}: {message}", code) from None
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        raise PermanentError(f"gave up after {max_retries} retries: {code or status}: {exc}") from None
    except TRANSIENT_ERRORS as exc:
        raise PermanentError(
            f"gave up after {max_retries} retries: {type(exc).__name__}: {exc}") from None
