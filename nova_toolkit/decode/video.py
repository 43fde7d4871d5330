"""Decoding video frames: frames sampled at a fixed interval in one streaming ffmpeg pass."""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nova_toolkit.decode.ffmpeg import _ffmpeg_reason, _local_path, ffmpeg_exe
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from nova_toolkit.media import MediaItem


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
