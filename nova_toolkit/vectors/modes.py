"""Index modes of S3 Vectors: ``CLASSIC`` and ``ENHANCED``, and which one an index has.

From botocore's ``s3vectors`` model (2025-07-15) documentation strings:

* ``CLASSIC`` applies metadata filters *during* the vector search; ``ENHANCED`` applies them
  *before* it. On AWS a filtered CLASSIC query can therefore return fewer than ``topK``
  results; an ENHANCED one returns the ``topK`` nearest among the vectors that match.
  **The local mirror is exact in both modes**: it always returns
  ``min(topK, matching vectors)`` results, filtered first. The mode still decides what a
  request may ask for: full-text / hybrid search and the ``$startsWith`` operator need
  ENHANCED, as on AWS.
* ``UpdateIndexMode``: "You can set the mode to ENHANCED for any vector index. You can set
  the mode to CLASSIC only for a vector index in a vector bucket created before September
  30, 2026."
* ``QueryVectors.queryMode``: overrides the index's mode for one query; "You can't specify
  CLASSIC for an ENHANCED index."
* ``PutVectorBucketDefaultIndexMode``: the mode given to indexes created afterwards
  (``CreateIndex`` has no mode member).

Defaults chosen where AWS does not say, and for data written before modes existed:

* a bucket created before :data:`CLASSIC_CUTOFF` defaults to CLASSIC, a newer one to
  ENHANCED (the only mode its indexes may have); CLASSIC as the default of a newer bucket
  is refused like CLASSIC on its indexes;
* an index on disk without a recorded mode (written by an older mirror) has the default of
  its bucket as that bucket's creation time gives it: CLASSIC for every bucket an older
  mirror created before the cutoff. Such an index opens and queries as before; make it
  ENHANCED with ``UpdateIndexMode`` for full-text search.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .errors import Invalid

CLASSIC = "CLASSIC"
ENHANCED = "ENHANCED"
MODES = (CLASSIC, ENHANCED)

#: "a vector bucket created before September 30, 2026" (UpdateIndexMode documentation).
CLASSIC_CUTOFF = dt.datetime(2026, 9, 30, tzinfo=dt.timezone.utc)


def check_mode(value: Any, path: str) -> str:
    """An ``IndexMode`` enum value (botocore does not check enums client-side)."""
    if value not in MODES:
        raise Invalid(path, f"Value {value!r} must be one of {', '.join(MODES)}")
    return value


def classic_allowed(bucket: dict[str, Any]) -> bool:
    """Whether indexes of ``bucket`` (its bucket.json) may be CLASSIC."""
    return dt.datetime.fromisoformat(bucket["creationTime"]) < CLASSIC_CUTOFF


def bucket_default_mode(bucket: dict[str, Any]) -> str:
    """The ``defaultIndexMode`` of a bucket: recorded, else by its creation time."""
    recorded = bucket.get("defaultIndexMode")
    if recorded in MODES:
        return recorded
    return CLASSIC if classic_allowed(bucket) else ENHANCED


def index_mode(config: dict[str, Any], bucket: dict[str, Any]) -> str:
    """The ``indexMode`` of an index (its index.json): recorded, else its bucket's default
    as given by the bucket's creation time (indexes written before modes existed)."""
    recorded = config.get("indexMode")
    if recorded in MODES:
        return recorded
    return CLASSIC if classic_allowed(bucket) else ENHANCED


def refuse_classic(bucket: dict[str, Any], name: str, path: str) -> None:
    """ValidationException for CLASSIC in a bucket created on or after the cutoff."""
    if not classic_allowed(bucket):
        raise Invalid(
            path,
            f"You can set the mode to CLASSIC only for a vector index in a vector bucket "
            f"created before September 30, 2026; bucket {name!r} was created "
            f"{bucket['creationTime']}",
        )


def query_mode(requested: Any, index: str) -> str:
    """The mode one query runs in: ``queryMode`` if given, else the index's mode."""
    if requested is None:
        return index
    check_mode(requested, "queryMode")
    if requested == CLASSIC and index == ENHANCED:
        raise Invalid("queryMode", "You can't specify CLASSIC for an ENHANCED index")
    return requested
