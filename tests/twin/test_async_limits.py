"""Async segment-count limits: the twin enforces them (ValidationException at start for inline
input, a Failed job for S3 input); our client splits longer inputs into several jobs and merges
the rows so indices, seconds and char spans run on as one job's would."""

from __future__ import annotations

import subprocess
import time

import boto3
import pytest
from twin_helpers import make_media, start_twin

from nova_toolkit.embedders import Embedding, get_embedder
from nova_toolkit.embedders.nova.async_split import AsyncLimits, media_windows
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import SegmentationConfig, chunk_text, segment_item
from nova_toolkit.twin import TwinConfig
from nova_toolkit.twin.segment_limits import SegmentLimits

MODEL = "amazon.nova-2-multimodal-embeddings-v1:0"


@pytest.fixture(autouse=True)
def creds(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def clients(twin):
    kw = {"endpoint_url": twin.url, "region_name": "us-east-1"}
    return boto3.client("bedrock-runtime", **kw), boto3.client("s3", **kw)


def start(bedrock, modality: str, block: dict) -> str:
    return bedrock.start_async_invoke(modelId=MODEL, outputDataConfig={
        "s3OutputDataConfig": {"s3Uri": "s3://lim/out"}}, modelInput={
        "taskType": "SEGMENTED_EMBEDDING", "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 256,
            modality: block}})["invocationArn"]


def wait(bedrock, arn: str) -> dict:
    for _ in range(1200):
        job = bedrock.get_async_invoke(invocationArn=arn)
        if job["status"] != "InProgress":
            return job
        time.sleep(0.05)
    raise AssertionError("job still InProgress")


def test_default_limits_are_novas():
    assert (TwinConfig().max_text_segments, TwinConfig().max_media_segments) == (1900, 1434)
    assert (SegmentLimits().text, SegmentLimits().media) == (1900, 1434)
    limits = AsyncLimits()
    assert (limits.text_segments, limits.media_segments, limits.media_seconds) == (
        1900, 1434, 7200.0)
    assert media_windows(1434 * 5.0, 5, limits) == [(0.0, 7170.0)]  # one job, as it fits
    assert len(media_windows(1435 * 5.0, 5, limits)) == 2
    assert media_windows(7200.0, 30, limits) == [(0.0, 7200.0)]  # 240 segments, 2 hours
    assert [round(b - a) for a, b in media_windows(7230.0, 30, limits)] == [7170, 60]


def _paragraphs(n: int) -> str:
    para = ("abcdefg " * 100)[:-1]  # 799 characters: one 800-char segment each
    return "\n\n".join([para] * n)


def test_twin_text_limit_at_the_real_default(tmp_path):
    twin = start_twin(tmp_path, fast_embeddings=True)
    try:
        bedrock, s3 = clients(twin)
        s3.create_bucket(Bucket="lim")
        for n, status in ((1900, "Completed"), (1901, "Failed")):
            text = _paragraphs(n)
            assert len(chunk_text(text, max_chars=800)) == n
            s3.put_object(Bucket="lim", Key=f"t{n}.txt", Body=text.encode())
            job = wait(bedrock, start(bedrock, "text", {
                "truncationMode": "END", "segmentationConfig": {"maxLengthChars": 800},
                "source": {"s3Location": {"uri": f"s3://lim/t{n}.txt"}}}))
            assert job["status"] == status, job
        assert "1901 text segments" in job["failureMessage"]
        assert "maximum of 1900" in job["failureMessage"]
    finally:
        twin.stop()


def test_twin_media_limit_at_the_real_default(tmp_path):
    import imageio_ffmpeg

    twin = start_twin(tmp_path, fast_embeddings=True)
    try:
        bedrock, s3 = clients(twin)
        s3.create_bucket(Bucket="lim")
        for seconds, status in ((1434, "Completed"), (1435, "Failed")):
            path = tmp_path / f"a{seconds}.mp3"
            subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f",
                            "lavfi", "-i", f"anullsrc=r=8000:cl=mono:d={seconds}", "-c:a",
                            "libmp3lame", "-b:a", "8k", str(path)], check=True, timeout=120)
            s3.put_object(Bucket="lim", Key=path.name, Body=path.read_bytes())
            job = wait(bedrock, start(bedrock, "audio", {
                "format": "mp3", "segmentationConfig": {"durationSeconds": 1},
                "source": {"s3Location": {"uri": f"s3://lim/{path.name}"}}}))
            assert job["status"] == status, job
        assert "1435 audio/video segments" in job["failureMessage"]
        assert "maximum of 1434" in job["failureMessage"]
    finally:
        twin.stop()


def test_inline_input_over_the_limit_is_refused_at_start(tmp_path):
    twin = start_twin(tmp_path, fast_embeddings=True, max_text_segments=3)
    try:
        bedrock, _ = clients(twin)
        block = {"truncationMode": "END", "segmentationConfig": {"maxLengthChars": 800},
                 "value": ("word " * 1600).strip()}
        with pytest.raises(bedrock.exceptions.ValidationException) as err:
            start(bedrock, "text", block)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert "maximum of 3 text segments" in err.value.response["Error"]["Message"]
        assert bedrock.list_async_invokes()["asyncInvokeSummaries"] == []
    finally:
        twin.stop()


