"""One retry policy: botocore's retry modes first, one small outer loop for what they cannot do.

Every client the package makes (:func:`nova_toolkit._core.aws.make_client`) carries
:func:`botocore_retries` — botocore's ``standard`` or ``adaptive`` mode, which already retries
throttling, transient codes, 5xx and dropped connections with jittered backoff (adaptive also
rate-limits the client). What botocore cannot do is decided here, once:

- keep going after botocore's ``max_attempts`` (a batch job must cost time, never an item),
- retry the service codes botocore does not know (Bedrock's ``ModelNotReadyException``,
  ``ModelTimeoutException``),
- count retries into a caller's report and sleep through an injectable ``sleep`` (tests).

:data:`RETRYABLE_CODES` is the one list: botocore's own throttling and transient codes (read
from botocore, not copied) plus those service codes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.retries import standard

__all__ = ["RETRYABLE_CODES", "TRANSIENT_ERRORS", "botocore_retries", "is_retryable", "retry"]

T = TypeVar("T")

#: Codes botocore's standard mode retries, plus the Bedrock / S3 Vectors codes it does not.
RETRYABLE_CODES: frozenset[str] = frozenset(
    standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES
    + standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    + ["ModelNotReadyException", "ModelTimeoutException", "ServiceUnavailableException",
       "InternalServerException"]
)
#: Connection-level failures worth another try.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionClosedError, EndpointConnectionError, ReadTimeoutError, ConnectTimeoutError,
    ResponseStreamingError, ConnectionError,
)


def botocore_retries(mode: str = "adaptive", max_attempts: int = 4) -> dict[str, Any]:
    """The ``retries`` entry of a ``botocore.config.Config``: botocore's own retry mode."""
    if mode not in ("standard", "adaptive", "legacy"):
        raise ValueError(f"unknown botocore retry mode {mode!r}")
    return {"mode": mode, "max_attempts": int(max_attempts)}


def is_retryable(exc: BaseException) -> bool:
    """True for throttling, transient and 5xx ``ClientError``s and dropped connections."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
        return code in RETRYABLE_CODES or status == 429 or status >= 500
    return isinstance(exc, TRANSIENT_ERRORS)


def retry(
    call: Callable[[], T],
    *,
    attempts: int = 9,
    base_delay: float = 0.2,
    max_delay: float = 20.0,
    jitter: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """``call()`` until it succeeds, retrying :func:`is_retryable` errors with backoff.

    ``attempts`` counts every call (so ``attempts - 1`` retries); the delay doubles from
    ``base_delay`` up to ``max_delay``, with full jitter unless ``jitter=False``.
    ``on_retry(exc)`` runs before each sleep. The last error, or any non-retryable one,
    is raised unchanged.
    """
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            attempt += 1
            if attempt >= attempts or not is_retryable(exc):
                raise
            if on_retry is not None:
                on_retry(exc)
            cap = min(max_delay, base_delay * 2 ** (attempt - 1))
            sleep(random.uniform(0, cap) if jitter else cap)
