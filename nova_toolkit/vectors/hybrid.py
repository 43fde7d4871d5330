"""Reciprocal Rank Fusion (RRF) of the vector and full-text rankings of a hybrid query.

AWS: "S3 Vectors runs a full-text search for each query text field and a vector search,
fuses the rankings with Reciprocal Rank Fusion (RRF), and returns one ranked list of your
top K results" (user guide, "Querying with full-text and vector search"). AWS does not
publish the RRF constant nor how many candidates each search contributes; the mirror uses
the constant of Cormack et al. (2009), ``k = 60``, and lets each ranking (the vector
search, and one full-text search per ``queryTexts`` entry) contribute its best ``topK``
results (after the filter). A result's fused score is

    fused(d) = sum over the rankings r that contain d of 1 / (k + rank_r(d)),  rank from 1

and results are ordered by fused score, highest first, equal scores by vector key.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

#: The RRF rank constant (undocumented by AWS; the customary 60).
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hashable]], k: int = RRF_K
) -> dict[Hashable, float]:
    """Fused RRF score of every item of ``rankings`` (each ranking best first)."""
    fused: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused
