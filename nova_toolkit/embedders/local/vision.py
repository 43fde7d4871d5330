"""Pictures (images, video frames, rendered PDF pages) → vectors in the text space, with snippets.

Two signals, both mapped into the rotated MiniLM space:

- **labels**: ConSE over EfficientNet-Lite's top-10 ImageNet classes (:mod:`.image`);
- **text in the picture**: OCR (:mod:`.ocr`), embedded as a sentence, used only when it holds
  real dictionary words.

Combination (fixed, not fitted): with ``n`` dictionary words read,
``w_text = clip(n / (n + 4), 0.3, 0.85)`` — one word tilts the vector a little towards the
text, a paragraph dominates it — and ``vector = normalise((1 − w_text)·labels + w_text·text)``.
Without real text, ``vector = labels``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nova_toolkit.embedders.base import l2_normalize
from nova_toolkit.embedders.local import image as _image
from nova_toolkit.embedders.local import labels as _labels
from nova_toolkit.embedders.local import ocr as _ocr
from nova_toolkit.embedders.local.text import NATIVE_DIM, MiniLMText, load_rotation

#: Words of OCR text at which text and labels weigh the same.
OCR_HALF_WEIGHT_WORDS = 4
OCR_WEIGHT_RANGE = (0.3, 0.85)
SNIPPET_OCR_CHARS = 600


def ocr_weight(n_words: int) -> float:
    """Weight of the OCR text vector for ``n_words`` dictionary words (0 when none)."""
    if n_words <= 0:
        return 0.0
    lo, hi = OCR_WEIGHT_RANGE
    return float(np.clip(n_words / (n_words + OCR_HALF_WEIGHT_WORDS), lo, hi))


@dataclass
class Picture:
    """What the local backend saw in one picture (vector in the rotated 384-d basis)."""

    vector: np.ndarray
    labels: str
    ocr_text: str
    probs: np.ndarray

    @property
    def snippet(self) -> str:
        parts = []
        if self.ocr_text:
            parts.append(f"text: {self.ocr_text[:SNIPPET_OCR_CHARS]}")
        parts.append(f"labels: {self.labels}")
        return " | ".join(parts)


class Vision:
    """Labels + OCR for batches of PIL images (models load lazily, shared between threads).

    Parameters
    ----------
    text : MiniLMText
        The sentence encoder (shared with the text path).
    variant : str
        EfficientNet-Lite variant (``lite0`` / ``lite1`` / ``lite2``).
    ocr : bool
        Read text in pictures that look like they hold some.
    flip : bool
        Mirror-image test-time augmentation.
    """

    def __init__(self, text: MiniLMText, *, variant: str = "lite0", ocr: bool = True,
                 flip: bool = True, top_k: int = _image.TOP_K) -> None:
        self.text = text
        self.classifier = _image.ImageClassifier(variant=variant, flip=flip)
        self.ocr = ocr
        self.top_k = top_k

    def label_space(self) -> np.ndarray:
        """The 1,000 label vectors in the rotated basis, ``(1000, 384)``."""
        return _labels.label_vectors() @ load_rotation()

    def probabilities(self, images: Sequence) -> np.ndarray:
        return self.classifier.probabilities(images)

    def from_probs(self, probs: np.ndarray, images: Sequence | None = None, *,
                   force_ocr: bool = False) -> list[Picture]:
        """Pictures from class probabilities (one row per image) and, for OCR, the images."""
        probs = np.atleast_2d(probs)
        label_vecs = _image.conse(probs, self.label_space(), k=self.top_k)
        names = _labels.label_names()
        ocr_texts = [""] * len(probs)
        if self.ocr and images is not None:
            for i, im in enumerate(images):
                if im is not None and (force_ocr or _ocr.likely_has_text(im, probs[i])):
                    res = _ocr.read_text(im)
                    if res.real:
                        ocr_texts[i] = " ".join(res.lines)
        vectors = label_vecs.copy()
        with_text = [i for i, t in enumerate(ocr_texts) if t]
        if with_text:
            tvecs = self.text.encode([ocr_texts[i] for i in with_text], dimension=NATIVE_DIM)
            for j, i in enumerate(with_text):
                w = ocr_weight(len(_ocr.real_words(ocr_texts[i])))
                vectors[i] = (1 - w) * label_vecs[i] + w * tvecs[j]
        vectors = l2_normalize(vectors)
        return [Picture(vectors[i], _image.top_labels(probs[i], names), ocr_texts[i], probs[i])
                for i in range(len(probs))]

    def pictures(self, images: Sequence, *, force_ocr: bool = False) -> list[Picture]:
        """Classify (batches of 4) and read the images → one :class:`Picture` each."""
        return self.from_probs(self.probabilities(images), images, force_ocr=force_ocr)
