"""Full-text and hybrid QueryVectors agree with references computed here from the corpus.

BM25: bm25s's own API (``bm25s.tokenize`` with PyStemmer, ``BM25(k1=1.2, b=0.75,
method="lucene").get_scores``) on the live documents of each searchable key, scores within
1e-4. Hybrid: the vector ranking recomputed with numpy, the full-text rankings from that
reference, fused with RRF as documented in ``vectors/hybrid.py`` (k = 60, topK candidates
per ranking). Random corpora, after puts, overwrites and deletes.
"""

from __future__ import annotations

import bm25s
import numpy as np
import pytest
import Stemmer

from nova_toolkit.vectors import local_client
from nova_toolkit.vectors.analyzers import CJK_PATTERN

B = "truth-bucket"
IX = {"vectorBucketName": B, "indexName": "docs"}
DIM = 8
STEMS = ["connect", "run", "jump", "house", "garden", "river", "light", "paint", "walk", "code",
         "music", "travel", "window", "market", "story", "table", "flower", "engine"]
SUFFIX = ["", "s", "ing", "ed", "er"]
FRENCH = ["maison", "maisons", "chanter", "chantait", "rivière", "rivières", "lumière", "le",
          "la", "des", "jardin", "jardins", "marché", "histoire", "histoires", "fleur"]
HANZI = list("我爱北京天安门上太阳升伟大领袖毛主席指引我们向前进河水山川")


def words_for(language: str | None, rng: np.random.Generator, n: int) -> str:
    if language == "fr":
        return " ".join(rng.choice(FRENCH, n))
    if language == "zh":
        return "".join(rng.choice(HANZI, n)) + " " + str(rng.choice(STEMS))
    return " ".join(str(rng.choice(STEMS)) + str(rng.choice(SUFFIX)) for _ in range(n))


def reference_tokens(texts: list[str], language: str | None) -> list[list[str]]:
    """Terms as documented per language, through bm25s's own tokenizer."""
    names = {"en": "english", "fr": "french"}
    kw: dict = {"stopwords": None, "stemmer": None}
    if language in names:
        kw = {"stopwords": language, "stemmer": Stemmer.Stemmer(names[language])}
    elif language == "zh":
        kw = {"stopwords": "zh", "stemmer": None, "token_pattern": CJK_PATTERN}
    return [list(t) for t in bm25s.tokenize(texts, return_ids=False, show_progress=False, **kw)]


def reference_bm25(live: dict, field: str, language, query: str, allowed=None) -> dict:
    """key -> BM25 score of ``query`` over the field's documents (score > 0 only)."""
    docs = []
    for key, (_, meta) in sorted(live.items()):
        value = meta.get(field)
        if isinstance(value, list):
            value = " ".join(x for x in value if isinstance(x, str)) or None
        if isinstance(value, str):
            docs.append((key, value))
    toks = reference_tokens([t for _, t in docs], language)
    docs = [(k, t) for (k, _), t in zip(docs, toks, strict=True) if t]
    if not docs:
        return {}
    ref = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    ref.index([t for _, t in docs], show_progress=False)
    q = reference_tokens([query], language)[0]
    scores = ref.get_scores(q) if q else np.zeros(len(docs))
    return {k: float(s) for (k, _), s in zip(docs, scores, strict=True)
            if s > 0 and (allowed is None or k in allowed)}


def build(tmp_path, language: str | None, seed: int):
    """A mirror index with two searchable keys, written, overwritten and partly deleted."""
    rng = np.random.default_rng(seed)
    c = local_client(tmp_path / f"v{seed}", max_parts=3)
    c.create_vector_bucket(vectorBucketName=B)
    ts = [{"metadataKey": "body", **({"language": language} if language else {})},
          {"metadataKey": "title", **({"language": language} if language else {})}]
    c.create_index(**IX, dataType="float32", dimension=DIM, distanceMetric="cosine",
                   metadataConfiguration={"nonFilterableMetadataKeys": ["body"],
                                          "textSearchConfigurations": ts})
    live: dict[str, tuple[np.ndarray, dict]] = {}
    for batch in range(4):
        vecs = []
        for i in rng.choice(400, 150, replace=False):
            key = f"d{i:04d}"
            meta = {"grp": int(rng.integers(0, 3))}
            if rng.random() < 0.9:
                meta["body"] = words_for(language, rng, int(rng.integers(1, 30)))
            if rng.random() < 0.6:
                t = words_for(language, rng, int(rng.integers(1, 4)))
                meta["title"] = [t, 7] if rng.random() < 0.2 else t
            vec = rng.standard_normal(DIM).astype(np.float32)
            vecs.append({"key": key, "data": {"float32": vec.tolist()}, "metadata": meta})
            live[key] = (vec, meta)
        c.put_vectors(**IX, vectors=vecs)
        if batch % 2:  # interleave queries with writes: the text index must follow them
            c.query_vectors(**IX, topK=1, queryTexts=[{"text": "run", "metadataKey": "body"}])
        gone = [str(k) for k in rng.choice(sorted(live), 20, replace=False)]
        c.delete_vectors(**IX, keys=gone)
        for k in gone:
            live.pop(k)
    return c, live, rng


def full_text(c, texts, top_k=10_000, **kw) -> list[dict]:
    pages = c.get_paginator("query_vectors").paginate(
        **IX, topK=top_k, queryTexts=texts, returnScores=True, **kw)
    return [v for page in pages for v in page["vectors"]]


