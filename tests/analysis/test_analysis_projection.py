"""nova_toolkit.analysis.projection: UMAP (fed FAISS) and PCA maps, cached per store version."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from analysis_helpers import blobs

from nova_toolkit import analysis
from nova_toolkit.analysis import projection

pytestmark = pytest.mark.slow


def test_project_umap_cached_and_invalidated(sample_collection, tmp_path, monkeypatch):
    coll = sample_collection
    coords = analysis.project(coll, "umap", n_neighbors=10, seed=0)
    assert coords.shape == (len(coll), 2) and coords.dtype == np.float32
    assert np.isfinite(coords).all() and coords.std(axis=0).min() > 0
    cached = list((coll.path / "derived").glob("projection-umap-*.npz"))
    assert len(cached) == 1

    def boom(*a, **k):
        raise AssertionError("recomputed although the store did not change")

    monkeypatch.setattr(projection, "_umap", boom)
    again = analysis.project(coll, "umap", n_neighbors=10, seed=0)
    np.testing.assert_array_equal(coords, again)
    monkeypatch.undo()

    # other parameters -> another cache entry
    analysis.project(coll, "umap", n_neighbors=5, seed=0)
    assert len(list((coll.path / "derived").glob("projection-umap-*.npz"))) == 2

    # a commit moves the store version on: the cache is not reused
    version = coll.store.version
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "owls.txt").write_text("Owls hunt at night and sleep in hollow trees by day.")
    coll.add([str(extra)], progress=False)
    assert coll.store.version > version
    calls = []
    real = projection._umap
    monkeypatch.setattr(projection, "_umap", lambda v, **k: calls.append(1) or real(v, **k))
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


def test_precomputed_knn_puts_self_first():
    vecs, _, _ = blobs()
    ids, dists = analysis.precomputed_knn(vecs, 6)
    assert ids.shape == dists.shape == (len(vecs), 6)
    np.testing.assert_array_equal(ids[:, 0], np.arange(len(vecs)))
    assert (dists[:, 0] == 0).all() and (np.diff(dists, axis=1) >= -1e-6).all()


def test_project_pca_on_arrays_and_collection(sample_collection_dir, tmp_path):
    vecs, truth, _ = blobs()
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
    assert list((dest / "derived").glob("projection-pca-*.npz"))
    with pytest.raises(ValueError, match="method"):
        analysis.project(coll, "tsne")
