"""Request limits and checks of Amazon S3 Vectors (server-side ValidationException rules).

botocore's client-side ``ParamValidator`` already checks types, required members and
minimums (the client runs it first); this module adds what only the service enforces:
maximums, name patterns, vector contents and metadata sizes. Limits follow the S3 Vectors
user guide ("Limitations and restrictions").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .errors import Invalid

MAX_DIMENSION = 4096
MAX_KEY_CHARS = 1024
MAX_PUT_VECTORS = 500
MAX_DELETE_VECTORS = 500
MAX_GET_VECTORS = 100
MAX_LIST_VECTORS = 1000
DEFAULT_LIST_VECTORS = 500
MAX_LIST_NAMES = 500
MAX_SEGMENTS = 16
MAX_NON_FILTERABLE_KEYS = 10
MAX_METADATA_BYTES = 40 * 1024
MAX_FILTERABLE_METADATA_BYTES = 2 * 1024
MAX_METADATA_KEYS = 50
MAX_REQUEST_BYTES = 20 * 1024 * 1024
DEFAULT_TOP_K_CAP = 100

_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")  # fullmatch: no "\n" slips past $
_INDEX_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def check_bucket_name(name: str, path: str = "vectorBucketName") -> str:
    """3–63 chars of ``[a-z0-9-]``, starting and ending with a letter or digit."""
    if not isinstance(name, str) or not _BUCKET_RE.fullmatch(name):
        raise Invalid(
            path,
            f"Invalid vector bucket name {name!r}: must be 3-63 characters of lowercase "
            "letters, digits and hyphens, starting and ending with a letter or digit",
        )
    return name


def check_index_name(name: str, path: str = "indexName") -> str:
    """3–63 chars of ``[a-z0-9.-]``, starting and ending with a letter or digit."""
    if not isinstance(name, str) or not _INDEX_RE.fullmatch(name):
        raise Invalid(
            path,
            f"Invalid index name {name!r}: must be 3-63 characters of lowercase letters, "
            "digits, hyphens and dots, starting and ending with a letter or digit",
        )
    return name


def check_range(value: int, lo: int, hi: int | None, path: str) -> int:
    """An integer parameter within ``[lo, hi]``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < lo
        or (hi is not None and value > hi)
    ):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise Invalid(path, f"Value {value!r} must be {bound}")
    return value


def check_count(items: Sequence[Any], lo: int, hi: int, path: str) -> None:
    """A list parameter with ``lo``–``hi`` members."""
    if not lo <= len(items) <= hi:
        raise Invalid(path, f"Must contain between {lo} and {hi} items, got {len(items)}")


def check_key(key: Any, path: str) -> str:
    """A vector key: a string of 1–1024 characters."""
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_CHARS:
        shown = key if not isinstance(key, str) or len(key) < 80 else key[:40] + "..."
        size = len(key) if isinstance(key, str) else "?"
        raise Invalid(path, f"Key {shown!r} must be 1-{MAX_KEY_CHARS} characters (got {size})")
    return key


def check_unique_keys(keys: Iterable[str], path: str) -> None:
    """Reject a request naming the same key twice (conservative reading of AWS)."""
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise Invalid(f"{path}[{i}]", f"Duplicate key {key!r} in one request")
        seen.add(key)


def check_vectors(data: np.ndarray, dimension: int, metric: str, path: str) -> np.ndarray:
    """Check an ``(n, dim)`` float32 block: right width, finite, non-zero on cosine.

    Returns the block as C-contiguous float32. ``path`` is formatted with the row number.
    """
    if data.ndim != 2 or data.shape[1] != dimension:
        width = data.shape[-1] if data.ndim else 0
        raise Invalid(
            path.format(0),
            f"Vector dimension {width} does not match index dimension {dimension}",
        )
    data = np.ascontiguousarray(data, dtype=np.float32)
    finite = np.isfinite(data).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise Invalid(path.format(row), "Vector data must not contain NaN or Infinity")
    if metric == "cosine":
        zero = ~np.any(data != 0, axis=1)
        if zero.any():
            row = int(np.flatnonzero(zero)[0])
            raise Invalid(
                path.format(row), "All-zero vector is not allowed with the cosine distance metric"
            )
    return data


