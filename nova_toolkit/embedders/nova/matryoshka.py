"""Matryoshka truncation: a smaller Nova dimension from stored vectors, with no new calls."""

from __future__ import annotations

import numpy as np

from nova_toolkit.embedders.base import l2_normalize
from nova_toolkit.embedders.nova.constants import DIMENSIONS


def truncate_dimension(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Keep the first ``dim`` axes and renormalise (Nova is Matryoshka-trained).

    Parameters
    ----------
    vectors : array, shape (d,) or (n, d)
        Stored vectors.
    dim : int
        Target dimension, one of 256, 384, 1024, 3072, and at most ``d``.

    Returns
    -------
    numpy.ndarray
        float32 vectors of shape ``(dim,)`` or ``(n, dim)``, L2-normalised.
    """
    x = np.asarray(vectors, dtype=np.float32)
    if dim not in DIMENSIONS:
        raise ValueError(f"Nova dimensions are {DIMENSIONS}, not {dim}")
    if dim > x.shape[-1]:
        raise ValueError(f"cannot truncate {x.shape[-1]}-d vectors to {dim} (only smaller)")
    return l2_normalize(x[..., :dim])
