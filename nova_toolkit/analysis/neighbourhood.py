"""Each row's nearest neighbours, and what reads them: near-duplicate pairs and outliers.

One cosine kNN graph from FAISS (:func:`nova_toolkit.vectors.knn.knn_graph`) serves the map,
near-duplicates and outliers; for a collection it is cached in ``derived/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nova_toolkit.analysis.derived import _derived_path, load_cached, save_cached
from nova_toolkit.analysis.inputs import _is_collection, _knn, _vectors_of

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nova_toolkit._core.view import CollectionView


def neighbours(
    collection: CollectionView | np.ndarray,
    k: int = 15,
    *,
    cache: bool = True,
    **knn_options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows (cosine): ``(ids, distances)``, both ``(n, k)``.

    One FAISS kNN graph (:func:`nova_toolkit.vectors.knn.knn_graph`) serves the map,
    near-duplicates and outliers: for a collection it is cached in ``derived/`` until the
    store's version changes, and a cached graph with more neighbours is sliced, never
    recomputed. ``knn_options`` go to ``knn_graph`` (and into the cache key).
    """
    k = int(k)
    path = None
    if _is_collection(collection):
        collection.store.refresh()
        if cache:
            path = _derived_path(collection, "knn", {"knn_options": knn_options}, ".npz")
            z = load_cached(collection, path, "knn", {"knn_options": knn_options})
            if z is not None and z["ids"].shape[1] >= k:
                return z["ids"][:, :k].copy(), z["dist"][:, :k].copy()
    vectors = _vectors_of(collection)
    k_eff = max(0, min(k, len(vectors) - 1))
    ids, dist = _knn().knn_graph(vectors, k_eff, metric="cosine", **knn_options)
    if path is not None:
        save_cached(collection, path, "knn", {"knn_options": knn_options}, ids=ids, dist=dist)
        for old in path.parent.glob("knn-*.npz"):  # graphs of older versions are dead weight
            if old != path:
                old.unlink(missing_ok=True)
    return ids, dist


_ROW_COLS = ("key", "source", "modality", "embedding_type", "segment_index", "start_s", "end_s",
             "page", "snippet")


def near_duplicates(collection: CollectionView, *, threshold: float = 0.05, k: int = 10,
                    cross_source_only: bool = False) -> pd.DataFrame:
    """Pairs of rows whose cosine distance is ≤ ``threshold``, closest first.

    Columns: key_a, key_b, source_a, source_b, modality_a, modality_b, distance.
    ``cross_source_only`` drops pairs from the same file (e.g. adjacent
    segments of one video).
    """
    import pandas as pd

    collection.store.refresh()
    df = collection.to_pandas()
    cols = ["key_a", "key_b", "source_a", "source_b", "modality_a", "modality_b", "distance"]
    if len(df) < 2:
        return pd.DataFrame(columns=cols)
    ids, dist = neighbours(collection, min(int(k), len(df) - 1))
    pairs, dists = _knn().pairs_within(ids, dist, float(threshold))
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    dists = np.asarray(dists, dtype=np.float32).reshape(-1)
    a, b = pairs[:, 0], pairs[:, 1]
    out = pd.DataFrame({
        "key_a": df["key"].to_numpy()[a], "key_b": df["key"].to_numpy()[b],
        "source_a": df["source"].to_numpy()[a], "source_b": df["source"].to_numpy()[b],
        "modality_a": df["modality"].to_numpy()[a], "modality_b": df["modality"].to_numpy()[b],
        "distance": dists,
    }, columns=cols)
    if cross_source_only:
        out = out[out["source_a"] != out["source_b"]]
    return out.sort_values("distance", kind="stable").reset_index(drop=True)


def outliers(collection: CollectionView, *, k: int = 10, top: int = 20) -> pd.DataFrame:
    """The ``top`` rows farthest from their ``k`` nearest neighbours (mean cosine distance).

    Columns: the row's key, source, modality, offsets, snippet and ``score``.
    """
    df = collection.to_pandas()
    if len(df) < 2:
        return df.loc[:, list(_ROW_COLS)].assign(score=np.zeros(len(df), np.float32))
    ids, dists = neighbours(collection, min(int(k), len(df) - 1))
    dists = np.asarray(dists, dtype=np.float64)
    valid = np.asarray(ids) >= 0
    score = np.where(valid, dists, 0).sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
    order = np.argsort(-score, kind="stable")[: int(top)]
    out = df.iloc[order].loc[:, list(_ROW_COLS)].copy()
    out["score"] = score[order].astype(np.float32)
    return out.reset_index(drop=True)
