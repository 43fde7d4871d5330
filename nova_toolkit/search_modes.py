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
from typing import Any

import numpy as np

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
        raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    others = sum(x is not None for x in (file, vector))
    if mode == "vector":
        if others + (text is not None) != 1:
            raise ValueError("give exactly one of text=, file= or vector=")
        return mode
    if mode == "text" and others:
        raise ValueError("mode='text' is a full-text search of the rows' snippets: "
                         "give text=, not file= or vector= (use mode='vector' or 'hybrid')")
    if mode == "hybrid" and others > 1:
        raise ValueError("mode='hybrid' takes text= and at most one of file= or vector=")
    if text is None:
        raise ValueError(f"mode={mode!r} needs text= (the words to search the snippets for)")
    if not text.strip():
        raise ValueError("the query text is empty")
    if len(text) > MAX_QUERY_TEXT_CHARS:
        raise ValueError(f"the query text has {len(text)} characters; full-text search takes "
                         f"at most {MAX_QUERY_TEXT_CHARS} (S3 Vectors queryTexts[].text)")
    return mode


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
    top_k = int(top_k)
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1 (got {top_k})")
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
