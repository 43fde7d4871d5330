"""Which AWS service a request is for: SigV4 credential scope first, then the URL path."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")

#: SigV4 signing names → the twin's service names (bedrock-runtime signs as "bedrock").
_SIGNING_NAMES = {
    "bedrock": "bedrock-runtime",
    "bedrock-runtime": "bedrock-runtime",
    "s3vectors": "s3vectors",
    "s3": "s3",
    "sts": "sts",
}


def service_for(environ: dict, s3vectors_operations: frozenset[str]) -> str:
    """``"bedrock-runtime"``, ``"s3vectors"``, ``"sts"``, ``"s3"`` or ``"twin"`` (its own endpoints).

    The credential scope of a SigV4 ``Authorization`` header (or a presigned URL's
    ``X-Amz-Credential``) names the service. Without one (bearer tokens, anonymous
    calls) the request decides: ``/model/...`` and ``/async-invoke`` are Bedrock,
    ``POST /<S3VectorsOperation>`` is S3 Vectors, a query-protocol request to ``/`` with
    STS's ``Version`` (form POST or GET, see :func:`is_sts_query`) is STS, the rest is S3.
    """
    path = environ.get("PATH_INFO", "")
    if path.startswith("/_twin/"):
        return "twin"
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None and "X-Amz-Credential" in environ.get("QUERY_STRING", ""):
        cred = parse_qs(environ["QUERY_STRING"]).get("X-Amz-Credential", [""])[0]
        parts = cred.split("/")
        if len(parts) == 5:
            return _SIGNING_NAMES.get(parts[3], "s3")
    if scope is not None:
        return _SIGNING_NAMES.get(scope.group(1), scope.group(1))
    if path.startswith("/model/") or path.startswith("/async-invoke"):
        return "bedrock-runtime"
    if path == "/" and is_sts_query(environ):
        return "sts"
    first = path.strip("/").split("/")[0]
    if environ.get("REQUEST_METHOD") == "POST" and first in s3vectors_operations:
        return "s3vectors"
    return "s3"


def is_sts_query(environ: dict) -> bool:
    """An unsigned query-protocol STS call: ``Action`` and ``Version=2011-06-15`` in the
    query string or in a form-encoded POST body (the body is left readable)."""
    from nova_toolkit.twin.sts import api_version, read_form

    method = environ.get("REQUEST_METHOD")
    if method == "POST" and not environ.get("CONTENT_TYPE", "").startswith(
            "application/x-www-form-urlencoded"):
        return False
    if method not in ("GET", "POST"):
        return False
    params = read_form(environ)
    return bool(params) and params.get("Version") == api_version() and "Action" in params
