"""nova_toolkit.analysis.neighbourhood: one cached kNN graph, near-duplicates and outliers."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from nova_toolkit import analysis

pytestmark = pytest.mark.slow


def test_one_cached_knn_graph_serves_map_duplicates_and_outliers(sample_collection_dir,
                                                                  tmp_path, monkeypatch):
    from nova_toolkit.collection import Collection
    from nova_toolkit.vectors import knn

    shutil.copytree(sample_collection_dir, tmp_path / "c")
    coll = Collection.open(tmp_path / "c")
    seen = []
    real = knn.knn_graph
    monkeypatch.setattr(knn, "knn_graph", lambda v, k, **kw: seen.append(k) or real(v, k, **kw))
    ids, dist = analysis.neighbours(coll, 12)
    assert ids.shape == (len(coll), 12) and seen == [12]
    analysis.project(coll, "umap", n_neighbors=10)  # 9 neighbours: sliced from the cache
    analysis.near_duplicates(coll, k=10)
    analysis.outliers(coll, k=5)
    assert seen == [12]
    small_ids, small_dist = analysis.neighbours(coll, 5)
    np.testing.assert_array_equal(small_ids, ids[:, :5])
    # brute force agrees with the cached graph (cosine distance, nearest first)
    v = coll.vectors().astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    d = 1 - v @ v.T
    np.fill_diagonal(d, np.inf)
    np.testing.assert_allclose(dist, np.sort(d, axis=1)[:, :12], atol=1e-4)
    # more neighbours than cached: one new graph, which replaces the old file
    analysis.neighbours(coll, 20)
    assert seen == [12, 20]
    assert len(list((coll.path / "derived").glob("knn-*.npz"))) == 1


def test_near_duplicates_finds_injected_copy(sample_collection, sample_dir, tmp_path):
    coll = sample_collection
    extra = tmp_path / "copies"
    extra.mkdir()
    copy = extra / "piano-again.txt"
    shutil.copyfile(sample_dir / "text" / "piano-practice.txt", copy)
    coll.add([str(extra)], progress=False)
    pairs = analysis.near_duplicates(coll, threshold=0.01)
    assert list(pairs.columns[:5]) == ["key_a", "key_b", "source_a", "source_b", "modality_a"]
    srcs = {frozenset((a, b)) for a, b in zip(pairs.source_a, pairs.source_b, strict=True)}
    keys = [coll.library.key(str(p)) for p in (copy, sample_dir / "text" / "piano-practice.txt")]
    assert frozenset(keys) in srcs  # sources are keys under the collection's library root
    assert (pairs.distance <= 0.01).all() and pairs.distance.is_monotonic_increasing
    cross = analysis.near_duplicates(coll, threshold=0.01, cross_source_only=True)
    assert (cross.source_a != cross.source_b).all()


def test_outliers_ranked_by_mean_knn_distance(sample_collection_dir):
    from nova_toolkit.collection import Collection

    coll = Collection.open(sample_collection_dir)
    out = analysis.outliers(coll, k=5, top=10)
    assert len(out) == 10 and out["score"].is_monotonic_decreasing
    assert {"key", "source", "snippet", "score"} <= set(out.columns)
    # the score is the mean distance to the 5 nearest others, recomputed here
    vecs = coll.vectors()
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    dist = 1 - vecs @ vecs.T
    np.fill_diagonal(dist, np.inf)
    mean5 = np.sort(dist, axis=1)[:, :5].mean(1)
    keys = coll.to_pandas()["key"].tolist()
    top = [keys[i] for i in np.argsort(-mean5)[:3]]
    assert out["key"].tolist()[:3] == top
