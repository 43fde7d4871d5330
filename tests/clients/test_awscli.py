"""The AWS CLI (PyPI ``awscli``, unmodified) against ``nova-toolkit serve``.

Every command runs ``.venv/bin/aws`` as a subprocess with its own HOME (so its config, its
credentials and any model added with ``aws configure add-model`` live in tmp), test
credentials, region us-east-1 and ``AWS_ENDPOINT_URL`` naming the twin: the settings a
user changes, nothing else. awscli 1.x vendors its own botocore; its s3vectors model
predates full-text search, so that test loads the newer model that our botocore ships
through awscli's documented ``aws configure add-model``.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import botocore
import numpy as np
import pytest

pytestmark = pytest.mark.slow

AWS = Path(sys.executable).with_name("aws")
MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"


class Cli:
    """``aws ...`` in a subprocess, environment pointing at the twin."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(AWS), *args], env=self.env, cwd=self.cwd,
                              capture_output=True, text=True, timeout=120)

    def ok(self, *args: str) -> dict | str:
        """Run, require exit 0, return the JSON output (or the text when it is not JSON)."""
        r = self.run(*args)
        assert r.returncode == 0, f"aws {' '.join(args)}\nstdout: {r.stdout}\nstderr: {r.stderr}"
        try:
            return json.loads(r.stdout) if r.stdout.strip() else {}
        except json.JSONDecodeError:
            return r.stdout

    def fails(self, *args: str) -> str:
        """Run, require a service error (exit 254 or 255), return stderr."""
        r = self.run(*args)
        assert r.returncode in (254, 255), (r.returncode, r.stdout, r.stderr)
        return r.stderr


@pytest.fixture
def aws(served_twin, tmp_path) -> Cli:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    env = served_twin.env(home)
    env["AWS_PAGER"] = ""
    env["AWS_DEFAULT_OUTPUT"] = "json"
    return Cli(env, tmp_path)


def test_sts_get_caller_identity(aws):
    ident = aws.ok("sts", "get-caller-identity")
    assert set(ident) >= {"UserId", "Account", "Arn"}, ident
    assert len(ident["Account"]) == 12 and ident["Account"].isdigit()
    assert ident["Arn"].startswith("arn:aws:") and f":{ident['Account']}:" in ident["Arn"]
    # the account STS names is the one in the ARNs the other services hand out
    arn = aws.ok("s3vectors", "create-vector-bucket", "--vector-bucket-name", "sts-account")
    assert arn["vectorBucketArn"].split(":")[4] == ident["Account"]


def test_sts_caller_is_an_aws_principal(aws):
    """GetCallerIdentity names a principal AWS can have: the account root, an IAM user, or an
    STS session; UserId is the matching aws:userid (account id, AIDA… id, AROA…:session)."""
    ident = aws.ok("sts", "get-caller-identity")
    acct, arn, user_id = ident["Account"], ident["Arn"], ident["UserId"]
    if arn == f"arn:aws:iam::{acct}:root":
        assert user_id == acct
    elif re.fullmatch(rf"arn:aws:iam::{acct}:user/[\w+=,.@/-]+", arn):
        assert re.fullmatch(r"AIDA[A-Z0-9]{12,}", user_id), user_id
    else:
        assert re.fullmatch(rf"arn:aws:sts::{acct}:(assumed-role|federated-user)/[\w+=,.@/-]+",
                            arn), arn
        assert re.fullmatch(r"(AROA[A-Z0-9]{12,}|\d{12}):[\w+=,.@-]+", user_id), user_id


