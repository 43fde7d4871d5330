"""Running ffmpeg (the ``imageio-ffmpeg`` wheel's binary) with a time limit and a readable reason.

Items held only in memory are written to a temporary file first (containers such as MP4 need
seeking); an ffmpeg failure becomes a :class:`~nova_toolkit.media.MediaError` whose reason is
the most telling line of ffmpeg's output.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem

#: Seconds any one ffmpeg call may take before it is stopped.
FFMPEG_TIMEOUT_S = 600


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
