"""Table of invalid requests: error code, HTTP status and the field named in the error."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from s3v_helpers import BUCKET

from nova_toolkit.vectors import LocalS3VectorsClient, local_client

IX = {"vectorBucketName": BUCKET, "indexName": "idx"}
Q = {"float32": [1.0, 0.0, 0.0, 0.0]}


def vec(key="k", data=(1.0, 0.0, 0.0, 0.0), metadata=None):
    out = {"key": key, "data": {"float32": list(data)}}
    if metadata is not None:
        out["metadata"] = metadata
    return out


def new_index(**kw):
    return {
        "vectorBucketName": BUCKET,
        "indexName": "new-idx",
        "dataType": "float32",
        "dimension": 4,
        "distanceMetric": "cosine",
        **kw,
    }


V = "ValidationException"
CASES = [
    # (id, method, params, code, status, field path or None)
    (
        "bucket-name-leading-hyphen",
        "create_vector_bucket",
        {"vectorBucketName": "-ab"},
        V,
        400,
        "vectorBucketName",
    ),
    (
        "bucket-name-upper",
        "create_vector_bucket",
        {"vectorBucketName": "My-Bucket"},
        V,
        400,
        "vectorBucketName",
    ),
    (
        "bucket-name-dot",
        "create_vector_bucket",
        {"vectorBucketName": "my.bucket"},
        V,
        400,
        "vectorBucketName",
    ),
    (
        "bucket-name-hyphen-end",
        "create_vector_bucket",
        {"vectorBucketName": "bucket-"},
        V,
        400,
        "vectorBucketName",
    ),
    (
        "bucket-name-long",
        "create_vector_bucket",
        {"vectorBucketName": "b" * 64},
        V,
        400,
        "vectorBucketName",
    ),
    (
        "duplicate-bucket",
        "create_vector_bucket",
        {"vectorBucketName": BUCKET},
        "ConflictException",
        409,
        None,
    ),
    (
        "delete-non-empty-bucket",
        "delete_vector_bucket",
        {"vectorBucketName": BUCKET},
        "ConflictException",
        409,
        None,
    ),
    (
        "missing-bucket",
        "get_vector_bucket",
        {"vectorBucketName": "nope-bucket"},
        "NotFoundException",
        404,
        None,
    ),
    ("index-name-underscore", "create_index", new_index(indexName="bad_name"), V, 400, "indexName"),
    ("dimension-4097", "create_index", new_index(dimension=4097), V, 400, "dimension"),
    ("bad-metric", "create_index", new_index(distanceMetric="dot"), V, 400, "distanceMetric"),
    ("bad-datatype", "create_index", new_index(dataType="float16"), V, 400, "dataType"),
    (
        "too-many-non-filterable",
        "create_index",
        new_index(
            metadataConfiguration={"nonFilterableMetadataKeys": [f"k{i}" for i in range(11)]}
        ),
        V,
        400,
        "metadataConfiguration.nonFilterableMetadataKeys",
    ),
    ("duplicate-index", "create_index", new_index(indexName="idx"), "ConflictException", 409, None),
    (
        "missing-index",
        "get_index",
        {"vectorBucketName": BUCKET, "indexName": "nope"},
        "NotFoundException",
        404,
        None,
    ),
    (
        "missing-index-query",
        "query_vectors",
        {"vectorBucketName": BUCKET, "indexName": "nope", "topK": 1, "queryVector": Q},
        "NotFoundException",
        404,
        None,
    ),
    (
        "index-in-missing-bucket",
        "put_vectors",
        {"vectorBucketName": "nope-bucket", "indexName": "idx", "vectors": [vec()]},
        "NotFoundException",
        404,
        None,
    ),
    (
        "both-bucket-name-and-arn",
        "get_vector_bucket",
        {
            "vectorBucketName": BUCKET,
            "vectorBucketArn": f"arn:aws:s3vectors:us-east-1:000000000000:bucket/{BUCKET}",
        },
        V,
        400,
        "vectorBucketName",
    ),
    (
        "foreign-account-arn",
        "get_vector_bucket",
        {"vectorBucketArn": f"arn:aws:s3vectors:us-east-1:123456789012:bucket/{BUCKET}"},
        "NotFoundException",
        404,
        None,
    ),
    (
        "key-too-long",
        "put_vectors",
        {**IX, "vectors": [vec(key="k" * 1025)]},
        V,
        400,
        "vectors[0].key",
    ),
    (
        "wrong-dimension",
        "put_vectors",
        {**IX, "vectors": [vec(data=[1.0, 2.0])]},
        V,
        400,
        "vectors[0].data.float32",
    ),
    (
        "nan",
        "put_vectors",
        {**IX, "vectors": [vec(), vec("k2", [float("nan"), 0, 0, 1])]},
        V,
        400,
        "vectors[1].data.float32",
    ),
    (
        "inf",
        "put_vectors",
        {**IX, "vectors": [vec(data=[float("inf"), 0, 0, 1])]},
        V,
        400,
        "vectors[0].data.float32",
    ),
    (
        "zero-vector-cosine",
        "put_vectors",
        {**IX, "vectors": [vec(data=[0, 0, 0, 0])]},
        V,
        400,
        "vectors[0].data.float32",
    ),
    (
        "too-many-vectors",
        "put_vectors",
        {**IX, "vectors": [vec(f"k{i}") for i in range(501)]},
        V,
        400,
        "vectors",
    ),
    (
        "duplicate-keys",
        "put_vectors",
        {**IX, "vectors": [vec("a"), vec("a")]},
        V,
        400,
        "vectors[1]",
    ),
    (
        "metadata-too-big",
        "put_vectors",
        {**IX, "vectors": [vec(metadata={"big": "x" * 41_000})]},
        V,
        400,
        "vectors[0].metadata",
    ),
    (
        "filterable-metadata-too-big",
        "put_vectors",
        {**IX, "vectors": [vec(metadata={"f": "x" * 2100})]},
        V,
        400,
        "vectors[0].metadata",
    ),
    ("non-filterable-may-be-big", None, None, None, None, None),
    (
        "metadata-too-many-keys",
        "put_vectors",
        {**IX, "vectors": [vec(metadata={f"k{i}": i for i in range(51)})]},
        V,
        400,
        "vectors[0].metadata",
    ),
    (
        "metadata-nested-object",
        "put_vectors",
        {**IX, "vectors": [vec(metadata={"obj": {"a": 1}})]},
        V,
        400,
        "vectors[0].metadata.obj",
    ),
    (
        "get-too-many-keys",
        "get_vectors",
        {**IX, "keys": [f"k{i}" for i in range(101)]},
        V,
        400,
        "keys",
    ),
    (
        "delete-too-many-keys",
        "delete_vectors",
        {**IX, "keys": [f"k{i}" for i in range(501)]},
        V,
        400,
        "keys",
    ),
    ("list-max-results", "list_vectors", {**IX, "maxResults": 1001}, V, 400, "maxResults"),
    ("segment-count-alone", "list_vectors", {**IX, "segmentCount": 2}, V, 400, "segmentCount"),
    (
        "segment-index-out-of-range",
        "list_vectors",
        {**IX, "segmentCount": 2, "segmentIndex": 2},
        V,
        400,
        "segmentIndex",
    ),
    (
        "segment-count-17",
        "list_vectors",
        {**IX, "segmentCount": 17, "segmentIndex": 0},
        V,
        400,
        "segmentCount",
    ),
    ("bad-token", "list_vectors", {**IX, "nextToken": "!!!not-a-token"}, V, 400, "nextToken"),
    ("query-nothing", "query_vectors", {**IX, "topK": 1}, V, 400, "queryVector"),
    (
        "query-wrong-dimension",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": {"float32": [1.0]}},
        V,
        400,
        "queryVector.float32",
    ),
    (
        "query-zero-cosine",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": {"float32": [0] * 4}},
        V,
        400,
        "queryVector.float32",
    ),
    (
        "filter-non-filterable",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"text": "x"}},
        V,
        400,
        "filter.text",
    ),
    (
        "filter-unknown-op",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"a": {"$regex": "x"}}},
        V,
        400,
        "filter.a.$regex",
    ),
    (
        "filter-gt-string",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"a": {"$gt": "x"}}},
        V,
        400,
        "filter.a.$gt",
    ),
    (
        "filter-empty-in",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"a": {"$in": []}}},
        V,
        400,
        "filter.a.$in",
    ),
    (
        "filter-empty-and",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"$and": []}},
        V,
        400,
        "filter.$and",
    ),
    (
        "filter-exists-not-bool",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"a": {"$exists": 1}}},
        V,
        400,
        "filter.a.$exists",
    ),
    (
        "filter-bare-list",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"a": [1, 2]}},
        V,
        400,
        "filter.a",
    ),
    (
        "filter-unknown-logical",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"$not": {"a": 1}}},
        V,
        400,
        "filter.$not",
    ),
    (
        "filter-nested-bad",
        "query_vectors",
        {**IX, "topK": 1, "queryVector": Q, "filter": {"$or": [{"a": 1}, {"b": {"$lt": True}}]}},
        V,
        400,
        "filter.$or[1].b.$lt",
    ),
]
CASES = [c for c in CASES if c[1] is not None]


@pytest.fixture
def seeded(client: LocalS3VectorsClient) -> LocalS3VectorsClient:
    client.create_index(
        **IX,
        dataType="float32",
        dimension=4,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["text"]},
    )
    return client


@pytest.mark.parametrize(
    ("method", "params", "code", "status", "path"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_invalid_request(seeded, method, params, code, status, path) -> None:
    with pytest.raises(ClientError) as err:
        getattr(seeded, method)(**params)
    exc = err.value
    resp = exc.response
    assert resp["Error"]["Code"] == code
    assert isinstance(exc, getattr(seeded.exceptions, code))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status
    assert resp["message"] == resp["Error"]["Message"] and resp["message"]
    if path is not None:
        assert resp["fieldList"][0]["path"] == path
        assert path in resp["message"]


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 20


def test_non_filterable_metadata_may_exceed_2kb(seeded) -> None:
    seeded.put_vectors(**IX, vectors=[vec(metadata={"text": "x" * 30_000, "f": 1})])
    got = seeded.get_vectors(**IX, keys=["k"], returnMetadata=True)["vectors"][0]
    assert len(got["metadata"]["text"]) == 30_000


@pytest.mark.parametrize(
    "params",
    [
        {**IX, "topK": 1, "queryVector": Q, "bogus": 1},  # unknown parameter
        {**IX, "topK": 0, "queryVector": Q},  # below the modeled minimum
        {**IX, "queryVector": Q},  # missing required topK
        {**IX, "topK": "3", "queryVector": Q},  # wrong type
        {**IX, "topK": 1, "queryVector": {"float32": [1.0, "0", 0.0, 0.0]}},  # a string element
        {**IX, "topK": 1, "queryVector": {"float32": [1.0, None, 0.0, 0.0]}},  # a null element
        {**IX, "topK": 1, "queryVector": {"float32": [[1.0], 0.0, 0.0, 0.0]}},  # nested list
    ],
)
def test_client_side_param_validation(seeded, params) -> None:
    with pytest.raises(ParamValidationError):
        seeded.query_vectors(**params)


def test_modeled_minimums_are_client_side(seeded) -> None:
    """Like boto3: below-minimum values never reach the service."""
    with pytest.raises(ParamValidationError, match="dimension"):
        seeded.create_index(**new_index(dimension=0))
    with pytest.raises(ParamValidationError, match="vectorBucketName"):
        seeded.create_vector_bucket(vectorBucketName="ab")
    with pytest.raises(ParamValidationError, match="key"):
        seeded.put_vectors(**IX, vectors=[vec(key="")])
    # element types of vector data are botocore's to reject, as with boto3 (the mirror
    # skips its per-element walk only for lists numpy reads as plain numbers)
    with pytest.raises(ParamValidationError, match="float32"):
        seeded.put_vectors(**IX, vectors=[vec(), vec(key="b", data=(1.0, "2", 0.0, 0.0))])


def test_exceptions_namespace(tmp_path) -> None:
    c = local_client(tmp_path)
    for name in (
        "ValidationException",
        "NotFoundException",
        "ConflictException",
        "ServiceQuotaExceededException",
        "AccessDeniedException",
        "TooManyRequestsException",
        "InternalServerException",
        "ServiceUnavailableException",
        "RequestTimeoutException",
    ):
        assert issubclass(getattr(c.exceptions, name), ClientError)
    with pytest.raises(c.exceptions.NotFoundException) as err:
        c.get_vector_bucket(vectorBucketName="missing")
    assert "missing" in str(err.value) and err.value.operation_name == "GetVectorBucket"