def _spans(rows) -> list[tuple]:
    return [(r.segment.index, r.segment.start_s, r.segment.end_s) for r in rows]


def test_client_splits_long_video_into_jobs_with_continuous_offsets(tmp_path):
    video, _ = make_media(tmp_path)  # 20 s
    item = MediaItem.from_path(video)
    segments = segment_item(item, SegmentationConfig(max_chars=1000, segment_seconds=2))
    assert len(segments) == 10

    small = start_twin(tmp_path / "small", fast_embeddings=True, max_media_segments=3)
    whole = start_twin(tmp_path / "whole", fast_embeddings=True)
    try:
        results = {}
        for name, twin, limits in (("split", small, AsyncLimits(media_segments=3)),
                                   ("one", whole, AsyncLimits())):
            clients(twin)[1].create_bucket(Bucket="stage")
            nova = get_embedder("nova", dimension=256, endpoint_url=twin.url,
                                region="us-east-1", s3_staging="s3://stage/n",
                                async_limits=limits)
            (rows,) = nova.embed([(item, segments)], purpose="GENERIC_INDEX")
            assert all(isinstance(r, Embedding) for r in rows), rows
            results[name] = (rows, nova.usage.async_jobs)
        split, jobs = results["split"]
        one, one_jobs = results["one"]
        assert (jobs, one_jobs) == (5, 1)  # windows of 2 segments (one under the limit of 3)
        assert [s[0] for s in _spans(split)] == list(range(10))
        assert [s[1] for s in _spans(split)] == [2.0 * i for i in range(10)]
        assert [s[2] for s in _spans(split)][:-1] == [2.0 * (i + 1) for i in range(9)]
        assert _spans(split)[:-1] == _spans(one)[:-1]
        assert split[-1].segment.end_s == pytest.approx(one[-1].segment.end_s, abs=0.1)
        assert {r.embedding_type for r in split} == {"AUDIO_VIDEO_COMBINED"}
    finally:
        small.stop()
        whole.stop()


def test_client_splits_long_audio(tmp_path):
    import imageio_ffmpeg

    path = tmp_path / "talk.mp3"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi",
                    "-i", "sine=frequency=300:duration=13", "-c:a", "libmp3lame", str(path)],
                   check=True, timeout=60)
    item = MediaItem.from_path(path)
    segments = segment_item(item, SegmentationConfig(max_chars=1000, segment_seconds=3))
    twin = start_twin(tmp_path / "t", fast_embeddings=True, max_media_segments=2)
    try:
        clients(twin)[1].create_bucket(Bucket="stage")
        nova = get_embedder("nova", dimension=256, endpoint_url=twin.url, region="us-east-1",
                            s3_staging="s3://stage/n", async_limits=AsyncLimits(media_segments=2))
        (rows,) = nova.embed([(item, segments)], purpose="GENERIC_INDEX")
        assert all(isinstance(r, Embedding) and r.embedding_type == "AUDIO" for r in rows), rows
        assert [s[:2] for s in _spans(rows)] == [(i, 3.0 * i) for i in range(5)]
        assert rows[-1].segment.end_s == pytest.approx(13.0, abs=0.1)
        assert nova.usage.async_jobs == 5
    finally:
        twin.stop()


@pytest.mark.parametrize("client_limit, started, failed", [(4, 4, 0), (8, 6, 2)],
                         ids=["planned", "halved"])
def test_client_splits_long_text_into_jobs_with_continuous_spans(tmp_path, client_limit,
                                                                 started, failed):
    twin = start_twin(tmp_path, fast_embeddings=True, max_text_segments=4)
    try:
        bedrock, s3 = clients(twin)
        s3.create_bucket(Bucket="stage")
        text = " ".join(f"token{i}" for i in range(1000))  # 9,889 chars: 12 chunks of <= 800
        plan = chunk_text(text, max_chars=800)
        want = [(c.char_start, c.char_end) for c in plan]
        assert len(want) == 12
        nova = get_embedder("nova", dimension=256, endpoint_url=twin.url, region="us-east-1",
                            s3_staging="s3://stage/n", long_text_chars=1000,
                            async_limits=AsyncLimits(text_segments=client_limit))
        item = MediaItem.from_bytes(text.encode(), source="long.txt")
        (rows,) = nova.embed([(item, plan)], purpose="GENERIC_INDEX")
        assert all(isinstance(r, Embedding) for r in rows), rows
        assert [r.segment.index for r in rows] == list(range(12))
        assert [(r.segment.char_start, r.segment.char_end) for r in rows] == want
        assert all(r.snippet == text[a:b] for r, (a, b) in zip(rows, want, strict=True))
        # planned: pieces of int(4 * 0.75) = 3 chunks (4 jobs); halved: pieces of 6 chunks
        # fail on the twin (limit 4), each is sent again as 3 + 3 (2 failed + 4 jobs)
        assert nova.usage.async_jobs == started
        assert len(bedrock.list_async_invokes()["asyncInvokeSummaries"]) == started
        assert len(bedrock.list_async_invokes(statusEquals="Failed")[
            "asyncInvokeSummaries"]) == failed
    finally:
        twin.stop()
