"""Time windows: audio and video cut into ``segment_seconds`` windows over the probed duration."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nova_toolkit.media import MediaError
from nova_toolkit.segment.segments import Segment, SegmentationConfig

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem


def seconds_windows(duration_s: float, segment_seconds: float) -> list[tuple[float, float]]:
    """Time windows ``[k*s, min((k+1)*s, duration))`` covering ``[0, duration_s)``.

    The last window may be short; a zero duration gives ``[]``. Used for audio/video
    segments (Nova's ``durationSeconds``).
    """
    duration = float(duration_s)
    step = float(segment_seconds)
    if not math.isfinite(duration) or duration < 0:
        raise ValueError(f"duration_s must be a finite number >= 0, got {duration_s!r}")
    if not math.isfinite(step) or step <= 0:
        raise ValueError(f"segment_seconds must be a finite number > 0, got {segment_seconds!r}")
    windows: list[tuple[float, float]] = []
    k = 0
    eps = 1e-9 * max(1.0, duration)
    while k * step < duration - eps:
        windows.append((k * step, min((k + 1) * step, duration)))
        k += 1
    return windows


def _media_windows(item: MediaItem, config: SegmentationConfig) -> list[Segment]:
    from nova_toolkit.decode import decode_audio, probe

    info = probe(item)
    duration = info.duration_s
    if duration is None and info.has_audio:  # e.g. a bare stream: count decoded samples
        from nova_toolkit.decode import AUDIO_RATE

        duration = decode_audio(item).size / AUDIO_RATE
    if duration is None:
        raise MediaError(item.source, "cannot tell the duration of the stream")
    if duration <= 0:
        raise MediaError(item.source, f"{item.modality} is 0 seconds long")
    return [Segment(i, None, start_s=round(a, 6), end_s=round(b, 6))
            for i, (a, b) in enumerate(seconds_windows(duration, config.segment_seconds))]
