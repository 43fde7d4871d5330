"""Choosing, building and tuning a FAISS index under a memory budget (autofaiss-style).

Plain functions, no state:

* :func:`choose_index` — from ``n``, ``dim``, the metric and a memory budget, pick a
  FAISS factory string: ``Flat`` below ``flat_threshold`` vectors (exact), then
  ``HNSW32,Flat`` when the graph plus the raw vectors fit in the budget, else
  ``OPQ{m},IVF{nlist},PQ{m}`` (compressed; results are re-ranked exactly against the
  caller's vectors, which the caller already holds).
* :func:`build_index` — train (on a sample) and add in batches.
* :func:`tune_search` — pick the cheapest search parameters (``efSearch`` for HNSW;
  ``nprobe`` and re-rank factor for IVF-PQ) reaching a recall target (default 0.95 @ 10)
  measured on a sample of the data itself against exact search.
* :func:`search` — search with the tuned parameters (optionally with an ID selector),
  re-ranking exactly when the choice asks for it.

Vectors given to these functions are in *search form*: for cosine, already L2-normalised
(the index then uses inner product); for euclidean, raw (the index uses squared L2).
Distances returned by :func:`search` are FAISS's native scores (inner product or squared
L2); callers convert.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import faiss
import numpy as np

#: Below this many vectors a flat (exact) index is used.
FLAT_THRESHOLD = 100_000
HNSW_M = 32
_PQ_M = (64, 48, 32, 24, 16, 12, 8, 4, 2, 1)
_EF_GRID = (16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 144, 160, 192, 224, 256, 320, 384, 512,
            768, 1024)
_K_FACTORS = (4, 10, 25)


@dataclass(frozen=True)
class IndexChoice:
    """What to build: a FAISS factory string and everything needed to search it."""

    factory_string: str
    kind: str  # "flat" | "hnsw" | "ivfpq"
    metric: str  # "cosine" | "euclidean"
    n: int
    dim: int
    memory_bytes: int  # estimated resident size of the index
    nlist: int = 0
    pq_m: int = 0
    search_params: dict[str, Any] = field(default_factory=dict)
    rerank: bool = False  # re-rank exactly against the original vectors
    recall: float | None = None  # measured by tune_search
    recall_k: int = 10  # the k of that recall@k
    reason: str = ""

    @property
    def exact(self) -> bool:
        return self.kind == "flat"

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in sorted(self.search_params.items()))
        rec = f", recall@{self.recall_k}={self.recall:.3f}" if self.recall is not None else ""
        return (
            f"{self.factory_string} ({self.kind}; ~{self.memory_bytes / 2**20:.0f} MiB"
            f"{'; ' + params if params else ''}{rec}) — {self.reason}"
        )


def faiss_metric(metric: str) -> int:
    return faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2


def to_distance(metric: str, scores: np.ndarray) -> np.ndarray:
    """FAISS-native scores as distances: cosine ``1 - ip``; euclidean plain (unsquared) L2."""
    return 1.0 - scores if metric == "cosine" else np.sqrt(np.maximum(scores, 0.0))


def flat_bytes(n: int, dim: int) -> int:
    return n * dim * 4


def hnsw_bytes(n: int, dim: int, m: int = HNSW_M) -> int:
    # level-0 links (2M int32) + upper levels (~M/(M-1) * M links on 1/M of nodes)
    # + levels/offsets bookkeeping, + the raw vectors.
    return int(n * (dim * 4 + 2 * m * 4 * 1.1 + 24))


def _pq_m(dim: int) -> int:
    for m in _PQ_M:
        if m == 1 or (m <= dim // 2 and dim % m == 0):
            return m
    return 1


def _nlist(n: int) -> int:
    nlist = 1 << max(4, round(math.log2(4 * math.sqrt(max(n, 1)))))
    return int(max(16, min(nlist, n // 39 if n >= 39 * 16 else 16, 65536)))


def ivfpq_bytes(n: int, dim: int, nlist: int, m: int) -> int:
    return int(n * (m + 8) + nlist * dim * 4 + dim * dim * 4 + 256 * dim * 4)


def choose_index(
    n: int,
    dim: int,
    *,
    memory_budget_bytes: int | None,
    metric: str = "cosine",
    flat_threshold: int = FLAT_THRESHOLD,
    opq: bool = False,
) -> IndexChoice:
    """The index to build for ``n`` vectors of ``dim`` within ``memory_budget_bytes``.

    ``memory_budget_bytes=None`` means unbounded. ``opq=True`` adds an OPQ rotation
    before IVF-PQ (better codes, but its training costs minutes on a couple of cores). Flat is exact; HNSW and IVF-PQ are
    approximate and must be tuned (:func:`tune_search`) before use.
    """
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"metric must be 'cosine' or 'euclidean', not {metric!r}")
    budget = memory_budget_bytes if memory_budget_bytes is not None else float("inf")
    fb = flat_bytes(n, dim)
    if n < flat_threshold and fb <= budget:
        return IndexChoice("Flat", "flat", metric, n, dim, fb, reason=f"n < {flat_threshold}")
    hb = hnsw_bytes(n, dim)
    if hb <= budget:
        return IndexChoice(
            f"HNSW{HNSW_M},Flat", "hnsw", metric, n, dim, hb,
            search_params={"efSearch": 64},
            reason=f"graph + vectors ({hb / 2**20:.0f} MiB) fit the budget",
        )  # fmt: skip
    m = _pq_m(dim)
    nlist = _nlist(n)
    ib = ivfpq_bytes(n, dim, nlist, m)
    small = n < 256 * 39  # too few points to train 256 centroids per sub-quantizer
    rot = f"OPQ{m}," if opq and m > 1 and not small else ""
    bits = "x4" if small else ""
    return IndexChoice(
        f"{rot}IVF{nlist},PQ{m}{bits}", "ivfpq", metric, n, dim, ib, nlist=nlist, pq_m=m,
        search_params={"nprobe": 16, "k_factor": 10}, rerank=True,
        reason=f"HNSW ({hb / 2**20:.0f} MiB) exceeds the budget; PQ codes {m} B/vector",
    )  # fmt: skip


def build_index(
    choice: IndexChoice,
    vectors: np.ndarray,
    *,
    batch_size: int = 65536,
    train_size: int | None = None,
    seed: int = 0,
) -> Any:
    """Build the chosen index over ``vectors`` (search form), adding in batches."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    mt = faiss_metric(choice.metric)
    if choice.kind == "flat":
        index = (
            faiss.IndexFlatIP(dim) if mt == faiss.METRIC_INNER_PRODUCT else faiss.IndexFlatL2(dim)
        )
    elif choice.kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, mt)
        index.hnsw.efConstruction = 40
    else:
        index = faiss.index_factory(dim, choice.factory_string, mt)
        if isinstance(index, faiss.IndexPreTransform):
            opq = faiss.downcast_VectorTransform(index.chain.at(0))
            if isinstance(opq, faiss.OPQMatrix):
                opq.niter = 12  # default 50: most of the gain comes early
                opq.max_train_points = 32768
        want = train_size or min(n, max(64 * choice.nlist, 50_000), 262_144)
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(n, size=min(want, n), replace=False))]
        index.train(sample)
        del sample
    for start in range(0, n, batch_size):
        index.add(vectors[start : start + batch_size])
    apply_params(index, choice)
    return index


