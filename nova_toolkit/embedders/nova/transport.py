"""Bedrock/S3 clients from the standard AWS configuration, and retries that never lose an item.

Clients come from a botocore session: profiles, regions, the credential chain and
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` all work as in any AWS tool.
Credentials stay inside botocore: nothing here stores, logs or prints them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from nova_toolkit.embedders.nova.constants import RETRYABLE_CODES
from nova_toolkit.embedders.nova.usage import Usage

T = TypeVar("T")
TRANSIENT_ERRORS = (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError,
                    ConnectTimeoutError, ResponseStreamingError, ConnectionError)


class PermanentError(Exception):
    """A request that will not succeed by retrying (ValidationException, access denied...).

    ``code`` is the service's error code when there was one (e.g. ``NoSuchKey``).
    """

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def make_session(profile: str | None = None, region: str | None = None) -> Any:
    """A botocore session for ``profile`` (else the default chain) and ``region``."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    if region:
        session.set_config_variable("region", region)
    return session


def make_client(session: Any, service: str, *, pool_size: int = 16,
                endpoint_url: str | None = None, max_attempts: int = 4,
                retry_mode: str = "adaptive", read_timeout: float = 60.0,
                usage: Usage | None = None) -> Any:
    """A thread-safe client with ``max_pool_connections = pool_size`` and botocore retries."""
    config = Config(max_pool_connections=pool_size, read_timeout=read_timeout,
                    connect_timeout=10, retries={"mode": retry_mode, "max_attempts": max_attempts},
                    region_name=session.get_config_variable("region") or "us-east-1")
    client = session.create_client(service, endpoint_url=endpoint_url, config=config)
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


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


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
    attempt = 0
    while True:
        try:
            return call()
        except ClientError as exc:
            code = error_code(exc)
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code not in RETRYABLE_CODES and status < 500:
                raise PermanentError(f"{code}: {exc.response.get('Error', {}).get('Message', exc)}",
                                     code) from None
            reason = f"{code or status}: {exc}"
        except TRANSIENT_ERRORS as exc:
            reason = f"{type(exc).__name__}: {exc}"
        attempt += 1
        if attempt > max_retries:
            raise PermanentError(f"gave up after {max_retries} retries: {reason}")
        if usage is not None:
            usage.add(retries=1)
        time.sleep(random.uniform(0, min(max_delay, base_delay * 2 ** attempt)))
