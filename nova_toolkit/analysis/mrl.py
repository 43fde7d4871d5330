"""The Matryoshka (MRL) dimension study: how much recall truncated vectors keep."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from nova_toolkit._core.similarity import l2_normalize, top_k
from nova_toolkit.analysis.inputs import _vectors_of

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nova_toolkit._core.view import CollectionView


class DimensionStudy(NamedTuple):
    """Result of :func:`dimension_study`: the table and the cheapest dim meeting the target."""

    table: pd.DataFrame
    best_dim: int | None


def _top_k(queries: np.ndarray, base: np.ndarray, k: int, exclude: np.ndarray) -> np.ndarray:
    """Indices of the k highest inner products per query, excluding each query's own row."""
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), 64):
        sims = queries[start:start + 64] @ base.T
        sims[np.arange(len(sims)), exclude[start:start + 64]] = -np.inf
        out[start:start + 64] = top_k(sims, k)[0]
    return out


def dimension_study(
    collection: CollectionView | np.ndarray,
    *,
    dims: tuple[int, ...] = (256, 384, 1024, 3072),
    k: int = 10,
    n_queries: int = 200,
    target: float = 0.95,
    seed: int = 0,
) -> DimensionStudy:
    """Recall@k of Matryoshka-truncated vectors (prefix + renormalise) against the full vectors.

    Queries are ``n_queries`` rows drawn from the collection itself (their own row
    excluded from both result lists); only ``dims`` ≤ the stored dimension are
    studied (the stored dimension is always included, with recall 1.0). Returns
    the table (dim, recall_at_k, bytes_per_vector, size_ratio, meets_target) and the
    cheapest dim whose recall reaches ``target``.
    """
    import pandas as pd

    vectors = l2_normalize(_vectors_of(collection))
    n, full = vectors.shape
    if n < 2:
        raise ValueError("dimension_study needs at least 2 rows")
    k = max(1, min(int(k), n - 1))
    chosen = sorted({int(d) for d in dims if 0 < int(d) <= full} | {full})
    rng = np.random.default_rng(seed)
    q_idx = np.sort(rng.choice(n, size=min(int(n_queries), n), replace=False))
    truth = _top_k(vectors[q_idx], vectors, k, q_idx)
    rows = []
    for d in chosen:
        cut = vectors if d == full else l2_normalize(vectors[:, :d])
        got = truth if d == full else _top_k(cut[q_idx], cut, k, q_idx)
        hits = [len(np.intersect1d(t, g, assume_unique=True)) for t, g in zip(truth, got,
                                                                                strict=True)]
        recall = float(np.mean(hits) / k)
        rows.append({"dim": d, "recall_at_k": recall, "bytes_per_vector": 4 * d,
                     "size_ratio": d / full, "meets_target": recall >= target})
    table = pd.DataFrame(rows)
    meeting = table[table["meets_target"]]
    best = int(meeting["dim"].min()) if len(meeting) else None
    table.attrs.update({"k": k, "n_queries": len(q_idx), "target": target,
                        "stored_dim": full})
    return DimensionStudy(table, best)
