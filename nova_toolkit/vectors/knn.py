"""k-nearest-neighbour graphs and near-duplicate pairs over a set of vectors, on FAISS.

``knn_graph(vectors, k)`` returns, for every row, its ``k`` nearest other rows and their
distances (cosine as ``1 - cos``, euclidean as plain, unsquared L2). Exact (flat FAISS,
batched) up to ``EXACT_MAX`` vectors. Above, an *IVF join* (:mod:`.knn_join`: k-means
lists, every row probing its nearest lists, one GEMM per list) when a measured sample shows
it reaches the recall target while scanning a modest share of the rows;
otherwise the index picked by :func:`nova_toolkit.vectors.ann.choose_index` under the
memory budget (HNSW, or IVF-PQ with exact re-ranking), tuned to the same target. Memory is
bounded: the vectors, the index or one candidate block, and the (n, k) output — never an
n × n matrix.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

from . import ann, knn_join

#: Up to this many vectors the graph is exact (flat index): ~2 s at 20k x 384 on 2 cores.
EXACT_MAX = 20_000
INDEX_KINDS = (None, "auto", "flat", "join", "hnsw", "ivfpq")


def _unit_rows(x: np.ndarray, batch: int) -> bool:
    for s in range(0, len(x), batch):
        norms = np.linalg.norm(x[s : s + batch], axis=1)
        if not np.allclose(norms, 1.0, atol=1e-5):
            return False
    return True


def _search_form(vectors: np.ndarray, metric: str, batch: int) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2:
        raise ValueError(f"vectors must be 2-D, got shape {x.shape}")
    if metric == "euclidean":
        return np.ascontiguousarray(x, dtype=np.float32)
    if x.dtype == np.float32 and x.flags.c_contiguous and _unit_rows(x, batch):
        return x  # already the search form: no second copy of a large set
    out = np.empty(x.shape, dtype=np.float32)
    for s in range(0, len(x), batch):
        blk = np.array(x[s : s + batch], dtype=np.float32, copy=True)
        faiss.normalize_L2(blk)
        out[s : s + batch] = blk
    return out


def _choice(
    n: int, dim: int, k: int, metric: str, batch_size: int, index: str | None, budget: int | None
) -> ann.IndexChoice:
    # What the output and one result block take is not available to the index.
    overhead = n * k * 12 + batch_size * (k + 1) * 12 * 2
    index_budget = None if budget is None else max(0, budget - overhead - (n * dim * 4))
    if index is None or index == "auto":
        return ann.choose_index(
            n, dim, memory_budget_bytes=index_budget, metric=metric, flat_threshold=EXACT_MAX
        )
    if index == "flat":
        return ann.choose_index(
            n, dim, memory_budget_bytes=None, metric=metric, flat_threshold=n + 1
        )
    if index == "hnsw":
        return ann.choose_index(n, dim, memory_budget_bytes=None, metric=metric, flat_threshold=0)
    if index == "ivfpq":
        return ann.choose_index(n, dim, memory_budget_bytes=0, metric=metric, flat_threshold=0)
    raise ValueError(f"index must be one of {INDEX_KINDS}, not {index!r}")


def knn_graph(
    vectors: np.ndarray,
    k: int,
    *,
    metric: str = "cosine",
    batch_size: int = 16384,
    index: str | None = None,
    memory_budget: int | None = None,
    target_recall: float = 0.95,
    return_choice: bool = False,
) -> Any:
    """The ``k`` nearest neighbours of every row, itself excluded.

    Returns ``(ids, distances)``: (n, k) int64 and (n, k) float32, nearest first. Rows
    with fewer than ``k`` other vectors (n ≤ k) are padded with id -1, distance inf.
    ``index`` forces ``"flat"``, ``"join"``, ``"hnsw"`` or ``"ivfpq"`` (default: flat up to
    ``EXACT_MAX`` rows, then the IVF join if it reaches ``target_recall`` on a sample,
    else an index chosen by size and ``memory_budget`` in bytes, which includes the
    search-form copy of the vectors and the output). With ``return_choice=True`` a third
    item, the :class:`ann.IndexChoice` used (with its measured recall), is returned.
    """
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"metric must be 'cosine' or 'euclidean', not {metric!r}")
    if k < 0:
        raise ValueError("k must be >= 0")
    if index not in INDEX_KINDS:
        raise ValueError(f"index must be one of {INDEX_KINDS}, not {index!r}")
    x = _search_form(vectors, metric, batch_size)
    n, dim = x.shape
    if k == 0:
        empty = (np.empty((n, 0), np.int64), np.empty((n, 0), np.float32))
        choice = ann.IndexChoice("Flat", "flat", metric, n, dim, 0, reason="k = 0")
        return (*empty, choice) if return_choice else empty
    out_ids = np.full((n, k), -1, dtype=np.int64)
    out_dist = np.full((n, k), np.inf, dtype=np.float32)
    if n == 0:
        choice = ann.IndexChoice("Flat", "flat", metric, 0, dim, 0, reason="no vectors")
        return (out_ids, out_dist, choice) if return_choice else (out_ids, out_dist)
    want_join = index == "join" or (index in (None, "auto") and n > EXACT_MAX)
    if want_join:
        lists = knn_join.build_lists(x, metric)
        max_share = 1.0 if index == "join" else knn_join.MAX_SCAN_SHARE
        nprobe, recall, share = knn_join.tune_nprobe(
            x, lists, k, metric, target_recall=target_recall, max_scan_share=max_share)
        if nprobe is not None:
            knn_join.join_graph(x, lists, k, nprobe, metric, out_ids, out_dist)
            choice = ann.IndexChoice(
                f"IVF{lists.nlist},join", "join", metric, n, dim, 0, nlist=lists.nlist,
                search_params={"nprobe": nprobe}, recall=recall, recall_k=k,
                reason=f"IVF join scanning {share:.1%} of the rows")
            return (out_ids, out_dist, choice) if return_choice else (out_ids, out_dist)
        del lists  # no cluster structure to exploit: an index instead
    choice = _choice(n, dim, k, metric, batch_size, index, memory_budget)
    idx = ann.build_index(choice, x)
    if not choice.exact:
        choice = ann.tune_search(
            idx, choice, x, target_recall=target_recall, k=min(max(10, k + 1), n)
        )
    kk = min(k + 1, n)
    for start in range(0, n, batch_size):
        q = x[start : start + batch_size]
        scores, ids = ann.search(idx, choice, q, kk, vectors=x)
        self_ids = np.arange(start, start + len(q))[:, None]
        keep = (ids != self_ids) & (ids >= 0)
        # stable-compact each row's kept entries to the front
        order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
        ids = np.take_along_axis(ids, order, 1)
        scores = np.take_along_axis(scores, order, 1)
        valid = np.take_along_axis(keep, order, 1)
        width = ids.shape[1]
        dist = ann.to_distance(metric, scores)
        out_ids[start : start + len(q), :width] = np.where(valid, ids, -1)
        out_dist[start : start + len(q), :width] = np.where(valid, dist, np.inf)
    del idx
    return (out_ids, out_dist, choice) if return_choice else (out_ids, out_dist)


def near_duplicate_pairs(
    vectors: np.ndarray,
    threshold: float,
    *,
    metric: str = "cosine",
    k: int = 10,
    **knn_kwargs: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, at distance ≤ ``threshold``, from the kNN graph.

    Returns ``(pairs, distances)``: (m, 2) int64 sorted by (i, j) and (m,) float32. Only
    pairs within each other's ``k`` nearest neighbours (either direction) are found, so a
    row with more than ``k`` near-duplicates may miss some; raise ``k`` for dense clusters.
    """
    ids, dist = knn_graph(vectors, k, metric=metric, **knn_kwargs)
    return pairs_within(ids, dist, threshold)


def pairs_within(ids: np.ndarray, dist: np.ndarray, threshold: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of a kNN graph at distance ≤ ``threshold`` (see above)."""
    n = len(ids)
    rows = np.repeat(np.arange(n, dtype=np.int64), ids.shape[1])
    cols = ids.ravel()
    d = dist.ravel()
    ok = (cols >= 0) & (d <= threshold)
    i, j, d = rows[ok], cols[ok], d[ok]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    if not len(lo):
        return np.empty((0, 2), np.int64), np.empty(0, np.float32)
    code = lo * n + hi
    code, first = np.unique(code, return_index=True)
    pairs = np.stack([code // n, code % n], axis=1).astype(np.int64)
    return pairs, d[first].astype(np.float32)