def _numeric_list(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # ragged: nested lists
        return False
    return arr.ndim == 1 and arr.dtype.kind in "fiu"


def _light_data(data: Any) -> Any:
    if isinstance(data, dict) and _numeric_list(data.get("float32")):
        return {**data, "float32": [0.0]}
    return data


def for_model_validation(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with each well-typed ``float32`` list cut to one element.

    botocore's validator checks list elements one Python call at a time (~0.2 ms for a
    384-d query, ~80 ms for a 500-vector put); a list numpy reads as plain numbers passes
    that check by construction, and its length, finiteness and dimension are checked on
    the array by :func:`vector_from_request` / :func:`check_vectors`. Anything else (a
    string among the numbers, a nested list) is left for botocore to report.
    """
    if operation == "QueryVectors" and "queryVector" in params:
        return {**params, "queryVector": _light_data(params["queryVector"])}
    if operation == "PutVectors" and isinstance(params.get("vectors"), list):
        vecs = [{**vec, "data": _light_data(vec["data"])}
                if isinstance(vec, dict) and "data" in vec else vec
                for vec in params["vectors"]]
        return {**params, "vectors": vecs}
    return params


_F32_MAX = float(np.finfo(np.float32).max)


def vector_from_request(value: Any, dimension: int, metric: str, path: str) -> np.ndarray:
    """Parse a ``{"float32": [...]}`` VectorData into a checked ``(dim,)`` float32 array."""
    if not isinstance(value, dict) or "float32" not in value:
        raise Invalid(path, "Vector data must be given as {'float32': [...]}")
    floats = value["float32"]
    if len(floats) != dimension:
        raise Invalid(
            f"{path}.float32",
            f"Vector dimension {len(floats)} does not match index dimension {dimension}",
        )
    try:
        arr = np.asarray(floats, dtype=np.float64)
    except (ValueError, TypeError):
        raise Invalid(f"{path}.float32", "Vector data must be a list of numbers") from None
    # one query vector: the checks of check_vectors, without its per-row bookkeeping
    if arr.shape != (dimension,) or not np.isfinite(arr).all() or np.abs(arr).max() > _F32_MAX:
        if arr.shape == (dimension,):
            raise Invalid(f"{path}.float32", "Vector data must not contain NaN or Infinity")
        return check_vectors(arr.reshape(1, -1), dimension, metric, f"{path}.float32")[0]
    if metric == "cosine" and not arr.any():
        raise Invalid(f"{path}.float32",
                      "All-zero vector is not allowed with the cosine distance metric")
    return arr.astype(np.float32)


def _check_metadata_value(value: Any, path: str) -> None:
    if isinstance(value, (str, bool)):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise Invalid(path, f"Metadata number {value!r} must be finite")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, list) or not isinstance(item, (str, bool, int, float)):
                raise Invalid(
                    f"{path}[{i}]",
                    f"List metadata items must be strings, numbers or booleans, got {item!r}",
                )
            _check_metadata_value(item, f"{path}[{i}]")
        return
    raise Invalid(
        path,
        f"Metadata value {value!r} must be a string, number, boolean or list of those",
    )


def _json_size(obj: Any) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def check_metadata(metadata: Any, non_filterable: frozenset[str], path: str) -> str:
    """Check one vector's metadata; return its compact JSON text (what is stored on disk).

    Sizes are measured as compact UTF-8 JSON, the closest public reading of AWS's
    "40 KB total, 2 KB filterable" limits.
    """
    if not isinstance(metadata, dict):
        raise Invalid(path, "Metadata must be a JSON object")
    if len(metadata) > MAX_METADATA_KEYS:
        raise Invalid(
            path, f"Metadata has {len(metadata)} keys; at most {MAX_METADATA_KEYS} are allowed"
        )
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise Invalid(path, f"Metadata key {key!r} must be a non-empty string")
        _check_metadata_value(value, f"{path}.{key}")
    text = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise Invalid(
            path, f"Metadata size {size} bytes exceeds the limit of {MAX_METADATA_BYTES} bytes"
        )
    if non_filterable and any(k in non_filterable for k in metadata):
        filterable = {k: v for k, v in metadata.items() if k not in non_filterable}
        fsize = _json_size(filterable)
    else:
        fsize = size
    if fsize > MAX_FILTERABLE_METADATA_BYTES:
        raise Invalid(
            path,
            f"Filterable metadata size {fsize} bytes exceeds the limit of "
            f"{MAX_FILTERABLE_METADATA_BYTES} bytes (declare large keys as "
            "nonFilterableMetadataKeys)",
        )
    return text


def estimate_put_request_bytes(vectors: Sequence[dict[str, Any]]) -> int:
    """Rough serialized size of a PutVectors body (~12 bytes per float in JSON)."""
    total = 0
    for v in vectors:
        data = v.get("data") or {}
        total += 12 * len(data.get("float32", ())) + len(v.get("key", "")) + 32
    return total


def check_encryption(cfg: dict[str, Any] | None, path: str) -> dict[str, Any] | None:
    """An EncryptionConfiguration: ``sseType`` AES256 | aws:kms; ``kmsKeyArn`` "allowed if
    and only if sseType is set to aws:kms" (model documentation). Stored, not applied."""
    if cfg is None:
        return None
    sse = cfg.get("sseType", "AES256")
    if sse not in ("AES256", "aws:kms"):
        raise Invalid(f"{path}.sseType", f"Value {sse!r} must be one of AES256, aws:kms")
    if (sse == "aws:kms") != (cfg.get("kmsKeyArn") is not None):
        raise Invalid(f"{path}.kmsKeyArn",
                      "kmsKeyArn is allowed if and only if sseType is set to aws:kms")
    return {"sseType": sse, **({"kmsKeyArn": cfg["kmsKeyArn"]} if sse == "aws:kms" else {})}
