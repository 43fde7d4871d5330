"""``embed s3://bucket/prefix/`` against the twin's S3 (moto), with the standard AWS config."""

from __future__ import annotations

import boto3
import pytest

from nova_toolkit.collection import Collection


@pytest.fixture
def aws_env(twin, monkeypatch):
    for k, v in {"AWS_ENDPOINT_URL": twin.url, "AWS_ACCESS_KEY_ID": "test",
                 "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    return boto3.client("s3")


def test_embed_an_s3_prefix_and_keep_in_step(aws_env, tmp_path, local_embedder):
    s3 = aws_env
    s3.create_bucket(Bucket="media")
    docs = {
        "library/dogs.txt": "A dog chases a ball across the sandy beach.",
        "library/space/orbit.md": "# Orbit\n\nThe rocket reached low Earth orbit.",
        "library/.hidden.txt": "not media",
        "library/empty.txt": "",
        "other/elsewhere.txt": "Not under the prefix.",
    }
    for key, text in docs.items():
        s3.put_object(Bucket="media", Key=key, Body=text.encode())
    s3.put_object(Bucket="media", Key="library/folder/", Body=b"")  # a console "folder"
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    r = coll.add(["s3://media/library/"], progress=False)
    assert (r.embedded, r.failed) == (2, 1)
    assert dict(r.failures) == {"s3://media/library/empty.txt": "empty content (0 bytes)"}
    hit = coll.search("puppy at the seaside", top_k=1)[0]
    assert hit["source"] == "s3://media/library/dogs.txt"

    r = coll.add(["s3://media/library/"], progress=False)
    assert r.embedded == 0 and r.unchanged == 2

    s3.delete_object(Bucket="media", Key="library/dogs.txt")
    s3.put_object(Bucket="media", Key="library/space/orbit.md", Body=b"Trains and railways.")
    r = coll.add(["s3://media/library/"], progress=False)
    assert r.removed == ["s3://media/library/dogs.txt"] and r.embedded == 1
    assert {h["source"] for h in coll.search("anything", top_k=10)} == {
        "s3://media/library/space/orbit.md"}

    # a prefix that cannot be listed is a failure, and removes nothing stored under it
    r = coll.add(["s3://no-such-bucket/x/"], progress=False)
    assert r.failures == [("s3://no-such-bucket/x/", "no such bucket")]
    assert len(coll) == 1