def _ivf(index: Any) -> Any:
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def apply_params(index: Any, choice: IndexChoice) -> None:
    """Set the choice's search parameters on the index (for selector-free searches)."""
    if choice.kind == "hnsw":
        index.hnsw.efSearch = int(choice.search_params.get("efSearch", 64))
    elif choice.kind == "ivfpq":
        ivf = _ivf(index)
        if ivf is not None:
            ivf.nprobe = int(choice.search_params.get("nprobe", 16))


def _search_parameters(choice: IndexChoice, sel: Any) -> Any:
    if choice.kind == "hnsw":
        p = faiss.SearchParametersHNSW()
        p.efSearch = int(choice.search_params.get("efSearch", 64))
    elif choice.kind == "ivfpq":
        p = faiss.SearchParametersIVF()
        p.nprobe = int(choice.search_params.get("nprobe", 16))
    else:
        p = faiss.SearchParameters()
    if sel is not None:
        p.sel = sel
    return p


def exact_scores(metric: str, base: np.ndarray, q: np.ndarray) -> np.ndarray:
    """FAISS-native scores of every row of ``base`` against each query: (nq, len(base))."""
    if metric == "cosine":
        return q @ base.T
    d = (q * q).sum(1)[:, None] - 2.0 * (q @ base.T) + (base * base).sum(1)[None, :]
    return np.maximum(d, 0.0)


