"""Decoding audio: the first audio stream as mono 16-bit samples, through ffmpeg."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit.decode.ffmpeg import _ffmpeg_reason, _local_path, _run
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem

#: Sample rate of decoded audio (what pocketsphinx's en-us model expects).
AUDIO_RATE = 16000


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
