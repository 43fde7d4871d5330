"""Nova's launch walkthrough, unmodified boto3 code, against the twin (only env settings change)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from twin_helpers import aws_env, make_media

pytestmark = pytest.mark.slow
WALKTHROUGH = Path(__file__).with_name("walkthrough.py")


def run_step(url: str, *args: str) -> subprocess.CompletedProcess:
    """One walkthrough step in a subprocess whose environment holds only the AWS settings."""
    return subprocess.run([sys.executable, str(WALKTHROUGH), *args], env=aws_env(url),
                          capture_output=True, text=True, timeout=120)


def test_walkthrough_text_and_vectors(twin):
    r = run_step(twin.url, "text")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"step": "text", "dimension": 3072, "bare_dimension": 3072}

    r = run_step(twin.url, "vectors")
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)["results"]
    assert len(results) == 3
    assert results[0]["text"] == "A dog runs on the beach"
    assert [x["distance"] for x in results] == sorted(x["distance"] for x in results)

    r = run_step(twin.url, "vectors")  # second run: bucket and index exist, no NotFound path
    assert r.returncode == 0, r.stderr


def test_walkthrough_image_and_video(twin, tmp_path):
    video, image = make_media(tmp_path)

    r = run_step(twin.url, "image", str(image))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"step": "image", "dimension": 3072, "type": "IMAGE"}

    # async video, AUDIO_VIDEO_COMBINED in 15 s segments, read back from the JSONL on S3
    r = run_step(twin.url, "video", str(video))
    assert r.returncode == 0, r.stderr
    segs = json.loads(r.stdout)["segments"]
    assert [s["meta"]["segmentIndex"] for s in segs] == [0, 1]
    assert segs[0]["meta"]["segmentStartSeconds"] == 0
    assert segs[1]["meta"]["segmentStartSeconds"] == 15
    assert all(s["dimension"] == 3072 for s in segs)
