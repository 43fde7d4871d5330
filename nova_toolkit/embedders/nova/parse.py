"""Read Nova responses: InvokeModel bodies and async JSONL lines → Embedding / EmbedFailure."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from nova_toolkit.embedders.base import Embedding, EmbedFailure, l2_normalize


def vector(values: list[float]) -> np.ndarray:
    """float32, L2-normalised (Nova's vectors are close to unit length already)."""
    return l2_normalize(np.asarray(values, dtype=np.float32))


def truncated_chars(kept: Any, text_len: int | None) -> int:
    """Characters the model did not see, from Nova's ``truncatedCharLength``.

    Nova documents it as "the character after which the text was truncated", returned
    only when the text was truncated (InvokeModel); async JSONL lines carry it on every
    text segment, ``0`` when nothing was cut (a real output line quoted by AWS's demo:
    ``"truncatedCharLength":0`` on an untruncated 794-char segment). So it is read as the
    length kept: absent, ``0`` or not below the text's length means nothing was cut; ``n``
    means ``text_len - n`` characters were not seen.
    """
    if kept is None or text_len is None:
        return 0
    try:
        n = int(kept)
    except (TypeError, ValueError):
        return 0
    return text_len - n if 0 < n < text_len else 0


def sync_embeddings(payload: dict[str, Any], segment_index: int, *, snippet: str = "",
                    text_len: int | None = None) -> list[Embedding]:
    """Embeddings of an InvokeModel response body (two for AUDIO_VIDEO_SEPARATE).

    ``truncated_chars`` comes from ``truncatedCharLength`` (see :func:`truncated_chars`).
    """
    out = []
    for entry in payload["embeddings"]:
        cut = truncated_chars(entry.get("truncatedCharLength"), text_len)
        out.append(Embedding(segment_index, entry["embeddingType"], vector(entry["embedding"]),
                             snippet, cut))
    return out


def segment_of(meta: dict[str, Any], text: str | None = None):
    """A :class:`Segment` from ``segmentMetadata`` (char span for text, seconds for media).

    ``segmentEndCharPosition`` is taken as exclusive (half-open span), like the toolkit's.
    """
    from nova_toolkit.segment import Segment

    idx = int(meta.get("segmentIndex", 0))
    if "segmentStartCharPosition" in meta:
        start, end = int(meta["segmentStartCharPosition"]), int(meta["segmentEndCharPosition"])
        return Segment(idx, text=text[start:end] if text is not None else None,
                       char_start=start, char_end=end)
    if "segmentStartSeconds" in meta:
        return Segment(idx, start_s=float(meta["segmentStartSeconds"]),
                       end_s=float(meta["segmentEndSeconds"]))
    return Segment(idx)


def jsonl_rows(body: bytes, embedding_type: str, *,
               text: str | None = None) -> list[Embedding | EmbedFailure]:
    """Rows of one ``embedding-<type>.jsonl`` file."""
    out: list[Embedding | EmbedFailure] = []
    for line in body.decode("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        seg = segment_of(row.get("segmentMetadata") or {}, text)
        if row.get("status") != "SUCCESS" or "embedding" not in row:
            reason = row.get("failureReason") or "FAILURE"
            if row.get("message"):
                reason = f"{reason}: {row['message']}"
            out.append(EmbedFailure(seg.index, f"Nova segment failed: {reason}"))
            continue
        meta = row.get("segmentMetadata") or {}
        cut = truncated_chars(meta.get("truncatedCharLength"),
                              None if seg.text is None else len(seg.text))
        out.append(Embedding(seg.index, embedding_type, vector(row["embedding"]),
                             seg.text or "", cut, segment=seg))
    return out
