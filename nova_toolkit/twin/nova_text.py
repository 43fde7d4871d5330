"""Text on the twin's Nova: the context limit, ``truncationMode`` and ``truncatedCharLength``.

Nova's context is 8K tokens. Its tokenizer is not public, so the twin counts
:data:`CHARS_PER_TOKEN` characters a token: a text above :data:`CONTEXT_CHARS` (32,768)
characters is truncated per ``truncationMode`` (END keeps the start, START the end; NONE
is a ValidationException in InvokeModel and a failed segment in an async job). An inline
``value`` is at most 8,192 characters (checked in :mod:`.nova_requests`), so only text
read from S3 or a long async segment reaches the limit.

``truncatedCharLength``, as Nova documents it: "the character after which the text was
truncated". The twin reports the number of characters the model kept (for END exactly
that position). InvokeModel includes it only when the text was truncated (the documented
response); async JSONL lines always carry it, ``0`` on a segment that was not truncated,
as a real output line quoted by AWS's own demo shows
(``"segmentMetadata":{"segmentIndex":0,"truncatedCharLength":0,...}``).
"""

from __future__ import annotations

import math
from typing import Any

from nova_toolkit.twin.nova_requests import TEXT_S3_CHARS, NovaRequest, invalid
from nova_toolkit.twin.wire import ServiceError

CONTEXT_TOKENS = 8192
CHARS_PER_TOKEN = 4
CONTEXT_CHARS = CONTEXT_TOKENS * CHARS_PER_TOKEN


def estimate_tokens(text: str) -> int:
    """The twin's token count of ``text`` (at least 1)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def truncate_text(text: str, mode: str) -> tuple[str, int | None]:
    """What the model sees of ``text`` and the kept length (None when nothing was cut).

    Raises
    ------
    ServiceError
        ValidationException when the text is over the context and ``mode`` is NONE.
    """
    if len(text) <= CONTEXT_CHARS:
        return text, None
    if mode == "NONE":
        raise invalid(f"text input is {estimate_tokens(text)} tokens, above the model's "
                      f"{CONTEXT_TOKENS} and truncationMode is NONE")
    kept = text[:CONTEXT_CHARS] if mode == "END" else text[-CONTEXT_CHARS:]
    return kept, CONTEXT_CHARS


def request_text(req: NovaRequest, data: bytes | None, *, single: bool) -> str:
    """The request's text: its inline ``value`` or the S3 object's (≤ 50,000 chars sync)."""
    if "value" in req.block:
        return req.block["value"]
    text = (data or b"").decode("utf-8", "replace")
    if single and len(text) > TEXT_S3_CHARS:
        raise ServiceError("ValidationException", f"Malformed input request: text from S3 is "
                           f"{len(text)} characters, above the maximum of {TEXT_S3_CHARS} for "
                           "InvokeModel; use StartAsyncInvoke, please reformat your input and "
                           "try again.", 400)
    return text


def single_text(model: Any, req: NovaRequest, data: bytes | None,
                vector: Any) -> list[dict[str, Any]]:
    """The ``embeddings`` list of a text InvokeModel (``vector`` maps 384-d → response)."""
    seen, kept = truncate_text(request_text(req, data, single=True), req.block["truncationMode"])
    entry: dict[str, Any] = {"embeddingType": "TEXT",
                             "embedding": vector(model.texts([seen], req.purpose)[0])}
    if kept is not None:
        entry["truncatedCharLength"] = kept
    return [entry]


def segmented_text(model: Any, req: NovaRequest, chunks: list, vector: Any
                   ) -> list[dict[str, Any]]:
    """JSONL lines of an async text job's chunks (``truncatedCharLength`` 0 when whole)."""
    lines: list[dict[str, Any]] = []
    todo: list[tuple[int, str]] = []
    for c in chunks:
        meta: dict[str, Any] = {"segmentIndex": c.index, "segmentStartCharPosition": c.char_start,
                                "segmentEndCharPosition": c.char_end}
        try:
            seen, kept = truncate_text(c.text, req.block["truncationMode"])
        except ServiceError as exc:
            lines.append({"status": "FAILURE", "failureReason": "INVALID_CONTENT",
                          "message": exc.message, "segmentMetadata": meta})
            continue
        meta["truncatedCharLength"] = kept or 0
        lines.append({"status": "SUCCESS", "segmentMetadata": meta})
        todo.append((len(lines) - 1, seen))
    vecs = model.texts([t for _, t in todo], req.purpose) if todo else []
    for (i, _), vec in zip(todo, vecs, strict=True):
        lines[i] = {"embedding": vector(vec), **lines[i]}
    return lines
