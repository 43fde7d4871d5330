"""Buckets, indexes, policies, tags and the paginated list operations."""

from __future__ import annotations

import datetime as dt

import botocore.session
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from s3v_helpers import BUCKET, make_index

from nova_toolkit.vectors import LocalS3VectorsClient, local_client

ARN = "arn:aws:s3vectors:us-east-1:000000000000:bucket"


def test_bucket_lifecycle(client: LocalS3VectorsClient) -> None:
    got = client.get_vector_bucket(vectorBucketName=BUCKET)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    b = got["vectorBucket"]
    assert b["vectorBucketName"] == BUCKET
    assert b["vectorBucketArn"] == f"{ARN}/{BUCKET}"
    assert isinstance(b["creationTime"], dt.datetime)
    assert client.get_vector_bucket(vectorBucketArn=f"{ARN}/{BUCKET}")["vectorBucket"] == b
    client.delete_vector_bucket(vectorBucketName=BUCKET)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_vector_bucket(vectorBucketName=BUCKET)


def test_responses_match_service_model_shapes(client: LocalS3VectorsClient) -> None:
    """Every member we return exists in botocore's output shape (names spelled exactly)."""
    model = botocore.session.get_session().get_service_model("s3vectors")
    make_index(client)

    def check(value, shape, path):
        if shape.type_name == "structure" and not shape.metadata.get("document"):
            for k, sub in value.items():
                if k == "ResponseMetadata" and path == "":
                    continue
                assert k in shape.members, f"{path}.{k} not in {shape.name}"
                check(sub, shape.members[k], f"{path}.{k}")
            for req in shape.required_members:
                assert req in value, f"{path}.{req} missing"
        elif shape.type_name == "list":
            for i, item in enumerate(value):
                check(item, shape.member, f"{path}[{i}]")

    ix = {"vectorBucketName": BUCKET, "indexName": "idx"}
    client.put_vectors(
        **ix, vectors=[{"key": "a", "data": {"float32": [1.0] * 8}, "metadata": {"m": 1}}]
    )
    calls = {
        "GetVectorBucket": client.get_vector_bucket(vectorBucketName=BUCKET),
        "ListVectorBuckets": client.list_vector_buckets(),
        "GetIndex": client.get_index(**ix),
        "ListIndexes": client.list_indexes(vectorBucketName=BUCKET),
        "GetVectors": client.get_vectors(**ix, keys=["a"], returnData=True, returnMetadata=True),
        "ListVectors": client.list_vectors(**ix, returnData=True, returnMetadata=True),
        "QueryVectors": client.query_vectors(
            **ix,
            topK=1,
            queryVector={"float32": [1.0] * 8},
            returnDistance=True,
            returnMetadata=True,
        ),
    }
    for op, resp in calls.items():
        check(resp, model.operation_model(op).output_shape, "")


def test_duplicate_bucket_conflict_and_non_empty_delete(client: LocalS3VectorsClient) -> None:
    with pytest.raises(client.exceptions.ConflictException):
        client.create_vector_bucket(vectorBucketName=BUCKET)
    make_index(client)
    with pytest.raises(ClientError) as err:
        client.delete_vector_bucket(vectorBucketName=BUCKET)
    assert err.value.response["Error"]["Code"] == "ConflictException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    client.delete_index(vectorBucketName=BUCKET, indexName="idx")
    client.delete_vector_bucket(vectorBucketName=BUCKET)


