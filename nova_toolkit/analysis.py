"""Analysis of a collection's vectors: 2-D projection, clusters with labels, duplicates, outliers,
and the Matryoshka (MRL) dimension study.

Every function takes a collection through its read interface,
:class:`~nova_toolkit._core.view.CollectionView` (rows in ``to_pandas()`` order; a
:class:`~nova_toolkit.collection.Collection` is one), and most also take a plain ``(n, d)`` array.
Nothing here draws; :mod:`nova_toolkit.viz` does. Neighbour search goes through
the kNN primitives of :mod:`nova_toolkit.vectors.knn` (FAISS), imported lazily.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nova_toolkit._core.similarity import l2_normalize, top_k

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nova_toolkit._core.view import CollectionView

DERIVED_DIR = "derived"
PROJECTION_METHODS = ("umap", "pca")
CLUSTER_METHODS = ("kmeans", "hdbscan")
#: Above this many rows, HDBSCAN (``space="auto"``) runs on the 2-D map, not the vectors.
HDBSCAN_VECTORS_MAX = 20_000


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# 1. projection
# ---------------------------------------------------------------------------------------------

def _derived_path(collection: CollectionView, kind: str, params: dict, suffix: str):
    """A derived file of ``collection``, keyed by store version, row count and params."""
    blob = json.dumps({"version": collection.store.version, "n": len(collection),
                       "dimension": collection.settings.dimension, **params}, sort_keys=True)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return collection.path / DERIVED_DIR / f"{kind}-{digest}{suffix}"


def projection_cache_path(collection: CollectionView, method: str, params: dict):
    """Where :func:`project` caches its result: keyed by store version, row count and params."""
    return _derived_path(collection, f"projection-{method}", {"method": method, **params},
                         ".npy")


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
            if path.is_file():
                with np.load(path) as z:
                    if z["ids"].shape[1] >= k and len(z["ids"]) == len(collection):
                        return z["ids"][:, :k].copy(), z["dist"][:, :k].copy()
    vectors = _vectors_of(collection)
    k_eff = max(0, min(k, len(vectors) - 1))
    ids, dist = _knn().knn_graph(vectors, k_eff, metric="cosine", **knn_options)
    if path is not None:
        from nova_toolkit._core.atomic import atomic_write_bytes

        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, ids=ids, dist=dist)
        atomic_write_bytes(path, buf.getvalue())
        for old in path.parent.glob("knn-*.npz"):  # graphs of older versions are dead weight
            if old != path:
                old.unlink(missing_ok=True)
    return ids, dist


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
            if path.is_file():
                coords = np.load(path)
                if coords.shape == (len(collection), 2):
                    return coords
    vectors = _vectors_of(collection)
    if method == "pca":
        coords = _pca(vectors)
    else:
        coords = _umap(vectors, **params, graph_of=collection if cache else vectors)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if path is not None:
        _save_npy(path, coords)
    return coords


def _save_npy(path, array: np.ndarray) -> None:
    from nova_toolkit._core.atomic import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.save(buf, array)
    atomic_write_bytes(path, buf.getvalue())


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


# ---------------------------------------------------------------------------------------------
# 2. clustering with labels
# ---------------------------------------------------------------------------------------------

_PREFIX = re.compile(r"\b(labels|text|speech|sound)\s*:", re.I)
_PROB = re.compile(r"\(\s*\d*\.?\d+\s*\)")
_BRACKETED = re.compile(r"\[(?:no speech|page \d+ without text)[^\]]*\]?", re.I)


def clean_snippet(snippet: str | None) -> str:
    """Snippet text with our prefixes (``labels:``, ``speech:``...) and probabilities removed."""
    if not snippet:
        return ""
    text = _BRACKETED.sub(" ", snippet)
    text = _PREFIX.sub(" ", text)
    text = _PROB.sub(" ", text)
    text = text.replace("|", " ")
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class ClusterResult:
    """Per-row cluster ids (``-1`` = noise for HDBSCAN) and a short label per cluster."""

    labels: np.ndarray
    names: dict[int, str]
    keywords: dict[int, list[str]] = field(default_factory=dict)
    method: str = "kmeans"

    @property
    def n_clusters(self) -> int:
        return len([c for c in self.names if c >= 0])

    def label_of(self, i: int) -> str:
        return self.names.get(int(self.labels[i]), "")

    def to_pandas(self) -> pd.DataFrame:
        """One row per cluster: cluster, label, size, keywords."""
        import pandas as pd

        ids, counts = np.unique(self.labels, return_counts=True)
        return pd.DataFrame({
            "cluster": ids.astype(int),
            "label": [self.names.get(int(c), "") for c in ids],
            "size": counts.astype(int),
            "keywords": [self.keywords.get(int(c), []) for c in ids],
        })


def cluster(
    collection_or_vectors: CollectionView | np.ndarray,
    *,
    method: str = "kmeans",
    n_clusters: int | None = None,
    texts: list[str] | None = None,
    min_cluster_size: int = 5,
    n_keywords: int = 3,
    seed: int = 0,
    space: str = "auto",
) -> ClusterResult:
    """Cluster rows (cosine: vectors are L2-normalised first) and name each cluster.

    ``method="kmeans"`` (``n_clusters`` defaults to ≈ sqrt(n/2), 2–50) or
    ``"hdbscan"`` (``min_cluster_size``; label ``-1`` is noise). Cluster names are
    the top c-TF-IDF keywords of the members' snippets (transcripts, OCR text,
    image labels, page text); pass ``texts`` to label plain vectors.

    ``space`` is where HDBSCAN runs: ``"vectors"``, or ``"map"`` — the 2-D
    :func:`project` coordinates (cached for a collection), as BERTopic does; its
    density estimate is quadratic in high dimensions, so ``"auto"`` takes the map
    above ``HDBSCAN_VECTORS_MAX`` rows. k-means always runs on the vectors.
    """
    if space not in ("auto", "vectors", "map"):
        raise ValueError(f"space must be 'auto', 'vectors' or 'map', got {space!r}")
    if method not in CLUSTER_METHODS:
        raise ValueError(f"method must be one of {CLUSTER_METHODS}, got {method!r}")
    vectors = l2_normalize(_vectors_of(collection_or_vectors))
    n = vectors.shape[0]
    if texts is None and _is_collection(collection_or_vectors):
        texts = collection_or_vectors.to_pandas()["snippet"].fillna("").tolist()
    if n == 0:
        return ClusterResult(np.zeros(0, np.int64), {}, {}, method)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        k = n_clusters or int(np.clip(round(np.sqrt(n / 2)), 2, 50))
        k = max(1, min(int(k), n))
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
    else:
        from sklearn.cluster import HDBSCAN

        size = max(2, min(int(min_cluster_size), n))
        if space == "map" or (space == "auto" and n > HDBSCAN_VECTORS_MAX):
            vectors = project(collection_or_vectors, "umap", seed=seed)
        labels = HDBSCAN(min_cluster_size=size, copy=True).fit_predict(vectors)
    labels = np.asarray(labels, dtype=np.int64)
    keywords = cluster_keywords(texts or [""] * n, labels, top=max(n_keywords, 10))
    names = {}
    for c in sorted(set(labels.tolist())):
        words = keywords.get(c, [])[:n_keywords]
        names[c] = "noise" if c < 0 else (", ".join(words) if words else f"cluster {c}")
    return ClusterResult(labels, names, keywords, method)


def cluster_keywords(texts: list[str], labels: np.ndarray, *, top: int = 10
                     ) -> dict[int, list[str]]:
    """Top words per cluster by class-based TF-IDF (BERTopic's c-TF-IDF).

    Members' cleaned snippets are joined into one document per cluster; a word
    scores its in-cluster frequency times ``log(1 + A / f)`` with ``A`` the mean
    words per cluster and ``f`` the word's count over all clusters.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    clusters = sorted(set(labels.tolist()))
    docs = [" ".join(clean_snippet(texts[i]) for i in np.flatnonzero(labels == c))
            for c in clusters]
    if not any(d.strip() for d in docs):
        return {c: [] for c in clusters}
    vec = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
                          lowercase=True)
    try:
        counts = vec.fit_transform(docs).toarray().astype(np.float64)
    except ValueError:  # only stop words
        return {c: [] for c in clusters}
    vocab = np.asarray(vec.get_feature_names_out())
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg = counts.sum() / len(clusters)
    idf = np.log(1 + avg / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    out = {}
    for row, c in enumerate(clusters):
        order = np.argsort(-scores[row], kind="stable")
        out[c] = [str(vocab[j]) for j in order[:top] if scores[row, j] > 0]
    return out


# ---------------------------------------------------------------------------------------------
# 3. near-duplicates and outliers
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# 4. MRL dimension study
# ---------------------------------------------------------------------------------------------

class DimensionStudy(NamedTuple):
    """Result of :func:`dimension_study`: the table and the cheapest dim meeting the target."""

    table: pd.DataFrame
    best_dim: int | None


def _top_k(queries: np.ndarray, base: np.ndarray, k: int, exclude: np.ndarray) -> np.ndarray:
    """Indices of the k highest inner products per query, excluding each query's own row."""
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), 64):
        sims = queries[start:start + 64] @ base.T
        sims[np.arange(len(sims)), exclude[start:start + 64]] = -np.inf
        out[start:start + 64] = top_k(sims, k)[0]
    return out


