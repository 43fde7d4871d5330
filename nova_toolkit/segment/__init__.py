"""Segmentation: cut a media item into the pieces that each get one embedding.

Text is chunked by characters at word boundaries with optional overlap; every
:class:`Segment` carries where it came from (a half-open character span, a page, or a time
window) so a search hit can point back into the source. This stage calls no model.

The room's modules, each named for what it holds:

- :mod:`~nova_toolkit.segment.segments`: :class:`Segment`, :class:`SegmentationConfig`,
  :data:`EMBEDDING_MODES`;
- :mod:`~nova_toolkit.segment.chunking`: :func:`chunk_text`, :func:`segment_text`;
- :mod:`~nova_toolkit.segment.pages`: :func:`segment_pages`, :func:`segment_document`;
- :mod:`~nova_toolkit.segment.windows`: :func:`seconds_windows` (audio/video windows);
- :mod:`~nova_toolkit.segment.items`: :func:`segment_item`, ``item_text``.

DOCX and HTML decoding live in :mod:`nova_toolkit.decode` (``docx_pages``, ``html_to_text``);
they stay importable from here. Every name stays importable from ``nova_toolkit.segment``.
"""

from __future__ import annotations

from nova_toolkit.decode.docx_text import docx_pages as docx_pages
from nova_toolkit.decode.html_text import html_to_text as html_to_text
from nova_toolkit.segment.chunking import chunk_text, segment_text
from nova_toolkit.segment.items import item_text as item_text
from nova_toolkit.segment.items import segment_item
from nova_toolkit.segment.pages import segment_document, segment_pages
from nova_toolkit.segment.segments import EMBEDDING_MODES, Segment, SegmentationConfig
from nova_toolkit.segment.windows import seconds_windows

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