def test_s3_mb_cp_ls(aws, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("the twin keeps S3 objects byte for byte\n" * 50)
    assert "make_bucket: cli-bucket" in aws.ok("s3", "mb", "s3://cli-bucket")
    aws.ok("s3", "cp", str(src), "s3://cli-bucket/docs/notes.txt")
    listing = aws.ok("s3", "ls", "s3://cli-bucket/docs/")
    assert "notes.txt" in listing and str(src.stat().st_size) in listing
    assert "cli-bucket" in aws.ok("s3", "ls")
    back = tmp_path / "back.txt"
    aws.ok("s3", "cp", "s3://cli-bucket/docs/notes.txt", str(back))
    assert back.read_bytes() == src.read_bytes()
    err = aws.fails("s3api", "head-object", "--bucket", "cli-bucket", "--key", "nope")
    assert "404" in err


def _vectors(*rows: tuple[str, list[float], dict]) -> str:
    return json.dumps([{"key": k, "data": {"float32": v}, "metadata": m} for k, v, m in rows])


def test_s3vectors_create_put_query_get(aws):
    aws.ok("s3vectors", "create-vector-bucket", "--vector-bucket-name", "cli-vectors")
    aws.ok("s3vectors", "create-index", "--vector-bucket-name", "cli-vectors",
           "--index-name", "docs", "--data-type", "float32", "--dimension", "4",
           "--distance-metric", "cosine",
           "--metadata-configuration", '{"nonFilterableMetadataKeys": ["body"]}')
    index = aws.ok("s3vectors", "get-index", "--vector-bucket-name", "cli-vectors",
                   "--index-name", "docs")["index"]
    assert (index["dimension"], index["distanceMetric"], index["dataType"]) == (4, "cosine",
                                                                                "float32")
    assert index["metadataConfiguration"]["nonFilterableMetadataKeys"] == ["body"]
    aws.ok("s3vectors", "put-vectors", "--vector-bucket-name", "cli-vectors",
           "--index-name", "docs", "--vectors", _vectors(
               ("a", [1, 0, 0, 0], {"genre": "doc", "year": 2020, "body": "alpha"}),
               ("b", [0.9, 0.1, 0, 0], {"genre": "film", "year": 2021, "body": "beta"}),
               ("c", [0, 1, 0, 0], {"genre": "doc", "year": 2024, "body": "gamma"})))
    hits = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-vectors",
                  "--index-name", "docs", "--query-vector", '{"float32": [1, 0, 0, 0]}',
                  "--top-k", "3", "--return-distance", "--return-metadata")
    assert [h["key"] for h in hits["vectors"]] == ["a", "b", "c"]
    assert hits["distanceMetric"] == "cosine" and hits["vectors"][0]["distance"] < 1e-6
    filtered = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-vectors",
                      "--index-name", "docs", "--query-vector", '{"float32": [1, 0, 0, 0]}',
                      "--top-k", "3", "--filter", '{"$and": [{"genre": "doc"}, '
                      '{"year": {"$gte": 2021}}]}', "--return-metadata")
    assert [(h["key"], h["metadata"]["body"]) for h in filtered["vectors"]] == [("c", "gamma")]
    got = aws.ok("s3vectors", "get-vectors", "--vector-bucket-name", "cli-vectors",
                 "--index-name", "docs", "--keys", "b", "--return-data")
    assert got["vectors"][0]["data"]["float32"] == pytest.approx([0.9, 0.1, 0, 0], abs=1e-6)
    names = aws.ok("s3vectors", "list-indexes", "--vector-bucket-name", "cli-vectors")
    assert [i["indexName"] for i in names["indexes"]] == ["docs"]
    err = aws.fails("s3vectors", "query-vectors", "--vector-bucket-name", "cli-vectors",
                    "--index-name", "docs", "--query-vector", '{"float32": [1, 0, 0, 0]}',
                    "--top-k", "3", "--filter", '{"body": "alpha"}')
    assert "ValidationException" in err


