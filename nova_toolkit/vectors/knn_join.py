"""An all-pairs kNN graph by *IVF join*: k-means lists, each list searched with one GEMM.

The rows are split into k-means lists. Every row probes the ``nprobe`` lists whose
centroids are nearest to it (as an IVF query would); then, list by list, all the rows
probing a list are compared with its members in one BLAS product (``faiss.knn``) and each
row keeps a running top-k. The work is the same number of distances as ``n`` IVF queries,
but done as a few thousand dense products instead of ``n × nprobe`` scattered scans —
several times faster than IVF search or an HNSW build on a couple of cores.

``nprobe`` is not guessed: :func:`tune_nprobe` finds the exact neighbours of a random
sample of rows and reads off, from the rank of each neighbour's list among the row's
centroids, the smallest ``nprobe`` whose recall reaches the target — no trial searches.
When that would scan more than ``max_scan_share`` of the rows (data with no structure a
list can exploit), it says so (``None``) and the caller takes another index.
Memory: the lists (one int per row), the probe table of one block of rows (bounded by
``BLOCK_PROBES`` entries), one candidate product, and the caller's (n, k) output.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

from .ann import faiss_metric, to_distance

#: Target members per list: big enough for an efficient GEMM, small enough to stay local.
LIST_SIZE = 512
#: Above this share of the rows scanned per row, the join is no cheaper than an index.
MAX_SCAN_SHARE = 0.2
#: Rows x nprobe entries of the probe table held at once (int64 ids and their rows).
BLOCK_PROBES = 1 << 23
#: Query rows per product against one list (bounds the gathered block to ~50 MB at 384-d).
_QUERY_CHUNK = 32768


@dataclass
class JoinLists:
    """k-means lists of a set of rows: centroids, members in list order, list bounds."""

    centroids: np.ndarray  # (nlist, d) float32
    order: np.ndarray  # (n,) int64 row ids grouped by list
    bounds: np.ndarray  # (nlist + 1,) start of each list in ``order``
    row_list: np.ndarray  # (n,) int32 each row's own list

    @property
    def nlist(self) -> int:
        return len(self.centroids)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.bounds)

    def members(self, lst: int) -> np.ndarray:
        return self.order[self.bounds[lst] : self.bounds[lst + 1]]


def _probes(x: np.ndarray, centroids: np.ndarray, nprobe: int, metric: str) -> np.ndarray:
    """Each row's ``nprobe`` nearest centroids, nearest first: (m, nprobe) int64."""
    _, pr = faiss.knn(x, centroids, nprobe, faiss_metric(metric))
    return pr


