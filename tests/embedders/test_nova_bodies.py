"""Nova backend pieces that need no endpoint: bodies, Matryoshka truncation, parsing, dry run."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from nova_toolkit.embedders import Embedding, EmbedFailure, get_embedder
from nova_toolkit.embedders.nova import bodies, truncate_dimension
from nova_toolkit.embedders.nova.parse import jsonl_rows, sync_embeddings
from nova_toolkit.pipeline.dry_run import dry_run


def test_registered_attributes():
    nova = get_embedder("nova")
    assert nova.name == "nova" and nova.model_id == "amazon.nova-2-multimodal-embeddings-v1:0"
    assert nova.dimension == 3072 and nova.dimensions == (256, 384, 1024, 3072)
    assert nova.modalities == {"text", "document", "image", "audio", "video"}
    assert 800 <= nova.default_max_chars <= 50_000
    with pytest.raises(ValueError):
        get_embedder("nova", dimension=512)


def test_single_text_body_is_the_walkthrough_body():
    body = bodies.single_body("text", bodies.text_block("hi"), purpose="GENERIC_INDEX",
                              dimension=3072)
    assert body == {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 3072,
        "text": {"truncationMode": "END", "value": "hi"}}}


def test_segmented_video_body():
    block = bodies.media_block("video", "mp4", s3_uri="s3://b/v.mp4")
    body = bodies.segmented_body("video", block, purpose="GENERIC_INDEX", dimension=1024,
                                 duration_seconds=15)
    assert body["taskType"] == "SEGMENTED_EMBEDDING"
    assert body["segmentedEmbeddingParams"]["video"] == {
        "format": "mp4", "source": {"s3Location": {"uri": "s3://b/v.mp4"}},
        "embeddingMode": "AUDIO_VIDEO_COMBINED", "segmentationConfig": {"durationSeconds": 15}}
    img = bodies.media_block("image", "jpg", data=b"\xff\xd8", detail_level="DOCUMENT_IMAGE")
    assert img == {"format": "jpeg", "source": {"bytes": base64.b64encode(b"\xff\xd8").decode()},
                   "detailLevel": "DOCUMENT_IMAGE"}
    with pytest.raises(ValueError):
        bodies.single_body("text", bodies.text_block("x"), purpose="NOPE", dimension=3072)


def test_truncate_dimension_prefix_and_renormalise():
    v = np.random.default_rng(0).standard_normal((5, 3072)).astype(np.float32)
    t = truncate_dimension(v, 256)
    assert t.shape == (5, 256) and t.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(t[0] * np.linalg.norm(v[0, :256]), v[0, :256], atol=1e-5)
    with pytest.raises(ValueError):
        truncate_dimension(v[:, :256], 1024)


def test_parse_sync_and_jsonl():
    payload = {"embeddings": [{"embeddingType": "TEXT", "embedding": [3.0, 4.0],
                               "truncatedCharLength": 8192}]}
    (e,) = sync_embeddings(payload, 2, snippet="s", text_len=9000)
    assert e.segment_index == 2 and e.truncated_chars == 808
    np.testing.assert_allclose(e.vector, [0.6, 0.8])
    lines = "\n".join(json.dumps(x) for x in [
        {"embedding": [1, 0], "status": "SUCCESS", "segmentMetadata": {
            "segmentIndex": 0, "segmentStartSeconds": 0.0, "segmentEndSeconds": 15.0}},
        {"status": "FAILURE", "failureReason": "INVALID_CONTENT", "message": "bad",
         "segmentMetadata": {"segmentIndex": 1, "segmentStartSeconds": 15.0,
                             "segmentEndSeconds": 20.0}}]).encode()
    ok, bad = jsonl_rows(lines, "AUDIO_VIDEO_COMBINED")
    assert isinstance(ok, Embedding) and ok.segment.start_s == 0.0 and ok.segment.end_s == 15.0
    assert isinstance(bad, EmbedFailure) and bad.segment_index == 1 and "INVALID_CONTENT" in \
        bad.reason


def test_dry_run_counts_without_sending(tmp_path):
    (tmp_path / "a.txt").write_text("word " * 3000)  # 15,000 chars -> 2 chunks of <= 8192
    (tmp_path / "b.txt").write_text("short")
    report = dry_run([tmp_path])
    assert report.files == 2 and report.usage.calls == 3
    assert report.usage.input_chars > 14_000 and report.usage.estimated_cost() > 0
    assert "nothing sent" in report.summary()
