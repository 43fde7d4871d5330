"""S3 inside the twin: moto's S3 server app, mounted on the twin's port, and the twin's own
client to it (async jobs read inputs and write outputs through plain S3 calls)."""

from __future__ import annotations

import threading
from typing import Any

from nova_toolkit.twin.wire import ServiceError


def moto_s3_app() -> Any:
    """moto's S3 WSGI (Flask) application; the twin's router already chose the service."""
    from moto.server import create_backend_app

    return create_backend_app("s3")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → ``(bucket, key)``; the key may be empty (a prefix)."""
    if not isinstance(uri, str) or not uri.startswith("s3://") or len(uri) <= 5:
        raise ServiceError("ValidationException", f"Invalid S3 URI: {uri!r}", 400)
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ServiceError("ValidationException", f"Invalid S3 URI: {uri!r}", 400)
    return bucket, key


class S3Access:
    """S3 calls the twin makes on itself (dummy credentials, moto's default account)."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._client = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import botocore.session
                from botocore.config import Config

                self._client = botocore.session.Session().create_client(
                    "s3", endpoint_url=self.endpoint_url, region_name=self.region,
                    aws_access_key_id="twin", aws_secret_access_key="twin",
                    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
                )
            return self._client

    def read(self, uri: str) -> bytes:
        """The object's bytes; a missing object or bucket is a ValidationException."""
        bucket, key = parse_s3_uri(uri)
        try:
            return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            raise ServiceError("ValidationException",
                               f"Unable to read S3 object {uri}: {code}", 400) from None

    def write(self, uri: str, data: bytes, content_type: str = "application/json") -> None:
        bucket, key = parse_s3_uri(uri)
        self.client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
