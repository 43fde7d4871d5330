"""Nova's per-job segment limits on the twin: 1,900 text and 1,434 audio/video segments.

Where Bedrock enforces them is not documented; the twin takes the conservative reading
that a client must handle both outcomes:

- the input is in the request (inline ``bytes`` or ``value``): the count is known at
  once, and StartAsyncInvoke answers ``ValidationException`` (400);
- the input is on S3: it is read in the background, so the job ends ``Failed`` with a
  ``failureMessage`` naming the count and the limit (no output is written).

The limits are :class:`~.config.TwinConfig` settings (``max_text_segments``,
``max_media_segments``) so tests can reach them with small inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from nova_toolkit.twin.config import MAX_MEDIA_SEGMENTS, MAX_TEXT_SEGMENTS
from nova_toolkit.twin.wire import ServiceError


@dataclass(frozen=True)
class SegmentLimits:
    """Segments one async job may produce."""

    text: int = MAX_TEXT_SEGMENTS
    media: int = MAX_MEDIA_SEGMENTS

    def check(self, count: int, modality: str) -> None:
        """Raise a ValidationException when ``count`` segments of ``modality`` are too many."""
        limit, kind = (self.text, "text") if modality == "text" else (self.media,
                                                                      "audio/video")
        if modality != "image" and count > limit:
            raise ServiceError(
                "ValidationException",
                f"Malformed input request: the input would produce {count} {kind} segments, "
                f"above the maximum of {limit} {kind} segments for one asynchronous "
                "invocation; split the input or use a larger segmentationConfig, please "
                "reformat your input and try again.", 400)
