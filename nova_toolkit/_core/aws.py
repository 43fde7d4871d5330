"""One AWS client factory and the error helpers every AWS-facing room uses.

Clients come from a botocore session, so profiles, regions, the credential chain and
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` work as in any AWS tool; every client
carries the package's retry policy (:mod:`nova_toolkit._core.retry`). Credentials stay inside
botocore: nothing here stores, logs or prints them.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from nova_toolkit._core.retry import botocore_retries

__all__ = ["error_code", "error_message", "http_status", "make_client", "make_session"]


def make_session(profile: str | None = None, region: str | None = None) -> Any:
    """A botocore session for ``profile`` (else the default chain) and ``region``."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    if region:
        session.set_config_variable("region", region)
    return session


def make_client(service: str, *, session: Any = None, profile: str | None = None,
                region: str | None = None, endpoint_url: str | None = None,
                pool_size: int = 16, max_attempts: int = 4, retry_mode: str = "adaptive",
                read_timeout: float = 60.0, connect_timeout: float = 10.0) -> Any:
    """A thread-safe botocore client for ``service`` with botocore retries.

    ``session`` defaults to :func:`make_session(profile, region) <make_session>`; the region
    falls back to ``us-east-1`` when the configuration names none.
    """
    session = session if session is not None else make_session(profile, region)
    config = Config(max_pool_connections=pool_size, read_timeout=read_timeout,
                    connect_timeout=connect_timeout,
                    retries=botocore_retries(retry_mode, max_attempts),
                    region_name=region or session.get_config_variable("region") or "us-east-1")
    return session.create_client(service, endpoint_url=endpoint_url, config=config)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    return (response or {}).get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


def error_message(exc: BaseException) -> str:
    """The AWS error message of a ``ClientError`` (``str(exc)`` for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message", exc))
    return str(exc)


def http_status(exc: BaseException) -> int:
    """The HTTP status of a ``ClientError`` (0 when there is none)."""
    if isinstance(exc, ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return 0
