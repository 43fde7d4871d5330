"""What analysis reads: a collection through its read interface, or a plain ``(n, d)`` array.

Also the lazy handle on the FAISS kNN primitives of :mod:`nova_toolkit.vectors.knn`, so FAISS
loads only when a function actually searches neighbours.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _is_collection(obj: Any) -> bool:
    return hasattr(obj, "store") and hasattr(obj, "vectors") and hasattr(obj, "to_pandas")


def _vectors_of(obj: Any) -> np.ndarray:
    if _is_collection(obj):
        obj.store.refresh()
        return np.asarray(obj.vectors(), dtype=np.float32)
    arr = np.asarray(obj, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"expected an (n, d) array of vectors, got shape {arr.shape}")
    return arr


def _knn():
    """The FAISS kNN primitives (imported lazily: FAISS loads only when needed)."""
    from nova_toolkit.vectors import knn

    return knn
