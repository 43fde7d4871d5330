"""Segmentation: cut a media item into the pieces that each get one embedding.

Text is chunked by characters at word boundaries with optional overlap; every
:class:`Segment` carries where it came from (a half-open character span, a page, or a time
window) so a search hit can point back into the source. This stage calls no model.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from nova_toolkit.media import MediaError, UnsupportedMediaError

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem

__all__ = [
    "EMBEDDING_MODES",
    "Segment",
    "SegmentationConfig",
    "chunk_text",
    "seconds_windows",
    "segment_item",
    "segment_document",
    "segment_pages",
    "segment_text",
]

#: Nova's ``embeddingMode`` values for video.
EMBEDDING_MODES = ("AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE")

#: A break is "near the end" of a window when it lies in its last 20 %.
_PREFERRED_TAIL = 0.20

_NON_WS = re.compile(r"\S")
_WORD_START = re.compile(r"(?<=\s)\S")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
_SENTENCE_BREAK = re.compile(r"[.!?\u2026][\"'\u2019\u201d)\]]*(?=\s)")
# Sentence ends in scripts that use no spaces (CJK): a cut right after them needs no space.
_CJK_SENTENCE_END = re.compile(r"[\u3002\uff01\uff1f\uff1b\u203c\u2047-\u2049]")


@dataclass(frozen=True)
class Segment:
    """One piece of a media item that gets one embedding (per embedding type).

    Fields that do not apply are None.

    Attributes
    ----------
    index : int
        0-based position within the item.
    text : str or None
        The text to embed (text chunk, page text); also the row's default snippet.
    char_start, char_end : int or None
        Half-open span ``[char_start, char_end)`` into the item's decoded text.
    start_s, end_s : float or None
        Audio/video window in seconds.
    page : int or None
        Document page, counting from 1.
    """

    index: int
    text: str | None = None
    char_start: int | None = None
    char_end: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Where the segment sits, without its text (the row stores the snippet separately)."""
        return {
            "index": self.index,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "page": self.page,
            "char_start": self.char_start,
            "char_end": self.char_end,
        }


@dataclass(frozen=True)
class SegmentationConfig:
    """How to cut items; part of the embedding cache key.

    Parameters
    ----------
    max_chars : int
        Text chunk size in characters (≥ 1).
    overlap_chars : int, default 0
        Overlap between consecutive text chunks, ``0 ≤ overlap_chars < max_chars``.
    segment_seconds : float, default 5.0
        Audio/video window length, 1–30 s (Nova's ``durationSeconds``).
    embedding_mode : str, default "AUDIO_VIDEO_COMBINED"
        Video only (Nova's ``embeddingMode``): one row per window mixing frames and sound
        (``AUDIO_VIDEO_COMBINED``), or two rows, ``VIDEO`` and ``AUDIO``
        (``AUDIO_VIDEO_SEPARATE``).

    Raises
    ------
    ValueError
        When a value is out of range.
    """

    max_chars: int
    overlap_chars: int = 0
    segment_seconds: float = 5.0
    embedding_mode: str = "AUDIO_VIDEO_COMBINED"

    def __post_init__(self) -> None:
        if self.embedding_mode not in EMBEDDING_MODES:
            raise ValueError(
                f"embedding_mode must be one of {', '.join(EMBEDDING_MODES)} "
                f"(Nova's embeddingMode), got {self.embedding_mode!r}"
            )
        for name in ("max_chars", "overlap_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    object.__setattr__(self, name, int(value))
                else:
                    raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be >= 1, got {self.max_chars}")
        if not 0 <= self.overlap_chars < self.max_chars:
            raise ValueError(
                f"overlap_chars must be >= 0 and < max_chars ({self.max_chars}), "
                f"got {self.overlap_chars}"
            )
        seconds = self.segment_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError(f"segment_seconds must be a number, got {seconds!r}")
        seconds = float(seconds)
        if not (math.isfinite(seconds) and 1.0 <= seconds <= 30.0):
            raise ValueError(
                f"segment_seconds must be between 1 and 30 (Nova's durationSeconds), got {seconds}"
            )
        object.__setattr__(self, "segment_seconds", seconds)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings."""
        return asdict(self)

    def key(self) -> str:
        """Stable canonical string of the settings (sorted JSON), used in the cache key."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))


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


def seconds_windows(duration_s: float, segment_seconds: float) -> list[tuple[float, float]]:
    """Time windows ``[k*s, min((k+1)*s, duration))`` covering ``[0, duration_s)``.

    The last window may be short; a zero duration gives ``[]``. Used for audio/video
    segments (Nova's ``durationSeconds``).
    """
    duration = float(duration_s)
    step = float(segment_seconds)
    if not math.isfinite(duration) or duration < 0:
        raise ValueError(f"duration_s must be a finite number >= 0, got {duration_s!r}")
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"segment_seconds must be a finite number > 0, got {segment_seconds!r}")
    windows: list[tuple[float, float]] = []
    k = 0
    eps = 1e-9 * max(1.0, duration)
    while k * step < duration - eps:
        windows.append((k * step, min((k + 1) * step, duration)))
        k += 1
    return windows


