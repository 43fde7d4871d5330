"""knn_graph / near_duplicate_pairs against brute-force numpy, and the index chooser."""

from __future__ import annotations

import numpy as np
import pytest

from nova_toolkit.vectors import ann
from nova_toolkit.vectors.knn import knn_graph, near_duplicate_pairs


def _low_rank(n: int, dim: int = 48, rank: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, rank))
    w = rng.standard_normal((rank, dim)) / np.sqrt(rank)
    x = z @ w + 0.5 * rng.standard_normal((n, dim))
    return x.astype(np.float32)


def _brute(x: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    x = x.astype(np.float64)
    if metric == "cosine":
        u = x / np.linalg.norm(x, axis=1, keepdims=True)
        d = 1.0 - u @ u.T
    else:
        sq = (x * x).sum(1)
        d = np.sqrt(np.maximum(sq[:, None] - 2 * x @ x.T + sq[None, :], 0.0))
    np.fill_diagonal(d, np.inf)
    ids = np.argsort(d, axis=1, kind="stable")[:, :k]
    return ids, np.take_along_axis(d, ids, 1)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_graph_matches_brute_force(metric: str) -> None:
    x = _low_rank(3000)
    ids, dist, choice = knn_graph(x, 7, metric=metric, batch_size=700, return_choice=True)
    assert choice.kind == "flat"
    assert ids.shape == (3000, 7) and ids.dtype == np.int64
    assert dist.dtype == np.float32
    bids, bdist = _brute(x, 7, metric)
    np.testing.assert_allclose(dist, bdist, rtol=1e-4, atol=2e-4)
    assert (ids != np.arange(3000)[:, None]).all()  # self excluded
    assert (ids == bids).mean() > 0.999  # ids equal up to float ties
    assert (np.diff(dist, axis=1) >= -1e-6).all()


def test_exact_duplicates_and_tiny_inputs() -> None:
    x = _low_rank(50, dim=8)
    x[10] = x[3]  # an exact duplicate: self must still be excluded, the twin found
    ids, dist = knn_graph(x, 3)
    assert ids[3, 0] == 10 and ids[10, 0] == 3
    assert dist[3, 0] == pytest.approx(0.0, abs=1e-6)
    assert (ids != np.arange(50)[:, None]).all()
    ids, dist = knn_graph(x[:3], 5)  # n <= k: padded
    assert (ids[:, 2:] == -1).all() and np.isinf(dist[:, 2:]).all()
    assert set(ids[0, :2]) == {1, 2}
    ids, dist = knn_graph(np.zeros((0, 4), np.float32), 2)
    assert ids.shape == (0, 2)
    with pytest.raises(ValueError):
        knn_graph(x, 2, metric="dot")
    ids, dist = knn_graph(x, 0)
    assert ids.shape == (50, 0) and dist.shape == (50, 0)
    with pytest.raises(ValueError):
        knn_graph(x, -1)


@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
def test_forced_approximate_recall(kind: str) -> None:
    x = _low_rank(4000, dim=32)
    ids, dist, choice = knn_graph(x, 10, index=kind, return_choice=True)
    assert choice.kind == kind and not choice.exact
    bids, _ = _brute(x, 10, "cosine")
    assert ann.recall_at_k(ids, bids) >= 0.95
    assert (ids != np.arange(4000)[:, None]).all()
    # distances reported are exact for the ids returned
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    d = 1.0 - np.einsum("nd,nkd->nk", u, u[ids])
    np.testing.assert_allclose(dist, d, atol=2e-3)


def test_memory_budget_drives_the_choice() -> None:
    x = _low_rank(2500, dim=32)
    # too small a budget for flat or HNSW, even under the exact threshold: IVF-PQ
    ids, _, choice = knn_graph(x, 5, memory_budget=2500 * 32 * 4 + 10_000, return_choice=True)
    assert choice.kind == "ivfpq"
    bids, _ = _brute(x, 5, "cosine")
    assert ann.recall_at_k(ids, bids) >= 0.9


def test_near_duplicate_pairs() -> None:
    rng = np.random.default_rng(3)
    x = _low_rank(2000, dim=16)
    dup_of = rng.choice(2000, size=40, replace=False)
    x2 = np.concatenate([x, x[dup_of] + 1e-3 * rng.standard_normal((40, 16)).astype(np.float32)])
    pairs, dist = near_duplicate_pairs(x2, 1e-4)
    want = {(int(a), 2000 + i) for i, a in enumerate(dup_of)}
    _, bd = _brute(x2, 1, "cosine")
    got = {tuple(p) for p in pairs.tolist()}
    assert want <= got
    assert (pairs[:, 0] < pairs[:, 1]).all()
    assert (dist <= 1e-4).all()
    # every found pair truly is within the threshold
    u = x2 / np.linalg.norm(x2, axis=1, keepdims=True)
    true = 1.0 - (u[pairs[:, 0]] * u[pairs[:, 1]]).sum(1)
    np.testing.assert_allclose(dist, true, atol=1e-5)
    empty, ed = near_duplicate_pairs(x, 0.0)
    assert empty.shape == (0, 2) and ed.shape == (0,)


def test_choose_index_regimes() -> None:
    c = ann.choose_index(50_000, 384, memory_budget_bytes=None, metric="cosine")
    assert c.factory_string == "Flat" and c.exact
    c = ann.choose_index(1_000_000, 384, memory_budget_bytes=8 << 30, metric="cosine")
    assert c.factory_string == "HNSW32,Flat" and c.memory_bytes < 8 << 30
    c = ann.choose_index(1_000_000, 384, memory_budget_bytes=512 << 20, metric="euclidean")
    assert c.kind == "ivfpq" and c.factory_string.startswith("IVF")
    assert c.factory_string.endswith(",PQ64") and c.memory_bytes < 512 << 20
    c = ann.choose_index(1_000_000, 384, memory_budget_bytes=512 << 20, metric="cosine", opq=True)
    assert c.factory_string.startswith("OPQ64,IVF")
    c = ann.choose_index(200_000, 10, memory_budget_bytes=0, metric="cosine")
    assert c.kind == "ivfpq" and 10 % c.pq_m == 0
    with pytest.raises(ValueError):
        ann.choose_index(10, 4, memory_budget_bytes=None, metric="dot")


def _clustered(n: int, dim: int = 64, topics: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, dim))
    x = centres[rng.integers(0, topics, n)] + 0.6 * rng.standard_normal((n, dim))
    return x.astype(np.float32)


