"""Decoding helpers for media bytes: ffmpeg (audio, video frames, probing), images, PDFs.

No models live here. Everything takes a :class:`~nova_toolkit.media.MediaItem` and raises
:class:`~nova_toolkit.media.MediaError` naming the source and the reason when the input
cannot be decoded. ffmpeg is the binary shipped in the ``imageio-ffmpeg`` wheel; items held
only in memory are written to a temporary file first (containers such as MP4 need seeking).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from nova_toolkit.media import MediaItem

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

#: Sample rate of decoded audio (what pocketsphinx's en-us model expects).
AUDIO_RATE = 16000
#: Images above this many pixels are refused before decoding (Nova's image limit is 50 MB).
MAX_IMAGE_PIXELS = 50_000_000
#: Seconds any one ffmpeg call may take before it is stopped.
FFMPEG_TIMEOUT_S = 600

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (Video|Audio): ([^\n]*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+) (?:fps|tbr)")


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary from the ``imageio-ffmpeg`` wheel."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("audio/video need imageio-ffmpeg: pip install imageio-ffmpeg") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


@contextlib.contextmanager
def _local_path(item: MediaItem) -> Iterator[str]:
    """A path ffmpeg can open: the item's own file, or a temporary copy of its bytes."""
    if item.path and os.path.isfile(item.path):
        yield item.path
        return
    fd, tmp = tempfile.mkstemp(suffix=f".{item.format}", prefix="nova-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(item.data)
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _ffmpeg_reason(stderr: str) -> str:
    """The most telling line of an ffmpeg error output."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("ffmpeg version", "built with", "configuration:",
                                                    "lib", "Input #", "Metadata:", "Duration:",
                                                    "Stream #", "Output #", "Press [q]"))]
    for ln in reversed(keep):
        if any(w in ln.lower() for w in ("invalid", "error", "not found", "could not", "moov",
                                         "truncated", "no such", "unknown", "failed")):
            return ln[:300]
    return (keep[-1] if keep else "ffmpeg could not decode it")[:300]


def _run(args: list[str], source: str, what: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args],
                              capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError(source, f"{what} took longer than {FFMPEG_TIMEOUT_S} s") from None


# --------------------------------------------------------------------------------------------
# probing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """What ffmpeg says about an audio/video container.

    Attributes
    ----------
    duration_s : float or None
        Container duration (None when ffmpeg cannot tell without decoding).
    has_video, has_audio : bool
        Whether a (non-cover-art) video stream / an audio stream is present.
    width, height : int or None
        Size of the first video stream.
    """

    duration_s: float | None
    has_video: bool
    has_audio: bool
    width: int | None = None
    height: int | None = None


_probe_cache: OrderedDict[str, Probe] = OrderedDict()
_probe_lock = threading.Lock()


def parse_probe(stderr: str) -> Probe:
    """Parse the ``ffmpeg -i`` banner (stderr) into a :class:`Probe`."""
    m = _DURATION.search(stderr)
    duration = None
    if m:
        h, mi, s = m.groups()
        duration = int(h) * 3600 + int(mi) * 60 + float(s)
    has_video = has_audio = False
    width = height = None
    for kind, rest in _STREAM.findall(stderr):
        if kind == "Audio":
            has_audio = True
        elif "attached pic" not in rest:  # cover art of an audio file is not a video
            if not has_video:
                sm = _SIZE.search(rest)
                if sm:
                    width, height = int(sm.group(1)), int(sm.group(2))
            has_video = True
    return Probe(duration, has_video, has_audio, width, height)


def probe(item: MediaItem) -> Probe:
    """Streams and duration of an audio/video item (cached by content hash).

    Raises
    ------
    MediaError
        When ffmpeg finds no audio or video stream it can read.
    """
    with _probe_lock:
        hit = _probe_cache.get(item.sha256)
        if hit is not None:
            _probe_cache.move_to_end(item.sha256)
            return hit
    with _local_path(item) as path:
        proc = _run(["-i", path], item.source, "probing")
    stderr = proc.stderr.decode("utf-8", "replace")
    info = parse_probe(stderr)
    if not (info.has_audio or info.has_video):
        raise MediaError(item.source, f"no decodable audio or video stream ({_ffmpeg_reason(stderr)})")
    with _probe_lock:
        _probe_cache[item.sha256] = info
        while len(_probe_cache) > 256:
            _probe_cache.popitem(last=False)
    return info


# --------------------------------------------------------------------------------------------
# audio
# --------------------------------------------------------------------------------------------


def decode_audio(item: MediaItem, *, rate: int = AUDIO_RATE) -> np.ndarray:
    """The first audio stream as mono signed 16-bit samples at ``rate`` Hz.

    Raises
    ------
    MediaError
        Undecodable audio (the reason is ffmpeg's), or a stream with no samples (0 s).
    """
    with _local_path(item) as path:
        proc = _run(["-v", "error", "-i", path, "-map", "0:a:0", "-vn", "-ac", "1",
                     "-ar", str(rate), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"],
                    item.source, "decoding audio")
    samples = np.frombuffer(proc.stdout, dtype="<i2")
    if proc.returncode != 0 and samples.size == 0:
        raise MediaError(item.source,
                         f"cannot decode audio: {_ffmpeg_reason(proc.stderr.decode('utf-8', 'replace'))}")
    if samples.size == 0:
        raise MediaError(item.source, "audio has no samples (0 s long)")
    return samples


# --------------------------------------------------------------------------------------------
# video frames
# --------------------------------------------------------------------------------------------


def iter_video_frames(item: MediaItem, *, every_s: float, short_side: int = 300
                      ) -> Iterator[PILImage.Image]:
    """Frames sampled every ``every_s`` seconds from t = 0 (frame ``n`` ≈ time ``n*every_s``).

    One streaming ffmpeg pass (memory stays flat on long videos); frames are scaled so their
    short side is ``short_side`` pixels.

    Raises
    ------
    MediaError
        When no frame at all can be decoded.
    """
    from PIL import Image

    scale = f"scale='if(gt(iw,ih),-2,{short_side})':'if(gt(iw,ih),{short_side},-2)'"
    with _local_path(item) as path:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", path,
               "-map", "0:v:0", "-an", "-vf", f"fps=fps=1/{every_s:.6f}:round=near,{scale}",
               "-f", "image2pipe", "-vcodec", "bmp", "pipe:1"]
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
            n = 0
            try:
                while True:
                    head = proc.stdout.read(6)
                    if len(head) < 6 or head[:2] != b"BM":
                        break
                    size = int.from_bytes(head[2:6], "little")
                    body = proc.stdout.read(size - 6)
                    if len(body) < size - 6:
                        break
                    with Image.open(io.BytesIO(head + body)) as im:
                        frame = im.convert("RGB")
                    n += 1
                    yield frame
            finally:
                proc.stdout.close()
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            if n == 0:
                err.seek(0)
                reason = _ffmpeg_reason(err.read().decode("utf-8", "replace"))
                raise MediaError(item.source, f"cannot decode video frames: {reason}")


def video_frames(item: MediaItem, *, every_s: float, short_side: int = 300
                 ) -> list[PILImage.Image]:
    """All frames of :func:`iter_video_frames` as a list."""
    return list(iter_video_frames(item, every_s=every_s, short_side=short_side))


# --------------------------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------

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
