"""Audio (and the sound of videos) → per-window transcripts → text vectors.

The file is decoded once to 16 kHz mono (ffmpeg from ``imageio-ffmpeg``) and recognised once
(:func:`.speech.transcribe`); each window takes the words spoken inside it. A window's vector
is its transcript's sentence vector, tilted towards the whole file's transcript
(``normalise((1 − CONTEXT_WEIGHT)·window + CONTEXT_WEIGHT·file)``) when the file has speech in
more than one window: five seconds of speech are a dozen words, and the topic of the
recording helps to find them. A window without recognised words is embedded as a short
description of its sound (:func:`.speech.describe_sound`, e.g. ``"silence"``) and its snippet
says so, e.g. ``"[no speech: silence]"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nova_toolkit.embedders.base import l2_normalize
from nova_toolkit.embedders.local import speech as _speech
from nova_toolkit.embedders.local.text import NATIVE_DIM, MiniLMText

#: Weight of the whole-file transcript in each window's vector.
CONTEXT_WEIGHT = 0.25


@dataclass
class Heard:
    """What was heard in one window: its transcript (may be empty) or a sound description."""

    transcript: str
    description: str

    @property
    def has_speech(self) -> bool:
        return bool(self.transcript)

    @property
    def snippet(self) -> str:
        return self.transcript if self.transcript else f"[no speech: {self.description}]"

    @property
    def text(self) -> str:
        return self.transcript or self.description


def listen(samples: np.ndarray, windows: Sequence[tuple[float, float]]) -> list[Heard]:
    """Recognise ``samples`` (16 kHz mono int16) once and split the words into ``windows``."""
    words = _speech.transcribe(samples)
    out = []
    rate = _speech.RATE
    for k, (a, b) in enumerate(windows):
        inside = _speech.words_in(words, a, b, last=k == len(windows) - 1)
        transcript = " ".join(w.text for w in inside)
        clip = samples[int(a * rate): int(b * rate)]
        out.append(Heard(transcript, "" if transcript else _speech.describe_sound(clip)))
    return out


def heard_vectors(heard: Sequence[Heard], text: MiniLMText) -> np.ndarray:
    """Vectors (rotated 384-d basis) of the windows, with the file context mixed in."""
    if not heard:
        return np.zeros((0, NATIVE_DIM), dtype=np.float32)
    vecs = text.encode([h.text for h in heard], dimension=NATIVE_DIM)
    speech_idx = [i for i, h in enumerate(heard) if h.has_speech]
    if len(speech_idx) > 1:
        whole = " ".join(heard[i].transcript for i in speech_idx)
        ctx = text.encode([whole], dimension=NATIVE_DIM)[0]
        vecs[speech_idx] = (1 - CONTEXT_WEIGHT) * vecs[speech_idx] + CONTEXT_WEIGHT * ctx
    return l2_normalize(vecs)
