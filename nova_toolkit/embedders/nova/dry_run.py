"""``--dry-run`` for nova: what a run would send and cost, with nothing sent."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from nova_toolkit.embedders.document_modes import (
    check_document_mode,
    pages_of,
    wants_images,
    wants_text,
)
from nova_toolkit.embedders.nova.constants import MAX_INPUT_CHARS, MAX_SYNC_SECONDS
from nova_toolkit.embedders.nova.text_limits import fit_text_segments
from nova_toolkit.embedders.nova.usage import CHARS_PER_TOKEN, Usage


@dataclass
class DryRunReport:
    """Counts of a planned run: files, requests, async jobs, inputs, estimated cost."""

    usage: Usage
    files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    unknown_durations: int = 0

    def summary(self) -> str:
        u = self.usage
        text = (f"dry run (nothing sent): {self.files} files, {u.calls} requests "
                f"({u.async_jobs} async jobs), {u.input_chars} chars "
                f"(~{u.estimated_tokens} tokens), {u.input_seconds:.1f} s of audio/video, "
                f"{u.input_images} images; estimated cost ~${u.estimated_cost():.4f}")
        if self.unknown_durations:
            text += f"; {self.unknown_durations} audio/video files of unknown duration"
        if self.skipped:
            text += f"; {len(self.skipped)} files skipped"
        return text


def dry_run(paths: Iterable[str | os.PathLike], *, max_chars: int = MAX_INPUT_CHARS,
            overlap_chars: int = 0, segment_seconds: float = 5.0,
            prices: dict | None = None, document_mode: str = "image") -> DryRunReport:
    """Count requests, input chars/seconds/images and cost for embedding ``paths`` with nova.

    Text is chunked exactly as :meth:`Collection.add` would, and a chunk over Nova's
    8,192 chars counts as the pieces the client re-cuts it into
    (:func:`~.text_limits.fit_text_segments`, the same function); audio/video durations come
    from the segmenter when it can read them (else one request per file is counted);
    document pages count as text requests and/or page images as ``document_mode`` says.
    """
    from nova_toolkit.media import MediaError, MediaItem, iter_files
    from nova_toolkit.segment import SegmentationConfig, segment_item

    check_document_mode(document_mode)
    usage = Usage(prices=dict(prices)) if prices else Usage()
    report = DryRunReport(usage)
    config = SegmentationConfig(max_chars=max_chars, overlap_chars=overlap_chars,
                                segment_seconds=segment_seconds)
    for source, error in iter_files([os.fspath(p) for p in paths]):
        if error is not None:
            report.skipped.append((source, error))
            continue
        try:
            item = MediaItem.from_path(source)
        except MediaError as exc:
            report.skipped.append((source, exc.reason))
            continue
        report.files += 1
        if item.modality == "image":
            usage.add(calls=1, input_images=1)
            continue
        try:
            segments = segment_item(item, config)
        except MediaError as exc:
            if item.modality in ("audio", "video"):
                report.unknown_durations += 1
                usage.add(calls=1)
            else:
                report.skipped.append((source, exc.reason))
            continue
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
    return report
