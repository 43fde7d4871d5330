"""Nova text limits on the twin and in our client: > 8,192 chars inline is a ValidationException;
the client segments or goes async, never sends more and never cuts silently."""

from __future__ import annotations

import json
import time
import urllib.request

import boto3
import numpy as np
import pytest
from twin_helpers import start_twin

from nova_toolkit.embedders import Embedding, get_embedder
from nova_toolkit.embedders.nova.parse import jsonl_rows, sync_embeddings
from nova_toolkit.embedders.nova.text_limits import TextTruncatedWarning
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment
from nova_toolkit.twin.models import hash_vector, serve_dimension

MODEL = "amazon.nova-2-multimodal-embeddings-v1:0"


@pytest.fixture
def fast(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    t = start_twin(tmp_path, fast_embeddings=True)
    yield t
    t.stop()


def clients(twin):
    kw = {"endpoint_url": twin.url, "region_name": "us-east-1"}
    return boto3.client("bedrock-runtime", **kw), boto3.client("s3", **kw)


def text_body(block: dict, dim: int = 256) -> str:
    return json.dumps({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": dim, "text": block}})


@pytest.mark.parametrize("mode", ["END", "START", "NONE"])
def test_sync_value_over_8192_is_a_validation_exception(fast, mode):
    bedrock, _ = clients(fast)
    with pytest.raises(bedrock.exceptions.ValidationException) as err:
        bedrock.invoke_model(modelId=MODEL, body=text_body({"truncationMode": mode,
                                                            "value": "a" * 8193}))
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "expected maxLength: 8192, actual: 8193" in err.value.response["Error"]["Message"]
    out = json.loads(bedrock.invoke_model(modelId=MODEL, body=text_body(
        {"truncationMode": mode, "value": "a" * 8192}))["body"].read())
    assert "truncatedCharLength" not in out["embeddings"][0]  # only when truncated


def test_sync_s3_text_over_the_context_reports_truncation(fast):
    bedrock, s3 = clients(fast)
    s3.create_bucket(Bucket="texts")
    text = "lorem ipsum " * 3500  # 42,000 chars: above the twin's 32,768-char context
    s3.put_object(Bucket="texts", Key="long.txt", Body=text.encode())
    src = {"source": {"s3Location": {"uri": "s3://texts/long.txt"}}}
    out = json.loads(bedrock.invoke_model(modelId=MODEL, body=text_body(
        {"truncationMode": "END", **src}))["body"].read())
    assert out["embeddings"][0]["truncatedCharLength"] == 32768
    (emb,) = sync_embeddings(out, 0, text_len=len(text))
    assert emb.truncated_chars == len(text) - 32768
    want = serve_dimension(hash_vector(text[:32768].encode())[None, :], 256)[0]
    np.testing.assert_allclose(emb.vector, want, atol=1e-5)
    with pytest.raises(bedrock.exceptions.ValidationException):
        bedrock.invoke_model(modelId=MODEL, body=text_body({"truncationMode": "NONE", **src}))
    s3.put_object(Bucket="texts", Key="huge.txt", Body=b"x " * 25001)
    with pytest.raises(bedrock.exceptions.ValidationException, match="50000"):
        bedrock.invoke_model(modelId=MODEL, body=text_body(
            {"truncationMode": "END", "source": {"s3Location": {"uri": "s3://texts/huge.txt"}}}))


def test_async_lines_carry_truncated_char_length(fast):
    bedrock, s3 = clients(fast)
    s3.create_bucket(Bucket="texts")
    text = "short opening paragraph.\n\n" + "longword " * 5000  # second segment ≈ 45,000
    s3.put_object(Bucket="texts", Key="doc.txt", Body=text.encode())
    arn = bedrock.start_async_invoke(modelId=MODEL, outputDataConfig={
        "s3OutputDataConfig": {"s3Uri": "s3://texts/out"}}, modelInput={
        "taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 256, "text": {
                "truncationMode": "END", "segmentationConfig": {"maxLengthChars": 44000},
                "source": {"s3Location": {"uri": "s3://texts/doc.txt"}}}}})["invocationArn"]
    for _ in range(200):
        job = bedrock.get_async_invoke(invocationArn=arn)
        if job["status"] != "InProgress":
            break
        time.sleep(0.05)
    assert job["status"] == "Completed", job
    folder = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
    raw = s3.get_object(Bucket="texts", Key=folder[len("s3://texts/"):] + "/embedding-text.jsonl")
    body = raw["Body"].read()
    metas = [json.loads(x)["segmentMetadata"] for x in body.decode().splitlines()]
    assert len(metas) == 2
    assert all("truncatedCharLength" in m for m in metas)
    rows = jsonl_rows(body, "TEXT", text=text)
    for m, r in zip(metas, rows, strict=True):
        seg_len = m["segmentEndCharPosition"] - m["segmentStartCharPosition"]
        if seg_len <= 32768:
            assert m["truncatedCharLength"] == 0 and r.truncated_chars == 0
        else:
            assert m["truncatedCharLength"] == 32768
            assert r.truncated_chars == seg_len - 32768 > 0


def _stats(twin) -> dict:
    with urllib.request.urlopen(f"{twin.url}/_twin/stats") as resp:
        return json.load(resp)


def test_client_segments_long_text_without_staging(fast):
    nova = get_embedder("nova", dimension=256, endpoint_url=fast.url, region="us-east-1")
    text = " ".join(f"w{i}" for i in range(6000))  # 34,889 chars in one planned segment
    item = MediaItem.from_bytes(text.encode(), source="big.txt")
    (rows,) = nova.embed([(item, [Segment(0, text, 0, len(text))])], purpose="GENERIC_INDEX")
    assert all(isinstance(r, Embedding) for r in rows) and len(rows) == 5
    assert [r.segment.index for r in rows] == list(range(5))
    assert all(len(r.snippet) <= 8192 and r.snippet == text[r.segment.char_start:
                                                             r.segment.char_end] for r in rows)
    assert rows[0].segment.char_start == 0 and rows[-1].segment.char_end == len(text)
    assert all(r.truncated_chars == 0 for r in rows)
    assert _stats(fast)["outcomes"] == {"InvokeModel:ok": 5}  # no refused request was sent


def test_client_goes_async_for_long_segments_with_staging(fast):
    _, s3 = clients(fast)
    s3.create_bucket(Bucket="stage")
    nova = get_embedder("nova", dimension=256, endpoint_url=fast.url, region="us-east-1",
                        s3_staging="s3://stage/p")
    text = " ".join(f"w{i}" for i in range(3000))  # 16,889 chars
    item = MediaItem.from_bytes(text.encode(), source="mid.txt")
    (rows,) = nova.embed([(item, [Segment(0, text[:12000].rstrip(), 0, 12000)])],
                         purpose="GENERIC_INDEX")
    assert nova.usage.async_jobs == 1 and len(rows) == 2
    assert rows[0].segment.char_start == 0 and rows[-1].segment.char_end == len(text)
    assert all(r.snippet == text[r.segment.char_start:r.segment.char_end] for r in rows)


def test_embed_texts_and_query_cut_with_a_warning(fast):
    nova = get_embedder("nova", dimension=256, endpoint_url=fast.url, region="us-east-1")
    long = "query " * 2000  # 12,000 chars
    with pytest.warns(TextTruncatedWarning, match="3808 characters were not sent"):
        (vec,) = nova.embed_texts([long])
    np.testing.assert_allclose(vec, serve_dimension(hash_vector(long[:8192].encode())[None, :],
                                                    256)[0], atol=1e-5)
    with pytest.warns(TextTruncatedWarning):
        q = nova.embed_query(MediaItem.from_bytes(long.encode(), source="q.txt"))
    np.testing.assert_allclose(q, vec, atol=1e-6)
    strict = get_embedder("nova", dimension=256, endpoint_url=fast.url, region="us-east-1",
                          truncation="NONE")
    with pytest.raises(ValueError, match="truncation is NONE"):
        strict.embed_texts([long])
