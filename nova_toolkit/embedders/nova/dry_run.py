"""``--dry-run`` for nova: what one planned item sends and costs, and the run's report.

The run itself (walk, read, plan against the cache) is the pipeline's:
:func:`nova_toolkit.pipeline.dry_run.dry_run` calls :func:`count_planned` for every item
its planner would embed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nova_toolkit.embedders.document_modes import (
    pages_of,
    wants_images,
    wants_text,
)
from nova_toolkit.embedders.nova.constants import MAX_SYNC_SECONDS
from nova_toolkit.embedders.nova.text_limits import fit_text_segments
from nova_toolkit.embedders.nova.usage import CHARS_PER_TOKEN, Usage
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment


@dataclass
class DryRunReport:
    """Counts of a planned run: files, requests, async jobs, inputs, estimated cost."""

    usage: Usage
    files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    unknown_durations: int = 0
    cached: int = 0  # items a run would not send (stored, cached, or a duplicate)

    def summary(self) -> str:
        u = self.usage
        text = (f"dry run (nothing sent): {self.files} files, {u.calls} requests "
                f"({u.async_jobs} async jobs), {u.input_chars} chars "
                f"(~{u.estimated_tokens} tokens), {u.input_seconds:.1f} s of audio/video, "
                f"{u.input_images} images; estimated cost ~${u.estimated_cost():.4f}")
        if self.unknown_durations:
            text += f"; {self.unknown_durations} audio/video files of unknown duration"
        if self.cached:
            text += f"; {self.cached} files cached (not sent)"
        if self.skipped:
            text += f"; {len(self.skipped)} files skipped"
        return text


def count_planned(item: MediaItem, segments: list[Segment], document_mode: str,
                  usage: Usage) -> None:
    """Add to ``usage`` what embedding one planned item (its segments) sends to Nova."""
    if item.modality == "image":
        usage.add(calls=1, input_images=1)
        return
    if item.modality == "document":
        pages = pages_of(segments)
        images = sum(wants_images(document_mode, p, item) for p in pages)
        usage.add(calls=images, input_images=images)
        segments = [s for p in pages if wants_text(document_mode, p, item)
                    for s in p.text_segments]
    if item.modality in ("text", "document"):
        segments = fit_text_segments(segments)  # what the client sends: ≤ 8,192 a call
        chars = sum(len(s.text or "") for s in segments)
        usage.add(calls=sum(bool((s.text or "").strip()) for s in segments),
                  input_chars=chars, estimated_tokens=math.ceil(chars / CHARS_PER_TOKEN))
    else:
        seconds = max((s.end_s or 0.0 for s in segments), default=0.0)
        jobs = int(len(segments) > 1 or seconds > MAX_SYNC_SECONDS)
        usage.add(calls=1, async_jobs=jobs, input_seconds=seconds)
