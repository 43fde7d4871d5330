"""Documents (PDF, DOCX) → rows per page, as the collection's ``document_mode`` says.

- ``text`` (the local default, as before the setting existed): a page with a text layer is
  embedded as text (``TEXT`` rows per chunk, snippet = the chunk); a page without one (a
  scan) is rendered and read by OCR as a page image (``IMAGE``).
- ``image``: every PDF page is a page *image* (``IMAGE``, one row per page), the local
  stand-in for Nova's ``DOCUMENT_IMAGE``: the text on the page mixed with the ImageNet labels
  of its picture (:mod:`.vision`). The text is the page's text layer where it has one (what
  OCR would read, without OCR's errors and seconds per page), else OCR; snippet = page text.
- ``both``: the rows of ``text`` and of ``image`` for every page.

Pages render at a long side of 1,600 px (what RapidOCR reads well). A page with no readable
text (a photo, a blank page) still gets an image row from its labels. DOCX pages cannot be
rendered: they are embedded from their text in every mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit.decode import render_pdf_page
from nova_toolkit.embedders.base import EmbedFailure, l2_normalize
from nova_toolkit.embedders.document_modes import (
    Page,
    page_texts,
    pages_of,
    wants_images,
    wants_text,
)
from nova_toolkit.embedders.local.rows import Row
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from nova_toolkit.embedders.local.text import MiniLMText
    from nova_toolkit.embedders.local.vision import Vision
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

PAGE_LONG_SIDE = 1600


@dataclass
class _PageImage:
    page: Page
    image: object  # PIL image
    text: str      # the page's text layer ("" for a scan)


def embed_document(item: MediaItem, segments: Sequence[Segment], text: MiniLMText,
                   vision: Vision, *, mode: str = "text") -> list[Row | EmbedFailure]:
    """Rows for the segments of one document (see the module docstring)."""
    from nova_toolkit.embedders.local.text import NATIVE_DIM

    out: list[Row | EmbedFailure] = []
    pages = pages_of(list(segments))
    with_text = [s for p in pages if wants_text(mode, p, item) for s in p.text_segments]
    if with_text:
        texts = [s.text for s in with_text]
        vecs = text.encode(texts, dimension=NATIVE_DIM)
        cuts = text.truncated_chars(texts)
        out += [Row(s.index, "TEXT", v, s.text, c)
                for s, v, c in zip(with_text, vecs, cuts, strict=True)]
    layers: list[str] | None = None
    rendered: list[_PageImage] = []
    for page in pages:
        first = page.segments[0]
        if not wants_images(mode, page, item):
            if not wants_text(mode, page, item):
                out.append(EmbedFailure(first.index, f"{item.format} page {page.number} "
                                                     "has no text"))
            continue
        if layers is None:
            layers = _layers(item, pages) if any(p.has_text for p in pages) else []
        try:
            image = render_pdf_page(item, page.number, long_side=PAGE_LONG_SIDE)
        except MediaError as exc:
            out.append(EmbedFailure(first.index, f"cannot render page {page.number}: "
                                                 f"{exc.reason}"))
            continue
        layer = layers[page.number - 1] if page.has_text and page.number <= len(layers) else ""
        rendered.append(_PageImage(page, image, layer))
    out += _page_rows(rendered, text, vision)
    return out


def _layers(item: MediaItem, pages: list[Page]) -> list[str]:
    try:
        return page_texts(item)
    except MediaError:
        return [""] * max((p.number or 0) for p in pages)


def _page_rows(rendered: list[_PageImage], text: MiniLMText, vision: Vision) -> list[Row]:
    """IMAGE rows: scans through OCR; pages with a text layer mix it with their labels."""
    from nova_toolkit.embedders.local import ocr as _ocr
    from nova_toolkit.embedders.local.text import NATIVE_DIM
    from nova_toolkit.embedders.local.vision import ocr_weight

    rows: list[Row] = []
    scans = [r for r in rendered if not r.text]
    if scans:
        pics = vision.pictures([r.image for r in scans], force_ocr=True)
        for r, pic in zip(scans, pics, strict=True):
            snippet = pic.ocr_text or f"[page {r.page.number} without text] labels: {pic.labels}"
            rows.append(Row(r.page.segments[0].index, "IMAGE", pic.vector, snippet,
                            segment=r.page.image_segment()))
    layered = [r for r in rendered if r.text]
    if layered:
        probs = vision.probabilities([r.image for r in layered])
        pics = vision.from_probs(probs)  # labels only: the text layer stands in for OCR
        tvecs = text.encode([r.text for r in layered], dimension=NATIVE_DIM)
        for r, pic, tvec in zip(layered, pics, tvecs, strict=True):
            w = ocr_weight(len(_ocr.real_words(r.text)))
            vec = l2_normalize((1 - w) * np.asarray(pic.vector) + w * tvec) if w else pic.vector
            rows.append(Row(r.page.segments[0].index, "IMAGE", vec, r.text,
                            segment=r.page.image_segment()))
    return rows
