"""Documents through Nova: page text as ``TEXT``, page images as ``DOCUMENT_IMAGE``.

Which rows a page gets follows the collection's ``document_mode``
(:mod:`nova_toolkit.embedders.document_modes`). A page image is one SINGLE_EMBEDDING
request: ``image = {format, source.bytes, detailLevel: DOCUMENT_IMAGE}``.

Rendering: pypdfium2 at :data:`RENDER_DPI` (150 dpi), the long side capped at
:data:`MAX_SIDE` (2,048 px). 150 dpi keeps 8-pt print legible (a lower-case letter is
about 8 px tall; OCR and vision models read text from ~6-8 px up) while a Letter/A4 page
stays about 1,275 × 1,650 px; the cap keeps a poster-sized page from becoming tens of
megapixels that a model downsamples anyway. The page is sent as PNG (lossless: text edges
stay sharp, and a text page is 50–400 KB); a page whose PNG exceeds :data:`PNG_BUDGET`
(a photographic scan) is sent as JPEG quality 90 instead. Either way a request stays far
under Nova's 25 MB inline limit: the largest possible PNG of a 2,048² RGB page is 12.6 MB,
16.8 MB after base64.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from nova_toolkit.embedders.base import Embedding, EmbedFailure, l2_normalize
from nova_toolkit.embedders.document_modes import (
    Page,
    page_texts,
    pages_of,
    query_mode,
    wants_images,
    wants_text,
)
from nova_toolkit.embedders.nova import bodies
from nova_toolkit.embedders.nova.parse import sync_embeddings
from nova_toolkit.embedders.nova.text_limits import fit_text_segments
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from nova_toolkit.embedders.nova.calls import NovaCalls
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

RENDER_DPI = 150
MAX_SIDE = 2048
PNG_BUDGET = 4_000_000
JPEG_QUALITY = 90
DETAIL_LEVEL = "DOCUMENT_IMAGE"

Result = list[Embedding | EmbedFailure]
Task = tuple[Callable[[], Result], list[int]]


def render_page(item: MediaItem, page: int, *, dpi: float = RENDER_DPI,
                max_side: int = MAX_SIDE) -> tuple[bytes, str]:
    """Page ``page`` (from 1) as ``(image bytes, Nova format)`` — PNG, or JPEG when large.

    Raises
    ------
    MediaError
        The PDF cannot be opened or has no such page.
    """
    from nova_toolkit.decode import render_pdf_page

    image = render_pdf_page(item, page, long_side=max_side, dpi=dpi)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    if out.tell() <= PNG_BUDGET:
        return out.getvalue(), "png"
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue(), "jpeg"


def image_body(data: bytes, fmt: str, *, purpose: str, dimension: int) -> dict[str, Any]:
    """The InvokeModel body of one page image (``detailLevel`` DOCUMENT_IMAGE)."""
    block = bodies.media_block("image", fmt, data=data, detail_level=DETAIL_LEVEL)
    return bodies.single_body("image", block, purpose=purpose, dimension=dimension)


def _image_call(emb: NovaCalls, item: MediaItem, page: Page, snippet: str,
                purpose: str) -> Result:
    seg = page.image_segment()
    try:
        data, fmt = render_page(item, page.number)
    except MediaError as exc:
        return [EmbedFailure(seg.index, f"cannot render page {page.number}: {exc.reason}")]
    payload = emb._invoke(image_body(data, fmt, purpose=purpose, dimension=emb.dimension),
                          images=1)
    return [replace(r, snippet=snippet, segment=seg)
            for r in sync_embeddings(payload, seg.index)]


def plan_document(emb: NovaCalls, item: MediaItem, segments: Sequence[Segment],
                  purpose: str, mode: str) -> list[Task]:
    """One task per request for a document's pages, each with the segment indexes it covers.

    Text segments become TEXT requests (a segment over Nova's 8,192 chars is first cut into
    pieces that fit, :func:`~.text_limits.fit_text_segments`, each row carrying its piece's
    char span), pages become DOCUMENT_IMAGE requests, as ``mode`` says; a page with neither (a DOCX page without text) fails with the reason.
    """
    pages = pages_of(fit_text_segments(list(segments)))  # no TEXT call over 8,192 chars
    texts: list[str] | None = None
    tasks: list[Task] = []
    for page in pages:
        text_rows = wants_text(mode, page, item)
        if text_rows:
            tasks += [(lambda s=s: emb._text_call(s.text, s.index, purpose, s), [s.index])
                      for s in page.text_segments]
        if wants_images(mode, page, item):
            if texts is None:
                texts = _texts(item, pages)
            snippet = texts[page.number - 1] if page.number <= len(texts) else ""
            tasks.append((lambda p=page, t=snippet: _image_call(emb, item, p, t, purpose),
                          [page.segments[0].index]))
        elif not text_rows:
            where = f"{item.format} page {page.number}" if page.number else "segment"
            tasks.append((lambda s=page.segments[0], w=where: [EmbedFailure(
                s.index, f"{w} has no text (and its page image cannot be rendered)")],
                [page.segments[0].index]))
    return tasks


def _texts(item: MediaItem, pages: list[Page]) -> list[str]:
    """Page texts for image-row snippets (empty strings when the text layer is unreadable)."""
    try:
        return page_texts(item)
    except MediaError:
        return [""] * max((p.number or 0) for p in pages)


def query_document(emb: NovaCalls, item: MediaItem, purpose: str) -> np.ndarray:
    """A document as a query: the normalised mean of its page vectors.

    Pages are embedded as a collection of this ``document_mode`` stores them, except that
    ``both`` queries with the page images only (DOCUMENT_IMAGE); a one-page PDF is therefore
    exactly its page's vector, a longer one the centre of its pages ("documents like this
    one"); every page costs one request.

    Raises
    ------
    MediaError
        The file cannot be read, or no page of it could be embedded (naming the file).
    """
    from nova_toolkit.segment import SegmentationConfig, segment_item

    config = SegmentationConfig(max_chars=emb.default_max_chars,
                                overlap_chars=emb.default_overlap_chars)
    segments = segment_item(item, config)
    if not segments:
        raise MediaError(item.source, "nothing to embed (no pages)")
    tasks = plan_document(emb, item, segments, purpose, query_mode(emb.document_mode))
    results = emb._run([t for t, _ in tasks], emb.pool_size, [ix for _, ix in tasks])
    rows = [r for res in results for r in res]
    vectors = [r.vector for r in rows if isinstance(r, Embedding)]
    if not vectors:
        reasons = sorted({r.reason for r in rows if isinstance(r, EmbedFailure)})
        raise MediaError(item.source, "; ".join(reasons) or "nothing to embed")
    return l2_normalize(np.mean(vectors, axis=0))
