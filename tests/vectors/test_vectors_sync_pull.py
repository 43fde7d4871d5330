"""``pull`` resumes after an interruption: the twin on 127.0.0.1, boto3 as the client."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import numpy as np
import pytest

from nova_toolkit.twin import Twin, TwinConfig
from nova_toolkit.vectors import local_client, sync

DIM = 6
N = 1100


def _boto(url: str):
    return boto3.client(
        "s3vectors", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


@pytest.fixture
def twin(tmp_path: Path):
    t = Twin(TwinConfig(root=tmp_path / "twin"), port=0).start()
    yield t
    t.stop()


@pytest.fixture
def remote(twin):
    return _boto(twin.url)


class Interrupted(Exception):
    pass


def _stop_after(pages: int):
    seen = {"n": 0}

    def on_page(done: int) -> None:
        seen["n"] += 1
        if seen["n"] == pages:
            raise Interrupted(done)

    return on_page


def _fill(remote, n: int = N, key=lambda i: f"v{i:05d}") -> None:
    """A remote index written through boto3 PutVectors (no sync code involved)."""
    remote.create_vector_bucket(vectorBucketName="rbk")
    remote.create_index(
        vectorBucketName="rbk", indexName="rix", dataType="float32", dimension=DIM,
        distanceMetric="euclidean", metadataConfiguration={"nonFilterableMetadataKeys": ["note"]},
    )  # fmt: skip
    rng = np.random.default_rng(7)
    data = rng.standard_normal((n, DIM)).astype(np.float32)
    for lo in range(0, n, 500):
        vecs = []
        for i in range(lo, min(lo + 500, n)):
            meta = {"genre": ["a", "b", "c"][i % 3], "year": 1990 + i % 30, "ok": i % 2 == 0,
                    "tags": [f"t{i % 5}", "all"]}  # fmt: skip
            if i % 4 == 0:
                meta["note"] = "long note " * 40
            vecs.append({"key": key(i), "data": {"float32": data[i].tolist()}, "metadata": meta})
        remote.put_vectors(vectorBucketName="rbk", indexName="rix", vectors=vecs)


def _listing(client, bucket: str = "rbk", index: str = "rix") -> dict[str, tuple]:
    """Every vector of an index (boto3 or local mirror): key -> (float32 data, metadata)."""
    out: dict[str, tuple] = {}
    token = None
    while True:
        kw = dict(vectorBucketName=bucket, indexName=index, maxResults=1000, returnData=True,
                  returnMetadata=True)  # fmt: skip
        if token:
            kw["nextToken"] = token
        page = client.list_vectors(**kw)
        for item in page["vectors"]:
            assert item["key"] not in out
            out[item["key"]] = (
                np.asarray(item["data"]["float32"], dtype=np.float32).tobytes(),
                item.get("metadata") or {},
            )
        token = page.get("nextToken")
        if not token:
            return out


def _same(local_root: Path, remote) -> None:
    back = local_client(local_root)
    mine, theirs = _listing(back), _listing(remote)
    assert sorted(mine) == sorted(theirs)
    assert mine == theirs  # bit-identical vectors, equal metadata
    cfg = back.get_index(vectorBucketName="rbk", indexName="rix")["index"]
    assert cfg["dimension"] == DIM and cfg["distanceMetric"] == "euclidean"
    assert cfg["metadataConfiguration"]["nonFilterableMetadataKeys"] == ["note"]


def test_pull_interrupted_then_resumed(tmp_path: Path, remote) -> None:
    _fill(remote)
    dest = tmp_path / "mirror"
    with pytest.raises(Interrupted):
        sync.pull(remote, bucket="rbk", index="rix", to=dest, page_size=200,
                  on_page=_stop_after(3))  # fmt: skip
    ck = dest / "pull-rbk-rix.json"
    state = json.loads(ck.read_text())
    seg = state["segments_state"][0]
    assert not state["done"] and seg["pages"] == 3 and seg["vectors"] == 600 and seg["token"]
    assert state["endpoint"] == remote.meta.endpoint_url
    # the local writes of the 3 checkpointed pages are on disk, nothing more
    assert len(_listing(local_client(dest))) == 600

    rep = sync.pull(remote, bucket="rbk", index="rix", to=dest, page_size=200)
    assert rep.skipped == 600 and rep.vectors == N - 600  # did not start over
    assert rep.requests == 3 and rep.relisted == 0  # pages 4, 5 and 6 (the last, 100)
    assert json.loads(ck.read_text())["done"]
    _same(dest, remote)

    # a finished checkpoint is not a reason to skip anything: a new pull lists it all
    rep = sync.pull(remote, bucket="rbk", index="rix", to=dest, page_size=500)
    assert rep.skipped == 0 and rep.vectors == N
    _same(dest, remote)


def test_pull_in_parallel_segments_resumes(tmp_path: Path, remote) -> None:
    _fill(remote)
    dest = tmp_path / "mirror"
    with pytest.raises(Interrupted):
        sync.pull(remote, bucket="rbk", index="rix", to=dest, page_size=100, segments=4,
                  on_page=_stop_after(4))  # fmt: skip
    state = json.loads((dest / "pull-rbk-rix.json").read_text())
    done_before = sum(s["vectors"] for s in state["segments_state"])
    assert state["segments"] == 4 and 400 <= done_before < N
    assert len(_listing(local_client(dest))) == done_before
    rep = sync.pull(remote, bucket="rbk", index="rix", to=dest, page_size=100, segments=4)
    assert rep.skipped == done_before and rep.vectors == N - done_before
    _same(dest, remote)


def test_pull_checkpoint_is_tied_to_its_pair(tmp_path: Path, remote) -> None:
    _fill(remote, n=300)
    ck = tmp_path / "shared.json"
    with pytest.raises(Interrupted):
        sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "a", page_size=100,
                  checkpoint=ck, on_page=_stop_after(1))  # fmt: skip
    # another local target, another segment count, another endpoint: start over
    rep = sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "b", page_size=100,
                    checkpoint=ck)  # fmt: skip
    assert rep.skipped == 0 and rep.vectors == 300
    with pytest.raises(Interrupted):
        sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "a", page_size=100,
                  checkpoint=ck, on_page=_stop_after(1))  # fmt: skip
    rep = sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "a", page_size=100,
                    checkpoint=ck, segments=2)  # fmt: skip
    assert rep.skipped == 0 and rep.vectors == 300
    with pytest.raises(Interrupted):
        sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "a", page_size=100,
                  checkpoint=ck, on_page=_stop_after(1))  # fmt: skip
    other = _boto(remote.meta.endpoint_url.replace("127.0.0.1", "localhost"))
    rep = sync.pull(other, bucket="rbk", index="rix", to=tmp_path / "a", page_size=100,
                    checkpoint=ck)  # fmt: skip
    assert rep.skipped == 0 and rep.vectors == 300
    # ... and restart=True ignores a matching one
    with pytest.raises(Interrupted):
        sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "a", page_size=100,
                  checkpoint=ck, on_page=_stop_after(2))  # fmt: skip
    rep = sync.pull(remote, bucket="rbk", index="rix", to=tmp_path / "a", page_size=100,
                    checkpoint=ck, restart=True)  # fmt: skip
    assert rep.skipped == 0 and rep.vectors == 300
    _same(tmp_path / "a", remote)


def test_pull_falls_back_to_a_full_listing_when_the_saved_token_expired(tmp_path: Path) -> None:
    # Keys of 400 non-ASCII characters make the twin hand out opaque page tokens that live
    # only in the serving process (like tokens that expire): after a restart of the twin on
    # the same port and data, the saved token is rejected with a ValidationException.
    twin = Twin(TwinConfig(root=tmp_path / "twin"), port=0).start()
    port = twin.port
    try:
        remote = _boto(twin.url)
        _fill(remote, n=250, key=lambda i: "é" * 400 + f"{i:04d}")
        dest = tmp_path / "mirror"
        with pytest.raises(Interrupted):
            sync.pull(remote, bucket="rbk", index="rix", to=dest, page_size=100,
                      on_page=_stop_after(1))  # fmt: skip
        token = json.loads((dest / "pull-rbk-rix.json").read_text())["segments_state"][0]["token"]
        assert token.startswith("t.")  # opaque: held by the twin process only
    finally:
        twin.stop()
    twin = Twin(TwinConfig(root=tmp_path / "twin"), port=port).start()
    try:
        remote = _boto(twin.url)
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError, match="ValidationException"):
            remote.list_vectors(vectorBucketName="rbk", indexName="rix", nextToken=token)
        rep = sync.pull(remote, bucket="rbk", index="rix", to=dest, page_size=100)
        assert rep.relisted == 1 and "rejected" in rep.notes[0] and "restarted" in rep.summary()
        assert rep.skipped == 0 and rep.vectors == 250  # listed again from the start
        _same(dest, remote)
    finally:
        twin.stop()


def test_a_failed_local_write_does_not_advance_the_checkpoint(tmp_path: Path, remote) -> None:
    from nova_toolkit.vectors import LocalS3VectorsClient

    class DiskFullOnThirdWrite(LocalS3VectorsClient):
        writes = 0

        def import_vectors(self, **kw):
            type(self).writes += 1
            if type(self).writes == 3:
                raise OSError(28, "No space left on device")
            return super().import_vectors(**kw)

    _fill(remote, n=700)
    dest = tmp_path / "mirror"
    with pytest.raises(OSError, match="No space"):
        sync.pull(remote, bucket="rbk", index="rix", to=DiskFullOnThirdWrite(dest),
                  page_size=200)  # fmt: skip
    seg = json.loads((dest / "pull-rbk-rix.json").read_text())["segments_state"][0]
    assert seg["pages"] == 2 and seg["vectors"] == 400  # page 3 never reached the disk
    rep = sync.pull(remote, bucket="rbk", index="rix", to=local_client(dest), page_size=200)
    assert rep.skipped == 400 and rep.vectors == 300
    _same(dest, remote)


def test_pull_into_another_s3vectors_client(tmp_path: Path, remote) -> None:
    # a target without the local bulk import: PutVectors in chunks of 500 of a 1,000 page
    _fill(remote)
    rep = sync.pull(remote, bucket="rbk", index="rix", to=remote, local_bucket="copy-bkt",
                    page_size=1000, checkpoint=tmp_path / "ck.json")  # fmt: skip
    assert rep.vectors == N and rep.requests == 2
    assert json.loads((tmp_path / "ck.json").read_text())["target"].startswith("client:http")
    assert _listing(remote, "copy-bkt", "rix") == _listing(remote)