def test_s3vectors_paging_segments_and_deletes(aws):
    aws.ok("s3vectors", "create-vector-bucket", "--vector-bucket-name", "cli-paging")
    aws.ok("s3vectors", "create-index", "--vector-bucket-name", "cli-paging", "--index-name",
           "many", "--data-type", "float32", "--dimension", "2", "--distance-metric",
           "euclidean")
    keys = [f"k{i:02d}" for i in range(7)]
    aws.ok("s3vectors", "put-vectors", "--vector-bucket-name", "cli-paging", "--index-name",
           "many", "--vectors", _vectors(*[(k, [i, 1.0], {"i": i}) for i, k in enumerate(keys)]))
    # the CLI follows nextToken itself: pages of 2 come back as one list of 7
    listed = aws.ok("s3vectors", "list-vectors", "--vector-bucket-name", "cli-paging",
                    "--index-name", "many", "--page-size", "2")
    assert sorted(v["key"] for v in listed["vectors"]) == keys
    first = aws.ok("s3vectors", "list-vectors", "--vector-bucket-name", "cli-paging",
                   "--index-name", "many", "--max-items", "3")
    assert len(first["vectors"]) == 3 and first["NextToken"]
    rest = aws.ok("s3vectors", "list-vectors", "--vector-bucket-name", "cli-paging",
                  "--index-name", "many", "--starting-token", first["NextToken"])
    assert sorted(v["key"] for v in first["vectors"] + rest["vectors"]) == keys
    # parallel listing: the segments partition the index
    parts = [aws.ok("s3vectors", "list-vectors", "--vector-bucket-name", "cli-paging",
                    "--index-name", "many", "--segment-count", "2", "--segment-index", str(s))
             for s in (0, 1)]
    assert sorted(v["key"] for p in parts for v in p["vectors"]) == keys

    aws.ok("s3vectors", "delete-vectors", "--vector-bucket-name", "cli-paging",
           "--index-name", "many", "--keys", "k00", "k01")
    near = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-paging",
                  "--index-name", "many", "--query-vector", '{"float32": [0, 1]}',
                  "--top-k", "2", "--return-distance")
    assert [v["key"] for v in near["vectors"]] == ["k02", "k03"]
    assert near["vectors"][0]["distance"] < near["vectors"][1]["distance"]
    aws.ok("s3vectors", "delete-index", "--vector-bucket-name", "cli-paging",
           "--index-name", "many")
    assert "NotFoundException" in aws.fails("s3vectors", "get-index", "--vector-bucket-name",
                                            "cli-paging", "--index-name", "many")
    aws.ok("s3vectors", "delete-vector-bucket", "--vector-bucket-name", "cli-paging")
    buckets = aws.ok("s3vectors", "list-vector-buckets")["vectorBuckets"]
    assert "cli-paging" not in [b["vectorBucketName"] for b in buckets]


def _add_botocore_s3vectors_model(aws: Cli, tmp_path: Path) -> None:
    """``aws configure add-model`` with the s3vectors model our botocore ships (decompressed)."""
    data = Path(botocore.__file__).parent / "data" / "s3vectors"
    [packed] = sorted(data.glob("*/service-2.json.gz"))
    model = tmp_path / "s3vectors-service-2.json"
    model.write_bytes(gzip.decompress(packed.read_bytes()))
    aws.ok("configure", "add-model", "--service-model", model.as_uri(),
           "--service-name", "s3vectors")
    assert "query-texts" in aws.ok("s3vectors", "query-vectors", "help")


