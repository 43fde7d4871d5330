"""Responses in botocore's rest-json wire format (bodies, error shapes, headers)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from werkzeug.wrappers import Response


class ServiceError(Exception):
    """A modeled AWS error to send back: ``code`` (e.g. ``ValidationException``) and status."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def request_id() -> str:
    """A fresh request id, like AWS's ``x-amzn-RequestId``."""
    return str(uuid.uuid4())


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> Response:
    """A JSON response with AWS's request id header."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, default=_default).encode()
    resp = Response(body, status=status, content_type=content_type)
    resp.headers["x-amzn-RequestId"] = request_id()
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def error_response(err: ServiceError) -> Response:
    """The rest-json error shape: status, ``x-amzn-ErrorType`` header, ``{"message", ...}`` body.

    botocore reads the code from the header (and the ``__type``/``code`` fields as a
    fallback), the message from ``message``, and copies modeled fields such as
    ``fieldList`` into the exception's ``response``.
    """
    body = {"message": err.message, **err.fields}
    resp = json_response(body, status=err.status)
    resp.headers["x-amzn-ErrorType"] = err.code
    return resp
