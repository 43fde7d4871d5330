"""Segmenting a media item: the cut each modality gets, and the text a text item embeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nova_toolkit.decode.html_text import html_to_text
from nova_toolkit.media import UnsupportedMediaError
from nova_toolkit.segment.chunking import segment_text
from nova_toolkit.segment.pages import segment_document
from nova_toolkit.segment.segments import Segment, SegmentationConfig
from nova_toolkit.segment.windows import _media_windows

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem


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
