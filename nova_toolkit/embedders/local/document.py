"""Documents (PDF, DOCX) → one row per page chunk.

A page with a text layer is embedded as text (``TEXT`` rows, snippet = the page text). A page
without one (a scan) is rendered (pypdfium2, long side 1,600 px) and read by OCR; it is a page
*image* (``IMAGE`` rows, like Nova's ``DOCUMENT_IMAGE``): OCR text and ImageNet labels are mixed
as for any picture (:mod:`.vision`), so a page with no readable text (a photo, a blank page)
still gets a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nova_toolkit.decode import render_pdf_page
from nova_toolkit.embedders.base import EmbedFailure
from nova_toolkit.embedders.local.rows import Row
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from nova_toolkit.embedders.local.text import MiniLMText
    from nova_toolkit.embedders.local.vision import Vision
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

PAGE_LONG_SIDE = 1600


def embed_document(item: MediaItem, segments: Sequence[Segment], text: MiniLMText,
                   vision: Vision) -> list[Row | EmbedFailure]:
    """Rows for the segments of one document (see the module docstring)."""
    from nova_toolkit.embedders.local.text import NATIVE_DIM

    out: list[Row | EmbedFailure] = []
    with_text = [s for s in segments if s.text and s.text.strip()]
    if with_text:
        texts = [s.text for s in with_text]
        vecs = text.encode(texts, dimension=NATIVE_DIM)
        cuts = text.truncated_chars(texts)
        out += [Row(s.index, "TEXT", v, s.text, c) for s, v, c in zip(with_text, vecs, cuts, strict=True)]
    for seg in segments:
        if seg.text and seg.text.strip():
            continue
        if item.format != "pdf" or seg.page is None:
            out.append(EmbedFailure(seg.index, f"{item.format} page {seg.page} has no text"))
            continue
        try:
            page = render_pdf_page(item, seg.page, long_side=PAGE_LONG_SIDE)
        except MediaError as exc:
            out.append(EmbedFailure(seg.index, f"cannot render page {seg.page}: {exc.reason}"))
            continue
        pic = vision.pictures([page], force_ocr=True)[0]
        snippet = pic.ocr_text or f"[page {seg.page} without text] labels: {pic.labels}"
        out.append(Row(seg.index, "IMAGE", pic.vector, snippet))
    return out
