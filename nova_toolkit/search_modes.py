"""Search modes of a collection — vector, full-text, hybrid — over S3 Vectors' QueryVectors.

- ``vector``: the query's embedding, nearest rows first (``distance``).
- ``text``: BM25 full-text search of the rows' ``snippet`` metadata (transcripts, OCR,
  page text, image labels): ``queryTexts=[{"text": q, "metadataKey": "snippet"}]`` and no
  query vector, so no embedding model is loaded.
- ``hybrid``: query vector and ``queryTexts`` together, ranked by Reciprocal Rank Fusion,
  which the index computes.

Filters apply in every mode. Hits carry ``scores`` from ``returnScores`` (``bm25`` of the
snippet, ``fused`` RRF score, ``vector_distance``) and ``distance`` when the mode has one.

QueryVectors pages: when ``topK`` exceeds a page the response carries ``nextToken`` and
the same query is repeated with it (botocore's paginator). A collection's own local
index is not capped (it is ours); a remote S3 Vectors index (AWS, the twin) caps ``topK``
at the service's documented limit, :data:`AWS_TOP_K_LIMIT`, with a
:class:`TopKCapWarning` naming both.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from nova_toolkit._core.errors import InvalidArgumentError
from nova_toolkit.embedders.base import EMBEDDING_TYPES
from nova_toolkit.media.detection import MODALITIES
from nova_toolkit.pipeline.rows import NON_FILTERABLE

MODES = ("vector", "text", "hybrid")
TEXT_KEY = "snippet"
#: "Top-K results per QueryVectors request: Up to 100" (Amazon S3 User Guide, S3 Vectors
#: limitations); botocore's model gives ``topK`` only a minimum of 1.
AWS_TOP_K_LIMIT = 100
LIMITS_URL = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html"
#: ``topK`` "cap" of a local mirror without one: none in practice (a 32-bit integer).
LOCAL_TOP_K = 2**31 - 1
#: S3 Vectors' limit on one full-text query string (``QueryTextString`` max length).
MAX_QUERY_TEXT_CHARS = 1024
#: Row metadata keys whose values come from a fixed list: a filter asking for another value
#: is refused (it could only match nothing).
KNOWN_VALUES = {"modality": MODALITIES, "embedding_type": EMBEDDING_TYPES}


class TopKCapWarning(UserWarning):
    """``top_k`` was cut to what the S3 Vectors service returns for one query."""


def check_query(mode: str, text: str | None, file: str | os.PathLike | None,
                vector: np.ndarray | None) -> str:
    """Validate ``mode`` and the query parts it takes; returns the mode.

    ``vector`` takes exactly one of text, file, vector; ``text`` takes text only;
    ``hybrid`` takes text (its words) and at most one of file / vector (its embedding;
    the text's own embedding when neither is given).
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise InvalidArgumentError("mode", "unknown search mode", value=mode, allowed=MODES)
    others = sum(x is not None for x in (file, vector))
    if mode == "vector":
        if others + (text is not None) != 1:
            raise InvalidArgumentError("text", "give exactly one of text=, file= or vector=")
        if text is not None and not text.strip():
            raise InvalidArgumentError("text", "the query text is empty")
        return mode
    if mode == "text" and others:
        raise InvalidArgumentError(
            "mode", "mode='text' is a full-text search of the rows' snippets: give text=, "
            "not file= or vector= (use mode='vector' or 'hybrid')")
    if mode == "hybrid" and others > 1:
        raise InvalidArgumentError(
            "mode", "mode='hybrid' takes text= and at most one of file= or vector=")
    if text is None:
        raise InvalidArgumentError(
            "text", f"mode={mode!r} needs text= (the words to search the snippets for)")
    if not text.strip():
        raise InvalidArgumentError("text", "the query text is empty")
    if len(text) > MAX_QUERY_TEXT_CHARS:
        raise InvalidArgumentError(
            "text", f"the query text has {len(text)} characters; full-text search takes at "
            f"most {MAX_QUERY_TEXT_CHARS} (S3 Vectors queryTexts[].text)")
    return mode


def check_top_k(top_k: Any) -> int:
    """``top_k`` as an int of at least 1 (a bool or a fraction is refused, not rounded)."""
    whole = isinstance(top_k, (int, np.integer)) or (
        isinstance(top_k, (float, np.floating)) and float(top_k).is_integer())
    if isinstance(top_k, bool) or not whole or top_k < 1:
        raise InvalidArgumentError("top_k", "must be a whole number of at least 1",
                                   value=top_k)
    return int(top_k)


def _check_values(flt: Any, path: str) -> None:
    """Operators known, and modality / embedding type values among the stored ones."""
    from nova_toolkit.vectors.filters import LOGICAL_OPERATORS, OPERATORS

    if not isinstance(flt, dict):
        return  # compile_filter says what is wrong with it
    for key, value in flt.items():
        where = f"{path}.{key}"
        if key in LOGICAL_OPERATORS:
            for i, part in enumerate(value if isinstance(value, list) else []):
                _check_values(part, f"{where}[{i}]")
            continue
        if key.startswith("$"):
            raise InvalidArgumentError("filter", f"unknown logical operator {key!r} at {where}",
                                       allowed=LOGICAL_OPERATORS)
        ops = value if isinstance(value, dict) else {"$eq": value}
        for op, operand in ops.items():
            if op not in OPERATORS:
                raise InvalidArgumentError("filter", f"unknown operator {op!r} at {where}",
                                           allowed=OPERATORS)
            known = KNOWN_VALUES.get(key)
            if known is None or op not in ("$eq", "$ne", "$in", "$nin"):
                continue
            for item in operand if isinstance(operand, list) else [operand]:
                if isinstance(item, str) and item not in known:
                    raise InvalidArgumentError(
                        "filter", f"unknown {key.replace('_', ' ')} {item!r} at {where}",
                        allowed=known)


def check_filter(filter: Any, non_filterable: frozenset[str] = NON_FILTERABLE) -> None:
    """Refuse a filter the index would refuse, or one that could only ever match nothing.

    Unknown operators, a malformed clause (the mirror's own validation,
    :func:`nova_toolkit.vectors.compile_filter`) and a ``modality`` or ``embedding_type``
    no row can have (``{"modality": "picture"}``: silently no hits otherwise) raise
    :class:`InvalidArgumentError` naming what is allowed. Runs before any model loads.
    """
    if filter is None:
        return
    from nova_toolkit.vectors.errors import Invalid
    from nova_toolkit.vectors.filters import compile_filter

    _check_values(filter, "filter")
    try:
        compile_filter(filter, frozenset(non_filterable), enhanced=True)
    except Invalid as exc:
        raise InvalidArgumentError("filter", exc.detail[:1].lower() + exc.detail[1:]
                                   + (f" at {exc.path}" if exc.path else "")) from None


#: The one operator that can match a row without the key (``$ne``/``$nin`` negate among the
#: rows that have it, as S3 Vectors does: :mod:`nova_toolkit.vectors.filters`).
_ABSENCE = "$exists"


def _positive_keys(flt: Any) -> Iterator[str]:
    from nova_toolkit.vectors.filters import LOGICAL_OPERATORS

    if not isinstance(flt, dict):
        return
    for key, value in flt.items():
        if key in LOGICAL_OPERATORS:
            for part in value if isinstance(value, list) else []:
                yield from _positive_keys(part)
        elif not isinstance(value, dict) or set(value) - {_ABSENCE}:
            yield key


def check_filter_keys(filter: Any, known: Iterable[str]) -> None:
    """Refuse a filter naming a metadata key no row has (a misspelling matches nothing).

    Every operator but ``$exists`` needs the key on the row (``$ne``/``$nin`` included), so
    only ``$exists`` may name a key no row has. The error suggests the closest key.
    """
    import difflib

    known = sorted(set(known))
    for key in _positive_keys(filter):
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InvalidArgumentError(
                "filter", f"no row has the metadata key {key!r}{hint}",
                allowed=known[:30] + (["..."] if len(known) > 30 else []))


def check_modality(modality: str | None) -> None:
    """``modality`` is None or one of :data:`~nova_toolkit.media.MODALITIES`."""
    if modality is not None and modality not in MODALITIES:
        raise InvalidArgumentError("modality", "unknown modality", value=modality,
                                   allowed=MODALITIES)


def top_k_cap(client: Any) -> int:
    """The most results one query returns on ``client``'s service.

    The local mirror states its own cap (``max_top_k``, None for none); anything else is
    taken to be Amazon S3 Vectors (or a twin of it), with its documented limit.
    """
    if hasattr(client, "max_top_k"):  # the local mirror: None means no cap
        cap = client.max_top_k
        return cap if isinstance(cap, int) and cap > 0 else LOCAL_TOP_K
    return AWS_TOP_K_LIMIT


def query_request(*, bucket: str, index: str, mode: str, top_k: int,
                  vector: np.ndarray | None = None, text: str | None = None,
                  filter: dict | None = None) -> dict[str, Any]:
    """QueryVectors parameters of one search (``returnScores`` for text and hybrid)."""
    req: dict[str, Any] = {"vectorBucketName": bucket, "indexName": index, "topK": int(top_k),
                           "returnMetadata": False}
    if mode != "text":
        req["queryVector"] = {"float32": np.asarray(vector, dtype=np.float32).ravel().tolist()}
        req["returnDistance"] = True
    if mode != "vector":
        req["queryTexts"] = [{"text": text, "metadataKey": TEXT_KEY}]
        req["returnScores"] = True
    if filter:
        req["filter"] = filter
    return req


def _hit(v: dict[str, Any]) -> dict[str, Any]:
    raw = v.get("scores") or {}
    scores: dict[str, float] = {}
    for b in raw.get("bm25Scores") or []:
        if b.get("metadataKey") == TEXT_KEY:
            scores["bm25"] = float(b["score"])
    if raw.get("fused") is not None:
        scores["fused"] = float(raw["fused"])
    distance = v.get("distance")
    if distance is None:
        distance = raw.get("vectorDistance")
    if distance is not None:
        scores["vector_distance"] = float(distance)
    return {"key": v["key"], "distance": None if distance is None else float(distance),
            "scores": scores}


def query_index(client: Any, *, bucket: str, index: str, mode: str, top_k: int,
                vector: np.ndarray | None = None, text: str | None = None,
                filter: dict | None = None) -> list[dict[str, Any]]:
    """Run one search on ``bucket``/``index`` of an s3vectors ``client``, over every page.

    Returns ``[{"key", "distance", "scores"}]`` best first, at most ``top_k`` (cut to
    :func:`top_k_cap` of the client, with a :class:`TopKCapWarning`).
    """
    top_k = check_top_k(top_k)
    cap = top_k_cap(client)
    if top_k > cap:
        warnings.warn(
            f"top_k={top_k} capped at {cap}: Amazon S3 Vectors returns at most {cap} results "
            f"per QueryVectors request (Top-K limit, {LIMITS_URL})", TopKCapWarning, stacklevel=3)
        top_k = cap
    req = query_request(bucket=bucket, index=index, mode=mode, top_k=top_k, vector=vector,
                        text=text, filter=filter)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    # botocore's paginator repeats the query with each nextToken (lazily: stops when we do)
    for page in client.get_paginator("query_vectors").paginate(**req):
        for v in page.get("vectors") or []:
            if v["key"] not in seen:  # a write between pages may repeat a key
                seen.add(v["key"])
                out.append(_hit(v))
        if len(out) >= top_k:
            break
    return out[:top_k]
