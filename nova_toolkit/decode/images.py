"""Decoding images with Pillow: the header's size checked first, then RGB pixels."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from nova_toolkit.media import MediaItem

#: Images above this many pixels are refused before decoding (Nova's image limit is 50 MB).
MAX_IMAGE_PIXELS = 50_000_000


def image_size(item: MediaItem, *, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """Width and height from the image header (no pixel is decoded).

    Raises
    ------
    MediaError
        Unreadable header, or more than ``max_pixels`` pixels.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(item.data)) as im:
            w, h = im.size
    except Image.DecompressionBombError as exc:
        raise MediaError(item.source, f"image too large: {exc}") from None
    except UnidentifiedImageError:  # its message names a BytesIO address: not repeatable
        raise MediaError(item.source, "cannot read image header: not an image Pillow can "
                                      "identify (unknown format or corrupt header)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaError(item.source, f"cannot read image header: {exc}") from None
    if w <= 0 or h <= 0:
        raise MediaError(item.source, f"image has no pixels ({w}x{h})")
    if w * h > max_pixels:
        raise MediaError(item.source, f"image too large: {w}x{h} = {w * h / 1e6:.0f} Mpx, "
                                      f"above the {max_pixels / 1e6:.0f} Mpx limit")
    return w, h


def open_image(item: MediaItem, *, max_pixels: int = MAX_IMAGE_PIXELS) -> PILImage.Image:
    """Decode an image item to RGB (first frame of an animation), refusing oversized ones first.

    Transparent images are composited on white (text drawn on a transparent background
    would otherwise become black on black).

    Raises
    ------
    MediaError
        Oversized, truncated or otherwise undecodable images.
    """
    from PIL import Image, ImageOps

    image_size(item, max_pixels=max_pixels)
    try:
        with Image.open(io.BytesIO(item.data)) as im:
            im.seek(0)
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                return Image.alpha_composite(bg, rgba).convert("RGB")
            return im.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise MediaError(item.source, f"image too large: {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise MediaError(item.source, f"cannot decode image: {exc}") from None
