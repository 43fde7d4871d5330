"""Responses in botocore's wire formats: rest-json bodies and errors, query/XML errors."""

from __future__ import annotations

import datetime as dt
import functools
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


def xml_error_response(err: ServiceError, namespace: str | None = None) -> Response:
    """The query/XML error shape (STS and other query-protocol services).

    ``<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
    <RequestId/></ErrorResponse>``, which botocore's query parser reads into
    ``Error.Code`` / ``Error.Message``.
    """
    from xml.sax.saxutils import escape

    rid = request_id()
    xmlns = f' xmlns="{escape(namespace)}"' if namespace else ""
    kind = "Receiver" if err.status >= 500 else "Sender"
    body = (f"<ErrorResponse{xmlns}><Error><Type>{kind}</Type><Code>{escape(err.code)}</Code>"
            f"<Message>{escape(err.message)}</Message></Error><RequestId>{rid}</RequestId>"
            "</ErrorResponse>").encode()
    resp = Response(body, status=err.status, content_type="text/xml")
    resp.headers["x-amzn-RequestId"] = rid
    return resp


@functools.lru_cache(maxsize=64)
def service_protocol(service: str) -> tuple[str, str | None]:
    """(protocol, xmlNamespace) of a botocore service model; ``("json", None)`` when unknown."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return "json", None
    return model.protocol, model.metadata.get("xmlNamespace")


def error_for_service(service: str, err: ServiceError) -> Response:
    """``err`` in the wire protocol of ``service`` (per botocore's model; JSON when unknown)."""
    protocol, namespace = service_protocol(service)
    if protocol in ("query", "ec2", "rest-xml"):
        return xml_error_response(err, namespace)
    return error_response(err)