def _wait_text_search_active(aws: Cli, bucket: str, index: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got = aws.ok("s3vectors", "get-index", "--vector-bucket-name", bucket,
                     "--index-name", index)["index"]
        configs = got["metadataConfiguration"]["textSearchConfigurations"]
        if all(c.get("status", "ACTIVE") == "ACTIVE" for c in configs) or \
                time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_s3vectors_full_text_and_hybrid_query(aws, tmp_path):
    _add_botocore_s3vectors_model(aws, tmp_path)
    aws.ok("s3vectors", "create-vector-bucket", "--vector-bucket-name", "cli-fulltext")
    aws.ok("s3vectors", "put-vector-bucket-default-index-mode", "--vector-bucket-name",
           "cli-fulltext", "--default-index-mode", "ENHANCED")
    aws.ok("s3vectors", "create-index", "--vector-bucket-name", "cli-fulltext",
           "--index-name", "notes", "--data-type", "float32", "--dimension", "3",
           "--distance-metric", "cosine", "--metadata-configuration", json.dumps(
               {"nonFilterableMetadataKeys": ["body"],
                "textSearchConfigurations": [{"metadataKey": "body", "language": "en"}]}))
    aws.ok("s3vectors", "put-vectors", "--vector-bucket-name", "cli-fulltext",
           "--index-name", "notes", "--vectors", _vectors(
               ("fox", [1, 0, 0], {"topic": "animals", "body": "The quick brown fox jumps"}),
               ("dogs", [0, 1, 0], {"topic": "animals", "body": "Lazy dogs sleep all day"}),
               ("orbit", [0, 0, 1], {"topic": "space", "body": "A rocket reached orbit"})))
    index = _wait_text_search_active(aws, "cli-fulltext", "notes")
    assert index["indexMode"] == "ENHANCED"
    [config] = index["metadataConfiguration"]["textSearchConfigurations"]
    assert (config["metadataKey"], config["language"], config["status"]) == ("body", "en",
                                                                              "ACTIVE")

    # full text only: the English analyzer stems "foxes jumping" onto "fox jumps"
    text = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-fulltext",
                  "--index-name", "notes", "--top-k", "3", "--query-texts",
                  '[{"text": "foxes jumping", "metadataKey": "body"}]',
                  "--return-scores", "--return-metadata")
    assert [v["key"] for v in text["vectors"]] == ["fox"], text
    [bm25] = text["vectors"][0]["scores"]["bm25Scores"]
    assert bm25["metadataKey"] == "body" and bm25["score"] > 0

    # hybrid: vector near "orbit", text about dogs -> both ranked, fused by RRF
    hybrid = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-fulltext",
                    "--index-name", "notes", "--top-k", "3",
                    "--query-vector", '{"float32": [0, 0.1, 1]}',
                    "--query-texts", '[{"text": "dogs", "metadataKey": "body"}]',
                    "--return-scores", "--filter", '{"topic": {"$in": ["animals", "space"]}}')
    keys = [v["key"] for v in hybrid["vectors"]]
    assert set(keys[:2]) == {"orbit", "dogs"}, hybrid
    for v in hybrid["vectors"]:
        assert "fused" in v["scores"] and "vectorDistance" in v["scores"]
    fused = [v["scores"]["fused"] for v in hybrid["vectors"]]
    assert fused == sorted(fused, reverse=True)

    err = aws.fails("s3vectors", "query-vectors", "--vector-bucket-name", "cli-fulltext",
                    "--index-name", "notes", "--top-k", "3", "--query-texts",
                    '[{"text": "fox", "metadataKey": "topic"}]')
    assert "ValidationException" in err  # topic is not a searchable key (yet)

    # a second searchable key, added later: BUILDING until backfilled, then ACTIVE
    aws.ok("s3vectors", "update-metadata-configuration", "--vector-bucket-name",
           "cli-fulltext", "--index-name", "notes", "--add",
           '{"textSearchConfigurations": [{"metadataKey": "topic", "language": "en"}]}')
    index = _wait_text_search_active(aws, "cli-fulltext", "notes")
    assert sorted((c["metadataKey"], c["status"]) for c in
                  index["metadataConfiguration"]["textSearchConfigurations"]) == [
        ("body", "ACTIVE"), ("topic", "ACTIVE")]
    both = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-fulltext",
                  "--index-name", "notes", "--top-k", "3", "--return-scores", "--query-texts",
                  '[{"text": "fox", "metadataKey": "body"}, '
                  '{"text": "animals", "metadataKey": "topic"}]')
    assert both["vectors"][0]["key"] == "fox"  # the only row matching both keys
    assert {s["metadataKey"] for s in both["vectors"][0]["scores"]["bm25Scores"]} == {
        "body", "topic"}
    assert {v["key"] for v in both["vectors"]} == {"fox", "dogs"}
    err = aws.fails("s3vectors", "query-vectors", "--vector-bucket-name", "cli-fulltext",
                    "--index-name", "notes", "--top-k", "3", "--query-mode", "CLASSIC",
                    "--query-vector", '{"float32": [1, 0, 0]}')
    assert "ValidationException" in err  # "You can't specify CLASSIC for an ENHANCED index"


def test_s3vectors_query_follows_next_token(aws, tmp_path):
    """topK past one page: the twin answers in pages with nextToken; the CLI joins them."""
    _add_botocore_s3vectors_model(aws, tmp_path)
    aws.ok("s3vectors", "create-vector-bucket", "--vector-bucket-name", "cli-pages")
    aws.ok("s3vectors", "create-index", "--vector-bucket-name", "cli-pages", "--index-name",
           "wide", "--data-type", "float32", "--dimension", "2", "--distance-metric", "cosine")
    angles = [i * 0.01 for i in range(130)]
    aws.ok("s3vectors", "put-vectors", "--vector-bucket-name", "cli-pages", "--index-name",
           "wide", "--vectors", _vectors(*[(f"a{i:03d}", [float(np.cos(t)), float(np.sin(t))],
                                            {"i": i}) for i, t in enumerate(angles)]))
    got = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-pages",
                 "--index-name", "wide", "--query-vector", '{"float32": [1, 0]}',
                 "--top-k", "120", "--return-distance")
    assert [v["key"] for v in got["vectors"]] == [f"a{i:03d}" for i in range(120)]
    assert got["distanceMetric"] == "cosine" and "nextToken" not in got
    one_page = aws.ok("s3vectors", "query-vectors", "--vector-bucket-name", "cli-pages",
                      "--index-name", "wide", "--query-vector", '{"float32": [1, 0]}',
                      "--top-k", "120", "--no-paginate")
    assert len(one_page["vectors"]) < 120 and one_page["nextToken"]