def search(
    index: Any,
    choice: IndexChoice,
    queries: np.ndarray,
    k: int,
    *,
    vectors: np.ndarray | None = None,
    sel: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the top ``k``, each row sorted best first; -1 ids pad.

    For IVF-PQ choices, ``k * k_factor`` candidates are re-ranked exactly against
    ``vectors`` (search form, indexed by id) when given.
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    kk = k
    rerank = choice.rerank and vectors is not None
    if rerank:
        kk = k * int(choice.search_params.get("k_factor", 10))
    kk = max(1, min(kk, max(index.ntotal, 1)))
    if sel is None and choice.kind != "flat":
        apply_params(index, choice)
        scores, ids = index.search(queries, kk)
    elif sel is None:
        scores, ids = index.search(queries, kk)
    else:
        scores, ids = index.search(queries, kk, params=_search_parameters(choice, sel))
    if not rerank:
        return scores[:, :k], ids[:, :k]
    return _rerank(choice.metric, vectors, queries, ids, k)


def _rerank(
    metric: str, vectors: np.ndarray, queries: np.ndarray, ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    nq, kk = ids.shape
    safe = np.where(ids >= 0, ids, 0)
    cand = vectors[safe.ravel()].reshape(nq, kk, -1)
    dots = np.einsum("qkd,qd->qk", cand, queries)
    if metric == "cosine":
        score = np.where(ids >= 0, dots, -np.inf)
        order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    else:
        d = (cand * cand).sum(2) - 2 * dots + (queries * queries).sum(1)[:, None]
        score = np.where(ids >= 0, np.maximum(d, 0.0), np.inf)
        order = np.argsort(score, axis=1, kind="stable")[:, :k]
    out_ids = np.take_along_axis(ids, order, 1)
    out_scores = np.take_along_axis(score, order, 1).astype(np.float32)
    return out_scores, out_ids


def exact_topk(
    metric: str, vectors: np.ndarray, queries: np.ndarray, k: int, batch: int = 65536
) -> np.ndarray:
    """Exact top-``k`` ids of each query over ``vectors`` (search form), memory bounded."""
    nq = len(queries)
    best_s = np.full((nq, k), -np.inf if metric == "cosine" else np.inf, dtype=np.float32)
    best_i = np.full((nq, k), -1, dtype=np.int64)
    sign = -1.0 if metric == "cosine" else 1.0
    for start in range(0, len(vectors), batch):
        block = vectors[start : start + batch]
        s = exact_scores(metric, block, queries).astype(np.float32)
        kb = min(k, s.shape[1])
        part = np.argpartition(sign * s, kb - 1, axis=1)[:, :kb]
        cs = np.concatenate([best_s, np.take_along_axis(s, part, 1)], 1)
        ci = np.concatenate([best_i, part + start], 1)
        order = np.argsort(sign * cs, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(cs, order, 1)
        best_i = np.take_along_axis(ci, order, 1)
    return best_i


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of each row of ``truth`` present in the same row of ``found``."""
    k = truth.shape[1]
    hits = sum(len(np.intersect1d(f[f >= 0], t[t >= 0])) for f, t in zip(found, truth, strict=True))
    return hits / max(1, k * len(truth))


def tune_search(
    index: Any,
    choice: IndexChoice,
    vectors: np.ndarray,
    *,
    target_recall: float = 0.95,
    k: int = 10,
    sample: int = 500,
    seed: int = 1,
    queries: np.ndarray | None = None,
    margin: float = 0.02,
) -> IndexChoice:
    """The choice with the cheapest search parameters reaching ``target_recall`` @ ``k``.

    Queries are ``sample`` rows of ``vectors`` (or the given ``queries``); ground truth is
    exact search over all of ``vectors``. Flat choices are returned unchanged (recall 1).
    Rows of the data searched for themselves are easier than fresh queries (the graph or
    lists were built around them), so the sample must reach ``target_recall + margin``.
    If no setting reaches it, the most thorough one tried is returned.
    """
    if choice.kind == "flat":
        return replace(choice, recall=1.0)
    held_out = queries is None
    if held_out:
        # Rows of the data act as queries; each is removed from its own results and
        # ground truth (it would be a free hit), so they behave as held-out queries.
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(len(vectors), size=min(sample, len(vectors)), replace=False))
        queries = vectors[pick]
    k = min(k, len(vectors) - 1 if held_out else len(vectors))
    kq = k + 1 if held_out else k
    truth = exact_topk(choice.metric, vectors, queries, kq)
    if held_out:
        truth = _drop_self(truth, pick, k)
    if choice.kind == "hnsw":
        grid = [{"efSearch": ef} for ef in _EF_GRID if ef >= k]
    else:
        nprobes = [p for p in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if p <= choice.nlist]
        grid = [{"nprobe": p, "k_factor": f} for f in _K_FACTORS for p in nprobes]
    best = choice
    for params in grid:
        cand = replace(choice, search_params=params)
        _, ids = search(index, cand, queries, kq, vectors=vectors)
        if held_out:
            ids = _drop_self(ids, pick, k)
        rec = recall_at_k(ids, truth)
        best = replace(cand, recall=rec, recall_k=k)
        if rec >= min(1.0, target_recall + (margin if held_out else 0.0)):
            break
    apply_params(index, best)
    return best


def _drop_self(ids: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    keep = ids != own[:, None]
    order = np.argsort(~keep, axis=1, kind="stable")[:, :k]
    out = np.take_along_axis(ids, order, 1)
    return np.where(np.take_along_axis(keep, order, 1), out, -1)


def time_queries(fn: Any, queries: np.ndarray) -> float:
    """Seconds per single query of ``fn(q[None, :])`` over ``queries``."""
    t0 = time.perf_counter()
    for q in queries:
        fn(q[None, :])
    return (time.perf_counter() - t0) / max(1, len(queries))
