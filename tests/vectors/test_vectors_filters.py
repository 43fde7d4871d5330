"""Every filter operator against a brute-force Python reference on random data."""

from __future__ import annotations

import numpy as np
import pytest
from s3v_helpers import BUCKET

from nova_toolkit.vectors import local_client

GENRES = ["drama", "comedy", "doc", "horror"]


def _meta(rng: np.random.Generator) -> dict:
    m: dict = {}
    if rng.random() < 0.9:
        m["genre"] = str(rng.choice(GENRES))
    if rng.random() < 0.8:
        m["year"] = int(rng.integers(1990, 2025))
    if rng.random() < 0.7:
        m["score"] = float(np.round(rng.random() * 10, 2))
    if rng.random() < 0.6:
        m["tags"] = [
            str(t) for t in rng.choice(["a", "b", "c", "d"], size=rng.integers(0, 3), replace=False)
        ]
    if rng.random() < 0.7:
        m["ok"] = bool(rng.random() < 0.5)
    m["note"] = "x" * 10  # non-filterable
    return m


def _values(m: dict, k: str) -> list:
    v = m[k]
    return v if isinstance(v, list) else [v]


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return float(a) == float(b)


def matches(m: dict, flt: dict) -> bool:
    """Reference semantics, written independently of the compiled version."""
    for key, cond in flt.items():
        if key == "$and":
            ok = all(matches(m, f) for f in cond)
        elif key == "$or":
            ok = any(matches(m, f) for f in cond)
        elif not isinstance(cond, dict):
            ok = key in m and any(_same(x, cond) for x in _values(m, key))
        else:
            ok = True
            for op, arg in cond.items():
                has = key in m
                vals = _values(m, key) if has else []
                nums = [x for x in vals if isinstance(x, (int, float)) and not isinstance(x, bool)]
                if op == "$eq":
                    r = any(_same(x, arg) for x in vals)
                elif op == "$ne":
                    r = has and not any(_same(x, arg) for x in vals)
                elif op == "$in":
                    r = any(_same(x, a) for x in vals for a in arg)
                elif op == "$nin":
                    r = has and not any(_same(x, a) for x in vals for a in arg)
                elif op == "$exists":
                    r = has == arg
                else:
                    cmp = {
                        "$gt": np.greater,
                        "$gte": np.greater_equal,
                        "$lt": np.less,
                        "$lte": np.less_equal,
                    }[op]
                    r = any(cmp(x, arg) for x in nums)
                ok = ok and r
        if not ok:
            return False
    return True


FILTERS = [
    {"genre": "drama"},
    {"genre": {"$eq": "doc"}},
    {"genre": {"$ne": "drama"}},
    {"year": {"$gt": 2010}},
    {"year": {"$gte": 2010, "$lt": 2015}},
    {"score": {"$lte": 2.5}},
    {"year": 2000},
    {"genre": {"$in": ["comedy", "horror"]}},
    {"genre": {"$nin": ["comedy", "horror"]}},
    {"tags": "a"},
    {"tags": {"$in": ["b", "d"]}},
    {"tags": {"$nin": ["a"]}},
    {"tags": {"$exists": True}},
    {"score": {"$exists": False}},
    {"ok": True},
    {"ok": {"$ne": True}},
    {"$and": [{"genre": "drama"}, {"year": {"$lt": 2005}}]},
    {"$or": [{"genre": "doc"}, {"score": {"$gt": 9}}, {"tags": "c"}]},
    {
        "$or": [{"$and": [{"ok": False}, {"year": {"$gte": 2020}}]}, {"genre": "horror"}],
        "score": {"$gt": 1},
    },
    {"genre": "no-such-genre"},
    {"missing_key": {"$exists": False}},
]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_filters_match_reference(tmp_path, metric: str) -> None:
    rng = np.random.default_rng(7 if metric == "cosine" else 8)
    n, dim = 600, 12
    data = rng.standard_normal((n, dim)).astype(np.float32)
    metas = [_meta(rng) for _ in range(n)]
    keys = [f"v{i}" for i in range(n)]
    c = local_client(tmp_path)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    c.create_index(
        vectorBucketName=BUCKET,
        indexName="idx",
        dataType="float32",
        dimension=dim,
        distanceMetric=metric,
        metadataConfiguration={"nonFilterableMetadataKeys": ["note"]},
    )
    ix = {"vectorBucketName": BUCKET, "indexName": "idx"}
    for s in range(0, n, 250):
        c.put_vectors(
            **ix,
            vectors=[
                {"key": keys[i], "data": {"float32": data[i].tolist()}, "metadata": metas[i]}
                for i in range(s, min(n, s + 250))
            ],
        )
    deleted = set(range(0, n, 17))  # deleted rows must never come back
    c.delete_vectors(**ix, keys=[keys[i] for i in sorted(deleted)])

    d64 = data.astype(np.float64)
    for q_i in range(3):
        q = rng.standard_normal(dim)
        if metric == "cosine":
            ref = 1 - (d64 @ q) / (np.linalg.norm(d64, axis=1) * np.linalg.norm(q))
        else:
            ref = np.linalg.norm(d64 - q, axis=1)
        for flt in FILTERS:
            ok = [i for i in range(n) if i not in deleted and matches(metas[i], flt)]
            for top_k in (1, 10, 100):
                res = c.query_vectors(
                    **ix,
                    topK=top_k,
                    queryVector={"float32": q.tolist()},
                    filter=flt,
                    returnDistance=True,
                    returnMetadata=True,
                )["vectors"]
                want = sorted(ok, key=lambda i: ref[i])[:top_k]
                assert len(res) == min(top_k, len(ok)), (flt, q_i)
                got_idx = [int(r["key"][1:]) for r in res]
                assert all(i in set(ok) for i in got_idx), flt
                assert [r["distance"] for r in res] == pytest.approx(
                    [ref[i] for i in want], abs=1e-4
                ), flt
                assert [r["distance"] for r in res] == pytest.approx(
                    [ref[i] for i in got_idx], abs=1e-4
                )
                assert all(r["metadata"] == metas[i] for r, i in zip(res, got_idx, strict=True))


def test_filtered_query_large_match_uses_faiss_path(tmp_path) -> None:
    """A filter matching most rows goes through FAISS with an ID bitmap: still exact."""
    rng = np.random.default_rng(3)
    n, dim = 20_000, 8
    data = rng.standard_normal((n, dim)).astype(np.float32)
    flag = rng.random(n) < 0.7
    c = local_client(tmp_path)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    c.create_index(
        vectorBucketName=BUCKET,
        indexName="idx",
        dataType="float32",
        dimension=dim,
        distanceMetric="euclidean",
    )
    ix = {"vectorBucketName": BUCKET, "indexName": "idx"}
    c.import_vectors(
        **ix, keys=[str(i) for i in range(n)], data=data, metadata=[{"f": bool(f)} for f in flag]
    )
    c.delete_vectors(**ix, keys=["0", "1", "2"])
    q = rng.standard_normal(dim)
    ref = np.linalg.norm(data.astype(np.float64) - q, axis=1)
    ref[[0, 1, 2]] = np.inf
    for flt, allowed in (({"f": True}, flag), (None, np.ones(n, bool))):
        params = {"filter": flt} if flt else {}
        res = c.query_vectors(
            **ix, topK=50, queryVector={"float32": q.tolist()}, returnDistance=True, **params
        )["vectors"]
        want = np.argsort(np.where(allowed, ref, np.inf))[:50]
        assert [r["distance"] for r in res] == pytest.approx(ref[want].tolist(), abs=1e-4)
        assert all(allowed[int(r["key"])] for r in res)
