"""Decoding media bytes: ffmpeg (audio, video frames, probing), images, PDFs, DOCX, HTML.

No models live here. Everything takes a :class:`~nova_toolkit.media.MediaItem` and raises
:class:`~nova_toolkit.media.MediaError` naming the source and the reason when the input
cannot be decoded. ffmpeg is the binary shipped in the ``imageio-ffmpeg`` wheel; items held
only in memory are written to a temporary file first (containers such as MP4 need seeking).

The room's modules, each named for what it holds:

- :mod:`~nova_toolkit.decode.ffmpeg`: :func:`ffmpeg_exe`, ``FFMPEG_TIMEOUT_S``, running ffmpeg;
- :mod:`~nova_toolkit.decode.probing`: :class:`Probe`, :func:`probe`, ``parse_probe``;
- :mod:`~nova_toolkit.decode.audio`: :func:`decode_audio`, :data:`AUDIO_RATE`;
- :mod:`~nova_toolkit.decode.video`: :func:`iter_video_frames`, :func:`video_frames`;
- :mod:`~nova_toolkit.decode.images`: :func:`image_size`, :func:`open_image`, :data:`MAX_IMAGE_PIXELS`;
- :mod:`~nova_toolkit.decode.pdf`: :func:`open_pdf`, :func:`pdf_page_texts`, :func:`render_pdf_page`,
  ``pdfium_lock``;
- :mod:`~nova_toolkit.decode.docx_text`: ``docx_pages`` (also importable from ``nova_toolkit.segment``);
- :mod:`~nova_toolkit.decode.html_text`: ``html_to_text`` (also importable from ``nova_toolkit.segment``).

Every name stays importable from ``nova_toolkit.decode``.
"""

from __future__ import annotations

from nova_toolkit.decode.audio import AUDIO_RATE, decode_audio
from nova_toolkit.decode.docx_text import docx_pages as docx_pages
from nova_toolkit.decode.ffmpeg import FFMPEG_TIMEOUT_S as FFMPEG_TIMEOUT_S
from nova_toolkit.decode.ffmpeg import ffmpeg_exe
from nova_toolkit.decode.html_text import html_to_text as html_to_text
from nova_toolkit.decode.images import MAX_IMAGE_PIXELS, image_size, open_image
from nova_toolkit.decode.pdf import open_pdf, pdf_page_texts, render_pdf_page
from nova_toolkit.decode.pdf import pdfium_lock as pdfium_lock
from nova_toolkit.decode.probing import Probe, probe
from nova_toolkit.decode.probing import parse_probe as parse_probe
from nova_toolkit.decode.video import iter_video_frames, video_frames

__all__ = [
    "AUDIO_RATE",
    "MAX_IMAGE_PIXELS",
    "Probe",
    "decode_audio",
    "ffmpeg_exe",
    "image_size",
    "iter_video_frames",
    "open_image",
    "open_pdf",
    "pdf_page_texts",
    "probe",
    "render_pdf_page",
    "video_frames",
]
