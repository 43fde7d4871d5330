"""nova_toolkit.analysis on the real pre-embedded sample collection (and synthetic vectors)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from nova_toolkit import analysis

pytestmark = pytest.mark.slow


def _blobs(n_per: int = 40, d: int = 32, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.eye(d, dtype=np.float32)[:3] * 5
    vecs = np.concatenate([c + rng.normal(0, 0.3, (n_per, d)) for c in centres])
    truth = np.repeat(np.arange(3), n_per)
    words = ["cat whiskers sofa", "rocket launch orbit", "coffee espresso beans"]
    texts = [f"labels: {words[t]} (0.{i % 9 + 1}0) | speech: the {words[t].split()[i % 3]}"
             for i, t in enumerate(truth)]
    return vecs.astype(np.float32), truth, texts


# -- projection ---------------------------------------------------------------------------------

def test_project_umap_cached_and_invalidated(sample_collection, tmp_path, monkeypatch):
    coll = sample_collection
    coords = analysis.project(coll, "umap", n_neighbors=10, seed=0)
    assert coords.shape == (len(coll), 2) and coords.dtype == np.float32
    assert np.isfinite(coords).all() and coords.std(axis=0).min() > 0
    cached = list((coll.path / "derived").glob("projection-umap-*.npy"))
    assert len(cached) == 1

    def boom(*a, **k):
        raise AssertionError("recomputed although the store did not change")

    monkeypatch.setattr(analysis, "_umap", boom)
    again = analysis.project(coll, "umap", n_neighbors=10, seed=0)
    np.testing.assert_array_equal(coords, again)
    monkeypatch.undo()

    # other parameters -> another cache entry
    analysis.project(coll, "umap", n_neighbors=5, seed=0)
    assert len(list((coll.path / "derived").glob("projection-umap-*.npy"))) == 2

    # a commit moves the store version on: the cache is not reused
    version = coll.store.version
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "owls.txt").write_text("Owls hunt at night and sleep in hollow trees by day.")
    coll.add([str(extra)], progress=False)
    assert coll.store.version > version
    calls = []
    real = analysis._umap
    monkeypatch.setattr(analysis, "_umap", lambda v, **k: calls.append(1) or real(v, **k))
    moved = analysis.project(coll, "umap", n_neighbors=10, seed=0)
    assert calls == [1] and moved.shape == (len(coll), 2)


def test_project_umap_uses_faiss_knn(sample_collection, monkeypatch):
    from nova_toolkit.vectors import knn

    seen = []
    real = knn.knn_graph
    monkeypatch.setattr(knn, "knn_graph", lambda v, k, **kw: seen.append(k) or real(v, k, **kw))
    analysis.project(sample_collection, "umap", n_neighbors=8, cache=False)
    assert seen == [7]  # + the row itself = n_neighbors
    seen.clear()
    own = analysis.project(sample_collection, "umap", n_neighbors=8, knn="umap", cache=False)
    assert seen == [] and own.shape == (len(sample_collection), 2)


def test_one_cached_knn_graph_serves_map_duplicates_and_outliers(sample_collection_dir,
                                                                  tmp_path, monkeypatch):
    import shutil

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


def test_precomputed_knn_puts_self_first():
    vecs, _, _ = _blobs()
    ids, dists = analysis.precomputed_knn(vecs, 6)
    assert ids.shape == dists.shape == (len(vecs), 6)
    np.testing.assert_array_equal(ids[:, 0], np.arange(len(vecs)))
    assert (dists[:, 0] == 0).all() and (np.diff(dists, axis=1) >= -1e-6).all()


def test_project_pca_on_arrays_and_collection(sample_collection_dir, tmp_path):
    vecs, truth, _ = _blobs()
    coords = analysis.project(vecs, "pca")
    assert coords.shape == (len(vecs), 2)
    centroids = np.stack([coords[truth == c].mean(0) for c in range(3)])
    spread = max(coords[truth == c].std(axis=0).max() for c in range(3))
    assert np.linalg.norm(centroids[0] - centroids[1]) > 3 * spread
    dest = tmp_path / "c"
    shutil.copytree(sample_collection_dir, dest)
    from nova_toolkit.collection import Collection

    coll = Collection.open(dest)
    a = analysis.project(coll, "pca")
    assert a.shape == (len(coll), 2)
    assert list((dest / "derived").glob("projection-pca-*.npy"))
    with pytest.raises(ValueError, match="method"):
        analysis.project(coll, "tsne")


# -- clustering ---------------------------------------------------------------------------------

def test_clean_snippet_strips_prefixes_and_probabilities():
    s = "speech: the rocket lifts off | labels: missile (0.42), space shuttle (0.03) | sound: wind"
    assert analysis.clean_snippet(s) == "the rocket lifts off missile , space shuttle wind"
    assert analysis.clean_snippet("[no speech: silence]") == ""
    assert analysis.clean_snippet("[page 2 without text] labels: tabby cat (0.5)") == "tabby cat"


def test_kmeans_on_blobs_finds_them_and_names_them():
    from sklearn.metrics import adjusted_rand_score

    vecs, truth, texts = _blobs()
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
    vecs, truth, texts = _blobs()
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
    vecs, truth, texts = _blobs()
    monkeypatch.setattr(analysis, "HDBSCAN_VECTORS_MAX", 50)
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


# -- duplicates and outliers --------------------------------------------------------------------

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
    assert frozenset((str(copy), str(sample_dir / "text" / "piano-practice.txt"))) in srcs
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


# -- dimension study ----------------------------------------------------------------------------

def test_dimension_study_on_collection(sample_collection_dir):
    from nova_toolkit.collection import Collection

    coll = Collection.open(sample_collection_dir)
    study = analysis.dimension_study(coll, dims=(64, 128, 256, 384, 1024, 3072), k=5)
    table, best = study
    stored = coll.settings.dimension
    assert table["dim"].tolist() == [d for d in (64, 128, 256, 384) if d <= stored]
    assert table["recall_at_k"].iloc[-1] == 1.0
    assert table["recall_at_k"].is_monotonic_increasing
    assert best == table.loc[table.recall_at_k >= 0.95, "dim"].min()
    assert study.best_dim == best


def test_dimension_study_synthetic_mrl_spectrum():
    rng = np.random.default_rng(0)
    d = 256
    scale = 1 / np.sqrt(1 + np.arange(d))  # Matryoshka-like: most signal in the first axes
    vecs = (rng.normal(size=(2000, d)) * scale).astype(np.float32)
    table, best = analysis.dimension_study(vecs, dims=(16, 32, 64, 128, 256), k=10,
                                           n_queries=100, target=0.9)
    recalls = table["recall_at_k"].to_numpy()
    assert recalls[-1] == 1.0 and (np.diff(recalls) >= 0).all() and recalls[0] < 0.9
    assert best in (32, 64, 128, 256) and table.set_index("dim").loc[best, "recall_at_k"] >= 0.9
