"""Video → per-window rows from key frames (as pictures) and the sound track (as speech).

Frames are sampled every half window (one streaming ffmpeg pass); window ``k`` averages the
class probabilities of its two frames (at its start and its middle) and OCRs the middle frame
when it looks like it holds text. The sound track goes through the audio path
(:mod:`.audio`).

``AUDIO_VIDEO_COMBINED`` (one row per window): ``normalise(0.5·frames + 0.5·speech)`` when
words were recognised in the window, else the frames alone (background sound says little in a
text space). ``AUDIO_VIDEO_SEPARATE``: a ``VIDEO`` row (frames) and an ``AUDIO`` row (transcript
or sound description) per window. A video without a sound track gives frames only; a container
with only sound goes through the audio path (``AUDIO`` rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit.decode import decode_audio, iter_video_frames, probe
from nova_toolkit.embedders.base import EmbedFailure, l2_normalize
from nova_toolkit.embedders.local.audio import Heard, heard_vectors, listen
from nova_toolkit.embedders.local.rows import Row
from nova_toolkit.media import MediaError

if TYPE_CHECKING:
    from nova_toolkit.embedders.local.text import MiniLMText
    from nova_toolkit.embedders.local.vision import Vision
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

#: Weight of the speech vector in a combined row (when the window has speech).
SPEECH_WEIGHT = 0.5


def _windows(segments: Sequence[Segment]) -> list[tuple[float, float]]:
    return [(float(s.start_s or 0.0), float(s.end_s if s.end_s is not None else 0.0))
            for s in segments]


def embed_audio(item: MediaItem, segments: Sequence[Segment], text: MiniLMText
                ) -> list[Row | EmbedFailure]:
    """``AUDIO`` rows for the windows of an audio item (or a video without pictures)."""
    samples = decode_audio(item)
    heard = listen(samples, _windows(segments))
    vecs = heard_vectors(heard, text)
    return [Row(s.index, "AUDIO", v, h.snippet) for s, h, v in zip(segments, heard, vecs, strict=True)]


def _frame_probs(item: MediaItem, segments: Sequence[Segment], vision: Vision, step: float):
    """Per-window mean class probabilities and the window's middle frame (for OCR)."""
    n_win = len(segments)
    sums = np.zeros((n_win, 1000), dtype=np.float64)
    counts = np.zeros(n_win, dtype=np.int64)
    middles: list = [None] * n_win
    last_frame = None
    batch: list = []
    where: list[int] = []

    def flush() -> None:
        if batch:
            probs = vision.probabilities(batch)
            for k, p in zip(where, probs, strict=True):
                sums[k] += p
                counts[k] += 1
            batch.clear()
            where.clear()

    starts = np.array([float(s.start_s or 0.0) for s in segments])
    for n, frame in enumerate(iter_video_frames(item, every_s=step)):
        t = n * step
        k = int(np.searchsorted(starts, t + 1e-6, side="right") - 1)
        if k < 0 or k >= n_win:
            continue
        last_frame = frame
        end = segments[k].end_s if segments[k].end_s is not None else t
        if middles[k] is None or abs(t - (starts[k] + end) / 2) < 1e-6 + step / 2:
            middles[k] = frame
        batch.append(frame)
        where.append(k)
        if len(batch) >= 4:
            flush()
    flush()
    # windows with no sampled frame (a short tail): reuse the nearest earlier window's frames
    for k in range(n_win):
        if counts[k] == 0:
            prev = next((j for j in range(k - 1, -1, -1) if counts[j]), None)
            if prev is not None:
                sums[k], counts[k], middles[k] = sums[prev], counts[prev], middles[prev]
            elif last_frame is not None:
                sums[k] = vision.probabilities([last_frame])[0]
                counts[k], middles[k] = 1, last_frame
    return sums / np.maximum(counts, 1)[:, None], middles, counts


def embed_video(item: MediaItem, segments: Sequence[Segment], text: MiniLMText, vision: Vision,
                *, mode: str = "AUDIO_VIDEO_COMBINED") -> list[Row | EmbedFailure]:
    """Rows for the windows of one video (see the module docstring)."""
    info = probe(item)
    if not info.has_video:
        return embed_audio(item, segments, text)
    seconds = max(1.0, max(((s.end_s or 0) - (s.start_s or 0)) for s in segments))
    probs, middles, counts = _frame_probs(item, segments, vision, seconds / 2)
    pictures = vision.from_probs(probs, middles)
    heard: list[Heard] | None = None
    sound_vecs = None
    if info.has_audio:
        try:
            samples = decode_audio(item)
        except MediaError:
            samples = None  # a broken sound track: keep the pictures
        if samples is not None:
            heard = listen(samples, _windows(segments))
            sound_vecs = heard_vectors(heard, text)
    out: list[Row | EmbedFailure] = []
    for k, seg in enumerate(segments):
        if counts[k] == 0:
            out.append(EmbedFailure(seg.index, "no video frame could be decoded in this window"))
            continue
        pic = pictures[k]
        h = heard[k] if heard is not None else None
        if mode == "AUDIO_VIDEO_SEPARATE":
            out.append(Row(seg.index, "VIDEO", pic.vector, pic.snippet))
            if h is not None:
                out.append(Row(seg.index, "AUDIO", sound_vecs[k], h.snippet))
            continue
        vec = pic.vector
        snippet = pic.snippet
        if h is not None and h.has_speech:
            vec = l2_normalize((1 - SPEECH_WEIGHT) * pic.vector + SPEECH_WEIGHT * sound_vecs[k])
            snippet = f"speech: {h.transcript} | {snippet}"
        elif h is not None:
            snippet = f"{snippet} | sound: {h.description}"
        out.append(Row(seg.index, "AUDIO_VIDEO_COMBINED", vec, snippet))
    return out
