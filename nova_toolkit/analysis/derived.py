"""Files analysis derives from a collection, kept in ``<collection>/derived/``.

Each file is named by the store's fingerprint (version + its segment parts), the row count
and the parameters that made it, and carries them in its header
(:mod:`nova_toolkit.store.derived_files`): a commit (or other parameters) gives another
file, and a file that does not fit — cut short, damaged, of the wrong shape, copied from
another collection, made for another store version — is ignored with a
:class:`CorruptCacheWarning` and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit.store.derived_files import (
    DERIVED_DIR,
    DerivedFileError,
    StaleDerivedFile,
    read_derived,
    write_derived,
)

if TYPE_CHECKING:  # pragma: no cover
    from nova_toolkit._core.view import CollectionView

__all__ = ["DERIVED_DIR", "CorruptCacheWarning", "load_cached", "save_cached"]


class CorruptCacheWarning(RuntimeWarning):
    """A ``derived/`` file did not fit the collection; it was ignored and is rebuilt."""


def _derived_path(collection: CollectionView, kind: str, params: dict, suffix: str) -> Path:
    """A derived file of ``collection``, keyed by store fingerprint, row count and params."""
    blob = json.dumps({"fingerprint": collection.store.fingerprint, "n": len(collection),
                       "dimension": collection.settings.dimension, **params}, sort_keys=True)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return collection.path / DERIVED_DIR / f"{kind}-{digest}{suffix}"


def load_cached(collection: CollectionView, path: Path, kind: str,
                params: dict) -> dict[str, np.ndarray] | None:
    """The arrays of cache file ``path`` when it fits ``collection`` now; None when absent
    or (with a :class:`CorruptCacheWarning`) when it does not fit."""
    if not path.is_file():
        return None
    store = collection.store
    try:
        return read_derived(path, kind, print_=store.fingerprint, version=store.version,
                            rows=len(collection), params=params)
    except DerivedFileError as exc:
        reason = ("it is stale" if isinstance(exc, StaleDerivedFile)
                  else "it does not fit the collection")
        warnings.warn(f"{exc}; ignoring the cached {kind} ({reason}) and rebuilding it",
                      CorruptCacheWarning, stacklevel=3)
        return None


def save_cached(collection: CollectionView, path: Path, kind: str, params: dict,
                **arrays: np.ndarray) -> None:
    """Write ``arrays`` as cache file ``path`` of ``collection`` (atomic, with its header)."""
    store = collection.store
    write_derived(path, kind, arrays, print_=store.fingerprint, version=store.version,
                  rows=len(collection), params=json.loads(json.dumps(params)))
