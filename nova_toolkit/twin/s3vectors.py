"""S3 Vectors on the twin: ``POST /<Operation>`` (REST-JSON) ↔ the local mirror's client calls."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError
from werkzeug.wrappers import Request, Response

from nova_toolkit.twin.guard import read_json
from nova_toolkit.twin.wire import ServiceError, json_response
from nova_toolkit.vectors.errors import service_model


def operations() -> frozenset[str]:
    """Operation names of botocore's ``s3vectors`` model (the POST paths)."""
    return frozenset(service_model().operation_names)


def _epoch(payload: Any) -> Any:
    """Timestamps as epoch seconds (the model's rest-json default for body timestamps)."""
    import datetime as dt

    if isinstance(payload, dict):
        return {k: _epoch(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [_epoch(v) for v in payload]
    if isinstance(payload, dt.datetime):
        return payload.timestamp()
    return payload


class S3VectorsService:
    """Translate HTTP requests into calls on a ``local_client(root)`` and back."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.ops = operations()

    def _call(self, name: str, params: dict[str, Any]) -> Response:
        method = getattr(self.client, xform_name(name), None)
        if method is None:
            raise ServiceError("ValidationException",
                               f"{name} is not supported by the local S3 Vectors twin", 400)
        try:
            out = method(**params)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            fields = {k: exc.response[k] for k in ("fieldList",) if k in exc.response}
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            raise ServiceError(err.get("Code", "ValidationException"),
                               err.get("Message", str(exc)), status, **fields) from None
        except ParamValidationError as exc:
            raise ServiceError("ValidationException", str(exc), 400) from None
        except TypeError as exc:  # an unexpected member reached the client
            raise ServiceError("ValidationException", str(exc), 400) from None
        out = {k: v for k, v in (out or {}).items() if k != "ResponseMetadata"}
        return json_response(_epoch(out))

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/tags/"):
            arn = unquote(path[len("/tags/"):])
            if request.method == "GET":
                return self._call("ListTagsForResource", {"resourceArn": arn})
            if request.method == "POST":
                body = read_json(request, "s3vectors")
                return self._call("TagResource", {"resourceArn": arn, **body})
            if request.method == "DELETE":
                keys = request.args.getlist("tagKeys")
                return self._call("UntagResource", {"resourceArn": arn, "tagKeys": keys})
        name = path.strip("/")
        if request.method != "POST" or name not in self.ops:
            raise ServiceError("UnknownOperationException",
                               f"{request.method} {path} is not an S3 Vectors operation", 404)
        return self._call(name, read_json(request, "s3vectors"))
