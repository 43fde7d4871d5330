"""What the twin refuses before any service sees a request: web pages, rebinding, huge bodies.

The twin is a server on a developer's machine, so any web page the developer visits can
reach it. Like a local metadata service it trusts only what a browser cannot forge:

* **Browser-originated requests** (an ``Origin`` or ``Sec-Fetch-*`` header) must carry an
  ``Authorization`` header. A page cannot add one without a CORS preflight, and the twin
  answers no preflight, so a page's ``no-cors`` POST (creating or deleting a bucket) is
  refused. Presigned ``GET``/``HEAD`` URLs (the signature in the query, as an ``<img>``
  loads it) stay usable: they only read.
* **DNS rebinding**: bound to a loopback address, the twin answers only requests whose
  ``Host`` names a loopback address (``localhost``, ``*.localhost``, ``127.x``, ``[::1]``)
  or a name the user allowed, so a page whose domain resolves to 127.0.0.1 gets nothing.
* **Body size** is checked from ``Content-Length`` before a byte is read, against the
  service's own limit (AWS's: 25 MB for Bedrock, 20 MiB for S3 Vectors, 5 GB for a single S3
  PUT); a request without a length is read through a limit (:func:`read_json`).

:func:`read_json` is the one way a JSON service reads its body: an empty body is ``{}``, and
invalid JSON, JSON nested too deep and anything but an object are AWS-shaped
``ValidationException`` errors, never a 500.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from werkzeug.wrappers import Request

from nova_toolkit.twin.nova_requests import MAX_BODY_BYTES
from nova_toolkit.twin.sts import MAX_FORM_BYTES
from nova_toolkit.twin.wire import ServiceError
from nova_toolkit.vectors.validation import MAX_REQUEST_BYTES

#: Largest request body per service, in bytes (AWS's limits; the twin's JSON services).
BODY_LIMITS = {
    "bedrock-runtime": MAX_BODY_BYTES,
    "s3vectors": MAX_REQUEST_BYTES,
    "sts": MAX_FORM_BYTES,
    "s3": 5 * 1024**3,  # a single PutObject
    "twin": 64 * 1024,
}
#: Deepest JSON nesting a body may have (Nova's and S3 Vectors' documents need < 10).
MAX_JSON_DEPTH = 64

_BROWSER_HEADERS = ("HTTP_ORIGIN", "HTTP_SEC_FETCH_SITE", "HTTP_SEC_FETCH_MODE",
                    "HTTP_SEC_FETCH_DEST")
_PRESIGNED = re.compile(r"(?:^|&)(?:X-Amz-Signature|Signature)=", re.I)  # SigV4 or S3's SigV2


def _is_loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """``Host`` without its port (``[::1]:8555`` → ``[::1]``)."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def refusal(environ: dict[str, Any], service: str, *, bound_host: str,
            allowed_hosts: frozenset[str] = frozenset()) -> ServiceError | None:
    """Why the twin must not serve this request for ``service``, or None."""
    host = _host_name(environ.get("HTTP_HOST", "")).lower()
    if _is_loopback_name(bound_host) and not (_is_loopback_name(host) or host in allowed_hosts):
        return ServiceError("AccessDeniedException",
                            f"the twin serves loopback hosts only, not Host {host!r} "
                            "(nova-toolkit serve --allow-host NAME to add one)", 403)
    browser = any(environ.get(h) for h in _BROWSER_HEADERS)
    if browser and not environ.get("HTTP_AUTHORIZATION"):
        presigned_read = (environ.get("REQUEST_METHOD") in ("GET", "HEAD")
                          and _PRESIGNED.search(environ.get("QUERY_STRING", "")))
        if not presigned_read:
            return ServiceError("AccessDeniedException",
                                "a browser-originated request without a SigV4 Authorization "
                                "header is refused", 403)
    return _size_refusal(environ, service)


def _size_refusal(environ: dict[str, Any], service: str) -> ServiceError | None:
    length = environ.get("CONTENT_LENGTH") or ""
    if not length:
        return None
    if not length.isdigit():
        return ServiceError("ValidationException", f"Content-Length {length!r} is not a number",
                            400)
    limit = BODY_LIMITS.get(service, BODY_LIMITS["s3"])
    if int(length) > limit:
        code = "EntityTooLarge" if service == "s3" else "ValidationException"
        return ServiceError(code, f"the request body is {int(length)} bytes, above the "
                            f"{limit}-byte limit of {service}", 413 if service != "s3" else 400)
    return None


def _depth(value: Any, limit: int) -> bool:
    """True when ``value`` nests deeper than ``limit`` (iterative: no recursion to blow)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, level + 1) for c in children if isinstance(c, (dict, list)))
    return False


def read_json(request: Request, service: str) -> dict[str, Any]:
    """The JSON object in a request body (``{}`` when empty), read through the size limit."""
    limit = BODY_LIMITS[service]
    chunked = "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    # a Content-Length was checked against the limit before reading (or there is no body);
    # a chunked body is read from the server's de-chunked input, one byte past the limit
    raw = (request.environ["wsgi.input"].read(limit + 1) if chunked
           else request.get_data())
    if len(raw) > limit:
        raise ServiceError("ValidationException", f"the request body is above the "
                           f"{limit}-byte limit of {service}", 413)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except RecursionError:
        body = None
        deep = True
    except ValueError:
        raise ServiceError("ValidationException", "The request body is not valid JSON.",
                           400) from None
    else:
        deep = _depth(body, MAX_JSON_DEPTH)
    if deep:
        raise ServiceError("ValidationException", f"The request body nests deeper than "
                           f"{MAX_JSON_DEPTH} levels.", 400)
    if not isinstance(body, dict):
        raise ServiceError("ValidationException", "The request body must be a JSON object.",
                           400)
    return body
