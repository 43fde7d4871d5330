"""push / pull between a local index and the twin's S3 Vectors endpoint through boto3."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import boto3
import numpy as np
import pytest

from nova_toolkit.cli import pull as pull_command
from nova_toolkit.cli import push as push_command
from nova_toolkit.twin import Twin, TwinConfig
from nova_toolkit.vectors import local_client, sync

DIM = 8


@pytest.fixture
def twin(tmp_path: Path):
    t = Twin(TwinConfig(root=tmp_path / "twin"), port=0).start()
    yield t
    t.stop()


@pytest.fixture
def remote(twin):
    return boto3.client(
        "s3vectors", endpoint_url=twin.url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def _local(root: Path, n: int, big: bool = True):
    c = local_client(root)
    c.create_vector_bucket(vectorBucketName="collection")
    c.create_index(
        vectorBucketName="collection", indexName="segments", dataType="float32",
        dimension=DIM, distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["snippet"]},
    )  # fmt: skip
    rng = np.random.default_rng(0)
    data = rng.standard_normal((n, DIM)).astype(np.float32)
    metas = []
    for i in range(n):
        m = {"source": f"s{i % 7}", "i": i, "snippet": "x" * 50}
        if big and i % 50 == 0:
            m["body"] = "long text " * 100  # 1 KB: must become non-filterable remotely
            m["snippet"] = "y" * 5_000  # non-filterable locally: stays so remotely
        metas.append(m)
    keys = [f"k{i:05d}" for i in range(n)]
    c.import_vectors(
        vectorBucketName="collection", indexName="segments", keys=keys, data=data, metadata=metas
    )
    return c, keys, data


def _all_remote(remote, bucket="rbk", index="rix") -> list[dict]:
    out = []
    pag = remote.get_paginator("list_vectors")
    for page in pag.paginate(vectorBucketName=bucket, indexName=index, returnData=True,
                             returnMetadata=True):  # fmt: skip
        out.extend(page["vectors"])
    return out


def test_push_then_pull_roundtrip(tmp_path: Path, remote) -> None:
    c, keys, data = _local(tmp_path / "local", 1234)
    sleeps: list[float] = []
    now = [0.0]

    def fake_sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s

    rep = sync.push(c, remote, bucket="rbk", index="rix", sleep=fake_sleep, clock=lambda: now[0])
    assert rep.vectors == 1234 and rep.requests == 3  # 500 + 500 + 234
    assert set(rep.non_filterable) == {"snippet", "body"}
    cfg = remote.get_index(vectorBucketName="rbk", indexName="rix")["index"]
    assert set(cfg["metadataConfiguration"]["nonFilterableMetadataKeys"]) == {"snippet", "body"}
    assert rep.truncated == []
    got = _all_remote(remote)
    assert sorted(g["key"] for g in got) == keys
    by = {g["key"]: g for g in got}
    np.testing.assert_allclose(by["k00003"]["data"]["float32"], data[3], rtol=1e-6)
    assert by["k00003"]["metadata"] == {"source": "s3", "i": 3, "snippet": "x" * 50}
    assert by["k00050"]["metadata"]["snippet"] == "y" * 5_000
    # filter on a filterable key works remotely
    q = remote.query_vectors(vectorBucketName="rbk", indexName="rix", topK=5,
                             queryVector={"float32": data[3].tolist()},
                             filter={"source": "s3"}, returnMetadata=True)  # fmt: skip
    assert q["vectors"][0]["key"] == "k00003"
    # pacing at 2,500 vectors/s: batch 2 waits until t=0.2 s, batch 3 until t=0.4 s
    assert sleeps == pytest.approx([0.2, 0.2])
    ck = json.loads(Path(rep.checkpoint).read_text())
    assert ck["done"] and ck["pushed"] == 1234

    rep2 = sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "pulled")
    assert rep2.vectors == 1234
    back = local_client(tmp_path / "pulled")
    cfg2 = back.get_index(vectorBucketName="rbk", indexName="rix")["index"]
    assert cfg2["dimension"] == DIM and cfg2["distanceMetric"] == "cosine"
    one = back.get_vectors(vectorBucketName="rbk", indexName="rix", keys=["k00003"],
                           returnData=True, returnMetadata=True)["vectors"][0]  # fmt: skip
    assert one["metadata"]["source"] == "s3"
    np.testing.assert_allclose(one["data"]["float32"], data[3], rtol=1e-6)


def test_push_resumes_after_interruption(tmp_path: Path, remote) -> None:
    c, keys, _ = _local(tmp_path / "local", 1600, big=False)
    calls = {"n": 0}

    class Boom(Exception):
        pass

    def stop_after_two(done: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Boom

    with pytest.raises(Boom):
        sync.push(c, remote, bucket="rbk", index="rix", batch=400, sleep=lambda s: None,
                  on_batch=stop_after_two)  # fmt: skip
    assert len(_all_remote(remote)) == 800
    put_calls: list[int] = []
    orig = remote.put_vectors

    def counting(**kw):
        put_calls.append(len(kw["vectors"]))
        return orig(**kw)

    remote.put_vectors = counting
    rep = sync.push(c, remote, bucket="rbk", index="rix", batch=400, sleep=lambda s: None)
    assert rep.skipped == 800 and rep.vectors == 800 and put_calls == [400, 400]
    assert sorted(g["key"] for g in _all_remote(remote)) == keys
    # a completed push starts over only when asked
    rep = sync.push(c, remote, bucket="rbk", index="rix", sleep=lambda s: None, restart=True)
    assert rep.vectors == 1600


def test_push_rejects_mismatched_remote_and_retries_throttling(tmp_path: Path, remote) -> None:
    c, _, _ = _local(tmp_path / "local", 20, big=False)
    remote.create_vector_bucket(vectorBucketName="rbk")
    remote.create_index(vectorBucketName="rbk", indexName="rix", dataType="float32",
                        dimension=DIM + 1, distanceMetric="cosine")  # fmt: skip
    with pytest.raises(ValueError, match="dimension|-d"):
        sync.push(c, remote, bucket="rbk", index="rix", sleep=lambda s: None)

    from botocore.exceptions import ClientError

    fails = {"n": 2}
    orig = remote.put_vectors

    def flaky(**kw):
        if fails["n"]:
            fails["n"] -= 1
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow"},
                               "ResponseMetadata": {"HTTPStatusCode": 429}}, "PutVectors")  # fmt: skip
        return orig(**kw)

    remote.put_vectors = flaky
    rep = sync.push(c, remote, bucket="rbk", index="rix2", sleep=lambda s: None)
    assert rep.retries == 2 and rep.vectors == 20


def test_push_into_existing_index_fits_metadata(tmp_path: Path, remote) -> None:
    c, _, _ = _local(tmp_path / "local", 120)
    remote.create_vector_bucket(vectorBucketName="rbk")
    remote.create_index(vectorBucketName="rbk", indexName="rix", dataType="float32",
                        dimension=DIM, distanceMetric="cosine")  # fmt: skip
    rep = sync.push(c, remote, bucket="rbk", index="rix", sleep=lambda s: None)
    assert rep.vectors == 120 and rep.non_filterable == []
    assert rep.truncated == ["k00000", "k00050", "k00100"]  # everything filterable: cut to 2 KB
    got = {g["key"]: g["metadata"] for g in _all_remote(remote)}
    assert sync._size(got["k00050"]) <= 2048 and got["k00050"]["source"] == "s1"
    assert got["k00051"] == {"source": "s2", "i": 51, "snippet": "x" * 50}


def test_fit_metadata_limits() -> None:
    meta = {"a": "z" * 3000, "b": 1, "n": "w" * 50_000}
    out, cut = sync.fit_metadata(meta, frozenset({"n"}))
    assert cut and out["b"] == 1
    assert sync._size({k: x for k, x in out.items() if k != "n"}) <= 2048
    assert sync._size(out) <= 40 * 1024
    same, cut = sync.fit_metadata({"a": "short"}, frozenset())
    assert not cut and same == {"a": "short"}


def test_cli_push_and_pull(tmp_path: Path, twin) -> None:
    c, _, _ = _local(tmp_path / "local", 30, big=False)
    c.close()
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    push_command.register(sub)
    pull_command.register(sub)
    env = ["--endpoint-url", twin.url, "--region", "us-east-1"]
    args = parser.parse_args(
        ["push", "--local-root", str(tmp_path / "local"), "--bucket", "cbk", "--index", "cix", *env]
    )
    import os

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    assert args.handler(args) == 0
    args = parser.parse_args(["pull", "--bucket", "cbk", "--index", "cix",
                              "--to", str(tmp_path / "back"), *env])  # fmt: skip
    assert args.handler(args) == 0
    back = local_client(tmp_path / "back")
    assert len(back.list_vectors(vectorBucketName="cbk", indexName="cix")["vectors"]) == 30


def test_push_from_a_collection_like_object(tmp_path: Path, remote) -> None:
    c, keys, _ = _local(tmp_path / "coll" / "index", 40, big=False)

    class FakeCollection:  # what push uses of a Collection: index_client() and path
        path = tmp_path / "coll"

        def index_client(self):
            return c

    rep = sync.push(FakeCollection(), remote, bucket="rbk", index="rix", sleep=lambda s: None)
    assert rep.vectors == 40
    assert Path(rep.checkpoint) == tmp_path / "coll" / "push-rbk-rix.json"
    assert sorted(g["key"] for g in _all_remote(remote)) == keys


def test_push_makes_an_existing_index_enhanced_and_searchable(tmp_path: Path, remote) -> None:
    """A remote index pushed before full-text search: push upgrades it in place."""
    c, keys, _ = _local(tmp_path / "local", 120, big=False)
    c.update_metadata_configuration(vectorBucketName="collection", indexName="segments",
                                    add={"textSearchConfigurations": [
                                        {"metadataKey": "snippet", "language": "en"}]})
    remote.create_vector_bucket(vectorBucketName="rbk")
    remote.create_index(vectorBucketName="rbk", indexName="rix", dataType="float32",
                        dimension=DIM, distanceMetric="cosine")  # fmt: skip
    rep = sync.push(c, remote, bucket="rbk", index="rix", sleep=lambda s: None)
    assert rep.vectors == 120
    cfg = remote.get_index(vectorBucketName="rbk", indexName="rix")["index"]
    assert cfg["indexMode"] == "ENHANCED"
    searchable = cfg["metadataConfiguration"]["textSearchConfigurations"]
    assert [(s["metadataKey"], s["language"]) for s in searchable] == [("snippet", "en")]
    assert any("full-text search added on snippet" in n for n in rep.notes)


def test_refused_text_search_is_a_note_and_the_vectors_still_go(tmp_path: Path, remote) -> None:
    """The remote refuses another searchable key (an index has at most 10): push goes on."""
    c, keys, _ = _local(tmp_path / "local", 80, big=False)
    c.update_metadata_configuration(vectorBucketName="collection", indexName="segments",
                                    add={"textSearchConfigurations": [
                                        {"metadataKey": "snippet", "language": "en"}]})
    remote.create_vector_bucket(vectorBucketName="rbk")
    full = [{"metadataKey": f"t{i}", "language": "en"} for i in range(10)]
    remote.create_index(vectorBucketName="rbk", indexName="rix", dataType="float32",
                        dimension=DIM, distanceMetric="cosine",
                        metadataConfiguration={"textSearchConfigurations": full})  # fmt: skip
    rep = sync.push(c, remote, bucket="rbk", index="rix", sleep=lambda s: None)
    assert rep.vectors == 80 and len(_all_remote(remote)) == 80
    assert any("full-text search not set up (ValidationException" in n for n in rep.notes)
