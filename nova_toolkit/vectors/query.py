"""QueryVectors: vector, full-text (BM25) and hybrid (RRF) search, with filters and pages.

What a request runs (model documentation): ``queryVector`` alone is a vector search,
``queryTexts`` alone a full-text search ranked by BM25, both a hybrid search ranked by
Reciprocal Rank Fusion (:mod:`.hybrid`). Full-text and hybrid need an ENHANCED index.

Mirror semantics, where AWS leaves room:

* Exact in both index modes: the filter applies first and a query returns
  ``min(topK, matching)`` results (AWS CLASSIC filters during the approximate search and
  may return fewer). The filter applies to full-text and hybrid searches too.
* Full-text search over several ``queryTexts`` entries ranks by the sum of each entry's
  BM25 score (a document matches when it matches any entry); ``scores.bm25Scores`` lists
  the keys it matched, in request order.
* Hybrid: each ranking contributes its best ``topK``; ``scores.fused`` is the RRF score,
  ``scores.vectorDistance`` (and ``distance`` with ``returnDistance``) is given when the
  result is among the vector search's candidates, ``bm25Scores`` the keys whose full-text
  candidates hold it.
* ``returnScores`` adds nothing to a vector-only query ("This setting doesn't add scores to
  vector-only requests"); a full-text-only query has no ``distance``.
* ``topK`` has no maximum (botocore model: min 1); results come in pages of
  ``query_page_size`` (default :data:`.paging.QUERY_PAGE_SIZE` = 100) with ``nextToken``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import modes
from . import paging as pg
from . import validation as v
from .errors import Invalid
from .filters import compile_filter
from .hybrid import reciprocal_rank_fusion
from .resources import ClientBase, IndexHandle

MAX_QUERY_TEXTS = 10
MAX_QUERY_TEXT_CHARS = 1024


def _check_query_texts(texts: list[dict[str, Any]], idx: IndexHandle) -> None:
    if not 1 <= len(texts) <= MAX_QUERY_TEXTS:
        raise Invalid("queryTexts", f"Must contain between 1 and {MAX_QUERY_TEXTS} items, "
                                    f"got {len(texts)}")  # fmt: skip
    if idx.mode != modes.ENHANCED:
        raise Invalid("queryTexts", f"Full-text and hybrid searches require a vector index in "
                                    f"ENHANCED mode; index {idx.name!r} is {idx.mode}")
    status = {c["metadataKey"]: c.get("status", "ACTIVE") for c in
              (idx.config.get("metadataConfiguration") or {}).get("textSearchConfigurations")
              or []}  # fmt: skip
    seen: set[str] = set()
    for i, entry in enumerate(texts):
        text, key = entry["text"], entry["metadataKey"]
        if not 1 <= len(text) <= MAX_QUERY_TEXT_CHARS:
            raise Invalid(f"queryTexts[{i}].text", f"A full-text query string has 1 to "
                                                   f"{MAX_QUERY_TEXT_CHARS} characters")
        if key in seen:
            raise Invalid(f"queryTexts[{i}].metadataKey", f"Each entry must target a distinct "
                                                          f"searchable metadata key ({key!r})")
        seen.add(key)
        if key not in status:
            raise Invalid(f"queryTexts[{i}].metadataKey",
                          f"Metadata key {key!r} is not full-text searchable in index "
                          f"{idx.name!r} (textSearchConfigurations)")  # fmt: skip
        if status[key] != "ACTIVE":
            raise Invalid(f"queryTexts[{i}].metadataKey",
                          f"The analyzer of {key!r} is {status[key]} and isn't yet serving "
                          "queries")  # fmt: skip


class QueryOps(ClientBase):
    """QueryVectors (mixin)."""

    def query_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """QueryVectors(index, topK, queryVector? / queryTexts?, filter?, queryMode?,
        returnMetadata?, returnDistance?, returnScores?, nextToken?) →
        {"vectors": [{key, distance?, scores?, metadata?}], "distanceMetric", "nextToken"?}.

        Best first: by distance (cosine ``1 - cos_sim``, euclidean plain L2), by BM25 score,
        or by RRF score. See the module docstring for the mirror's exact semantics.
        """
        return self._call("QueryVectors", kwargs, self._query_vectors)

    def _query_vectors(self, p: dict[str, Any]) -> dict[str, Any]:
        top_k = v.check_range(p["topK"], 1, self.max_top_k, "topK")
        texts, vector = p.get("queryTexts"), p.get("queryVector")
        if texts is None and vector is None:
            raise Invalid("queryVector", "A request must include queryVector, queryTexts, or both")
        idx = self._index(p)
        mode = modes.query_mode(p.get("queryMode"), idx.mode)
        if texts is not None:
            _check_query_texts(texts, idx)
        q = None
        if vector is not None:
            q = v.vector_from_request(vector, idx.dimension, idx.metric, "queryVector")
        flt = p.get("filter")
        mask_fn = (compile_filter(flt, idx.non_filterable, enhanced=mode == modes.ENHANCED)
                   if flt is not None else None)  # fmt: skip
        page = self.query_page_size
        token, fingerprint, offset = p.get("nextToken"), None, 0
        if token is not None or top_k > page:
            fingerprint = pg.query_fingerprint(p, self._index_arn(idx.bucket, idx.name))
            offset = pg.query_offset(token, fingerprint)
        want = min(top_k, offset + page + 1)  # one more than the page: is there a next?
        with_meta, with_dist = bool(p.get("returnMetadata")), bool(p.get("returnDistance"))
        with_scores = bool(p.get("returnScores")) and texts is not None
        store = idx.store
        if texts is None:
            rows, dists = store.query(q, want, mask_fn)
            hits = [(r, d, None) for r, d in zip(rows.tolist(), dists.tolist(), strict=True)]
        else:
            hits = self._text_hits(idx, texts, q, mask_fn, top_k, want)
        out = []
        for row, dist, scores in hits[offset : offset + page]:
            item: dict[str, Any] = {"key": store.keys[row]}
            if with_dist and dist is not None:
                item["distance"] = dist
            if with_scores:
                item["scores"] = scores
            if with_meta and store.metas[row]:
                item["metadata"] = store.metadata(row)
            out.append(item)
        resp: dict[str, Any] = {"vectors": out, "distanceMetric": idx.metric}
        if offset + page < top_k and len(hits) > offset + page:
            assert fingerprint is not None
            resp["nextToken"] = pg.query_token(offset + page, fingerprint)
        return resp

    def _text_hits(
        self,
        idx: IndexHandle,
        texts: list[dict[str, Any]],
        q: np.ndarray | None,
        mask_fn: Any,
        top_k: int,
        want: int,
    ) -> list[tuple[int, float | None, dict[str, Any]]]:
        """Full-text or hybrid results, best first: (row, distance or None, scores)."""
        store = idx.store
        store.load()
        mask = None
        if mask_fn is not None:
            mask = mask_fn(store.columns, store.n) & store.alive[: store.n]
        keys = [e["metadataKey"] for e in texts]
        if q is None:  # full-text only: rank by the summed BM25 score
            per_key = [idx.text.search(store, e["metadataKey"], e["text"], mask,
                                       want if len(texts) == 1 else None)
                       for e in texts]  # fmt: skip
            total: dict[int, float] = {}
            bm25: dict[int, list[dict[str, Any]]] = {}
            for key, (rows, scores) in zip(keys, per_key, strict=True):
                for r, s in zip(rows.tolist(), scores.tolist(), strict=True):
                    total[r] = total.get(r, 0.0) + s
                    bm25.setdefault(r, []).append({"metadataKey": key, "score": s})
            order = sorted(total, key=lambda r: (-total[r], store.keys[r]))[:want]
            return [(r, None, {"bm25Scores": bm25[r]}) for r in order]
        # hybrid: the vector ranking and one full-text ranking per entry, topK each
        v_rows, v_dists = store.query(q, top_k, mask_fn)
        vector_rank = v_rows.tolist()
        distance = dict(zip(vector_rank, v_dists.tolist(), strict=True))
        text_ranks = [idx.text.search(store, e["metadataKey"], e["text"], mask, top_k)
                      for e in texts]  # fmt: skip
        fused = reciprocal_rank_fusion([vector_rank] + [r.tolist() for r, _ in text_ranks])
        bm25 = {}
        for key, (rows, scores) in zip(keys, text_ranks, strict=True):
            for r, s in zip(rows.tolist(), scores.tolist(), strict=True):
                bm25.setdefault(r, []).append({"metadataKey": key, "score": s})
        order = sorted(fused, key=lambda r: (-fused[r], store.keys[r]))[: min(want, top_k)]
        hits = []
        for r in order:
            scores: dict[str, Any] = {"fused": fused[r]}
            if r in bm25:
                scores["bm25Scores"] = bm25[r]
            if r in distance:
                scores["vectorDistance"] = distance[r]
            hits.append((r, distance.get(r), scores))
        return hits
