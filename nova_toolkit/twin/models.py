"""What computes the twin's vectors: the ``local`` backend, or a fast hash-seeded stand-in.

Nova serves 256/384/1024/3072 dimensions; the twin serves them from the local 384-d
PCA-rotated space: the first 256 axes (renormalised) for 256, as-is for 384, and
zero-padded for 1024 and 3072. Zero padding keeps Matryoshka truncation exact: the
first 384 axes of a twin 3072-d vector are its 384-d vector.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import numpy as np

from nova_toolkit.embedders.base import Embedding, EmbedFailure, l2_normalize

NATIVE_DIM = 384


def serve_dimension(vectors: np.ndarray, dimension: int) -> np.ndarray:
    """Map ``(n, 384)`` unit vectors to the requested Nova dimension (see module docstring)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if dimension <= NATIVE_DIM:
        return l2_normalize(vectors[:, :dimension])
    out = np.zeros((vectors.shape[0], dimension), dtype=np.float32)
    out[:, :NATIVE_DIM] = vectors
    return out


def hash_vector(data: bytes) -> np.ndarray:
    """A deterministic unit vector seeded by the SHA-256 of ``data`` (fast mode)."""
    seed = int.from_bytes(hashlib.sha256(data).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(NATIVE_DIM).astype(np.float32)
    return l2_normalize(v)


class TwinModel:
    """Native 384-d vectors for texts and media segments.

    Parameters
    ----------
    fast : bool
        Hash-seeded vectors instead of the local backend (no model is loaded).
    """

    def __init__(self, *, fast: bool = False) -> None:
        self.fast = fast
        self._embedder = None
        self._load_lock = threading.Lock()
        self._lock = threading.Lock()

    @property
    def embedder(self):
        """The ``local`` backend at 384-d, loaded on first use."""
        with self._load_lock:
            if self._embedder is None:
                from nova_toolkit.embedders import get_embedder

                self._embedder = get_embedder("local", dimension=NATIVE_DIM)
            return self._embedder

    def modalities(self) -> frozenset[str]:
        """Modalities the model can embed now (all of them in fast mode)."""
        if self.fast:
            return frozenset({"text", "document", "image", "audio", "video"})
        return frozenset(self.embedder.modalities)

    def texts(self, texts: Sequence[str], purpose: str) -> np.ndarray:
        """``(n, 384)`` vectors of raw strings."""
        if self.fast:
            return np.stack([hash_vector(t.encode()) for t in texts])
        embedder = self.embedder
        with self._lock:  # one forward pass at a time: torch on CPU is not faster in parallel
            return embedder.embed_texts(list(texts), purpose=purpose)

    def media(self, item, segments, purpose: str) -> list[Embedding | EmbedFailure]:
        """Vectors of the segments of one media item, through the generic ``embed`` API."""
        if self.fast:
            return [Embedding(s.index, _fast_type(item.modality),
                              hash_vector(item.data + repr(s.to_dict()).encode()))
                    for s in segments]
        embedder = self.embedder
        with self._lock:
            return embedder.embed([(item, segments)], purpose=purpose)[0]

    def document_image(self, item) -> np.ndarray:
        """The 384-d vector of a page image sent with ``detailLevel=DOCUMENT_IMAGE``.

        The local backend's document path for a page without a text layer
        (:mod:`nova_toolkit.embedders.local.document`): the image at most
        :data:`~nova_toolkit.embedders.local.document.PAGE_LONG_SIDE` px on its long
        side, read with OCR forced and mixed with its ImageNet labels.
        """
        if self.fast:
            return hash_vector(b"DOCUMENT_IMAGE\0" + item.data)
        from nova_toolkit.decode import open_image
        from nova_toolkit.embedders.local.document import PAGE_LONG_SIDE

        image = open_image(item).convert("RGB")
        image.thumbnail((PAGE_LONG_SIDE, PAGE_LONG_SIDE))
        embedder = self.embedder
        with self._lock:
            return embedder.vision.pictures([image], force_ocr=True)[0].vector


def _fast_type(modality: str) -> str:
    return {"image": "IMAGE", "audio": "AUDIO", "video": "VIDEO"}.get(modality, "TEXT")