def build_lists(x: np.ndarray, metric: str, *, seed: int = 0,
                list_size: int = LIST_SIZE) -> JoinLists:
    """k-means (``n / list_size`` lists, trained on a sample) and each row's list."""
    n, d = x.shape
    nlist = int(max(1, min(n // max(1, list_size), 65536)))
    km = faiss.Kmeans(d, nlist, niter=12, seed=seed, spherical=metric == "cosine",
                      max_points_per_centroid=64, min_points_per_centroid=1)
    km.train(x)
    cent = np.ascontiguousarray(km.centroids, dtype=np.float32)
    row_list = np.empty(n, np.int32)
    step = max(1, BLOCK_PROBES // 16)
    for s in range(0, n, step):  # nearest centroid by the same ranking the probes use
        row_list[s : s + step] = _probes(x[s : s + step], cent, 1, metric)[:, 0]
    order = np.argsort(row_list, kind="stable").astype(np.int64)
    bounds = np.searchsorted(row_list[order], np.arange(nlist + 1)).astype(np.int64)
    return JoinLists(cent, order, bounds, row_list)


def tune_nprobe(x: np.ndarray, lists: JoinLists, k: int, metric: str, *,
                target_recall: float = 0.95, sample: int = 1000, seed: int = 0,
                max_scan_share: float = MAX_SCAN_SHARE) -> tuple[int | None, float, float]:
    """Smallest ``nprobe`` whose recall@k on a random sample of rows reaches the target.

    The join finds a neighbour exactly when the neighbour's list is among the row's
    ``nprobe`` nearest centroids, so recall at every ``nprobe`` follows from the exact
    neighbours of the sample and the rank of their lists — one exact search, no trials.
    A neighbour counts when it is no farther than the exact k-th (ties between equal
    vectors are not misses). Returns ``(nprobe, recall, scan share)``, with ``nprobe``
    ``None`` when reaching the target would scan more than ``max_scan_share`` of the rows.
    """
    n = len(x)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(sample, n), replace=False)).astype(np.int64)
    extra = min(n, k + 1 + 8)  # a few more, so that ties at the k-th distance count
    scores, ids = faiss.knn(x[rows], x, extra, faiss_metric(metric))
    dist = to_distance(metric, scores)
    ok = (ids >= 0) & (ids != rows[:, None])
    kth = np.sort(np.where(ok, dist, np.inf), axis=1)[:, min(k, extra) - 1 : min(k, extra)]
    ok &= dist <= kth + 1e-6
    # rank of each list among the row's centroids, nearest first
    _, cent_order = faiss.knn(x[rows], lists.centroids, lists.nlist, faiss_metric(metric))
    rank = np.empty_like(cent_order)
    np.put_along_axis(rank, cent_order, np.arange(lists.nlist)[None, :], axis=1)
    nb_list = lists.row_list[np.maximum(ids, 0)]
    nb_rank = np.where(ok, np.take_along_axis(rank, nb_list, 1), lists.nlist + 1)
    # a row is served by its k best-ranked neighbours (more only when ties)
    first_k = np.sort(nb_rank, axis=1)[:, :k]
    needed = np.sort(first_k[first_k <= lists.nlist])  # rank of the list that brings each
    if not len(needed):
        return 1, 1.0, 0.0
    at = int(np.ceil(target_recall * len(needed))) - 1
    nprobe = int(min(lists.nlist, needed[min(max(at, 0), len(needed) - 1)] + 1))
    recall = float((needed < nprobe).sum() / len(needed))
    sizes = lists.sizes
    share = float(sizes[cent_order[:, :nprobe]].sum(axis=1).mean() / n)
    if share > max_scan_share:
        return None, recall, share
    return nprobe, recall, share


def _merge(best_d: np.ndarray, best_i: np.ndarray, d: np.ndarray, i: np.ndarray, k: int
           ) -> tuple[np.ndarray, np.ndarray]:
    cd = np.concatenate([best_d, d], axis=1)
    ci = np.concatenate([best_i, i], axis=1)
    if cd.shape[1] > k:
        pick = np.argpartition(cd, k - 1, axis=1)[:, :k]
        cd = np.take_along_axis(cd, pick, 1)
        ci = np.take_along_axis(ci, pick, 1)
    return cd, ci


def join_graph(x: np.ndarray, lists: JoinLists, k: int, nprobe: int, metric: str,
               out_ids: np.ndarray, out_dist: np.ndarray) -> None:
    """Fill ``out_ids`` / ``out_dist`` ((n, k), nearest first; -1 / inf pad) with each
    row's ``k`` nearest others among the members of its ``nprobe`` nearest lists."""
    n = len(x)
    fm = faiss_metric(metric)
    block = max(1, BLOCK_PROBES // max(1, nprobe))
    for start in range(0, n, block):
        stop = min(n, start + block)
        probes = _probes(x[start:stop], lists.centroids, nprobe, metric).ravel()
        keep = probes >= 0
        q_rows = np.repeat(np.arange(start, stop, dtype=np.int64), nprobe)[keep]
        probes = probes[keep]
        by_list = np.argsort(probes, kind="stable")
        q_rows = q_rows[by_list]
        bounds = np.searchsorted(probes[by_list], np.arange(lists.nlist + 1))
        del probes, by_list, keep
        bd = np.full((stop - start, k), np.inf, np.float32)
        bi = np.full((stop - start, k), -1, np.int64)
        for lst in range(lists.nlist):
            mem = lists.members(lst)
            if not len(mem) or bounds[lst] == bounds[lst + 1]:
                continue
            cand = x[mem]
            kk = min(k + 1, len(mem))
            for c0 in range(bounds[lst], bounds[lst + 1], _QUERY_CHUNK):
                q = q_rows[c0 : min(bounds[lst + 1], c0 + _QUERY_CHUNK)]
                scores, loc = faiss.knn(x[q], cand, kk, fm)
                ids = np.where(loc >= 0, mem[np.maximum(loc, 0)], -1)
                bad = (ids == q[:, None]) | (ids < 0)
                d = np.where(bad, np.inf, to_distance(metric, scores)).astype(np.float32)
                ids = np.where(bad, -1, ids)
                r = q - start
                bd[r], bi[r] = _merge(bd[r], bi[r], d, ids, k)
        order = np.argsort(bd, axis=1, kind="stable")
        bd = np.take_along_axis(bd, order, 1)
        bi = np.take_along_axis(bi, order, 1)
        out_dist[start:stop] = bd
        out_ids[start:stop] = np.where(np.isfinite(bd), bi, -1)
