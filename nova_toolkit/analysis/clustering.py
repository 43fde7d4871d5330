"""Clusters of a collection's rows (k-means or HDBSCAN), each named by its members' snippets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit._core.similarity import l2_normalize
from nova_toolkit.analysis.inputs import _is_collection, _vectors_of
from nova_toolkit.analysis.keywords import cluster_keywords
from nova_toolkit.analysis.projection import project

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nova_toolkit._core.view import CollectionView

CLUSTER_METHODS = ("kmeans", "hdbscan")
#: Above this many rows, HDBSCAN (``space="auto"``) runs on the 2-D map, not the vectors.
HDBSCAN_VECTORS_MAX = 20_000


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
