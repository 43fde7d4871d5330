"""The mirror on an approximate FAISS index (HNSW / IVF-PQ): exact counts, exact filters,
deletes and overwrites, persistence of the derived index and its tuned parameters."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from s3v_helpers import BUCKET

from nova_toolkit.vectors import ann, local_client
from nova_toolkit.vectors import index as index_mod

N, DIM = 3000, 24


def _data(n: int = N, seed: int = 0) -> np.ndarray:
    w = np.random.default_rng(0).standard_normal((6, DIM)) / np.sqrt(6)
    rng = np.random.default_rng(seed + 1000)
    z = rng.standard_normal((n, 6))
    return (z @ w + 0.5 * rng.standard_normal((n, DIM))).astype(np.float32)


def _client(root: Path, metric: str, budget: int | None):
    c = local_client(root, approx_threshold=1000, memory_budget=budget)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    c.create_index(
        vectorBucketName=BUCKET, indexName="idx", dataType="float32", dimension=DIM,
        distanceMetric=metric,
    )  # fmt: skip
    return c


IX = {"vectorBucketName": BUCKET, "indexName": "idx"}


def _exact(x: np.ndarray, q: np.ndarray, metric: str, rows: np.ndarray, k: int) -> list[int]:
    sub = x[rows].astype(np.float64)
    if metric == "cosine":
        d = 1 - (sub @ q) / (np.linalg.norm(sub, axis=1) * np.linalg.norm(q))
    else:
        d = np.linalg.norm(sub - q, axis=1)
    return rows[np.argsort(d, kind="stable")[:k]].tolist()


@pytest.fixture(scope="module", params=[("cosine", None), ("euclidean", None), ("cosine", 150_000)])
def built(request, tmp_path_factory):
    """Build each approximate index once per module (HNSW x2 metrics, IVF-PQ by budget)."""
    metric, budget = request.param
    x = _data()
    root = tmp_path_factory.mktemp("approx") / "v"
    c = _client(root, metric, budget)
    keys = [f"k{i}" for i in range(N)]
    c.import_vectors(**IX, keys=keys, data=x, metadata=[{"b": i % 100} for i in range(N)])
    c.flush()
    store = c._index(IX).store
    assert not store.choice.exact
    assert store.choice.kind == ("ivfpq" if budget else "hnsw")
    c.close()
    return root, x, metric, budget


@pytest.fixture
def setup(built, tmp_path: Path, monkeypatch):
    root, x, metric, budget = built
    # force filtered queries through the ID-selector path of the approximate index
    monkeypatch.setattr(index_mod, "BRUTE_MAX", 100)
    monkeypatch.setattr(index_mod, "BRUTE_FRACTION", 0.0)
    mine = tmp_path / "v"
    shutil.copytree(root, mine)  # reopened: the persisted index + tuned choice are loaded
    c = local_client(mine, approx_threshold=1000, memory_budget=budget)
    store = c._index(IX).store
    store.load()
    assert not store.choice.exact
    return c, x, metric, mine, budget


def _query(c, q: np.ndarray, k: int, flt=None) -> list[int]:
    params = dict(IX, queryVector={"float32": q.tolist()}, topK=k, returnDistance=True)
    if flt is not None:
        params["filter"] = flt
    out = c.query_vectors(**params)["vectors"]
    ds = [v["distance"] for v in out]
    assert ds == sorted(ds)
    return [int(v["key"][1:]) for v in out]


def test_unfiltered_recall_and_counts(setup) -> None:
    c, x, metric, _, _ = setup
    qs = _data(60, seed=9)
    hits = 0
    for q in qs:
        got = _query(c, q, 10)
        assert len(got) == 10 and len(set(got)) == 10
        hits += len(set(got) & set(_exact(x, q, metric, np.arange(N), 10)))
    assert hits / 600 >= 0.9


@pytest.mark.parametrize("cut", [50, 5, 1])  # 50 %, 5 %, 1 % selectivity
def test_filtered_queries_exact_count_and_match(setup, cut: int) -> None:
    c, x, metric, _, _ = setup
    b = np.arange(N) % 100
    rows = np.flatnonzero(b < cut)
    hits = total = 0
    for q in _data(20, seed=11):
        got = _query(c, q, 30, {"b": {"$lt": cut}})
        assert len(got) == min(30, len(rows))
        assert all(g % 100 < cut for g in got)
        want = _exact(x, q, metric, rows, 30)
        hits += len(set(got) & set(want))
        total += len(want)
    assert hits / total >= 0.9


def test_deletes_and_overwrites_on_approx(setup) -> None:
    c, x, metric, root, budget = setup
    dead = [f"k{i}" for i in range(0, N, 2)]  # delete half
    for s in range(0, len(dead), 500):
        c.delete_vectors(**IX, keys=dead[s : s + 500])
    # overwrite k1 with the exact query vector: it must come first
    q = _data(1, seed=21)[0]
    c.put_vectors(
        **IX, vectors=[{"key": "k1", "data": {"float32": q.tolist()}, "metadata": {"b": 1}}]
    )
    store = c._index(IX).store
    assert not store.choice.exact and store.count == N // 2
    got = _query(c, q, 10)
    assert got[0] == 1 and len(got) == 10
    assert all(g % 2 == 1 for g in got)
    got = _query(c, q, 10, {"b": {"$in": [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25]}})
    assert got[0] == 1 and len(got) == 10 and all(g % 2 == 1 for g in got)
    # a filter matching only deleted rows returns nothing
    assert _query(c, q, 10, {"b": {"$in": [0, 2, 4]}}) == []
    # topK above the number of matches: all matches, exactly
    live_b1 = [i for i in range(N) if i % 100 == 1]
    assert sorted(_query(c, q, 100, {"b": 1})) == live_b1
    # persistence: compaction rebuilds the approximate index; reload reads it back
    c.flush()
    c2 = local_client(root, approx_threshold=1000, memory_budget=budget)
    store2 = c2._index(IX).store
    store2.load()
    assert store2.choice.kind == store.choice.kind
    assert store2.choice.search_params == c._index(IX).store.choice.search_params
    assert _query(c2, q, 10)[0] == 1
    assert list(root.rglob("base-*.json"))


def test_small_index_stays_flat_and_exact(tmp_path: Path) -> None:
    c = _client(tmp_path / "v", "cosine", None)
    x = _data(500)
    c.import_vectors(**IX, keys=[f"k{i}" for i in range(500)], data=x)
    c.flush()
    assert c._index(IX).store.choice.exact
    for q in _data(5, seed=3):
        assert _query(c, q, 10) == _exact(x, q, "cosine", np.arange(500), 10)


def test_tune_search_reaches_target() -> None:
    x = _data(5000)
    import faiss

    faiss.normalize_L2(x)
    choice = ann.choose_index(
        5000, DIM, memory_budget_bytes=None, metric="cosine", flat_threshold=0
    )
    index = ann.build_index(choice, x)
    tuned = ann.tune_search(index, choice, x, target_recall=0.97, sample=200)
    assert tuned.recall is not None and tuned.recall >= 0.97
    assert "efSearch" in tuned.search_params
    assert "HNSW32" in tuned.describe()