@pytest.mark.parametrize("language", [None, "en", "fr", "zh"])
def test_bm25_scores_match_bm25s_on_the_live_corpus(tmp_path, language) -> None:
    c, live, rng = build(tmp_path, language, seed=7)
    for _ in range(6):
        query = words_for(language, rng, 3)
        got = full_text(c, [{"text": query, "metadataKey": "body"}])
        ref = reference_bm25(live, "body", language, query)
        assert {v["key"] for v in got} == set(ref)
        for v in got:
            (entry,) = v["scores"]["bm25Scores"]
            assert entry["metadataKey"] == "body"
            assert abs(entry["score"] - ref[v["key"]]) < 1e-4
        order = sorted(ref, key=lambda k: (-ref[k], k))
        assert [v["key"] for v in got] == order or np.allclose(
            [ref[v["key"]] for v in got], [ref[k] for k in order], atol=1e-4)


def test_two_keys_rank_by_summed_bm25_and_filters_apply(tmp_path) -> None:
    c, live, rng = build(tmp_path, "en", seed=11)
    query = "running houses"
    allowed = {k for k, (_, m) in live.items() if m["grp"] != 1}
    got = full_text(c, [{"text": query, "metadataKey": "body"},
                        {"text": query, "metadataKey": "title"}], filter={"grp": {"$ne": 1}})
    body = reference_bm25(live, "body", "en", query, allowed)
    title = reference_bm25(live, "title", "en", query, allowed)
    total = {k: body.get(k, 0.0) + title.get(k, 0.0) for k in set(body) | set(title)}
    assert {v["key"] for v in got} == set(total)
    for v in got:
        per = {s["metadataKey"]: s["score"] for s in v["scores"]["bm25Scores"]}
        assert set(per) == {f for f, ref in (("body", body), ("title", title)) if v["key"] in ref}
        for f, ref in (("body", body), ("title", title)):
            if f in per:
                assert abs(per[f] - ref[v["key"]]) < 1e-4
    sums = [sum(s["score"] for s in v["scores"]["bm25Scores"]) for v in got]
    assert sums == sorted(sums, reverse=True)


@pytest.mark.parametrize("top_k", [5, 40, 130])
def test_hybrid_is_rrf_of_independent_rankings(tmp_path, top_k) -> None:
    c, live, rng = build(tmp_path, "en", seed=3)
    q = rng.standard_normal(DIM).astype(np.float32)
    query = "walking gardens"
    allowed = {k for k, (_, m) in live.items() if m["grp"] != 2}
    keys = sorted(allowed)
    mat = np.stack([live[k][0] for k in keys]).astype(np.float64)
    dist = 1.0 - (mat @ q) / (np.linalg.norm(mat, axis=1) * np.linalg.norm(q))
    vector_rank = [keys[i] for i in np.lexsort((np.arange(len(keys)), dist))[:top_k]]
    vdist = dict(zip(keys, dist.tolist(), strict=True))
    texts = [{"text": query, "metadataKey": "body"}, {"text": "light", "metadataKey": "title"}]
    rankings, refs = [vector_rank], []
    for t in texts:
        ref = reference_bm25(live, t["metadataKey"], "en", t["text"], allowed)
        refs.append(ref)
        rankings.append(sorted(ref, key=lambda k: (-ref[k], k))[:top_k])
    fused: dict[str, float] = {}
    for ranking in rankings:  # RRF as documented: sum of 1 / (60 + rank), rank from 1
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (60 + rank)
    want = sorted(fused, key=lambda k: (-fused[k], k))[:top_k]
    pages = c.get_paginator("query_vectors").paginate(
        **IX, topK=top_k, queryVector={"float32": q.tolist()}, queryTexts=texts,
        filter={"grp": {"$ne": 2}}, returnScores=True, returnDistance=True)
    got = [v for page in pages for v in page["vectors"]]
    assert [v["key"] for v in got] == want
    for v in got:
        s = v["scores"]
        assert s["fused"] == pytest.approx(fused[v["key"]], abs=1e-12)
        assert ("vectorDistance" in s) == (v["key"] in vector_rank) == ("distance" in v)
        if "vectorDistance" in s:
            assert abs(s["vectorDistance"] - vdist[v["key"]]) < 1e-5
        matched = [t["metadataKey"] for t, r in zip(texts, rankings[1:], strict=True)
                   if v["key"] in r]
        assert [b["metadataKey"] for b in s.get("bm25Scores", [])] == matched
        for b in s.get("bm25Scores", []):
            ref = refs[[t["metadataKey"] for t in texts].index(b["metadataKey"])]
            assert abs(b["score"] - ref[v["key"]]) < 1e-4


def test_vector_only_queries_carry_no_scores(tmp_path) -> None:
    c, live, _ = build(tmp_path, None, seed=5)
    out = c.query_vectors(**IX, topK=3, queryVector={"float32": [1.0] * DIM}, returnScores=True,
                          returnDistance=True)
    assert out["vectors"] and all("scores" not in v and "distance" in v for v in out["vectors"])
    text_only = c.query_vectors(**IX, topK=3, returnDistance=True, returnScores=True,
                                queryTexts=[{"text": "code", "metadataKey": "body"}])
    assert all("distance" not in v and "fused" not in v["scores"] for v in text_only["vectors"])
