"""NovaEmbedder's async path (StartAsyncInvoke + S3 staging) and Bedrock-shaped errors."""

from __future__ import annotations

import json

import boto3
import pytest
from twin_helpers import start_twin

from nova_toolkit.embedders import Embedding, get_embedder
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment


@pytest.fixture
def fast_twin(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    t = start_twin(tmp_path, fast_embeddings=True)
    yield t
    t.stop()


def test_long_text_goes_async_with_service_segments(fast_twin):
    boto3.client("s3", endpoint_url=fast_twin.url, region_name="us-east-1").create_bucket(
        Bucket="stage")
    nova = get_embedder("nova", dimension=384, endpoint_url=fast_twin.url, region="us-east-1",
                        s3_staging="s3://stage/nova", long_text_chars=1000)
    text = "alpha beta gamma " * 300  # 5,100 chars -> segments of <= 2,000 chars
    item = MediaItem.from_bytes(text.encode(), source="long.txt")
    segs = [Segment(0, text=text[:2000], char_start=0, char_end=2000)]
    (rows,) = nova.embed([(item, segs)], purpose="GENERIC_INDEX")
    assert len(rows) == 3 and all(isinstance(r, Embedding) for r in rows)
    assert [r.segment.char_start for r in rows][0] == 0
    assert rows[-1].segment.char_end == len(text.rstrip())
    for r in rows:
        assert r.snippet == text[r.segment.char_start:r.segment.char_end]
    assert nova.usage.async_jobs == 1


def test_validation_error_shape(fast_twin):
    client = boto3.client("bedrock-runtime", endpoint_url=fast_twin.url, region_name="us-east-1")
    body = {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
        "embeddingDimension": 512, "text": {"truncationMode": "END", "value": "x"}}}
    with pytest.raises(client.exceptions.ValidationException) as err:
        client.invoke_model(body=json.dumps(body), modelId="amazon.nova-2-multimodal-embeddings-v1:0")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "embeddingDimension" in err.value.response["Error"]["Message"]
    nova = get_embedder("nova", endpoint_url=fast_twin.url, region="us-east-1")
    item = MediaItem.from_bytes(b"hello", source="h.txt")
    (rows,) = nova.embed([(item, [Segment(0, text="")])], purpose="GENERIC_INDEX")
    assert rows[0].reason.startswith("segment has no text")
