"""put/get/list/delete/query of vectors, overwrite semantics, persistence, rebuild of FAISS."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from s3v_helpers import BUCKET, make_index, random_vectors

from nova_toolkit.vectors import LocalS3VectorsClient, local_client
from nova_toolkit.vectors.index import CorruptIndexWarning


def test_put_get_roundtrip(client: LocalS3VectorsClient) -> None:
    ix = make_index(client, dim=4)
    vecs = [
        {
            "key": "a",
            "data": {"float32": [0.5, 1.0, -2.0, 0.25]},
            "metadata": {"genre": "doc", "year": 2020, "tags": ["x", "y"], "ok": True},
        },
        {"key": "b", "data": {"float32": [1.0, 0.0, 0.0, 0.0]}},
    ]
    assert client.put_vectors(**ix, vectors=vecs)["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = client.get_vectors(
        **ix, keys=["a", "missing", "b"], returnData=True, returnMetadata=True
    )["vectors"]
    assert [g["key"] for g in got] == ["a", "b"]
    assert got[0]["data"]["float32"] == [0.5, 1.0, -2.0, 0.25]  # original, not normalised
    assert got[0]["metadata"] == vecs[0]["metadata"]
    assert "metadata" not in got[1]
    bare = client.get_vectors(**ix, keys=["a"])["vectors"]
    assert bare == [{"key": "a"}]


def test_overwrite_and_delete(client: LocalS3VectorsClient) -> None:
    ix = make_index(client, dim=3, metric="euclidean")
    client.put_vectors(
        **ix,
        vectors=[
            {"key": "a", "data": {"float32": [0, 0, 0]}, "metadata": {"v": 1}},
            {"key": "b", "data": {"float32": [5, 5, 5]}, "metadata": {"v": 1}},
        ],
    )
    client.put_vectors(
        **ix, vectors=[{"key": "a", "data": {"float32": [10, 10, 10]}, "metadata": {"v": 2}}]
    )
    got = client.get_vectors(**ix, keys=["a"], returnData=True, returnMetadata=True)["vectors"]
    assert got == [{"key": "a", "data": {"float32": [10.0, 10.0, 10.0]}, "metadata": {"v": 2}}]
    res = client.query_vectors(
        **ix, topK=5, queryVector={"float32": [0, 0, 0]}, returnDistance=True
    )["vectors"]
    assert [r["key"] for r in res] == ["b", "a"]  # old "a" row is gone
    assert res[0]["distance"] == pytest.approx(np.sqrt(75), rel=1e-5)  # plain L2
    assert (
        len(
            client.query_vectors(**ix, topK=5, queryVector={"float32": [0, 0, 0]}, filter={"v": 1})[
                "vectors"
            ]
        )
        == 1
    )
    client.delete_vectors(**ix, keys=["b", "never-there"])
    res = client.query_vectors(**ix, topK=5, queryVector={"float32": [0, 0, 0]})
    assert [r["key"] for r in res["vectors"]] == ["a"]
    assert res["distanceMetric"] == "euclidean"
    assert client.get_vectors(**ix, keys=["b"])["vectors"] == []


def test_cosine_distance_and_order(client: LocalS3VectorsClient) -> None:
    ix = make_index(client, dim=2)
    client.put_vectors(
        **ix,
        vectors=[
            {"key": "same", "data": {"float32": [2, 0]}},
            {"key": "orth", "data": {"float32": [0, 3]}},
            {"key": "opp", "data": {"float32": [-1, 0]}},
        ],
    )
    res = client.query_vectors(**ix, topK=3, queryVector={"float32": [1, 0]}, returnDistance=True)[
        "vectors"
    ]
    assert [r["key"] for r in res] == ["same", "orth", "opp"]
    assert [r["distance"] for r in res] == pytest.approx([0.0, 1.0, 2.0], abs=1e-6)
    assert (
        "distance"
        not in client.query_vectors(**ix, topK=1, queryVector={"float32": [1, 0]})["vectors"][0]
    )


def test_list_vectors_pagination_and_segments(client: LocalS3VectorsClient) -> None:
    ix = make_index(client, dim=4)
    for start in range(0, 1200, 500):
        client.put_vectors(**ix, vectors=random_vectors(1200, 4)[start : start + 500])
    everything = {f"k{i}" for i in range(1200)}
    first = client.list_vectors(**ix)
    assert len(first["vectors"]) == 500 and "nextToken" in first  # default maxResults

    keys, token = [], None
    while True:
        page = client.list_vectors(
            **ix, maxResults=333, returnMetadata=True, **({"nextToken": token} if token else {})
        )
        keys += [v["key"] for v in page["vectors"]]
        assert all("metadata" in v and "data" not in v for v in page["vectors"])
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(keys) == sorted(everything) and len(keys) == 1200

    seen: list[str] = []
    for seg in range(5):
        pager = client.get_paginator("list_vectors")
        for page in pager.paginate(
            **ix, segmentCount=5, segmentIndex=seg, PaginationConfig={"PageSize": 100}
        ):
            seen += [v["key"] for v in page["vectors"]]
    assert len(seen) == 1200 and set(seen) == everything  # each key exactly once

    data = client.list_vectors(**ix, maxResults=2, returnData=True)["vectors"]
    assert len(data[0]["data"]["float32"]) == 4
    with pytest.raises(client.exceptions.ValidationException):
        client.list_vectors(**ix, nextToken=first["nextToken"], segmentCount=2, segmentIndex=0)


def test_persistence_across_clients_and_compaction(root: Path) -> None:
    c = local_client(root, max_parts=4)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    ix = make_index(c, dim=6, metric="euclidean")
    vecs = random_vectors(60, 6)
    for i in range(0, 60, 10):  # 6 parts > max_parts: triggers a compaction
        c.put_vectors(**ix, vectors=vecs[i : i + 10])
    c.delete_vectors(**ix, keys=["k0", "k1"])
    c.put_vectors(
        **ix, vectors=[{"key": "k2", "data": {"float32": [9.0] * 6}, "metadata": {"new": True}}]
    )
    index_dir = root / "buckets" / BUCKET / "indexes" / "idx"
    assert len([p for p in os.listdir(index_dir) if p.startswith("base-")]) >= 1
    q = {"float32": [0.1] * 6}
    before = c.query_vectors(**ix, topK=10, queryVector=q, returnDistance=True)

    c2 = local_client(root)  # no flush: parts are replayed
    after = c2.query_vectors(**ix, topK=10, queryVector=q, returnDistance=True)
    assert after["vectors"] == before["vectors"]
    assert c2.get_vectors(**ix, keys=["k0", "k2"], returnMetadata=True)["vectors"] == [
        {"key": "k2", "metadata": {"new": True}}
    ]
    assert len(c2.list_vectors(**ix)["vectors"]) == 58

    c2.close()
    files = sorted(os.listdir(index_dir))
    assert [f for f in files if f.startswith(("part-", "del-"))] == []
    assert any(f.endswith(".faiss") for f in files)
    c3 = local_client(root)
    assert (
        c3.query_vectors(**ix, topK=10, queryVector=q, returnDistance=True)["vectors"]
        == before["vectors"]
    )


def test_corrupt_faiss_file_is_rebuilt(root: Path) -> None:
    c = local_client(root)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    ix = make_index(c, dim=8)
    c.put_vectors(**ix, vectors=random_vectors(50, 8))
    q = {"float32": [1.0] * 8}
    expected = c.query_vectors(**ix, topK=5, queryVector=q, returnDistance=True)["vectors"]
    c.close()
    index_dir = root / "buckets" / BUCKET / "indexes" / "idx"
    (faiss_file,) = index_dir.glob("*.faiss")
    faiss_file.write_bytes(b"this is not a faiss index")
    c2 = local_client(root)
    with pytest.warns(CorruptIndexWarning, match=rf"{faiss_file.name}.*rebuilding"):
        got = c2.query_vectors(**ix, topK=5, queryVector=q, returnDistance=True)["vectors"]
    assert got == expected
    c2.flush()  # writes a sound file again, with its checksum
    (faiss_file,) = index_dir.glob("*.faiss")
    assert (faiss_file.with_suffix(".sha256")).is_file()
    c2.close()
    # a file FAISS still reads, with one vector byte flipped: only the checksum sees it
    blob = bytearray(faiss_file.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    faiss_file.write_bytes(bytes(blob))
    c3 = local_client(root)
    with pytest.warns(CorruptIndexWarning, match="SHA-256 does not match"):
        got = c3.query_vectors(**ix, topK=5, queryVector=q, returnDistance=True)["vectors"]
    assert got == expected
    c3.close()
    # a sound file loads without a warning
    c4 = local_client(root)
    c4.flush()
    c4.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorruptIndexWarning)
        c5 = local_client(root)
        got = c5.query_vectors(**ix, topK=5, queryVector=q, returnDistance=True)["vectors"]
    assert got == expected
    assert list(index_dir.glob("*.faiss"))


def test_a_tampered_faiss_file_with_a_recomputed_checksum_is_rebuilt(root: Path) -> None:
    import hashlib

    import faiss

    c = local_client(root)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    ix = make_index(c, dim=8)
    c.put_vectors(**ix, vectors=random_vectors(50, 8))
    q = {"float32": [1.0] * 8}
    expected = c.query_vectors(**ix, topK=5, queryVector=q, returnDistance=True)["vectors"]
    c.close()
    index_dir = root / "buckets" / BUCKET / "indexes" / "idx"
    (faiss_file,) = index_dir.glob("*.faiss")
    # a forger's FAISS file: the same count and dimension, other vectors, and its checksum
    # file written anew so the hash check passes
    forged = faiss.read_index(str(faiss_file))
    planted = np.random.default_rng(7).standard_normal((forged.ntotal, 8)).astype(np.float32)
    faiss.normalize_L2(planted)
    forged.reset()
    forged.add(planted)
    faiss.write_index(forged, str(faiss_file))
    blob = faiss_file.read_bytes()
    faiss_file.with_suffix(".sha256").write_text(
        f"{hashlib.sha256(blob).hexdigest()} {len(blob)}")
    c2 = local_client(root)
    with pytest.warns(CorruptIndexWarning, match=r"its vector \d+ differs from the stored"):
        got = c2.query_vectors(**ix, topK=5, queryVector=q, returnDistance=True)["vectors"]
    assert got == expected  # answered from the stored vectors, not the planted ones
    c2.close()


def test_import_vectors_bulk(root: Path) -> None:
    c = local_client(root)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    ix = make_index(c, dim=16)
    rng = np.random.default_rng(1)
    data = rng.standard_normal((12_000, 16)).astype(np.float32)
    keys = [f"id-{i}" for i in range(12_000)]
    c.import_vectors(
        **ix, keys=keys, data=data, metadata=[{"even": i % 2 == 0} for i in range(12_000)]
    )
    res = c.query_vectors(
        **ix,
        topK=3,
        queryVector={"float32": data[42].tolist()},
        filter={"even": True},
        returnDistance=True,
    )["vectors"]
    assert res[0]["key"] == "id-42" and res[0]["distance"] == pytest.approx(0, abs=1e-5)
    assert local_client(root).get_vectors(**ix, keys=["id-11999"], returnData=True)["vectors"][0][
        "data"
    ]["float32"] == pytest.approx(data[-1].tolist())
    bad = data.copy()
    bad[7, 3] = np.nan
    with pytest.raises(c.exceptions.ValidationException, match=r"data\[7\]"):
        c.import_vectors(**ix, keys=keys, data=bad)


def test_query_on_empty_index_and_topk_over_count(client: LocalS3VectorsClient) -> None:
    ix = make_index(client, dim=3)
    q = {"float32": [1, 2, 3]}
    assert client.query_vectors(**ix, topK=5, queryVector=q)["vectors"] == []
    client.put_vectors(**ix, vectors=random_vectors(3, 3))
    assert len(client.query_vectors(**ix, topK=100, queryVector=q)["vectors"]) == 3
