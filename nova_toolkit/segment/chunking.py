"""Text chunking: text cut by characters at word boundaries, with optional overlap.

Each chunk prefers a paragraph or sentence break near the end of its window, and its char
span indexes the text it was cut from.
"""

from __future__ import annotations

import math
import re
import unicodedata

from nova_toolkit.segment.segments import Segment, SegmentationConfig

#: A break is "near the end" of a window when it lies in its last 20 %.
_PREFERRED_TAIL = 0.20

_NON_WS = re.compile(r"\S")
_WORD_START = re.compile(r"(?<=\s)\S")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
_SENTENCE_BREAK = re.compile(r"[.!?\u2026][\"'\u2019\u201d)\]]*(?=\s)")
# Sentence ends in scripts that use no spaces (CJK): a cut right after them needs no space.
_CJK_SENTENCE_END = re.compile(r"[\u3002\uff01\uff1f\uff1b\u203c\u2047-\u2049]")


def _next_non_ws(text: str, i: int, end: int | None = None) -> int:
    """Index of the first non-whitespace character at or after ``i`` (``len`` when none)."""
    m = _NON_WS.search(text, i) if end is None else _NON_WS.search(text, i, end)
    return m.start() if m else (len(text) if end is None else end)


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _is_joiner(ch: str) -> bool:
    """Characters that must not start a chunk: combining marks, ZWJ, variation selectors."""
    return (
        unicodedata.combining(ch) != 0
        or ch in "\u200d\u20e3"
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tone modifiers
        or "\U000e0020" <= ch <= "\U000e007f"  # tag characters (flag sequences)
    )


def _find_cut(text: str, pos: int, max_chars: int) -> tuple[int, bool]:
    """End (exclusive) of the chunk starting at ``pos`` and whether it is at whitespace.

    Preference: a paragraph break, then a sentence break, in the last ~20 % of the window;
    else the last whitespace in the window; else (no whitespace: one long word, or CJK) a
    CJK sentence end in the last 20 %, else a hard split at ``max_chars`` that does not
    separate a character from its combining marks.
    """
    n = len(text)
    limit = pos + max_chars
    if limit >= n:
        return n, True
    tail_start = pos + max(1, math.ceil(max_chars * (1 - _PREFERRED_TAIL)))
    window = text[pos : limit + 1]  # text[limit] may be the whitespace that ends the chunk
    tail_offset = tail_start - pos

    best = None
    for m in _PARAGRAPH_BREAK.finditer(window, tail_offset):
        best = m.start()
    if best is None:
        for m in _SENTENCE_BREAK.finditer(window, tail_offset):
            if m.end() <= max_chars:
                best = m.end()
    if best is not None:
        return pos + best, True

    for i in range(limit, pos, -1):
        if text[i].isspace():
            return i, True

    for m in _CJK_SENTENCE_END.finditer(window, tail_offset, max_chars):
        best = m.end()
    if best is not None and not _is_joiner(window[best]):
        return pos + best, False

    cut = limit
    while cut > pos + 1 and _is_joiner(text[cut]):
        cut -= 1
    if cut == pos + 1 and _is_joiner(text[cut]):
        cut = limit  # a cluster longer than max_chars: split it anyway rather than stall
    return cut, False


def chunk_text(text: str, *, max_chars: int, overlap_chars: int = 0) -> list[Segment]:
    """Split text into chunks of at most ``max_chars`` characters at word boundaries.

    A chunk ends at whitespace, preferring a paragraph or sentence break within the last
    ~20 % of the window; a word longer than ``max_chars`` (or a run of CJK text without
    spaces) is hard-split. Consecutive chunks overlap by about ``overlap_chars``, starting at
    the first word start inside the overlap (so the overlap never exceeds ``overlap_chars``
    after a whitespace cut). Each segment's ``text`` equals ``text[char_start:char_end]``, has
    no leading/trailing whitespace, and together the chunks cover every non-whitespace
    character. Empty or whitespace-only text gives ``[]``.

    Raises
    ------
    ValueError
        When ``max_chars < 1`` or not ``0 <= overlap_chars < max_chars``.
    """
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise ValueError(f"max_chars must be an integer >= 1, got {max_chars!r}")
    if (
        isinstance(overlap_chars, bool)
        or not isinstance(overlap_chars, int)
        or not 0 <= overlap_chars < max_chars
    ):
        raise ValueError(
            f"overlap_chars must be an integer >= 0 and < max_chars ({max_chars}), "
            f"got {overlap_chars!r}"
        )
    n = len(text)
    segments: list[Segment] = []
    pos = _next_non_ws(text, 0)
    while pos < n:
        cut, at_space = _find_cut(text, pos, max_chars)
        end = _rstrip_end(text, pos, cut)
        segments.append(Segment(len(segments), text[pos:end], pos, end))
        if cut >= n or _next_non_ws(text, cut) >= n:
            break
        nxt = None
        if overlap_chars:
            nxt = _overlap_start(text, pos, end, at_space, max_chars, overlap_chars)
        pos = nxt if nxt is not None else _next_non_ws(text, cut)
    return segments


def _overlap_start(
    text: str, pos: int, end: int, at_space: bool, max_chars: int, overlap_chars: int
) -> int | None:
    """Where the chunk after ``[pos, end)`` starts so that it overlaps, or None for no overlap.

    The start lies in ``[end - overlap_chars, end)``, after ``pos``, at a word start (after a
    whitespace cut) or at a character (after a mid-word cut, where there is no word start to
    align to). A start whose chunk would end within ``[pos, end)`` — adding nothing new — is
    skipped, so no chunk is ever a sub-span of the one before it.
    """
    lower = max(end - overlap_chars, pos + 1)
    candidates: list[int] = []
    if not at_space:
        c = lower
        while c < end and (text[c].isspace() or _is_joiner(text[c])):
            c += 1
        if c < end:
            candidates.append(c)
    candidates.extend(m.start() for m in _WORD_START.finditer(text, lower, end))
    for c in sorted(set(candidates)):
        cut, _ = _find_cut(text, c, max_chars)
        if _rstrip_end(text, c, cut) > end:
            return c
    return None


def segment_text(text: str, config: SegmentationConfig) -> list[Segment]:
    """:func:`chunk_text` with the sizes from ``config``."""
    return chunk_text(text, max_chars=config.max_chars, overlap_chars=config.overlap_chars)
