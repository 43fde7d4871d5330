"""Files analysis derives from a collection, kept in ``<collection>/derived/``.

Each file is keyed by the store's version, the row count and the parameters that made it, so a
commit (or other parameters) gives another file and a stale one is never read back.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from nova_toolkit._core.view import CollectionView

DERIVED_DIR = "derived"


def _derived_path(collection: CollectionView, kind: str, params: dict, suffix: str):
    """A derived file of ``collection``, keyed by store version, row count and params."""
    blob = json.dumps({"version": collection.store.version, "n": len(collection),
                       "dimension": collection.settings.dimension, **params}, sort_keys=True)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return collection.path / DERIVED_DIR / f"{kind}-{digest}{suffix}"


def _save_npy(path, array: np.ndarray) -> None:
    from nova_toolkit._core.atomic import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.save(buf, array)
    atomic_write_bytes(path, buf.getvalue())