def test_index_lifecycle_by_name_and_arn(client: LocalS3VectorsClient) -> None:
    arn = client.create_index(
        vectorBucketName=BUCKET,
        indexName="my.index-1",
        dataType="float32",
        dimension=16,
        distanceMetric="euclidean",
        metadataConfiguration={"nonFilterableMetadataKeys": ["text"]},
    )["indexArn"]
    assert arn == f"{ARN}/{BUCKET}/index/my.index-1"
    idx = client.get_index(indexArn=arn)["index"]
    assert idx["dimension"] == 16 and idx["distanceMetric"] == "euclidean"
    assert idx["dataType"] == "float32" and idx["vectorBucketName"] == BUCKET
    assert idx["metadataConfiguration"] == {"nonFilterableMetadataKeys": ["text"]}
    assert client.get_index(vectorBucketName=BUCKET, indexName="my.index-1")["index"] == idx
    with pytest.raises(ParamValidationError):  # GetIndex has no vectorBucketArn, as in boto3
        client.get_index(vectorBucketArn=f"{ARN}/{BUCKET}", indexName="my.index-1")
    with pytest.raises(client.exceptions.ConflictException):
        make_index(client, "my.index-1")
    client.delete_index(indexArn=arn)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_index(indexArn=arn)


def _drain(call, result_key, **params):
    items, token, pages = [], None, 0
    while True:
        resp = call(**params, **({"nextToken": token} if token else {}))
        items += resp[result_key]
        pages += 1
        token = resp.get("nextToken")
        if not token:
            return items, pages


def test_list_buckets_and_indexes_paginate(root) -> None:
    c = local_client(root)
    names = [f"bucket-{i:02d}" for i in range(7)]
    for n in names:
        c.create_vector_bucket(vectorBucketName=n)
    items, pages = _drain(c.list_vector_buckets, "vectorBuckets", maxResults=3)
    assert [b["vectorBucketName"] for b in items] == names and pages == 3
    items, _ = _drain(c.list_vector_buckets, "vectorBuckets", prefix="bucket-0", maxResults=2)
    assert len(items) == 7
    assert c.list_vector_buckets(prefix="nope")["vectorBuckets"] == []

    for i in range(5):
        c.create_index(
            vectorBucketName="bucket-00",
            indexName=f"ix-{i}",
            dataType="float32",
            dimension=4,
            distanceMetric="cosine",
        )
    c.create_index(
        vectorBucketName="bucket-00",
        indexName="other",
        dataType="float32",
        dimension=4,
        distanceMetric="cosine",
    )
    items, pages = _drain(c.list_indexes, "indexes", vectorBucketName="bucket-00", maxResults=2)
    assert [i["indexName"] for i in items] == [f"ix-{i}" for i in range(5)] + ["other"]
    assert pages == 3
    assert all(i["indexArn"].endswith("/index/" + i["indexName"]) for i in items)
    pref = c.list_indexes(vectorBucketName="bucket-00", prefix="ix-")["indexes"]
    assert len(pref) == 5

    pager = c.get_paginator("list_indexes")
    pages = list(pager.paginate(vectorBucketName="bucket-00", PaginationConfig={"PageSize": 4}))
    assert [len(p["indexes"]) for p in pages] == [4, 2]
    full = pager.paginate(vectorBucketName="bucket-00").build_full_result()
    assert len(full["indexes"]) == 6
    assert c.can_paginate("list_vector_buckets") and not c.can_paginate("get_index")


def test_policy_and_tags(client: LocalS3VectorsClient) -> None:
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_vector_bucket_policy(vectorBucketName=BUCKET)
    client.put_vector_bucket_policy(vectorBucketName=BUCKET, policy='{"Version": "2012-10-17"}')
    assert client.get_vector_bucket_policy(vectorBucketName=BUCKET)["policy"].startswith("{")
    client.delete_vector_bucket_policy(vectorBucketName=BUCKET)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_vector_bucket_policy(vectorBucketName=BUCKET)

    arn = f"{ARN}/{BUCKET}"
    client.tag_resource(resourceArn=arn, tags={"team": "ml", "env": "dev"})
    client.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "ml"}
    make_index(client)
    iarn = f"{arn}/index/idx"
    client.tag_resource(resourceArn=iarn, tags={"a": "b"})
    assert client.list_tags_for_resource(resourceArn=iarn)["tags"] == {"a": "b"}
    with pytest.raises(client.exceptions.NotFoundException):
        client.list_tags_for_resource(resourceArn=f"{arn}/index/missing")
