"""Text in images: RapidOCR (ONNX models in the ``rapidocr-onnxruntime`` wheel), with a word check.

The angle classifier is off (``use_cls=False``): on upright text it silently drops lines.
A line is kept when its recognition confidence is at least :data:`MIN_LINE_SCORE`; the
OCR text of an image counts as *real text* only when it holds dictionary words (the
pronunciation dictionary shipped in the ``pocketsphinx`` wheel, ~130k English words): at
least :data:`MIN_WORDS` words of ≥ 3 letters, or one of ≥ 5 letters. Texture that looks like
glyphs to the detector ("II", "S=", "ooo") then does not pollute a photo's vector.

OCR costs 10–20× an EfficientNet forward pass, so :func:`likely_has_text` decides cheaply
whether an image is worth reading: a flat background (screenshots, slides, posters, scans)
or ImageNet classes that are mostly text (web site, menu, book jacket, street sign, …).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MIN_LINE_SCORE = 0.6
MIN_WORDS = 2
#: Share of pixels in the most common (quantised) colour above which a background is "flat".
FLAT_BACKGROUND = 0.30
#: Probability mass of text-bearing ImageNet classes above which an image is read.
TEXT_CLASS_MASS = 0.10
#: ImageNet classes whose pictures are mostly text or carry text (clean names, substrings).
TEXT_CLASS_HINTS = (
    "website", "web site", "menu", "crossword", "book jacket", "comic book", "envelope",
    "street sign", "scoreboard", "monitor", "screen", "television", "notebook computer",
    "laptop", "packet", "carton", "slide rule", "binder", "brass memorial plaque", "plaque",
    "tobacco shop", "bookshop", "bookcase", "library", "digital clock", "vending machine",
    "pill bottle", "lotion", "sunscreen", "beer bottle", "wine bottle", "pop bottle",
    "traffic sign", "parking meter", "cash machine", "ATM", "odometer", "ruler",
)
DET_LIMIT_SIDE = 960
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """Lower-case English words from the CMU pronouncing dictionary in the pocketsphinx wheel."""
    from pocketsphinx import get_model_path

    path = os.path.join(get_model_path(), "en-us", "cmudict-en-us.dict")
    words = set()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            w = line.split(" ", 1)[0]
            w = w.split("(", 1)[0].lower()
            if w.isalpha():
                words.add(w)
    return frozenset(words)


def real_words(text: str) -> list[str]:
    """Dictionary words (≥ 3 letters) in ``text``."""
    words = dictionary()
    return [w for w in _WORD.findall(text) if len(w) >= 3 and w.lower().strip("'’-") in words]


_GLUED_PUNCT = re.compile(r"(?<=[a-z0-9])([.,;:!?])(?=[A-Za-z])")
_LONG_TOKEN = re.compile(r"[A-Za-z]{6,}")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Whole words of MiniLM's (BERT uncased) word-piece vocabulary: ~20k common English words."""
    from nova_toolkit.embedders.local.text import vocabulary

    vocab = vocabulary()
    return frozenset(w for w in vocab if w.isalpha() and w.isascii())


#: Short words that may appear in a split at the normal price (other 1–3 letter dictionary
#: entries such as "pou", "ra", "ero" are mostly abbreviations and names).
SHORT_WORDS = frozenset([
    "a", "i", "am", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is", "it",
    "me", "my", "no", "of", "oh", "on", "or", "so", "to", "up", "us", "we", "add", "age",
    "ago", "air", "all", "and", "any", "are", "arm", "art", "ask", "bad", "bag", "bar", "bed",
    "big", "bit", "box", "boy", "bus", "but", "buy", "can", "cap", "car", "cat", "cow", "cry",
    "cup", "cut", "dad", "day", "did", "die", "dog", "dry", "due", "ear", "eat", "egg", "end",
    "eye", "far", "fat", "few", "fit", "fix", "fly", "for", "fox", "fun", "gas", "get", "got",
    "gun", "had", "has", "hat", "her", "him", "his", "hit", "hot", "how", "ice", "its", "job",
    "key", "kid", "law", "lay", "leg", "let", "lie", "lot", "low", "man", "map", "may", "men",
    "mix", "mom", "net", "new", "nor", "not", "now", "nut", "odd", "off", "oil", "old", "one",
    "our", "out", "owl", "own", "pan", "pay", "pen", "per", "pet", "pie", "pin", "pot", "put",
    "raw", "red", "row", "run", "sad", "saw", "say", "sea", "see", "set", "she", "sit", "six",
    "ski", "sky", "son", "sun", "tax", "tea", "ten", "the", "tie", "too", "top", "toy", "try",
    "two", "use", "van", "via", "war", "was", "way", "wet", "who", "why", "win", "won", "yes",
    "yet", "you",
])


def _word_cost(word: str, common: frozenset[str]) -> float:
    """Cost of one word in a split: common words are cheap, rare dictionary entries dear,
    short words outside :data:`SHORT_WORDS` dearer still (they are easy to invent)."""
    if len(word) <= 3:
        return (1.0 if word in SHORT_WORDS else 3.0) + (1.0 if len(word) == 1 else 0.0)
    return 1.0 if word in common else 2.6


