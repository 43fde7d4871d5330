"""Pagination tokens of the mirror: opaque to callers, bound to the request they continue.

Listing tokens (ListVectorBuckets / ListIndexes / ListVectors) carry the last name or key
returned. QueryVectors tokens carry the offset of the next page and a fingerprint of the
query (index, topK, queryVector, queryTexts, filter, queryMode; not the return* flags,
which only shape each page): the S3
Vectors user guide says to repeat "the same queryVector, topK, and filter parameters"
with the token, so a token presented with a different query is a ValidationException,
as on AWS. Tokens are URL-safe base64 of compact JSON; they do not expire (AWS: "valid
for several minutes"), and a page is recomputed from the index as it is when asked for
(AWS: writes between page retrievals may show up in later pages).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from .errors import Invalid

#: QueryVectors results per page. AWS documents that results come "across multiple
#: pages" when topK exceeds the page size but not the size itself; 100 is the old topK
#: cap of its "Limitations and restrictions" page, and the mirror's choice.
QUERY_PAGE_SIZE = 100

#: Request members a QueryVectors token is bound to (everything but the token itself).
_QUERY_BINDING = (
    "vectorBucketName", "vectorBucketArn", "indexName", "indexArn", "topK", "queryVector",
    "queryTexts", "filter", "queryMode",
)  # fmt: skip


def encode(payload: dict[str, Any]) -> str:
    """An opaque token for ``payload``."""
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode(token: str, path: str = "nextToken") -> dict[str, Any]:
    """The payload of a token made by :func:`encode` (ValidationException otherwise)."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        out = json.loads(raw)
    except (ValueError, UnicodeError) as exc:
        raise Invalid(path, f"Invalid pagination token {token[:40]!r}") from exc
    if not isinstance(out, dict):
        raise Invalid(path, f"Invalid pagination token {token[:40]!r}")
    return out


def query_fingerprint(params: dict[str, Any], index_arn: str) -> str:
    """A digest of the query a QueryVectors token belongs to."""
    bound = {k: params.get(k) for k in _QUERY_BINDING if params.get(k) is not None}
    bound["@index"] = index_arn
    for k in ("vectorBucketName", "vectorBucketArn", "indexName", "indexArn"):
        bound.pop(k, None)  # the same index however it is named
    text = json.dumps(bound, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def query_token(offset: int, fingerprint: str) -> str:
    """The token of the QueryVectors page starting at ``offset``."""
    return encode({"o": offset, "q": fingerprint})


def query_offset(token: str | None, fingerprint: str) -> int:
    """Offset of the page ``token`` asks for (0 without a token); the token must belong to
    the same query."""
    if token is None:
        return 0
    state = decode(token)
    offset = state.get("o")
    if state.get("q") != fingerprint or not isinstance(offset, int) or offset < 0:
        raise Invalid(
            "nextToken",
            "The pagination token does not belong to this query: repeat the same query "
            "(index, topK, queryVector, queryTexts, filter, ...) with the token",
        )
    return offset
