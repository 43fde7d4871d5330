"""S3 sources: ``s3://bucket/key`` URIs parsed, and objects under a prefix listed.

Listing goes through the package's one S3 client factory
(:func:`nova_toolkit._core.aws.make_client`), so profiles, regions and
``AWS_ENDPOINT_URL`` work as in boto3.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``; ValueError when it is not one."""
    m = re.fullmatch(r"s3://([^/]+)/(.+)", str(uri))
    if not m:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return m.group(1), m.group(2)


def is_s3_prefix(uri: str) -> bool:
    """True for ``s3://bucket/`` or ``s3://bucket/some/prefix/`` (a "folder" of objects)."""
    return uri.startswith("s3://") and (uri.endswith("/") or uri.count("/") == 2)


def iter_s3(uri: str, *, client: Any = None) -> Iterator[tuple[str, str | None]]:
    """Objects under an ``s3://`` URI, as ``(uri, error)`` like :func:`iter_files`.

    A prefix ending in ``/`` (or a bare bucket) is listed with the paginated
    ListObjectsV2, skipping "folder" markers and hidden names; any other URI is
    one object. The client comes from boto3's standard configuration
    (profiles, regions, ``AWS_ENDPOINT_URL``) when omitted.
    """
    if not is_s3_prefix(uri):
        yield uri, None
        return
    rest = uri[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    from nova_toolkit._core.aws import error_code, make_client

    try:
        if client is None:
            client = make_client("s3")
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = sorted(
            obj["Key"] for page in pages for obj in page.get("Contents", ())
            if not obj["Key"].endswith("/")
            and not any(part.startswith(".") for part in obj["Key"][len(prefix):].split("/"))
        )
    except Exception as e:  # botocore ClientError / connection errors: report, go on
        code = error_code(e)
        yield uri, {"NoSuchBucket": "no such bucket",
                    "AccessDenied": "access denied"}.get(code, f"cannot list: {e}")
        return
    for key in keys:
        yield f"s3://{bucket}/{key}", None

