"""How documents (PDF, DOCX) become vectors: the collection's ``document_mode``.

======  ===================================================================================
mode    rows per page
======  ===================================================================================
text    the page's text layer, one ``TEXT`` row per chunk; a page without one (a scan) is
        embedded as its page image (``IMAGE``): there is nothing else to embed
image   the page image, one ``IMAGE`` row per page (Nova: ``detailLevel=DOCUMENT_IMAGE``)
both    the ``TEXT`` rows of ``text`` and the ``IMAGE`` row of ``image`` for every page
======  ===================================================================================

Every row carries its page (from 1). An image row takes the index of the page's first
segment, so ``both`` keeps distinct row keys (``source#TEXT#i`` and ``source#IMAGE#i``);
its snippet is the page's text layer (empty for a scan, or OCR text where the backend
reads it). DOCX pages cannot be rendered without a layout engine (none ships in a wheel):
in ``image`` and ``both`` mode a DOCX is embedded from its text, like in ``text`` mode.

A collection recorded before the setting existed has no ``document_mode``: it behaves as
``text`` (:data:`HISTORICAL_MODE`), which is what both backends did then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

DOCUMENT_MODES = ("text", "image", "both")
#: What a collection without a recorded ``document_mode`` does.
HISTORICAL_MODE = "text"


def check_document_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`DOCUMENT_MODES`, else a ValueError naming them."""
    if mode not in DOCUMENT_MODES:
        raise ValueError(f"document_mode must be one of {', '.join(DOCUMENT_MODES)}, "
                         f"not {mode!r}")
    return mode


@dataclass(frozen=True)
class Page:
    """One document page: its number (from 1), its segments and where its image row goes."""

    number: int | None
    segments: list[Segment]

    @property
    def has_text(self) -> bool:
        return any((s.text or "").strip() for s in self.segments)

    @property
    def text_segments(self) -> list[Segment]:
        return [s for s in self.segments if (s.text or "").strip()]

    def image_segment(self) -> Segment:
        """The segment of the page's image row: the first segment's index, the whole page."""
        first = self.segments[0]
        return replace(first, text=None, char_start=None, char_end=None)


def pages_of(segments: list[Segment] | tuple[Segment, ...]) -> list[Page]:
    """Segments grouped by page, in page order (a page's chunks stay together)."""
    pages: dict[int | None, list[Segment]] = {}
    for seg in segments:
        pages.setdefault(seg.page, []).append(seg)
    return [Page(n, segs) for n, segs in pages.items()]


def renders_pages(item: MediaItem) -> bool:
    """Whether the item's pages can be rendered as images (PDF; not DOCX)."""
    return item.format == "pdf"


def page_texts(item: MediaItem) -> list[str]:
    """The text of every page (``""`` for a page without a text layer), stripped."""
    if item.format == "pdf":
        from nova_toolkit.decode import pdf_page_texts

        return [t.strip() for t in pdf_page_texts(item)]
    from nova_toolkit.segment import docx_pages

    return [t.strip() for t in docx_pages(item)]


def wants_images(mode: str, page: Page, item: MediaItem) -> bool:
    """Whether ``page`` gets an image row in ``mode``."""
    if not renders_pages(item) or page.number is None:
        return False
    return mode in ("image", "both") or not page.has_text


def wants_text(mode: str, page: Page, item: MediaItem) -> bool:
    """Whether ``page``'s text segments get text rows in ``mode`` (DOCX always does)."""
    return page.has_text and (mode in ("text", "both") or not renders_pages(item))


def query_mode(mode: str) -> str:
    """The mode a document *query* is embedded in: its page images unless ``text``."""
    return "text" if mode == "text" else "image"


def mode_for_open(asked: str | None, stored_mode: str | None, exists: bool) -> str | None:
    """The ``document_mode`` to build an embedder with in ``Collection.open``.

    An explicit ``asked`` wins (a mismatch with the stored one is refused later); an
    existing collection gives its recorded mode, or :data:`HISTORICAL_MODE` when it has
    none; a new one leaves it to the backend's default (``None``).
    """
    if asked is not None:
        return check_document_mode(asked)
    if exists:
        return stored_mode or HISTORICAL_MODE
    return None
