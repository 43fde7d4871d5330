"""What segmentation makes and how it is set: :class:`Segment`, :class:`SegmentationConfig`.

Every segment carries where it came from (a half-open character span, a page, or a time
window) so a search hit can point back into the source; the config is part of the
embedding cache key.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

#: Nova's ``embeddingMode`` values for video.
EMBEDDING_MODES = ("AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE")


@dataclass(frozen=True)
class Segment:
    """One piece of a media item that gets one embedding (per embedding type).

    Fields that do not apply are None.

    Attributes
    ----------
    index : int
        0-based position within the item.
    text : str or None
        The text to embed (text chunk, page text); also the row's default snippet.
    char_start, char_end : int or None
        Half-open span ``[char_start, char_end)`` into the item's decoded text.
    start_s, end_s : float or None
        Audio/video window in seconds.
    page : int or None
        Document page, counting from 1.
    """

    index: int
    text: str | None = None
    char_start: int | None = None
    char_end: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Where the segment sits, without its text (the row stores the snippet separately)."""
        return {
            "index": self.index,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "page": self.page,
            "char_start": self.char_start,
            "char_end": self.char_end,
        }


@dataclass(frozen=True)
class SegmentationConfig:
    """How to cut items; part of the embedding cache key.

    Parameters
    ----------
    max_chars : int
        Text chunk size in characters (≥ 1).
    overlap_chars : int, default 0
        Overlap between consecutive text chunks, ``0 ≤ overlap_chars < max_chars``.
    segment_seconds : float, default 5.0
        Audio/video window length, 1–30 s (Nova's ``durationSeconds``).
    embedding_mode : str, default "AUDIO_VIDEO_COMBINED"
        Video only (Nova's ``embeddingMode``): one row per window mixing frames and sound
        (``AUDIO_VIDEO_COMBINED``), or two rows, ``VIDEO`` and ``AUDIO``
        (``AUDIO_VIDEO_SEPARATE``).

    Raises
    ------
    ValueError
        When a value is out of range.
    """

    max_chars: int
    overlap_chars: int = 0
    segment_seconds: float = 5.0
    embedding_mode: str = "AUDIO_VIDEO_COMBINED"

    def __post_init__(self) -> None:
        if self.embedding_mode not in EMBEDDING_MODES:
            raise ValueError(
                f"embedding_mode must be one of {', '.join(EMBEDDING_MODES)} "
                f"(Nova's embeddingMode), got {self.embedding_mode!r}"
            )
        for name in ("max_chars", "overlap_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    object.__setattr__(self, name, int(value))
                else:
                    raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.max_chars < 1:
            raise ValueError(f"max_chars must be >= 1, got {self.max_chars}")
        if not 0 <= self.overlap_chars < self.max_chars:
            raise ValueError(
                f"overlap_chars must be >= 0 and < max_chars ({self.max_chars}), "
                f"got {self.overlap_chars}"
            )
        seconds = self.segment_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError(f"segment_seconds must be a number, got {seconds!r}")
        seconds = float(seconds)
        if not (math.isfinite(seconds) and 1.0 <= seconds <= 30.0):
            raise ValueError(
                f"segment_seconds must be between 1 and 30 (Nova's durationSeconds), got {seconds}"
            )
        object.__setattr__(self, "segment_seconds", seconds)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings."""
        return asdict(self)

    def key(self) -> str:
        """Stable canonical string of the settings (sorted JSON), used in the cache key."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
