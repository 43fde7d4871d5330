"""Speech to text with pocketsphinx (US-English acoustic model, LM and dictionary in its wheel).

The whole file is recognised once, not window by window: the signal is cut into utterances at
pauses (≥ :data:`PAUSE_S` of quiet, or at the quietest point once an utterance reaches
:data:`MAX_UTTERANCE_S`), each utterance is decoded with the full language-model context, and
every recognised word keeps its time stamps. Windows then take the words whose middle falls
inside them, so no word is cut at a window edge.

A window without recognised words is described by its sound instead
(:func:`describe_sound`): ``"silence"`` when quiet, else a crude tonal/noisy description.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

RATE = 16000
FRAME_S = 0.03
#: Quiet gap that ends an utterance.
PAUSE_S = 0.35
MAX_UTTERANCE_S = 20.0
#: RMS (int16 scale) below which a frame is quiet, at the least (≈ −50 dBFS).
QUIET_RMS = 100.0
_FILLERS = {"<s>", "</s>", "<sil>", "[noise]", "[speech]", "++noise++", "++breath++"}

_lock = threading.Lock()
_decoder = None


@dataclass(frozen=True)
class Word:
    """A recognised word and when it was spoken (seconds from the start of the file)."""

    text: str
    start_s: float
    end_s: float

    @property
    def mid_s(self) -> float:
        return (self.start_s + self.end_s) / 2


def _load():
    global _decoder
    if _decoder is None:
        from pocketsphinx import Decoder

        _decoder = Decoder(loglevel="FATAL")
    return _decoder


def frame_rms(samples: np.ndarray, rate: int = RATE) -> np.ndarray:
    """RMS of consecutive :data:`FRAME_S` frames (int16 scale)."""
    n = int(rate * FRAME_S)
    k = len(samples) // n
    if k == 0:
        return np.sqrt(np.mean(samples.astype(np.float64) ** 2, keepdims=True)) if len(samples) else np.zeros(0)
    x = samples[: k * n].astype(np.float64).reshape(k, n)
    return np.sqrt((x**2).mean(axis=1))


def quiet_threshold(rms: np.ndarray) -> float:
    if rms.size == 0:
        return QUIET_RMS
    return max(QUIET_RMS, 0.08 * float(np.percentile(rms, 95)))


def utterances(samples: np.ndarray, rate: int = RATE) -> list[tuple[int, int]]:
    """Sample ranges ``[a, b)`` of speech-like stretches, split at pauses."""
    rms = frame_rms(samples, rate)
    if rms.size == 0:
        return []
    n = int(rate * FRAME_S)
    loud = rms >= quiet_threshold(rms)
    if not loud.any():
        return []
    pause = max(1, round(PAUSE_S / FRAME_S))
    max_frames = round(MAX_UTTERANCE_S / FRAME_S)
    spans: list[tuple[int, int]] = []
    start = None
    quiet_run = 0
    for i, is_loud in enumerate(loud):
        if is_loud:
            if start is None:
                start = i
            quiet_run = 0
        elif start is not None:
            quiet_run += 1
            if quiet_run >= pause:
                spans.append((start, i - quiet_run + 1))
                start, quiet_run = None, 0
        if start is not None and i - start >= max_frames:  # cut at the quietest frame
            window = rms[start + max_frames // 2 : i + 1]
            cut = start + max_frames // 2 + int(np.argmin(window))
            spans.append((start, max(cut, start + 1)))
            start = cut if cut < i else None
    if start is not None:
        spans.append((start, len(loud)))
    pad = round(0.15 / FRAME_S)  # keep the soft onsets and tails of words
    return [(max(0, a - pad) * n, min(len(samples), (b + pad) * n)) for a, b in spans]


def transcribe(samples: np.ndarray, rate: int = RATE) -> list[Word]:
    """Recognise the words in mono int16 ``samples`` at 16 kHz, with their times."""
    if rate != RATE:
        raise ValueError(f"pocketsphinx's model wants {RATE} Hz audio, got {rate}")
    samples = np.ascontiguousarray(samples, dtype=np.int16)
    words: list[Word] = []
    with _lock:
        decoder = _load()
        # the feature front end (live CMN, noise estimate) adapts across utterances: start each
        # file from its initial state, so a transcript never depends on the files decoded
        # before it in this process (which differs between engines, actors and runs)
        decoder.reinit_feat()
        frate = int(decoder.config["frate"])
        for a, b in utterances(samples, rate):
            decoder.start_utt()
            decoder.process_raw(samples[a:b].tobytes(), no_search=False, full_utt=True)
            decoder.end_utt()
            offset = a / rate
            for seg in decoder.seg():
                w = seg.word.split("(", 1)[0]
                if not w or w.lower() in _FILLERS or w.startswith(("<", "[", "+")):
                    continue
                words.append(Word(w, offset + seg.start_frame / frate,
                                  offset + (seg.end_frame + 1) / frate))
    return words


def words_in(words: list[Word], start_s: float, end_s: float, *, last: bool = False) -> list[Word]:
    """Words whose middle lies in ``[start_s, end_s)`` (``[start_s, end_s]`` for the last window)."""
    return [w for w in words
            if start_s <= w.mid_s < end_s or (last and start_s <= w.mid_s <= end_s + 0.5)]


def describe_sound(samples: np.ndarray, rate: int = RATE) -> str:
    """A few words for a stretch with no recognised speech (what the row is embedded as).

    ``"silence"`` when quiet; else by spectral flatness, ``"a musical tone or music, no
    speech"`` (peaky spectrum) or ``"noise or ambient sound, no speech"`` (flat spectrum).
    """
    if samples.size == 0:
        return "silence"
    rms = frame_rms(samples, rate)
    if float(np.sqrt(np.mean(rms**2))) < QUIET_RMS:
        return "silence"
    x = samples.astype(np.float64)
    n = min(len(x), 4096)
    frames = [x[i : i + n] for i in range(0, len(x) - n + 1, n)][:32] or [x]
    spec = np.mean([np.abs(np.fft.rfft(f * np.hanning(len(f)))) ** 2 for f in frames], axis=0) + 1e-9
    flatness = float(np.exp(np.mean(np.log(spec))) / np.mean(spec))
    if flatness < 0.05:
        return "a musical tone or music, no speech"
    return "noise or ambient sound, no speech"
