"""Index modes (CLASSIC / ENHANCED), QueryVectors pages and paginator, and the full-text
index on disk (persisted, reloaded, rebuilt when missing or corrupt, backfill resumed)."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import pytest

from nova_toolkit.vectors import CorruptIndexWarning, local_client
from nova_toolkit.vectors.paging import QUERY_PAGE_SIZE
from nova_toolkit.vectors.storage import read_json, write_json

B = "mode-bucket"
IX = {"vectorBucketName": B, "indexName": "idx"}
Q = {"float32": [1.0, 0.0, 0.0, 0.0]}
BEFORE = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)  # before the CLASSIC cutoff


def _index(c, **meta) -> None:
    c.create_index(**IX, dataType="float32", dimension=4, distanceMetric="cosine",
                   **({"metadataConfiguration": meta} if meta else {}))


def _vectors(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{"key": f"v{i:04d}", "data": {"float32": rng.standard_normal(4).tolist()},
             "metadata": {"snippet": f"fox number {i} " + ("red" if i % 3 else "blue"),
                          "tag": f"t{i % 7}", "n": i}} for i in range(n)]


def test_new_bucket_is_enhanced_and_old_bucket_classic(tmp_path) -> None:
    new = local_client(tmp_path / "a")
    new.create_vector_bucket(vectorBucketName=B)
    assert new.get_vector_bucket(vectorBucketName=B)["vectorBucket"]["defaultIndexMode"] == \
        "ENHANCED"
    _index(new, nonFilterableMetadataKeys=[])  # an empty list is valid
    got = new.get_index(**IX)["index"]
    assert got["indexMode"] == "ENHANCED"
    assert got["metadataConfiguration"] == {"nonFilterableMetadataKeys": []}
    old = local_client(tmp_path / "b", clock=lambda: BEFORE)
    old.create_vector_bucket(vectorBucketName=B)
    assert old.get_vector_bucket(vectorBucketName=B)["vectorBucket"]["defaultIndexMode"] == \
        "CLASSIC"
    _index(old)
    assert old.get_index(**IX)["index"]["indexMode"] == "CLASSIC"


def test_modes_change_and_persist(tmp_path) -> None:
    c = local_client(tmp_path, clock=lambda: BEFORE)
    c.create_vector_bucket(vectorBucketName=B)
    _index(c)
    c.put_vectors(**IX, vectors=_vectors(30))
    flt = {"tag": {"$startsWith": "t1"}}
    with pytest.raises(c.exceptions.ValidationException):
        c.query_vectors(**IX, topK=5, queryVector=Q, filter=flt)  # CLASSIC
    # queryMode ENHANCED overrides a CLASSIC index for one query
    out = c.query_vectors(**IX, topK=50, queryVector=Q, filter=flt, queryMode="ENHANCED",
                          returnMetadata=True)["vectors"]
    assert sorted(v["key"] for v in out) == [f"v{i:04d}" for i in range(30) if i % 7 == 1]
    # exact in CLASSIC too: never fewer than min(topK, matching)
    got = c.query_vectors(**IX, topK=5, queryVector=Q, filter={"tag": "t3"})["vectors"]
    assert len(got) == min(5, sum(1 for i in range(30) if i % 7 == 3))
    c.put_vector_bucket_default_index_mode(vectorBucketName=B, defaultIndexMode="ENHANCED")
    assert c.get_index(**IX)["index"]["indexMode"] == "CLASSIC"  # existing index unchanged
    c.create_index(vectorBucketName=B, indexName="idx2", dataType="float32", dimension=4,
                   distanceMetric="cosine")
    assert c.get_index(vectorBucketName=B, indexName="idx2")["index"]["indexMode"] == "ENHANCED"
    c.update_index_mode(**IX, indexMode="ENHANCED")
    c.update_metadata_configuration(**IX, add={"textSearchConfigurations": [
        {"metadataKey": "snippet", "language": "en"}]})
    with pytest.raises(c.exceptions.ValidationException):
        c.update_index_mode(**IX, indexMode="CLASSIC")  # searchable keys need ENHANCED
    c.update_metadata_configuration(**IX, delete={"textSearchConfigurations": [
        {"metadataKey": "snippet"}]})
    c.update_index_mode(**IX, indexMode="CLASSIC")  # allowed: bucket from before the cutoff
    c.close()
    again = local_client(tmp_path)
    assert again.get_index(**IX)["index"]["indexMode"] == "CLASSIC"
    assert again.get_vector_bucket(vectorBucketName=B)["vectorBucket"]["defaultIndexMode"] == \
        "ENHANCED"


def test_index_written_before_modes_opens_as_classic(tmp_path) -> None:
    c = local_client(tmp_path, clock=lambda: BEFORE)
    c.create_vector_bucket(vectorBucketName=B)
    _index(c)
    c.put_vectors(**IX, vectors=_vectors(10))
    c.close()
    root = tmp_path / "buckets" / B
    for path in (root / "bucket.json", root / "indexes" / "idx" / "index.json"):
        doc = read_json(path)  # what an older mirror wrote: no mode anywhere
        doc.pop("defaultIndexMode", None)
        doc.pop("indexMode", None)
        write_json(path, doc)
    old = local_client(tmp_path)
    assert old.get_index(**IX)["index"]["indexMode"] == "CLASSIC"
    assert old.get_vector_bucket(vectorBucketName=B)["vectorBucket"]["defaultIndexMode"] == \
        "CLASSIC"
    assert len(old.query_vectors(**IX, topK=3, queryVector=Q)["vectors"]) == 3
    old.update_index_mode(**IX, indexMode="ENHANCED")
    old.update_metadata_configuration(**IX, add={"textSearchConfigurations": [
        {"metadataKey": "snippet"}]})
    hits = old.query_vectors(**IX, topK=3, queryTexts=[{"text": "blue", "metadataKey": "snippet"}])
    assert {v["key"] for v in hits["vectors"]} <= {f"v{i:04d}" for i in range(0, 10, 3)}


def test_query_pages_and_paginator(tmp_path) -> None:
    c = local_client(tmp_path)
    c.create_vector_bucket(vectorBucketName=B)
    _index(c, textSearchConfigurations=[{"metadataKey": "snippet"}])
    c.put_vectors(**IX, vectors=_vectors(260))
    first = c.query_vectors(**IX, topK=250, queryVector=Q, returnDistance=True)
    assert len(first["vectors"]) == QUERY_PAGE_SIZE and first["nextToken"]
    pages = list(c.get_paginator("query_vectors").paginate(**IX, topK=250, queryVector=Q,
                                                            returnDistance=True))
    assert [len(p["vectors"]) for p in pages] == [100, 100, 50]
    assert "nextToken" not in pages[-1] and all(p["distanceMetric"] == "cosine" for p in pages)
    keys = [v["key"] for p in pages for v in p["vectors"]]
    dists = [v["distance"] for p in pages for v in p["vectors"]]
    assert len(set(keys)) == 250 and dists == sorted(dists)
    exact = local_client(tmp_path, query_page_size=1000).query_vectors(**IX, topK=250,
                                                                       queryVector=Q)
    assert [v["key"] for v in exact["vectors"]] == keys
    full = c.get_paginator("query_vectors").paginate(
        **IX, topK=1000, queryTexts=[{"text": "red fox", "metadataKey": "snippet"}]
    ).build_full_result()
    assert len(full["vectors"]) == 260 and full["distanceMetric"] == "cosine"
    limited = c.get_paginator("query_vectors").paginate(
        **IX, topK=250, queryVector=Q, PaginationConfig={"MaxItems": 120}).build_full_result()
    assert [v["key"] for v in limited["vectors"]] == keys[:120] and limited["NextToken"]
    with pytest.raises(c.exceptions.ValidationException):  # token of another query
        c.query_vectors(**IX, topK=250, queryVector={"float32": [0.0, 1.0, 0.0, 0.0]},
                        nextToken=first["nextToken"])
    with pytest.raises(c.exceptions.ValidationException):  # same query, other topK
        c.query_vectors(**IX, topK=251, queryVector=Q, nextToken=first["nextToken"])


def test_non_filterable_key_is_text_searchable(tmp_path) -> None:
    c = local_client(tmp_path)
    c.create_vector_bucket(vectorBucketName=B)
    _index(c, nonFilterableMetadataKeys=["snippet"],
           textSearchConfigurations=[{"metadataKey": "snippet", "language": "en"}])
    c.put_vectors(**IX, vectors=_vectors(20))
    out = c.query_vectors(**IX, topK=20, queryTexts=[{"text": "blue foxes", "metadataKey":
                                                      "snippet"}], filter={"n": {"$lt": 10}})
    assert {v["key"] for v in out["vectors"]} == {f"v{i:04d}" for i in range(10)}
    with pytest.raises(c.exceptions.ValidationException):  # still not filterable
        c.query_vectors(**IX, topK=1, queryVector=Q, filter={"snippet": "x"})


def test_text_index_follows_writes_and_survives_reopen(tmp_path) -> None:
    c = local_client(tmp_path)
    c.create_vector_bucket(vectorBucketName=B)
    _index(c, textSearchConfigurations=[{"metadataKey": "snippet"}])
    c.put_vectors(**IX, vectors=_vectors(40))
    ask = {"topK": 100, "queryTexts": [{"text": "blue", "metadataKey": "snippet"}],
           "returnScores": True}
    blue = {f"v{i:04d}" for i in range(0, 40, 3)}
    assert {v["key"] for v in c.query_vectors(**IX, **ask)["vectors"]} == blue
    c.put_vectors(**IX, vectors=[{"key": "v0000", "data": Q, "metadata": {"snippet": "green"}},
                                 {"key": "new", "data": Q, "metadata": {"snippet": "blue sky"}}])
    c.delete_vectors(**IX, keys=["v0003"])
    blue = (blue - {"v0000", "v0003"}) | {"new"}
    before = c.query_vectors(**IX, **ask)["vectors"]
    assert {v["key"] for v in before} == blue
    c.close()  # persists the text index
    text_dir = tmp_path / "buckets" / B / "indexes" / "idx" / "text"
    (field_dir,) = [p for p in text_dir.iterdir() if not p.name.startswith(".")]
    state = json.loads((field_dir / "state.json").read_text())
    assert set(state["files"]) >= {"rows.npy", "params.index.json"}
    reopened = local_client(tmp_path)
    assert reopened.query_vectors(**IX, **ask)["vectors"] == before
    reopened.close()
    victim = field_dir / "data.csc.index.npy"
    victim.write_bytes(victim.read_bytes()[:-8] + b"garbage!")
    damaged = local_client(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = damaged.query_vectors(**IX, **ask)["vectors"]
    assert any(issubclass(w.category, CorruptIndexWarning) and "full-text" in str(w.message)
               for w in caught)
    assert again == before


def test_interrupted_backfill_is_finished_on_open(tmp_path) -> None:
    c = local_client(tmp_path)
    c.create_vector_bucket(vectorBucketName=B)
    _index(c)
    c.put_vectors(**IX, vectors=_vectors(12))
    c.close()
    path = tmp_path / "buckets" / B / "indexes" / "idx" / "index.json"
    doc = read_json(path)  # as if the process died during UpdateMetadataConfiguration add
    doc["metadataConfiguration"]["textSearchConfigurations"] = [
        {"metadataKey": "snippet", "status": "BUILDING"}]
    write_json(path, doc)
    fresh = local_client(tmp_path)
    cfg = fresh.get_index(**IX)["index"]["metadataConfiguration"]["textSearchConfigurations"]
    assert cfg == [{"metadataKey": "snippet", "status": "ACTIVE"}]
    out = fresh.query_vectors(**IX, topK=20, queryTexts=[{"text": "red", "metadataKey":
                                                          "snippet"}])
    assert len(out["vectors"]) == 8


def test_starts_with_matches_strings_and_list_items(tmp_path) -> None:
    c = local_client(tmp_path)
    c.create_vector_bucket(vectorBucketName=B)
    _index(c)
    c.put_vectors(**IX, vectors=[
        {"key": "a", "data": Q, "metadata": {"p": "docs/2026/a.pdf"}},
        {"key": "b", "data": Q, "metadata": {"p": ["img/x.png", "docs/old.pdf"]}},
        {"key": "c", "data": Q, "metadata": {"p": "img/y.png"}},
        {"key": "d", "data": Q, "metadata": {"p": 7}},
        {"key": "e", "data": Q, "metadata": {"q": "docs/"}}])

    def keys(flt: dict) -> list[str]:
        out = c.query_vectors(**IX, topK=10, queryVector=Q, filter=flt)["vectors"]
        return sorted(v["key"] for v in out)

    assert keys({"p": {"$startsWith": "docs/"}}) == ["a", "b"]
    assert keys({"p": {"$startsWith": "img/y"}}) == ["c"]
    assert keys({"p": {"$startsWith": ""}}) == ["a", "b", "c"]  # every string value
    assert keys({"$or": [{"p": {"$startsWith": "img"}}, {"q": {"$startsWith": "doc"}}]}) == \
        ["b", "c", "e"]