#: A split whose words cost more than this on average is not believed.
MAX_MEAN_SPLIT_COST = 1.8


def _split_word(token: str, words: frozenset[str], common: frozenset[str]) -> str:
    """Split a run of letters into dictionary words (cheapest split), or leave it alone."""
    low = token.lower()
    if low in words:
        return token
    n = len(low)
    best: list[tuple[float, int] | None] = [None] * (n + 1)
    best[0] = (0.0, 0)
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            piece = low[start:end]
            if best[start] is None or piece not in words:
                continue
            if len(piece) == 1 and piece not in ("a", "i"):
                continue
            cost = best[start][0] + _word_cost(piece, common)
            if best[end] is None or cost < best[end][0]:
                best[end] = (cost, start)
    if best[n] is None:
        return token
    cuts: list[tuple[int, int]] = []
    end = n
    while end > 0:
        start = best[end][1]
        cuts.append((start, end))
        end = start
    if best[n][0] / len(cuts) > MAX_MEAN_SPLIT_COST:  # a split into rare bits: keep the token
        return token
    return " ".join(token[a:b] for a, b in reversed(cuts))


def respace(text: str) -> str:
    """Put back the spaces OCR dropped: ``"ofwater.Rinse thepaperfilter"`` →
    ``"of water. Rinse the paper filter"`` (dictionary word break of long non-words)."""
    words, common = dictionary(), common_words()
    text = _GLUED_PUNCT.sub(r"\1 ", text)
    return _LONG_TOKEN.sub(lambda m: _split_word(m.group(0), words, common), text)


def has_real_text(text: str) -> bool:
    """True when ``text`` holds ≥ :data:`MIN_WORDS` dictionary words, or one of ≥ 5 letters."""
    found = real_words(text)
    return len(found) >= MIN_WORDS or any(len(w) >= 5 for w in found)


@lru_cache(maxsize=1)
def _text_class_ids() -> np.ndarray:
    from nova_toolkit.embedders.local.labels import label_names

    hints = tuple(h.lower() for h in TEXT_CLASS_HINTS)
    return np.array([i for i, n in enumerate(label_names()) if any(h in n.lower() for h in hints)],
                    dtype=np.int64)


def flat_background_share(image) -> float:
    """Share of pixels in the most common colour (RGB quantised to 32 levels, 128-px thumbnail)."""
    thumb = image.copy()
    thumb.thumbnail((128, 128))
    arr = (np.asarray(thumb.convert("RGB"), dtype=np.uint8) // 8).reshape(-1, 3).astype(np.int32)
    if arr.size == 0:
        return 0.0
    codes = (arr[:, 0] << 10) | (arr[:, 1] << 5) | arr[:, 2]
    return float(np.bincount(codes).max() / codes.size)


def likely_has_text(image, probs: np.ndarray | None = None) -> bool:
    """Cheap gate before OCR: a flat background, or mostly-text ImageNet classes."""
    if flat_background_share(image) >= FLAT_BACKGROUND:
        return True
    return probs is not None and float(probs[_text_class_ids()].sum()) >= TEXT_CLASS_MASS


@dataclass(frozen=True)
class OcrResult:
    """Lines read from an image (reading order) and whether they hold real words."""

    lines: tuple[str, ...]
    real: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def n_words(self) -> int:
        return len(real_words(self.text))


_engine = None


def _threads() -> int:
    """onnxruntime threads: ``OMP_NUM_THREADS`` when set (a Ray actor's CPUs), else the CPUs."""
    wanted = os.environ.get("OMP_NUM_THREADS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return min(4, int(wanted))
    try:
        return max(1, min(4, len(os.sched_getaffinity(0))))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, min(4, os.cpu_count() or 1))


def _load():
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr_onnxruntime import RapidOCR

            # the detector sees the picture with its long side at most 960 px (the default,
            # short side ≥ 736 px, upsamples small pictures and costs 2–4× more); the
            # recogniser still reads crops of the full-resolution picture
            _engine = RapidOCR(print_verbose=False, det_limit_side_len=DET_LIMIT_SIDE,
                               det_limit_type="max", intra_op_num_threads=_threads())
        return _engine


def read_text(image) -> OcrResult:
    """OCR a PIL RGB image: confident lines top-to-bottom, left-to-right."""
    engine = _load()
    arr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])  # BGR
    result, _ = engine(arr, use_cls=False)
    lines = []
    for box, text, score in result or []:
        if float(score) >= MIN_LINE_SCORE and text.strip():
            pts = np.asarray(box, dtype=np.float32)
            lines.append((float(pts[:, 1].min()), float(pts[:, 0].min()), text.strip()))
    # rows: sort by top edge in bands of ~ line height, then by left edge
    lines.sort(key=lambda t: (round(t[0] / 12), t[1]))
    texts = tuple(respace(t) for _, _, t in lines)
    return OcrResult(texts, has_real_text(" ".join(texts)))