def _recall_by_distance(dist: np.ndarray, bdist: np.ndarray) -> float:
    """Share of found neighbours no farther than the exact k-th (ties are not misses)."""
    return float((dist <= bdist[:, -1:] + 1e-5).mean())


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_cluster_join_reaches_the_recall_target(metric: str) -> None:
    x = _clustered(6000)
    ids, dist, choice = knn_graph(x, 10, metric=metric, index="join", return_choice=True)
    assert choice.kind == "join" and choice.nlist > 1 and choice.search_params["nprobe"] >= 1
    bids, bdist = _brute(x, 10, metric)
    assert _recall_by_distance(dist, bdist) >= 0.95
    assert choice.recall >= 0.95
    assert (ids != np.arange(len(x))[:, None]).all() and (ids >= 0).all()
    # every reported distance is the true distance of the reported pair
    u = x.astype(np.float64)
    if metric == "cosine":
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        true = 1.0 - np.einsum("id,ikd->ik", u, u[ids])
    else:
        true = np.linalg.norm(u[:, None, :] - u[ids], axis=2)
    np.testing.assert_allclose(dist, true, rtol=1e-4, atol=2e-4)
    assert (np.diff(dist, axis=1) >= -1e-6).all()


def test_join_in_small_blocks_gives_the_same_graph(monkeypatch) -> None:
    """Row blocks and query chunks bound memory; they must not change the result."""
    from nova_toolkit.vectors import knn_join

    x = _clustered(3000, topics=5)  # few big topics: lists many rows probe at once
    ids, dist = knn_graph(x, 8, index="join")
    monkeypatch.setattr(knn_join, "BLOCK_PROBES", 997)
    monkeypatch.setattr(knn_join, "_QUERY_CHUNK", 37)
    ids2, dist2 = knn_graph(x, 8, index="join")
    np.testing.assert_allclose(dist2, dist, atol=1e-6)
    assert (ids2 == ids).mean() > 0.99  # only ties at equal distance may swap


def test_tuned_recall_is_what_the_join_delivers() -> None:
    """The recall read off list ranks is the recall the full join then measures."""
    x = _low_rank(8000, dim=64, rank=12)
    _, dist, choice = knn_graph(x, 10, index="join", target_recall=0.9, return_choice=True)
    full = _recall_by_distance(dist, _brute(x, 10, "cosine")[1])
    assert full >= 0.9 - 0.02
    assert abs(full - choice.recall) < 0.03


def test_auto_uses_the_join_above_the_exact_limit_when_it_pays(monkeypatch) -> None:
    from nova_toolkit.vectors import knn

    monkeypatch.setattr(knn, "EXACT_MAX", 1000)
    x = _clustered(8000)
    _, dist, choice = knn_graph(x, 10, return_choice=True)
    assert choice.kind == "join"
    assert _recall_by_distance(dist, _brute(x, 10, "cosine")[1]) >= 0.95


def test_auto_falls_back_to_an_index_without_cluster_structure(monkeypatch) -> None:
    """Isotropic noise has no lists to exploit: the join would scan most rows, so an
    index tuned to the target is used instead, with the same recall guarantee."""
    from nova_toolkit.vectors import knn

    monkeypatch.setattr(knn, "EXACT_MAX", 1000)
    x = np.random.default_rng(3).standard_normal((6000, 64)).astype(np.float32)
    _, dist, choice = knn_graph(x, 10, return_choice=True)
    assert choice.kind in ("hnsw", "ivfpq")
    assert _recall_by_distance(dist, _brute(x, 10, "cosine")[1]) >= 0.9
