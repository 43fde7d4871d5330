"""Nova's inline text limit (8,192 characters per ``value``) on the client side.

Bedrock answers a longer ``value`` with a ValidationException, whatever the
``truncationMode``: the backend never sends one. Indexed text is cut into segments that
fit (:func:`fit_text_segments`; or goes async, see :mod:`.embedder`); a single text that
must stay one vector (a query) is shortened by the ``truncation`` setting, with a warning
(:func:`fit_query_text`). Nothing is cut silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nova_toolkit.embedders.nova.constants import MAX_INPUT_CHARS

if TYPE_CHECKING:
    from nova_toolkit.segment import Segment


class TextTruncatedWarning(UserWarning):
    """A query text was longer than Nova takes inline and was shortened before sending."""


def longest_text(segments: Sequence[Segment]) -> int:
    """Characters of the longest segment text (0 for none)."""
    return max((len(s.text or "") for s in segments), default=0)


def fit_text_segments(segments: Sequence[Segment],
                      limit: int = MAX_INPUT_CHARS) -> list[Segment]:
    """``segments`` with every text longer than ``limit`` cut into pieces that fit.

    Pieces are cut at word boundaries (:func:`~nova_toolkit.segment.chunk_text`), keep
    the page, and carry half-open char spans into the same text as the segment they
    came from; indices are renumbered from 0 so every row stays unique. Segments that
    fit are returned unchanged (same objects) when nothing needs cutting.
    """
    if longest_text(segments) <= limit:
        return list(segments)
    from dataclasses import replace

    from nova_toolkit.segment import chunk_text

    out: list[Segment] = []
    for seg in segments:
        text = seg.text or ""
        if len(text) <= limit:
            out.append(replace(seg, index=len(out)))
            continue
        base = seg.char_start
        for piece in chunk_text(text, max_chars=limit):
            out.append(replace(seg, index=len(out), text=piece.text,
                               char_start=None if base is None else base + piece.char_start,
                               char_end=None if base is None else base + piece.char_end))
    return out


def fit_query_text(text: str, truncation: str, limit: int = MAX_INPUT_CHARS) -> str:
    """A text for one vector that Nova accepts inline, cut the way ``truncation`` says.

    ``END`` keeps the first ``limit`` characters, ``START`` the last ``limit`` (what
    Nova's ``truncationMode`` does past its token limit), each with a
    :class:`TextTruncatedWarning` naming how much was dropped; ``NONE`` raises.

    Raises
    ------
    ValueError
        When the text is too long and ``truncation`` is ``NONE``.
    """
    if len(text) <= limit:
        return text
    dropped = len(text) - limit
    if truncation == "NONE":
        raise ValueError(f"text of {len(text)} characters is longer than Nova takes in one "
                         f"request ({limit}) and truncation is NONE: shorten it, or index it "
                         "as a document (it is then segmented)")
    warnings.warn(f"text of {len(text)} characters is longer than Nova takes in one request "
                  f"({limit}): the {'last' if truncation == 'END' else 'first'} {dropped} "
                  f"characters were not sent (truncation={truncation})", TextTruncatedWarning,
                  stacklevel=3)
    return text[:limit] if truncation == "END" else text[-limit:]
