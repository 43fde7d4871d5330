"""Every operation and member of botocore's installed s3vectors model is handled by the mirror.

The model is read at test time (no copied lists). One scenario calls every operation,
with every input member, on the local client and on the twin through boto3; the member
paths each request and response actually used are recorded against the model's shapes.
A member of the model that the scenario neither sends nor gets back, and that
``model_coverage.REFUSED`` does not list, fails the test: a future botocore that adds an
operation or member makes it fail until the mirror handles it.
"""

from __future__ import annotations

import json

import boto3
import numpy as np
import pytest
from botocore import xform_name

from nova_toolkit.twin import Twin, TwinConfig
from nova_toolkit.vectors import local_client
from nova_toolkit.vectors.errors import service_model
from nova_toolkit.vectors.model_coverage import REFUSED, member_paths, value_paths

KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})


class Recorder:
    """Calls an operation and records the model member paths of request and response."""

    def __init__(self, client) -> None:
        self.client = client
        self.inputs: set[str] = set()
        self.outputs: set[str] = set()
        self.ops: set[str] = set()
        self.model = service_model()
        self.names = {xform_name(op): op for op in self.model.operation_names}

    def __call__(self, method: str, **params):
        op = self.model.operation_model(self.names[method])
        out = getattr(self.client, method)(**params)
        self.ops.add(op.name)
        self.inputs.update(value_paths(op.input_shape, params, f"{op.name}:"))
        if op.output_shape is not None:
            self.outputs.update(value_paths(op.output_shape, out, f"{op.name}:"))
        return out


