"""GetAsyncInvoke reports the output folder with the invocation id appended, as Bedrock does;
our client reads results from the reported URI and copes with a service that echoes the prefix."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from twin_helpers import start_twin

from nova_toolkit.embedders import Embedding, get_embedder
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment

MODEL = "amazon.nova-2-multimodal-embeddings-v1:0"


@pytest.fixture
def creds(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def _text_job(bedrock, s3, output: str) -> tuple[str, dict]:
    s3.put_object(Bucket="out", Key="in/doc.txt", Body=b"one two three " * 200)
    arn = bedrock.start_async_invoke(modelId=MODEL, outputDataConfig={
        "s3OutputDataConfig": {"s3Uri": output}}, modelInput={
        "taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 256,
            "text": {"truncationMode": "END", "segmentationConfig": {"maxLengthChars": 800},
                     "source": {"s3Location": {"uri": "s3://out/in/doc.txt"}}}}})["invocationArn"]
    for _ in range(200):
        job = bedrock.get_async_invoke(invocationArn=arn)
        if job["status"] != "InProgress":
            return arn, job
        time.sleep(0.05)
    raise AssertionError("job still InProgress")


@pytest.mark.parametrize("output", ["s3://out/results/", "s3://out/results", "s3://out"])
def test_reported_uri_has_the_invocation_id(tmp_path, creds, output):
    twin = start_twin(tmp_path, fast_embeddings=True)
    try:
        bedrock = boto3.client("bedrock-runtime", endpoint_url=twin.url, region_name="us-east-1")
        s3 = boto3.client("s3", endpoint_url=twin.url, region_name="us-east-1")
        s3.create_bucket(Bucket="out")
        arn, job = _text_job(bedrock, s3, output)
        assert job["status"] == "Completed", job
        invocation_id = arn.split("/")[-1]
        uri = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
        assert uri == f"{output.rstrip('/')}/{invocation_id}"
        listed = bedrock.list_async_invokes()["asyncInvokeSummaries"]
        assert listed[0]["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == uri
        # what the published walkthrough does: append a file name to the reported URI
        bucket, _, prefix = uri[5:].partition("/")
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/segmented-embedding-"
                                            "result.json".lstrip("/"))["Body"].read())
        (result,) = manifest["embeddingResults"]
        assert result["outputFileUri"] == f"{uri}/embedding-text.jsonl"
        lines = s3.get_object(Bucket=bucket, Key=f"{prefix}/embedding-text.jsonl")["Body"].read()
        assert len(lines.decode().splitlines()) == 4  # 2,800 chars in segments of <= 800
    finally:
        twin.stop()


@pytest.mark.parametrize("echo", [False, True], ids=["bedrock-uri", "bare-prefix"])
def test_client_reads_results_from_either_uri(tmp_path, creds, echo):
    twin = start_twin(tmp_path, fast_embeddings=True, echo_output_uri=echo)
    try:
        bedrock = boto3.client("bedrock-runtime", endpoint_url=twin.url, region_name="us-east-1")
        s3 = boto3.client("s3", endpoint_url=twin.url, region_name="us-east-1")
        s3.create_bucket(Bucket="out")
        arn, job = _text_job(bedrock, s3, "s3://out/results/")
        reported = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
        assert reported.endswith(arn.split("/")[-1]) != echo

        nova = get_embedder("nova", dimension=256, endpoint_url=twin.url, region="us-east-1",
                            s3_staging="s3://out/stage", long_text_chars=1000)
        text = "alpha beta gamma " * 300
        item = MediaItem.from_bytes(text.encode(), source="long.txt")
        (rows,) = nova.embed([(item, [Segment(0, text=text[:2000], char_start=0,
                                              char_end=2000)])], purpose="GENERIC_INDEX")
        assert rows and all(isinstance(r, Embedding) for r in rows), rows
        assert [r.segment.index for r in rows] == list(range(len(rows)))
        assert rows[-1].segment.char_end == len(text.rstrip())
    finally:
        twin.stop()
