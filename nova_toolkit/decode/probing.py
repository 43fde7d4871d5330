"""Probing audio/video containers: duration and streams from the ``ffmpeg -i`` banner.

Results are cached by content hash (a bounded LRU), since segmentation and embedding both ask.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nova_toolkit.decode.ffmpeg import _ffmpeg_reason, _local_path, _run
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (Video|Audio): ([^\n]*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"([\d.]+) (?:fps|tbr)")


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
