"""2-D projection of a collection's vectors: UMAP fed a FAISS kNN graph, or PCA.

For a collection the coordinates are cached in ``<collection>/derived/`` until the store's
version changes (:mod:`nova_toolkit.analysis.derived`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nova_toolkit.analysis.derived import _derived_path, load_cached, save_cached
from nova_toolkit.analysis.inputs import _is_collection, _vectors_of
from nova_toolkit.analysis.neighbourhood import neighbours

if TYPE_CHECKING:  # pragma: no cover
    from nova_toolkit._core.view import CollectionView

PROJECTION_METHODS = ("umap", "pca")


def projection_cache_path(collection: CollectionView, method: str, params: dict):
    """Where :func:`project` caches its result: keyed by store version, row count and params."""
    return _derived_path(collection, f"projection-{method}", {"method": method, **params},
                         ".npz")


def project(
    collection: CollectionView | np.ndarray,
    method: str = "umap",
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int | None = 0,
    cache: bool = True,
    knn: str = "faiss",
    knn_options: dict | None = None,
) -> np.ndarray:
    """2-D coordinates of every row, ``(n, 2)`` float32, in :meth:`Collection.to_pandas` order.

    ``method="umap"`` feeds umap-learn a cosine kNN graph from FAISS
    (:func:`nova_toolkit.vectors.knn.knn_graph`) instead of letting it search
    neighbours itself; ``method="pca"`` needs only numpy. For a collection the
    result is cached in ``<collection>/derived/`` (atomic write) and reused until
    the store's version changes; arrays are never cached. ``knn_options`` go to
    ``knn_graph`` (e.g. ``{"index": "hnsw"}`` to force an index); ``knn="umap"`` lets
    umap-learn search neighbours itself (NN-descent). The layout (200 epochs above 10k
    rows) is most of the time; with ``seed=None`` umap-learn runs it on every core,
    without a fixed seed (not reproducible).
    """
    if knn not in ("faiss", "umap"):
        raise ValueError(f"knn must be 'faiss' or 'umap', got {knn!r}")
    if method not in PROJECTION_METHODS:
        raise ValueError(f"method must be one of {PROJECTION_METHODS}, got {method!r}")
    params = ({"n_neighbors": int(n_neighbors), "min_dist": float(min_dist), "seed": None if seed is None else int(seed),
               "knn_options": dict(knn_options or {}), "use_faiss": knn == "faiss"}
              if method == "umap" else {})
    path = None
    if _is_collection(collection):
        collection.store.refresh()
        if cache:
            path = projection_cache_path(collection, method, params)
            cached = load_cached(collection, path, "projection", {"method": method, **params})
            if cached is not None:
                return cached["coords"]
    vectors = _vectors_of(collection)
    if method == "pca":
        coords = _pca(vectors)
    else:
        coords = _umap(vectors, **params, graph_of=collection if cache else vectors)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if path is not None:
        save_cached(collection, path, "projection", {"method": method, **params}, coords=coords)
    return coords


def _pca(vectors: np.ndarray) -> np.ndarray:
    n = vectors.shape[0]
    if n == 0:
        return np.zeros((0, 2), np.float32)
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    # deterministic orientation: the largest loading of each axis is positive
    signs = np.sign(coords[np.abs(coords).argmax(axis=0), range(2)])
    signs[signs == 0] = 1
    return coords * signs


def precomputed_knn(vectors: CollectionView | np.ndarray, n_neighbors: int, **knn_options: Any
                    ) -> tuple[np.ndarray, np.ndarray]:
    """umap-learn's ``precomputed_knn`` from FAISS: each row's own index first (distance 0).

    For a collection the graph comes from (and goes to) the :func:`neighbours` cache.
    """
    n = len(vectors)
    k = min(n_neighbors, n) - 1
    ids, dists = neighbours(vectors, k, **knn_options)
    ids = np.asarray(ids, dtype=np.int64)
    dists = np.asarray(dists, dtype=np.float32)
    self_col = np.arange(n, dtype=np.int64)[:, None]
    ids = np.hstack([self_col, ids])
    dists = np.hstack([np.zeros((n, 1), np.float32), np.maximum(dists, 0.0)])
    missing = ids < 0  # FAISS pads with -1 when fewer neighbours exist
    if missing.any():
        ids[missing] = np.broadcast_to(self_col, ids.shape)[missing]
        dists[missing] = np.float32(np.inf)
    return ids, dists


def _umap(vectors: np.ndarray, *, n_neighbors: int, min_dist: float, seed: int | None,
          knn_options: dict | None = None, use_faiss: bool = True,
          graph_of: Any = None) -> np.ndarray:
    n = vectors.shape[0]
    if n < 4:  # UMAP needs a few points; PCA says the same thing for tiny sets
        return _pca(vectors)
    try:
        import umap
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("method='umap' needs umap-learn (pip install umap-learn); "
                          "method='pca' works without it") from exc
    k = max(2, min(int(n_neighbors), n - 1))
    kwargs: dict[str, Any] = {}
    if use_faiss:
        ids, dists = precomputed_knn(vectors if graph_of is None else graph_of, k,
                                     **(knn_options or {}))
        kwargs["precomputed_knn"] = (ids, dists, None)
    reducer = umap.UMAP(n_neighbors=k, min_dist=min_dist, metric="cosine", random_state=seed,
                        n_components=2, init="spectral" if n > k + 2 else "random",
                        n_jobs=1 if seed is not None else -1, **kwargs)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "n_jobs overridden by random_state"
        return reducer.fit_transform(vectors)
