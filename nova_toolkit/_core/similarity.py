"""L2 normalisation and exact top-k: the package's one copy of each.

Every embedder, the twin, analysis and search normalise with :func:`l2_normalize`, so a
cosine similarity is a plain dot product everywhere; :func:`top_k` is the exact (brute
force) nearest-neighbour pick the ANN code and analysis are checked against.
"""

from __future__ import annotations

import numpy as np

__all__ = ["l2_normalize", "top_k"]


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise (last axis) L2 normalisation in float32; zero rows stay zero (no NaN)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def top_k(scores: np.ndarray, k: int, *, largest: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best columns of each row of ``scores``: ``(indices, values)``, best first.

    Exact: ``argpartition`` then a stable sort of the ``k`` picked, so ties keep column
    order and the result equals a full stable sort cut at ``k``. A 1-D ``scores`` gives
    1-D results. ``k`` larger than the row is cut to the row.
    """
    s = np.asarray(scores)
    one = s.ndim == 1
    if one:
        s = s[None, :]
    n = s.shape[1]
    k = max(0, min(int(k), n))
    signed = -s if largest else s
    if k == 0:
        idx = np.zeros((s.shape[0], 0), dtype=np.int64)
    else:
        if k < n:
            part = np.argpartition(signed, k - 1, axis=1)[:, :k]
            # the k-th value may tie with columns left out: take every column that ties it
            kth = np.take_along_axis(signed, part, axis=1).max(axis=1, keepdims=True)
            cand = [np.flatnonzero(row <= t) for row, t in zip(signed, kth[:, 0], strict=True)]
            idx = np.stack([c[np.argsort(signed[i, c], kind="stable")][:k]
                            for i, c in enumerate(cand)])
        else:
            idx = np.argsort(signed, axis=1, kind="stable")
    vals = np.take_along_axis(s, idx, axis=1)
    return (idx[0], vals[0]) if one else (idx, vals)
