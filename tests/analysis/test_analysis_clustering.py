"""nova_toolkit.analysis.clustering: k-means / HDBSCAN clusters named by their members' snippets."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_helpers import blobs

from nova_toolkit import analysis
from nova_toolkit.analysis import clustering

pytestmark = pytest.mark.slow


def test_kmeans_on_blobs_finds_them_and_names_them():
    from sklearn.metrics import adjusted_rand_score

    vecs, truth, texts = blobs()
    res = analysis.cluster(vecs, n_clusters=3, texts=texts)
    assert adjusted_rand_score(truth, res.labels) == 1.0
    names = set(res.names.values())
    joined = " ".join(names)
    for word in ("cat", "rocket", "coffee"):
        assert word in joined
    assert "labels" not in joined and "speech" not in joined and "0" not in joined
    table = res.to_pandas()
    assert table["size"].sum() == len(vecs) and res.n_clusters == 3


def test_hdbscan_on_blobs_with_noise():
    vecs, truth, texts = blobs()
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 3, (5, vecs.shape[1])).astype(np.float32)
    res = analysis.cluster(np.vstack([vecs, noise]), method="hdbscan", min_cluster_size=10,
                           texts=texts + ["static hiss"] * 5)
    assert res.n_clusters == 3
    for c in range(3):
        members = set(res.labels[: len(vecs)][truth == c].tolist()) - {-1}
        assert len(members) == 1
    if -1 in res.names:
        assert res.names[-1] == "noise"


def test_hdbscan_on_the_map_for_large_sets(monkeypatch):
    """Above HDBSCAN_VECTORS_MAX rows HDBSCAN runs on the 2-D UMAP map; blobs stay whole."""
    vecs, truth, texts = blobs()
    monkeypatch.setattr(clustering, "HDBSCAN_VECTORS_MAX", 50)
    res = analysis.cluster(vecs, method="hdbscan", min_cluster_size=10, texts=texts)
    assert res.n_clusters == 3
    for c in range(3):
        members = res.labels[truth == c]
        kept = members[members >= 0]
        assert len(set(kept.tolist())) == 1 and len(kept) >= 0.9 * len(members)
    with pytest.raises(ValueError, match="space"):
        analysis.cluster(vecs, method="hdbscan", space="pixels")


def test_cluster_labels_come_from_member_snippets(sample_collection_dir):
    from nova_toolkit.collection import Collection

    coll = Collection.open(sample_collection_dir)
    snippets = coll.to_pandas()["snippet"].fillna("").tolist()
    res = analysis.cluster(coll, n_clusters=5)
    assert len(res.labels) == len(coll) and len(res.names) == 5
    for c, name in res.names.items():
        members = " ".join(analysis.clean_snippet(snippets[i]).lower()
                           for i in np.flatnonzero(res.labels == c))
        words = [w.strip() for w in name.split(",")]
        assert words and all(w in members for w in words), (name, members[:200])
    # the sample library's themes show up as labels
    joined = " ".join(res.names.values())
    assert sum(t in joined for t in ("cat", "coffee", "rocket", "space", "pasta", "camera")) >= 3
