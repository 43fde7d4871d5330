"""Media items: read bytes once, detect modality and format from magic bytes, decode text.

This is the leftmost stage of the flow (``sources → segment → embed → …``). It knows nothing
about models: it turns a path, an ``s3://`` object or bytes in memory into a
:class:`MediaItem` (content, SHA-256, modality, format) and fails with a
:class:`MediaError` that names the source and the reason when the input is bad.

Detection trusts content over names: magic bytes decide, and the file extension only breaks
ties (which kind of text, an MPEG audio stream too short to confirm, ...). A ``.txt`` file that
holds a PNG is an image; a ``.txt`` file that holds random bytes is unsupported.

The room's modules, each named for what it holds:

- :mod:`~nova_toolkit.media.errors`: :class:`MediaError`, :class:`UnsupportedMediaError`;
- :mod:`~nova_toolkit.media.text`: :func:`decode_text`, :class:`DecodedText`, ``SNIFF_BYTES``;
- :mod:`~nova_toolkit.media.detection`: :func:`detect`, :data:`FORMATS`, :data:`MODALITIES`;
- :mod:`~nova_toolkit.media.item`: :class:`MediaItem`;
- :mod:`~nova_toolkit.media.s3`: :func:`parse_s3_uri`, ``is_s3_prefix``, ``iter_s3``;
- :mod:`~nova_toolkit.media.walk`: :func:`iter_files`.

Every name stays importable from ``nova_toolkit.media``.
"""

from __future__ import annotations

from nova_toolkit.media.detection import FORMATS, MODALITIES, detect
from nova_toolkit.media.errors import MediaError, UnsupportedMediaError
from nova_toolkit.media.item import MediaItem
from nova_toolkit.media.s3 import is_s3_prefix as is_s3_prefix
from nova_toolkit.media.s3 import iter_s3 as iter_s3
from nova_toolkit.media.s3 import parse_s3_uri
from nova_toolkit.media.text import SNIFF_BYTES as SNIFF_BYTES
from nova_toolkit.media.text import DecodedText, decode_text
from nova_toolkit.media.walk import LINK_OUTSIDE, iter_files

__all__ = [
    "MODALITIES",
    "FORMATS",
    "DecodedText",
    "MediaError",
    "MediaItem",
    "UnsupportedMediaError",
    "decode_text",
    "detect",
    "iter_files",
    "LINK_OUTSIDE",
    "parse_s3_uri",
]
