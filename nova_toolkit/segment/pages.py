"""Document segmentation: one segment per page (long pages chunked like text), for PDF and DOCX."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nova_toolkit.decode.docx_text import docx_pages
from nova_toolkit.media import UnsupportedMediaError
from nova_toolkit.segment.chunking import segment_text
from nova_toolkit.segment.segments import Segment, SegmentationConfig

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem


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
