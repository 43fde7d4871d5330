"""Decoding PDFs with pypdfium2: opening, each page's text layer, rendering a page.

pdfium is not thread-safe, so every call holds one process-wide lock.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from nova_toolkit.media import MediaItem

_pdfium_lock = threading.RLock()  # pdfium is not thread-safe


def open_pdf(item: MediaItem):
    """Open a PDF with pypdfium2 (call under :data:`pdfium_lock`).

    Raises
    ------
    MediaError
        Password-protected, corrupt or empty PDFs.
    """
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(item.data)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise MediaError(item.source, "PDF is password-protected (encrypted); "
                                          "save an unprotected copy") from None
        raise MediaError(item.source, f"cannot open PDF: {msg}") from None
    if len(doc) == 0:
        doc.close()
        raise MediaError(item.source, "PDF has no pages")
    return doc


def pdfium_lock() -> threading.RLock:
    """The lock every pdfium call must hold."""
    return _pdfium_lock


def pdf_page_texts(item: MediaItem) -> list[str]:
    """The text layer of every page (``""`` for a page without one), in page order."""
    with _pdfium_lock:
        doc = open_pdf(item)
        try:
            texts = []
            for i in range(len(doc)):
                page = doc[i]
                try:
                    tp = page.get_textpage()
                    try:
                        text = tp.get_text_range()
                    finally:
                        tp.close()
                finally:
                    page.close()
                texts.append(text.replace("\r\n", "\n").replace("\r", "\n"))
            return texts
        finally:
            doc.close()


def render_pdf_page(item: MediaItem, page: int, *, long_side: int = 1600,
                    dpi: float | None = None) -> PILImage.Image:
    """Render page ``page`` (from 1) to RGB.

    Without ``dpi`` its long side is about ``long_side`` pixels (scale 0.5–4); with
    ``dpi`` it is rendered at that resolution, the long side capped at ``long_side``.
    """
    with _pdfium_lock:
        doc = open_pdf(item)
        try:
            if not 1 <= page <= len(doc):
                raise MediaError(item.source, f"PDF has no page {page} (it has {len(doc)})")
            pg = doc[page - 1]
            try:
                w, h = pg.get_size()
                fit = long_side / max(w, h, 1.0)  # w, h in points (1/72 in)
                scale = min(4.0, max(0.5, fit)) if dpi is None else min(dpi / 72.0, fit)
                bitmap = pg.render(scale=scale)
                return bitmap.to_pil().convert("RGB")
            finally:
                pg.close()
        finally:
            doc.close()