def scenario(call: Recorder) -> None:
    """Every operation, every input member (by name and by ARN), every output member."""
    a, b = "cov-aa", "cov-bb"
    call("create_vector_bucket", vectorBucketName=a, tags={"team": "x"},
         encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": KMS})
    call("create_vector_bucket", vectorBucketName=b)
    arn_a = call("get_vector_bucket", vectorBucketName=a)["vectorBucket"]["vectorBucketArn"]
    arn_b = call("get_vector_bucket", vectorBucketArn=arn_a)["vectorBucket"]["vectorBucketArn"]
    arn_b = arn_b.replace(a, b)
    tok = call("list_vector_buckets", maxResults=1, prefix="cov-")["nextToken"]
    call("list_vector_buckets", maxResults=1, prefix="cov-", nextToken=tok)
    call("put_vector_bucket_policy", vectorBucketName=a, policy=POLICY)
    call("put_vector_bucket_policy", vectorBucketArn=arn_b, policy=POLICY)
    call("get_vector_bucket_policy", vectorBucketName=a)
    call("get_vector_bucket_policy", vectorBucketArn=arn_b)
    call("delete_vector_bucket_policy", vectorBucketName=a)
    call("delete_vector_bucket_policy", vectorBucketArn=arn_b)
    call("put_vector_bucket_default_index_mode", vectorBucketName=a, defaultIndexMode="ENHANCED")
    call("put_vector_bucket_default_index_mode", vectorBucketArn=arn_b,
         defaultIndexMode="ENHANCED")
    common = {"dataType": "float32", "dimension": 4, "distanceMetric": "cosine"}
    arn_ix = call("create_index", vectorBucketName=a, indexName="idx-one", **common, tags={"k": "v"},
                  encryptionConfiguration={"sseType": "aws:kms", "kmsKeyArn": KMS},
                  metadataConfiguration={
                      "nonFilterableMetadataKeys": ["snippet"],
                      "textSearchConfigurations": [{"metadataKey": "snippet", "language": "en",
                                                    "status": "ACTIVE"},  # output-only: ignored
                                                   {"metadataKey": "title"}]})["indexArn"]
    call("create_index", vectorBucketArn=arn_a, indexName="idx-two", **common)
    ix = {"vectorBucketName": a, "indexName": "idx-one"}
    call("get_index", **ix)
    call("get_index", indexArn=arn_ix)
    tok = call("list_indexes", vectorBucketName=a, maxResults=1, prefix="idx-")["nextToken"]
    call("list_indexes", vectorBucketArn=arn_a, maxResults=1, prefix="idx-", nextToken=tok)
    call("update_index_mode", **ix, indexMode="ENHANCED")
    call("update_index_mode", indexArn=arn_ix, indexMode="ENHANCED")
    call("update_metadata_configuration", **ix,
         add={"textSearchConfigurations": [{"metadataKey": "body", "language": "de",
                                            "status": "BUILDING"}]})
    call("update_metadata_configuration", indexArn=arn_ix,
         delete={"textSearchConfigurations": [{"metadataKey": "body"}]})
    rng = np.random.default_rng(1)
    vecs = [{"key": f"v{i:03d}", "data": {"float32": rng.standard_normal(4).tolist()},
             "metadata": {"snippet": f"red fox {i}", "title": "fox" if i % 2 else "dog",
                          "n": i}} for i in range(120)]
    call("put_vectors", **ix, vectors=vecs[:60])
    call("put_vectors", indexArn=arn_ix, vectors=vecs[60:])
    call("get_vectors", **ix, keys=["v001"], returnData=True, returnMetadata=True)
    call("get_vectors", indexArn=arn_ix, keys=["v002"])
    tok = call("list_vectors", **ix, maxResults=2, returnData=True, returnMetadata=True,
               segmentCount=1, segmentIndex=0)["nextToken"]
    call("list_vectors", indexArn=arn_ix, maxResults=2, segmentCount=1, segmentIndex=0,
         nextToken=tok)
    q = {"float32": [1.0, 0.0, 0.0, 0.0]}
    call("query_vectors", **ix, topK=5, queryVector=q, filter={"n": {"$gte": 3}},
         queryMode="ENHANCED", returnMetadata=True, returnDistance=True, returnScores=True,
         queryTexts=[{"text": "fox", "metadataKey": "snippet"},
                     {"text": "fox", "metadataKey": "title"}])
    first = call("query_vectors", indexArn=arn_ix, topK=110, queryVector=q)
    call("query_vectors", indexArn=arn_ix, topK=110, queryVector=q, nextToken=first["nextToken"])
    call("delete_vectors", **ix, keys=["v000"])
    call("delete_vectors", indexArn=arn_ix, keys=["v001"])
    call("tag_resource", resourceArn=arn_ix, tags={"more": "tags"})
    call("list_tags_for_resource", resourceArn=arn_ix)
    call("untag_resource", resourceArn=arn_ix, tagKeys=["more"])
    call("delete_index", vectorBucketName=a, indexName="idx-two")
    call("delete_index", indexArn=arn_ix)
    call("delete_vector_bucket", vectorBucketName=a)
    call("delete_vector_bucket", vectorBucketArn=arn_b)


def _check(rec: Recorder) -> None:
    model = service_model()
    missing_ops = [op for op in model.operation_names if op not in rec.ops]
    assert not missing_ops, f"operations not exercised: {missing_ops}"
    unhandled_in, unseen_out = [], []
    for name in model.operation_names:
        op = model.operation_model(name)
        for path in member_paths(op.input_shape, f"{name}:"):
            if path not in rec.inputs and path not in REFUSED:
                unhandled_in.append(path)
        if op.output_shape is not None:
            unseen_out += [p for p in member_paths(op.output_shape, f"{name}:")
                           if p not in rec.outputs]
    assert not unhandled_in, f"input members neither exercised nor refused: {unhandled_in}"
    assert not unseen_out, f"output members never returned: {unseen_out}"


def test_local_client_has_every_operation(tmp_path) -> None:
    client = local_client(tmp_path)
    for op in service_model().operation_names:
        assert callable(getattr(client, xform_name(op), None)), op
    for path, (code, status, why) in REFUSED.items():  # refusals name a modeled AWS error
        assert path.split(":")[0] in service_model().operation_names and why
        assert code in {s.name for s in service_model().error_shapes} and status >= 400


def test_every_member_through_the_local_client(tmp_path) -> None:
    rec = Recorder(local_client(tmp_path))
    scenario(rec)
    _check(rec)


@pytest.fixture
def twin(tmp_path):
    t = Twin(TwinConfig(root=tmp_path / "twin"), port=0).start()
    yield t
    t.stop()


def test_every_member_through_the_twin_with_boto3(twin) -> None:
    s3v = boto3.client("s3vectors", endpoint_url=twin.url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    rec = Recorder(s3v)
    scenario(rec)
    _check(rec)

