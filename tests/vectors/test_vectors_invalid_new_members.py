"""Invalid requests on the operations and members new in the 2025-07-15 model (index modes,
metadata configuration, full-text / hybrid queries, paging, ``$startsWith``, encryption):
same error code, HTTP status and ``fieldList`` path on the local client and on the twin
through boto3 over HTTP."""

from __future__ import annotations

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from nova_toolkit.twin import Twin, TwinConfig
from nova_toolkit.vectors import local_client
from nova_toolkit.vectors.storage import write_json

B, OLD = "test-bucket", "old-bucket"
IX = {"vectorBucketName": B, "indexName": "idx"}
OLD_IX = {"vectorBucketName": OLD, "indexName": "old-idx"}
Q = {"float32": [1.0, 0.0, 0.0, 0.0]}
TS = "textSearchConfigurations"
V, NF, CF = "ValidationException", "NotFoundException", "ConflictException"


def new_index(bucket: str = B, **meta) -> dict:
    return {"vectorBucketName": bucket, "indexName": "new-idx", "dataType": "float32",
            "dimension": 4, "distanceMetric": "cosine", "metadataConfiguration": meta}


def texts(*pairs) -> list[dict]:
    return [{"text": t, "metadataKey": k} for t, k in pairs]


CASES = [
    # (id, method, params, code, status, field path or None)
    ("mode-bad-enum", "update_index_mode", {**IX, "indexMode": "FAST"}, V, 400, "indexMode"),
    ("mode-classic-new-bucket", "update_index_mode", {**IX, "indexMode": "CLASSIC"}, V, 400,
     "indexMode"),
    ("mode-missing-index", "update_index_mode",
     {"vectorBucketName": B, "indexName": "nope", "indexMode": "ENHANCED"}, NF, 404, None),
    ("default-mode-bad-enum", "put_vector_bucket_default_index_mode",
     {"vectorBucketName": B, "defaultIndexMode": "X"}, V, 400, "defaultIndexMode"),
    ("default-mode-classic-new-bucket", "put_vector_bucket_default_index_mode",
     {"vectorBucketName": B, "defaultIndexMode": "CLASSIC"}, V, 400, "defaultIndexMode"),
    ("default-mode-missing-bucket", "put_vector_bucket_default_index_mode",
     {"vectorBucketName": "no-such-bucket", "defaultIndexMode": "ENHANCED"}, NF, 404, None),
    ("meta-add-and-delete", "update_metadata_configuration",
     {**IX, "add": {TS: [{"metadataKey": "x"}]}, "delete": {TS: [{"metadataKey": "snippet"}]}},
     V, 400, "add"),
    ("meta-neither", "update_metadata_configuration", IX, V, 400, "add"),
    ("meta-add-existing", "update_metadata_configuration",
     {**IX, "add": {TS: [{"metadataKey": "snippet"}]}}, CF, 409, None),
    ("meta-delete-unknown", "update_metadata_configuration",
     {**IX, "delete": {TS: [{"metadataKey": "nope"}]}}, V, 400,
     "delete.textSearchConfigurations[0].metadataKey"),
    ("meta-add-bad-language", "update_metadata_configuration",
     {**IX, "add": {TS: [{"metadataKey": "x", "language": "xx"}]}}, V, 400,
     "add.textSearchConfigurations[0].language"),
    ("meta-add-duplicate", "update_metadata_configuration",
     {**IX, "add": {TS: [{"metadataKey": "x"}, {"metadataKey": "x"}]}}, V, 400,
     "add.textSearchConfigurations[1].metadataKey"),
    ("meta-add-eleven", "update_metadata_configuration",
     {**IX, "add": {TS: [{"metadataKey": f"k{i}"} for i in range(11)]}}, V, 400,
     "add.textSearchConfigurations"),
    ("meta-add-over-limit", "update_metadata_configuration",
     {**IX, "add": {TS: [{"metadataKey": f"k{i}"} for i in range(10)]}}, V, 400,
     "add.textSearchConfigurations"),
    ("meta-classic-index", "update_metadata_configuration",
     {**OLD_IX, "add": {TS: [{"metadataKey": "x"}]}}, V, 400, None),
    ("create-text-bad-language", "create_index",
     new_index(**{TS: [{"metadataKey": "t", "language": "klingon"}]}), V, 400,
     "metadataConfiguration.textSearchConfigurations[0].language"),
    ("create-text-duplicate", "create_index",
     new_index(**{TS: [{"metadataKey": "t"}, {"metadataKey": "t"}]}), V, 400,
     "metadataConfiguration.textSearchConfigurations[1].metadataKey"),
    ("create-text-key-64", "create_index", new_index(**{TS: [{"metadataKey": "k" * 64}]}), V,
     400, "metadataConfiguration.textSearchConfigurations[0].metadataKey"),
    ("create-text-eleven", "create_index",
     new_index(**{TS: [{"metadataKey": f"k{i}"} for i in range(11)]}), V, 400,
     "metadataConfiguration.textSearchConfigurations"),
    ("create-text-classic-bucket", "create_index",
     new_index(OLD, **{TS: [{"metadataKey": "t"}]}), V, 400,
     "metadataConfiguration.textSearchConfigurations"),
    ("create-non-filterable-eleven", "create_index",
     new_index(nonFilterableMetadataKeys=[f"k{i}" for i in range(11)]), V, 400,
     "metadataConfiguration.nonFilterableMetadataKeys"),
    ("query-texts-eleven", "query_vectors",
     {**IX, "topK": 1, "queryTexts": texts(*[("a", f"k{i}") for i in range(11)])}, V, 400,
     "queryTexts"),
    ("query-texts-same-key", "query_vectors",
     {**IX, "topK": 1, "queryTexts": texts(("a", "snippet"), ("b", "snippet"))}, V, 400,
     "queryTexts[1].metadataKey"),
    ("query-texts-not-searchable", "query_vectors",
     {**IX, "topK": 1, "queryTexts": texts(("a", "color"))}, V, 400,
     "queryTexts[0].metadataKey"),
    ("query-text-1025", "query_vectors",
     {**IX, "topK": 1, "queryTexts": texts(("a" * 1025, "snippet"))}, V, 400,
     "queryTexts[0].text"),
    ("query-texts-classic", "query_vectors",
     {**OLD_IX, "topK": 1, "queryTexts": texts(("a", "snippet"))}, V, 400, "queryTexts"),
    ("query-mode-classic-on-enhanced", "query_vectors",
     {**IX, "topK": 1, "queryVector": Q, "queryMode": "CLASSIC"}, V, 400, "queryMode"),
    ("query-mode-bad-enum", "query_vectors",
     {**IX, "topK": 1, "queryVector": Q, "queryMode": "TURBO"}, V, 400, "queryMode"),
    ("starts-with-classic", "query_vectors",
     {**OLD_IX, "topK": 1, "queryVector": Q, "filter": {"color": {"$startsWith": "r"}}}, V, 400,
     "filter.color.$startsWith"),
    ("starts-with-number", "query_vectors",
     {**IX, "topK": 1, "queryVector": Q, "filter": {"color": {"$startsWith": 3}}}, V, 400,
     "filter.color.$startsWith"),
    ("query-token-garbage", "query_vectors",
     {**IX, "topK": 150, "queryVector": Q, "nextToken": "%%%"}, V, 400, "nextToken"),
    ("query-token-other-query", "query_vectors",
     {**IX, "topK": 150, "queryVector": {"float32": [0.0, 1.0, 0.0, 0.0]}, "nextToken": "TOKEN"},
     V, 400, "nextToken"),
    ("kms-without-key", "create_vector_bucket",
     {"vectorBucketName": "kms-bucket", "encryptionConfiguration": {"sseType": "aws:kms"}}, V,
     400, "encryptionConfiguration.kmsKeyArn"),
    ("key-without-kms", "create_index",
     {**new_index(), "encryptionConfiguration": {
         "sseType": "AES256", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abc"}},
     V, 400, "encryptionConfiguration.kmsKeyArn"),
]


def _old_bucket(vectors_root) -> None:
    """A bucket written by an older mirror before September 30, 2026 (no recorded mode)."""
    write_json(vectors_root / "buckets" / OLD / "bucket.json",
               {"vectorBucketName": OLD, "creationTime": "2026-03-01T00:00:00+00:00",
                "encryptionConfiguration": {"sseType": "AES256"}, "tags": {}})


def _seed(c) -> str:
    c.create_vector_bucket(vectorBucketName=B)
    c.create_index(**IX, dataType="float32", dimension=4, distanceMetric="cosine",
                   metadataConfiguration={"nonFilterableMetadataKeys": ["snippet"],
                                          TS: [{"metadataKey": "snippet", "language": "en"}]})
    c.create_index(**OLD_IX, dataType="float32", dimension=4, distanceMetric="cosine")
    rng = np.random.default_rng(0)
    c.put_vectors(**IX, vectors=[{"key": f"v{i}", "data": {"float32": rng.random(4).tolist()},
                                  "metadata": {"snippet": "a red fox", "color": "red"}}
                                 for i in range(160)])
    return c.query_vectors(**IX, topK=150, queryVector=Q)["nextToken"]


@pytest.fixture(params=["local", "twin"])
def target(request, tmp_path):
    if request.param == "local":
        _old_bucket(tmp_path / "vectors")
        c = local_client(tmp_path / "vectors")
        yield c, _seed(c)
        return
    _old_bucket(tmp_path / "twin" / "s3vectors")
    twin = Twin(TwinConfig(root=tmp_path / "twin"), port=0).start()
    try:
        c = boto3.client("s3vectors", endpoint_url=twin.url, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test")
        yield c, _seed(c)
    finally:
        twin.stop()


def test_every_case(target) -> None:
    client, token = target
    for case_id, method, params, code, status, path in CASES:
        params = {k: token if v == "TOKEN" else v for k, v in params.items()}
        with pytest.raises(ClientError) as err:
            getattr(client, method)(**params)
        resp = err.value.response
        assert resp["Error"]["Code"] == code, case_id
        assert isinstance(err.value, getattr(client.exceptions, code)), case_id
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == status, case_id
        assert resp["Error"]["Message"], case_id
        if path is not None:
            assert resp["fieldList"][0]["path"] == path, case_id
            assert path in resp["Error"]["Message"], case_id


def test_modeled_minimums_of_new_members_are_client_side(target) -> None:
    client, _ = target
    for params in ({**IX, "topK": 1, "queryTexts": []},
                   {**IX, "topK": 1, "queryTexts": texts(("", "snippet"))},
                   {**IX, "topK": 1, "queryTexts": [{"text": "a"}]},
                   {**IX, "topK": 1, "queryVector": Q, "nextToken": ""}):
        with pytest.raises(ParamValidationError):
            client.query_vectors(**params)
    with pytest.raises(ParamValidationError):
        client.update_index_mode(**IX)  # indexMode is required


def test_an_explicit_top_k_cap_is_a_validation_error(tmp_path) -> None:
    c = local_client(tmp_path, max_top_k=100)
    c.create_vector_bucket(vectorBucketName=B)
    c.create_index(**IX, dataType="float32", dimension=4, distanceMetric="cosine")
    with pytest.raises(c.exceptions.ValidationException) as err:
        c.query_vectors(**IX, topK=101, queryVector=Q)
    assert err.value.response["fieldList"][0]["path"] == "topK"