def dimension_study(
    collection: CollectionView | np.ndarray,
    *,
    dims: tuple[int, ...] = (256, 384, 1024, 3072),
    k: int = 10,
    n_queries: int = 200,
    target: float = 0.95,
    seed: int = 0,
) -> DimensionStudy:
    """Recall@k of Matryoshka-truncated vectors (prefix + renormalise) against the full vectors.

    Queries are ``n_queries`` rows drawn from the collection itself (their own row
    excluded from both result lists); only ``dims`` ≤ the stored dimension are
    studied (the stored dimension is always included, with recall 1.0). Returns
    the table (dim, recall_at_k, bytes_per_vector, size_ratio, meets_target) and the
    cheapest dim whose recall reaches ``target``.
    """
    import pandas as pd

    vectors = l2_normalize(_vectors_of(collection))
    n, full = vectors.shape
    if n < 2:
        raise ValueError("dimension_study needs at least 2 rows")
    k = max(1, min(int(k), n - 1))
    chosen = sorted({int(d) for d in dims if 0 < int(d) <= full} | {full})
    rng = np.random.default_rng(seed)
    q_idx = np.sort(rng.choice(n, size=min(int(n_queries), n), replace=False))
    truth = _top_k(vectors[q_idx], vectors, k, q_idx)
    rows = []
    for d in chosen:
        cut = vectors if d == full else l2_normalize(vectors[:, :d])
        got = truth if d == full else _top_k(cut[q_idx], cut, k, q_idx)
        hits = [len(np.intersect1d(t, g, assume_unique=True)) for t, g in zip(truth, got,
                                                                                strict=True)]
        recall = float(np.mean(hits) / k)
        rows.append({"dim": d, "recall_at_k": recall, "bytes_per_vector": 4 * d,
                     "size_ratio": d / full, "meets_target": recall >= target})
    table = pd.DataFrame(rows)
    meeting = table[table["meets_target"]]
    best = int(meeting["dim"].min()) if len(meeting) else None
    table.attrs.update({"k": k, "n_queries": len(q_idx), "target": target,
                        "stored_dim": full})
    return DimensionStudy(table, best)


__all__ = [
    "ClusterResult", "DimensionStudy", "clean_snippet", "cluster", "cluster_keywords",
    "dimension_study", "near_duplicates", "neighbours", "outliers", "precomputed_knn",
    "project",
]
