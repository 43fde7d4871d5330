"""The Nova launch walkthrough's full script, as AWS published it, against ``nova-toolkit serve``.

Source: AWS News Blog, "Amazon Nova Multimodal Embeddings: State-of-the-art embedding model
for agentic RAG and semantic search" (Danilo Poccia, 28 Oct 2025), the script under "the full
script with all previous examples merged together". It is expected at
``tests/clients/launch_walkthrough.py``, unedited. The test makes what the script expects
around it, as the blog's reader does: ``photo.jpg`` in the working folder, and
``presentation.mp4`` copied with ``aws s3 cp presentation.mp4 s3://my-video-bucket/videos/``
(the blog's own command; the bucket made first with ``aws s3 mb``). Only
``AWS_ENDPOINT_URL`` and test credentials point it at the twin.

The script is not vendored: third-party text from the reference store may not be copied
verbatim into this repository. Put the blog's script at ``tests/clients/launch_walkthrough.py``
(git-ignored) or name it with ``NOVA_WALKTHROUGH_SCRIPT``; without it this test is skipped,
saying so. The contract points the script relies on (the output URI GetAsyncInvoke reports,
a text call without ``embeddingPurpose``, no ``accept`` header) are also covered, in our own
words, by ``tests/twin/walkthrough.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(os.environ.get("NOVA_WALKTHROUGH_SCRIPT")
              or Path(__file__).with_name("launch_walkthrough.py"))
AWS = Path(sys.executable).with_name("aws")


def _media(folder: Path) -> None:
    """``photo.jpg`` (PIL) and a 20 s ``presentation.mp4`` with picture and sound (ffmpeg)."""
    import imageio_ffmpeg
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (320, 240), (30, 90, 160))
    ImageDraw.Draw(photo).ellipse((100, 60, 220, 180), fill=(250, 210, 40))
    photo.save(folder / "photo.jpg", quality=90)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
                    "-f", "lavfi", "-i", "testsrc=duration=20:size=160x120:rate=5",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=20", "-shortest",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(folder / "presentation.mp4")], check=True, timeout=60)


def _run(env: dict[str, str], work: Path) -> str:
    r = subprocess.run([sys.executable, str(SCRIPT)], env=env, cwd=work, capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert "Traceback" not in r.stderr
    return r.stdout


def test_launch_walkthrough_script_runs_unchanged(served_twin, tmp_path):
    if not SCRIPT.is_file():
        pytest.skip(f"{SCRIPT} is absent: the published script is not vendored (see this "
                    "module's docstring)")
    work = tmp_path / "work"
    work.mkdir()
    _media(work)
    env = served_twin.env(tmp_path / "home")
    for args in (["s3", "mb", "s3://my-video-bucket"],
                 ["s3", "cp", "presentation.mp4", "s3://my-video-bucket/videos/"]):
        r = subprocess.run([str(AWS), *args], env=env, cwd=work, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr

    out = _run(env, work)

    # text and image, 3072 dimensions each
    assert out.count("Generated embedding with 3072 dimensions") == 2, out
    # async video: started, polled until Completed, read from the URI GetAsyncInvoke returned
    started = re.search(r"Async job started: (arn:aws:bedrock:us-east-1:\d{12}:async-invoke/"
                        r"(\w+))", out)
    assert started, out
    job_id = started.group(2)
    statuses = re.findall(r"^Status: (\w+)$", out, flags=re.M)
    assert statuses[-1] == "Completed" and set(statuses[:-1]) <= {"InProgress"}, statuses
    assert f"Success! Embeddings at: s3://my-video-bucket/embeddings-output/{job_id}\n" in out
    assert ("Reading embeddings from: s3://my-video-bucket/embeddings-output/"
            f"{job_id}/embedding-audio-video.jsonl\n") in out
    # 20 s in 15 s segments = 2; the script prints startTime/endTime, fields Nova's output
    # lines do not have (they carry segmentMetadata), so it prints its 0 defaults, as on AWS
    assert "Found 2 video segments:" in out
    assert out.count("s - 0.0s\n    Embedding dimension: 3072") == 2, out
    # S3 Vectors: the NotFoundException path creates bucket and index, one put_vectors call
    assert "Created vector bucket: my-vector-store" in out
    assert "Created index: embeddings" in out
    assert out.count("  ✓ Generated embedding for: ") == 3
    assert "Successfully added 3 vectors to the store in one put_vectors call!" in out
    # the query: three results, nearest first, with their metadata
    assert "Found 3 results:" in out
    keys = re.findall(r"^\d\. (text:.+)$", out, flags=re.M)
    assert keys[0] == "text:Amazon Bedrock provides foundation models", out
    assert sorted(keys) == sorted(["text:Machine learning on AWS",
                                   "text:Amazon Bedrock provides foundation models",
                                   "text:S3 Vectors enables semantic search"])
    distances = [float(d) for d in re.findall(r"^   Distance: ([\d.]+)$", out, flags=re.M)]
    assert len(distances) == 3 and distances == sorted(distances)
    assert ("   Metadata: {'type': 'text', 'content': "
            "'Amazon Bedrock provides foundation models'}") in out

    # run again: bucket and index are found (the "already exists" branch); the same keys
    # overwrite their vectors, so the store still holds three
    again = _run(env, work)
    assert "Vector bucket my-vector-store already exists" in again
    assert "Vector index embeddings already exists" in again
    assert "Found 3 results:" in again
    assert re.findall(r"^\d\. (text:.+)$", again, flags=re.M)[0] == keys[0]