def _nova_text_body(text: str, dimension: int) -> str:
    return json.dumps({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": dimension,
        "text": {"truncationMode": "END", "value": text}}})


def test_bedrock_runtime_invoke_model(aws, tmp_path):
    # awscli 1.x passes a text --body as is (--cli-binary-format is an AWS CLI v2 option)
    out = tmp_path / "embedding.json"
    meta = aws.ok("bedrock-runtime", "invoke-model", "--model-id", MODEL_ID,
                  "--content-type", "application/json", "--accept", "application/json",
                  "--body", _nova_text_body("A dog chases a ball on the beach", 256), str(out))
    assert meta["contentType"] == "application/json"
    [emb] = json.loads(out.read_text())["embeddings"]
    assert emb["embeddingType"] == "TEXT" and len(emb["embedding"]) == 256
    request = tmp_path / "request.json"  # the body from a file, as AWS's CLI v1 examples do
    request.write_text(_nova_text_body("A dog chases a ball on the beach", 256))
    aws.ok("bedrock-runtime", "invoke-model", "--model-id", MODEL_ID, "--content-type",
           "application/json", "--body", f"fileb://{request}", str(tmp_path / "again.json"))
    again = json.loads((tmp_path / "again.json").read_text())["embeddings"][0]["embedding"]
    assert again == pytest.approx(emb["embedding"], abs=1e-6)
    err = aws.fails("bedrock-runtime", "invoke-model", "--model-id", MODEL_ID,
                    "--content-type", "application/json",
                    "--body", _nova_text_body("wrong size", 100), str(tmp_path / "x.json"))
    assert "ValidationException" in err


def test_bedrock_runtime_async_invoke(aws, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text(" ".join(["The rocket reached low Earth orbit after a clean launch."] * 40))
    aws.ok("s3", "mb", "s3://cli-async")
    aws.ok("s3", "cp", str(doc), "s3://cli-async/in/doc.txt")
    model_input = {"taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 384,
        "text": {"truncationMode": "END",
                 "source": {"s3Location": {"uri": "s3://cli-async/in/doc.txt"}},
                 "segmentationConfig": {"maxLengthChars": 800}}}}
    started = aws.ok("bedrock-runtime", "start-async-invoke", "--model-id", MODEL_ID,
                     "--model-input", json.dumps(model_input), "--output-data-config",
                     '{"s3OutputDataConfig": {"s3Uri": "s3://cli-async/out/"}}')
    arn = started["invocationArn"]
    deadline = time.monotonic() + 60
    while True:
        job = aws.ok("bedrock-runtime", "get-async-invoke", "--invocation-arn", arn)
        if job["status"] != "InProgress" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["status"] == "Completed", job
    # Bedrock returns the output location with the invocation id appended
    uri = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
    assert uri.rstrip("/") == "s3://cli-async/out/" + arn.rsplit("/", 1)[1]
    result = tmp_path / "result.json"
    aws.ok("s3", "cp", f"{uri.rstrip('/')}/segmented-embedding-result.json", str(result))
    [entry] = json.loads(result.read_text())["embeddingResults"]
    assert entry["embeddingType"] == "TEXT" and entry["status"] == "SUCCESS"
    lines = tmp_path / "lines.jsonl"
    aws.ok("s3", "cp", entry["outputFileUri"], str(lines))
    rows = [json.loads(x) for x in lines.read_text().splitlines() if x.strip()]
    assert len(rows) >= 3 and all(len(r["embedding"]) == 384 for r in rows)
    assert [r["segmentMetadata"]["segmentIndex"] for r in rows] == list(range(len(rows)))
    assert entry["outputFileUri"].startswith(uri.rstrip("/") + "/")
