"""Async (SEGMENTED_EMBEDDING) inputs cut into several jobs under Nova's per-job limits.

One async job may produce at most 1,900 text segments and 1,434 audio/video segments, and
take at most 2 hours of audio/video. A longer input becomes several jobs whose rows are
merged so that segment indices, start/end seconds and char spans run on as if one job had
done it all:

- audio/video: time windows of ``n × durationSeconds`` (``n`` = what fits the limits), so
  the service's segment grid is the same as one job's; each window is cut with ffmpeg
  (from ``imageio-ffmpeg``, re-encoded for exact cuts: video to mp4 H.264/AAC, audio in its
  own format) and staged. A window's encoder tail past its end (an AAC frame) is dropped.
- text: pieces cut at chunk starts of :func:`~nova_toolkit.segment.chunk_text` at
  ``maxLengthChars``, each holding at most 3/4 of the limit in our own chunks (margin for
  the service's own word-boundary cuts); a piece the service still refuses for its segment
  count is halved and sent again.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nova_toolkit.embedders.base import Embedding, EmbedFailure
from nova_toolkit.embedders.nova import bodies
from nova_toolkit.embedders.nova.constants import (
    MAX_ASYNC_MEDIA_SECONDS,
    MAX_ASYNC_MEDIA_SEGMENTS,
    MAX_ASYNC_TEXT_SEGMENTS,
    MAX_SEGMENT_CHARS,
    MIN_SEGMENT_CHARS,
)

if TYPE_CHECKING:
    from nova_toolkit.embedders.nova.calls import NovaCalls
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

Result = list[Embedding | EmbedFailure]
_EPS = 1e-6
#: Share of the text segment limit one piece holds in our own chunks.
TEXT_MARGIN = 0.75
#: ffmpeg output per modality and Nova format: (container format, codec arguments).
_CUT_OUTPUT = {
    "video": ("mp4", ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-movflags", "+faststart"]),
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-q:a", "2"]),
    "wav": ("wav", ["-c:a", "pcm_s16le"]),
    "ogg": ("ogg", ["-c:a", "libvorbis", "-q:a", "5"]),
}


@dataclass(frozen=True)
class AsyncLimits:
    """What one async job may hold (Nova's documented limits by default)."""

    text_segments: int = MAX_ASYNC_TEXT_SEGMENTS
    media_segments: int = MAX_ASYNC_MEDIA_SEGMENTS
    media_seconds: float = MAX_ASYNC_MEDIA_SECONDS

    def __post_init__(self) -> None:
        if min(self.text_segments, self.media_segments) < 1 or self.media_seconds <= 0:
            raise ValueError(f"async limits must be positive, got {self}")


def media_windows(duration: float, step: float, limits: AsyncLimits) -> list[tuple[float, float]]:
    """``[start, end)`` windows of one job each; a window is a whole number of ``step``s.

    One window when the whole input fits the limits. Otherwise each window holds one
    segment less than the limits allow: a re-encoded cut can run a few milliseconds past
    its end (an audio frame), which the service would count as one more segment.
    """
    fits = min(limits.media_segments, int(limits.media_seconds // step))
    if math.ceil(duration / step - _EPS) <= fits:
        return [(0.0, duration)]
    per_job = max(1, fits - 1)
    span = per_job * step
    count = max(1, math.ceil(duration / span - _EPS))
    return [(k * span, min((k + 1) * span, duration)) for k in range(count)]


def cut_media(item: MediaItem, start: float, length: float) -> tuple[bytes, str]:
    """``[start, start + length)`` of an audio/video item, re-encoded → (bytes, Nova format).

    Raises
    ------
    ValueError
        When ffmpeg cannot cut it (the reason is ffmpeg's last line).
    """
    from nova_toolkit.decode import FFMPEG_TIMEOUT_S, ffmpeg_exe

    key = "video" if item.modality == "video" else bodies.nova_format("audio", item.format)
    fmt, codec = _CUT_OUTPUT[key]
    with tempfile.TemporaryDirectory(prefix="nova-cut-") as tmp:
        src = item.path if item.path and os.path.isfile(item.path) else None
        if src is None:
            src = os.path.join(tmp, f"in.{item.format}")
            with open(src, "wb") as fh:
                fh.write(item.data)
        out = os.path.join(tmp, f"out.{fmt}")
        maps = ["-map", "0:v:0?", "-map", "0:a:0?"] if item.modality == "video" else \
            ["-map", "0:a:0"]
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
                               "-ss", f"{start:.6f}", "-t", f"{length:.6f}", "-i", src, *maps,
                               *codec, "-f", fmt, "-y", out], capture_output=True,
                              timeout=FFMPEG_TIMEOUT_S, check=False)
        if proc.returncode != 0 or not os.path.getsize(out):
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"]
            raise ValueError(f"{item.source}: cannot cut {start:.1f}-{start + length:.1f} s: "
                             f"{lines[-1][:300]}")
        with open(out, "rb") as fh:
            return fh.read(), fmt


def shift_rows(rows: Result, *, index: int, seconds: float = 0.0, chars: int = 0,
               text: str | None = None, window: float | None = None) -> Result:
    """Rows of one job moved to their place in the whole input.

    ``index`` is added to segment indices, ``seconds`` to start/end times, ``chars`` to
    char spans (snippets re-read from the whole ``text``); with ``window`` (the job's
    length, for every job but the last) rows starting at or after it are dropped and ends
    are clamped to it.
    """
    out: Result = []
    for r in rows:
        if isinstance(r, EmbedFailure):
            out.append(replace(r, segment_index=r.segment_index + index))
            continue
        seg = r.segment
        if seg is None:
            out.append(replace(r, segment_index=r.segment_index + index))
            continue
        changes: dict[str, Any] = {"index": seg.index + index}
        if seg.start_s is not None:
            if window is not None and seg.start_s >= window - _EPS:
                continue
            end = seg.end_s if window is None or seg.end_s is None else min(seg.end_s, window)
            changes.update(start_s=round(seg.start_s + seconds, 6),
                           end_s=None if end is None else round(end + seconds, 6))
        if seg.char_start is not None:
            a, b = seg.char_start + chars, seg.char_end + chars
            changes.update(char_start=a, char_end=b)
            if text is not None:
                changes["text"] = text[a:b]
        moved = replace(seg, **changes)
        snippet = moved.text if moved.text is not None else r.snippet
        out.append(replace(r, segment_index=moved.index, segment=moved, snippet=snippet or ""))
    return out


def text_pieces(text: str, size: int, limits: AsyncLimits) -> list[tuple[int, int]]:
    """``[start, end)`` char ranges of the text jobs (one range when the text fits one job)."""
    from nova_toolkit.segment import chunk_text

    chunks = chunk_text(text, max_chars=size)
    per_job = max(1, int(limits.text_segments * TEXT_MARGIN))
    if len(chunks) <= per_job:
        return [(0, len(text))]
    starts = [chunks[k].char_start for k in range(0, len(chunks), per_job)]
    ends = [*starts[1:], len(text)]
    return [(a if i else 0, b) for i, (a, b) in enumerate(zip(starts, ends, strict=True))]


def _over_limit(rows: Result) -> bool:
    return (len(rows) == 1 and isinstance(rows[0], EmbedFailure)
            and "segments" in rows[0].reason and "maximum" in rows[0].reason)


def _text_job(emb: NovaCalls, text: str, span: tuple[int, int], size: int, purpose: str,
              name: str, depth: int = 0) -> Result:
    """One text piece as a job; halved and retried when the service finds it too long."""
    import hashlib

    a, b = span
    piece = text[a:b].encode("utf-8")
    runner = emb._runner()
    uri = runner.stage(piece, f"{name}.{a}-{b}.txt", hashlib.sha256(piece).hexdigest())
    body = bodies.segmented_body("text", bodies.text_block(s3_uri=uri, truncation=emb.truncation),
                                 purpose=purpose, dimension=emb.dimension, max_length_chars=size)
    try:
        rows = runner.run(body, ["TEXT"], text=text[a:b])
    except Exception as exc:  # a ValidationException at StartAsyncInvoke
        rows = [EmbedFailure(0, str(exc))]
    if _over_limit(rows) and depth < 12:
        from nova_toolkit.segment import chunk_text

        chunks = chunk_text(text[a:b], max_chars=size)
        if len(chunks) >= 2:  # halve at a chunk start and send both halves
            mid = a + chunks[len(chunks) // 2].char_start
            first = _text_job(emb, text, (a, mid), size, purpose, name, depth + 1)
            count = 1 + max((r.segment_index for r in first), default=-1)
            rest = _text_job(emb, text, (mid, b), size, purpose, name, depth + 1)
            return first + shift_rows(rest, index=count)
    return shift_rows(rows, index=0, chars=a, text=text)


def embed_text_async(emb: NovaCalls, item: MediaItem, segments: Sequence[Segment],
                     purpose: str) -> Result:
    """A text item through StartAsyncInvoke, in as many jobs as the segment limit needs."""
    runner = emb._runner()
    text = item.text().text
    size = max((len(s.text or "") for s in segments), default=emb.default_max_chars)
    emb.usage.add(input_chars=len(text))
    spans = text_pieces(text, min(MAX_SEGMENT_CHARS, max(MIN_SEGMENT_CHARS, size)),
                        emb.async_limits)
    if len(spans) == 1:  # one job: the source itself (no copy when it is on S3 already)
        uri = item.source if item.source.startswith("s3://") else runner.stage(
            item.data, _name(item), item.sha256)
        block = bodies.text_block(s3_uri=uri, truncation=emb.truncation)
        return runner.run(bodies.segmented_body("text", block, purpose=purpose,
                                                dimension=emb.dimension, max_length_chars=size),
                          ["TEXT"], text=text)
    out: Result = []
    for span in spans:
        rows = _text_job(emb, text, span, size, purpose, item.sha256[:16])
        count = 1 + max((r.segment_index for r in out), default=-1)
        out += shift_rows(rows, index=count)
    return out


def embed_media_async(emb: NovaCalls, item: MediaItem, segments: Sequence[Segment],
                      purpose: str, types: list[str]) -> Result:
    """An audio/video item through StartAsyncInvoke, cut into windows that fit one job each."""
    import hashlib

    runner = emb._runner()
    first = segments[0] if segments else None
    step = (first.end_s - first.start_s) if first is not None and first.end_s is not None \
        and first.start_s is not None else emb.segment_seconds
    step = round(step) or emb.segment_seconds
    total = max((s.end_s or 0.0 for s in segments), default=0.0)
    emb.usage.add(input_seconds=total)
    windows = media_windows(total, step, emb.async_limits)
    if len(windows) == 1:
        body = bodies.segmented_body(item.modality, emb._media_block(item, inline_ok=False),
                                     purpose=purpose, dimension=emb.dimension,
                                     duration_seconds=step)
        return runner.run(body, types)
    arns = []
    for a, b in windows:
        data, fmt = cut_media(item, a, b - a)
        uri = runner.stage(data, f"{_name(item)}.{a:.0f}-{b:.0f}.{fmt}",
                           hashlib.sha256(data).hexdigest())
        block = bodies.media_block(item.modality, fmt, s3_uri=uri,
                                   embedding_mode=emb.embedding_mode)
        arns.append(runner.start(bodies.segmented_body(
            item.modality, block, purpose=purpose, dimension=emb.dimension,
            duration_seconds=step)))
    per_job = round((windows[0][1] - windows[0][0]) / step)
    out: Result = []
    for k, (arn, (a, b)) in enumerate(zip(arns, windows, strict=True)):
        last = k == len(windows) - 1
        out += shift_rows(runner.collect(arn, types), index=k * per_job, seconds=a,
                          window=None if last else b - a)
    return out


def _name(item: MediaItem) -> str:
    base = item.source.rsplit("/", 1)[-1] or "input"
    return base if "." in base else f"{base}.{item.format}"
