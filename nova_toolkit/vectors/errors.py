"""Exceptions of the local S3 Vectors mirror, built exactly the way boto3 builds them.

The exception classes come from ``botocore.errorfactory`` applied to botocore's own
``s3vectors`` service model, so they are the same kind of class ``boto3.client("s3vectors")``
exposes on ``client.exceptions``: subclasses of ``botocore.exceptions.ClientError`` whose
``response`` carries ``Error.Code``, ``Error.Message``, the HTTP status and the modeled
fields (``message``, ``fieldList``) at top level.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import botocore.session
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError, ParamValidationError

__all__ = [
    "ApiError",
    "Invalid",
    "ClientError",
    "ParamValidationError",
    "client_exceptions",
    "error",
    "http_status",
    "service_model",
    "validation_error",
]


@functools.lru_cache(maxsize=1)
def service_model() -> Any:
    """botocore's ``s3vectors`` service model (loaded once, from the installed wheel)."""
    return botocore.session.get_session().get_service_model("s3vectors")


@functools.lru_cache(maxsize=1)
def client_exceptions() -> Any:
    """The ``client.exceptions`` namespace, generated from the service model like boto3 does."""
    return ClientExceptionsFactory().create_client_exceptions(service_model())


def http_status(code: str) -> int:
    """HTTP status of a modeled error code (ValidationException has none in the model: 400)."""
    for shape in service_model().error_shapes:
        if shape.name == code:
            return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
    return 400


def response_metadata(status: int = 200) -> dict[str, Any]:
    """A ``ResponseMetadata`` block like botocore's."""
    return {
        "RequestId": uuid.uuid4().hex.upper()[:16],
        "HostId": "",
        "HTTPStatusCode": status,
        "HTTPHeaders": {},
        "RetryAttempts": 0,
    }


def error(code: str, message: str, operation: str, **fields: Any) -> ClientError:
    """Build (not raise) the modeled exception ``code`` for ``operation``."""
    status = http_status(code)
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": response_metadata(status),
        "message": message,
    }
    response.update(fields)
    return client_exceptions().from_code(code)(response, operation)


def validation_error(operation: str, path: str, message: str) -> ClientError:
    """A ValidationException naming the offending field in ``message`` and ``fieldList``."""
    full = f"{path}: {message}" if path else message
    field_list = [{"path": path, "message": message}] if path else []
    return error("ValidationException", full, operation, fieldList=field_list)


class ApiError(Exception):
    """Internal carrier of a modeled error; the client turns it into the botocore exception.

    Raised by the storage and validation layers, which do not know the operation name.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_client_error(self, operation: str) -> ClientError:
        """The botocore-style exception for ``operation``."""
        return error(self.code, self.message, operation)


class Invalid(ApiError):
    """A request field failed validation (ValidationException with a ``fieldList`` entry)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__("ValidationException", f"{path}: {message}" if path else message)
        self.path = path
        self.detail = message

    def to_client_error(self, operation: str) -> ClientError:
        return validation_error(operation, self.path, self.detail)