def segment_pages(pages: list[str], config: SegmentationConfig) -> list[Segment]:
    """One segment per page (pages counted from 1), long pages chunked like text.

    Char spans are relative to the page's own text. A page whose text is empty or whitespace
    gets ``Segment(page=n, text=None)``: it has no text layer, so the embedder looks at its
    image (OCR) instead. Indices run across the whole document.
    """
    out: list[Segment] = []
    for number, text in enumerate(pages, start=1):
        chunks = segment_text(text, config) if text and text.strip() else []
        if not chunks:
            out.append(Segment(len(out), None, page=number))
            continue
        for c in chunks:
            out.append(Segment(len(out), c.text, c.char_start, c.char_end, page=number))
    return out


_DOCX_PARA = re.compile(r"<w:p[ >].*?</w:p>|<w:p/>", re.S)
_DOCX_TOKEN = re.compile(
    r'<w:t(?: [^>]*)?>([^<]*)</w:t>|<w:tab/>|<w:br w:type="page"/>|<w:br ?/>'
    r"|<w:lastRenderedPageBreak/>|<w:pageBreakBefore(?: w:val=\"(?:1|true|on)\")?/>"
)


def docx_pages(item: MediaItem) -> list[str]:
    """Text of a DOCX body split into pages at explicit and last-rendered page breaks.

    Word stores no fixed pagination; the breaks Word wrote when it last laid the file out
    (``w:lastRenderedPageBreak``) and explicit page breaks are the best page numbers there are.
    A file never laid out by Word is one page.

    Raises
    ------
    MediaError
        A damaged archive or one without ``word/document.xml``.
    """
    import html
    import io
    import zipfile


    try:
        with zipfile.ZipFile(io.BytesIO(item.data)) as zf:
            xml = zf.read("word/document.xml").decode("utf-8", "replace")
    except KeyError:
        raise MediaError(item.source, "DOCX has no word/document.xml") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise MediaError(item.source, f"cannot open DOCX: {exc}") from None
    pages: list[list[str]] = [[]]
    for para in _DOCX_PARA.findall(xml):
        line: list[str] = []
        for m in _DOCX_TOKEN.finditer(para):
            tok = m.group(0)
            if m.group(1) is not None:
                line.append(html.unescape(m.group(1)))
            elif tok == "<w:tab/>":
                line.append("\t")
            elif tok.startswith("<w:br") and "page" not in tok:
                line.append("\n")
            else:  # a page break: what came before stays on the previous page
                pages[-1].append("".join(line))
                line = []
                if any(p.strip() for p in pages[-1]):
                    pages.append([])
        pages[-1].append("".join(line))
    texts = ["\n".join(p).strip() for p in pages]
    while len(texts) > 1 and not texts[-1]:
        texts.pop()
    return texts


def segment_document(item: MediaItem, config: SegmentationConfig) -> list[Segment]:
    """Segments of a PDF (text layer per page, via pypdfium2) or a DOCX (see :func:`docx_pages`).

    Raises
    ------
    MediaError
        Password-protected, corrupt or empty documents.
    """
    if item.format == "pdf":
        from nova_toolkit.decode import pdf_page_texts

        return segment_pages(pdf_page_texts(item), config)
    if item.format == "docx":
        return segment_pages(docx_pages(item), config)
    raise UnsupportedMediaError(item.source, f"document format {item.format!r} is not supported")


def _media_windows(item: MediaItem, config: SegmentationConfig) -> list[Segment]:
    from nova_toolkit.decode import decode_audio, probe

    info = probe(item)
    duration = info.duration_s
    if duration is None and info.has_audio:  # e.g. a bare stream: count decoded samples
        from nova_toolkit.decode import AUDIO_RATE

        duration = decode_audio(item).size / AUDIO_RATE
    if duration is None:
        raise MediaError(item.source, "cannot tell the duration of the stream")
    if duration <= 0:
        raise MediaError(item.source, f"{item.modality} is 0 seconds long")
    return [Segment(i, None, start_s=round(a, 6), end_s=round(b, 6))
            for i, (a, b) in enumerate(seconds_windows(duration, config.segment_seconds))]


class _VisibleText(HTMLParser):
    """Collects the text a browser would show: no tags, scripts, styles or head."""

    SKIP = frozenset({"script", "style", "head", "template", "noscript"})
    BREAK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                       "section", "article", "blockquote", "pre", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))  # source line wraps are not breaks


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page, paragraphs kept as blank-line breaks."""
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n\n".join(line for line in lines if line)


def item_text(item: MediaItem) -> str:
    """The text of a text item that gets embedded (HTML → its visible text).

    Segment char spans index into this string.
    """
    text = item.text().text
    return html_to_text(text) if item.format == "html" else text


def segment_item(item: MediaItem, config: SegmentationConfig) -> list[Segment]:
    """Segments of a media item.

    - text: chunks of the decoded text (:func:`segment_text`);
    - document: one segment per page (long pages chunked; :func:`segment_document`), a page
      without a text layer as ``Segment(page=n, text=None)``;
    - image: one ``Segment(0)`` after checking the header (size limit, readable);
    - audio / video: windows of ``config.segment_seconds`` over the probed duration
      (``start_s``/``end_s`` set, ``text=None``).

    Raises
    ------
    MediaError
        When the item cannot be opened or decoded (the collection records a failure row).
    """
    if item.modality == "text":
        return segment_text(item_text(item), config)
    if item.modality == "document":
        return segment_document(item, config)
    if item.modality == "image":
        from nova_toolkit.decode import image_size

        image_size(item)
        return [Segment(0)]
    if item.modality in ("audio", "video"):
        return _media_windows(item, config)
    raise UnsupportedMediaError(
        item.source, f"{item.modality} ({item.format}) segmentation is not supported"
    )
