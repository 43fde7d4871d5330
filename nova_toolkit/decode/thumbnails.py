"""Small JPEG thumbnails of a media item's picture segments, made while its bytes are at hand.

One thumbnail per *spot*: an image (``"image"``), a video window (``"segment=N"``, the frame at
the window's midpoint) or a PDF page (``"page=N"``, from 1). :func:`thumbnail_locator` names
the spot of a stored row, so whoever reads a collection finds a row's thumbnail by its content
hash and locator, whatever the row's source is called. Thumbnails are a nicety: making them
never fails an item (:func:`thumbnails_for` returns what it could make).

All frames of a video come from one ffmpeg pass; all pages of a PDF from one opening, rendered
straight at thumbnail size; JPEG images are decoded at reduced scale (Pillow's draft mode).
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from nova_toolkit.decode.ffmpeg import FFMPEG_TIMEOUT_S, _local_path, ffmpeg_exe
from nova_toolkit.decode.images import image_size
from nova_toolkit.decode.pdf import open_pdf, pdfium_lock
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from nova_toolkit.media import MediaItem

#: Long side of a stored thumbnail, in pixels (the map's hover picture).
THUMB_PX = 96
#: JPEG quality of a stored thumbnail (≈ 2–5 KB at 96 px).
THUMB_QUALITY = 70
#: Pages of one PDF that get a thumbnail (the first ones); the rest show their text only.
MAX_PDF_PAGES = 64
#: Video windows whose frames one ffmpeg run picks (bounds the select expression's length).
WINDOWS_PER_PASS = 200
THUMB_MIME = "image/jpeg"


@dataclass(frozen=True)
class Thumbnail:
    """One small JPEG of a spot of an item (see :func:`thumbnail_locator`)."""

    locator: str
    data: bytes
    width: int
    height: int
    mime: str = THUMB_MIME


class SegmentLike(Protocol):
    """What a thumbnail needs of a segment: its index, time window and page."""

    index: int
    start_s: float | None
    end_s: float | None
    page: int | None


def thumbnail_locator(modality: str | None, segment_index: object = None,
                      page: object = None) -> str | None:
    """The spot of a row that has a picture: ``"image"``, ``"segment=N"``, ``"page=N"``; else None."""
    if modality == "image":
        return "image"
    if modality == "video" and _is_int(segment_index):
        return f"segment={int(segment_index)}"
    if modality == "document" and _is_int(page):
        return f"page={int(page)}"
    return None


def _is_int(value: object) -> bool:
    try:
        return value is not None and float(value) == float(value) and float(value).is_integer()
    except (TypeError, ValueError):
        return False


def encode_thumbnail(image: PILImage.Image, locator: str, px: int = THUMB_PX) -> Thumbnail:
    """``image`` scaled to a long side of at most ``px`` pixels, as a JPEG :class:`Thumbnail`."""
    from PIL import Image

    im = image.convert("RGB")
    im.thumbnail((px, px), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=THUMB_QUALITY, optimize=True)
    return Thumbnail(locator, buf.getvalue(), im.width, im.height)


def image_thumbnail(item: MediaItem, px: int = THUMB_PX) -> Thumbnail:
    """The thumbnail of an image item (first frame, EXIF orientation, transparency on white)."""
    from PIL import Image, ImageOps

    image_size(item)  # refuses oversized images before decoding
    try:
        with Image.open(io.BytesIO(item.data)) as im:
            im.seek(0)
            im.draft("RGB", (px * 2, px * 2))  # JPEG: decode at 1/2..1/8 scale
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                im = Image.alpha_composite(bg, rgba)
            return encode_thumbnail(im, "image", px)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise MediaError(item.source, f"cannot decode image: {exc}") from None


def pdf_thumbnails(item: MediaItem, pages: Iterable[int], px: int = THUMB_PX) -> list[Thumbnail]:
    """Thumbnails of ``pages`` (from 1) of a PDF item, the document opened once."""
    wanted = sorted({int(p) for p in pages})
    out = []
    with pdfium_lock():
        doc = open_pdf(item)
        try:
            for number in wanted:
                if not 1 <= number <= len(doc):
                    continue
                page = doc[number - 1]
                try:
                    w, h = page.get_size()
                    scale = 2 * px / max(w, h, 1.0)  # twice the size, then a sharp downscale
                    image = page.render(scale=scale).to_pil()
                finally:
                    page.close()
                out.append(encode_thumbnail(image.convert("RGB"), f"page={number}", px))
        finally:
            doc.close()
    return out


def video_thumbnails(item: MediaItem, windows: Sequence[tuple[int, float, float]],
                     px: int = THUMB_PX) -> list[Thumbnail]:
    """The frame at the midpoint of each ``(segment index, start_s, end_s)`` window.

    One ffmpeg pass per :data:`WINDOWS_PER_PASS` windows selects the first frame at or after
    each midpoint (scaled down in ffmpeg); a window past the last decodable frame gets the
    last frame.
    """
    windows = sorted(windows, key=lambda w: w[1] + w[2])
    out: list[Thumbnail] = []
    for first in range(0, len(windows), WINDOWS_PER_PASS):
        chunk = windows[first:first + WINDOWS_PER_PASS]
        frames = _midpoint_frames(item, [max(0.0, (a + b) / 2) for _, a, b in chunk], px)
        if not frames:
            break
        for n, (index, _, _) in enumerate(chunk):
            out.append(encode_thumbnail(frames[min(n, len(frames) - 1)],
                                        f"segment={int(index)}", px))
    return out


def _midpoint_frames(item: MediaItem, mids: list[float], px: int) -> list[PILImage.Image]:
    """The first frame at or after each of ``mids`` (ascending seconds), from one ffmpeg run."""
    from PIL import Image

    start = mids[0]
    # a frame is selected when its time passes a midpoint that no frame has served yet
    terms = "+".join(f"gte(t,{m - start:.4f})*lt(prev_selected_t,{m - start:.4f})"
                     for m in mids[1:])
    select = f"if(isnan(prev_selected_t),1,gt({terms or '0'},0))"
    scale = f"scale={px}:{px}:force_original_aspect_ratio=decrease"
    with _local_path(item) as path:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
               "-ss", f"{start:.4f}", "-i", path, "-map", "0:v:0", "-an",
               "-vf", f"select='{select}',{scale}", "-fps_mode", "vfr",
               "-frames:v", str(len(mids)), "-f", "image2pipe", "-vcodec", "bmp", "pipe:1"]
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=FFMPEG_TIMEOUT_S,
                                 check=False).stdout
        except subprocess.TimeoutExpired:
            return []
    frames = []
    while len(out) >= 6 and out[:2] == b"BM":
        size = int.from_bytes(out[2:6], "little")
        if size < 6 or len(out) < size:
            break
        with Image.open(io.BytesIO(out[:size])) as im:
            frames.append(im.convert("RGB"))
        out = out[size:]
    return frames


def thumbnails_for(item: MediaItem, segments: Sequence[SegmentLike],
                   px: int = THUMB_PX) -> tuple[Thumbnail, ...]:
    """The thumbnails of ``item``'s picture segments: the image, each video window, each PDF
    page (the first :data:`MAX_PDF_PAGES`). Never raises: what cannot be made is left out."""
    try:
        if item.modality == "image":
            return (image_thumbnail(item, px),)
        if item.modality == "video":
            windows = [(s.index, float(s.start_s), float(s.end_s)) for s in segments
                       if s.start_s is not None and s.end_s is not None]
            return tuple(video_thumbnails(item, windows, px))
        if item.modality == "document" and item.format == "pdf":
            pages = sorted({int(s.page) for s in segments if s.page is not None})
            return tuple(pdf_thumbnails(item, pages[:MAX_PDF_PAGES], px))
    except Exception:  # noqa: BLE001 - a thumbnail is a nicety; the item is embedded anyway
        return ()
    return ()
