"""Shared fixtures: one pre-embedded collection of the sample library for the slow tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Ray binds every service (GCS, raylets, workers) to 127.0.0.1 only when it believes it runs on
# one machine: read when ray is imported, so set before any test imports it (subprocesses inherit)
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
HELDOUT = ROOT / "data" / "heldout"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def heldout_dir() -> Path:
    return HELDOUT


@pytest.fixture(scope="session")
def local_embedder():
    """The real local backend (MiniLM from its wheel), loaded once per test session."""
    from nova_toolkit.embedders import get_embedder

    return get_embedder("local")


@pytest.fixture(scope="session")
def sample_collection_dir(tmp_path_factory, local_embedder) -> Path:
    """The sample library embedded once; tests that write copy it (see ``sample_collection``)."""
    from nova_toolkit.collection import Collection

    root = tmp_path_factory.mktemp("shared") / "sample-collection"
    coll = Collection.open(root, embedder=local_embedder)
    report = coll.add([str(SAMPLE)], progress=False)
    assert report.embedded > 0 and report.failed == 0, report.failures
    coll.index_client()  # build the index once, too
    return root


@pytest.fixture(scope="session")
def heldout_collection_dir(tmp_path_factory, local_embedder) -> Path:
    """The held-out library embedded once (quality figures only; never tuned on)."""
    from nova_toolkit.collection import Collection

    root = tmp_path_factory.mktemp("shared") / "heldout-collection"
    coll = Collection.open(root, embedder=local_embedder)
    report = coll.add([str(HELDOUT)], progress=False)
    assert report.embedded > 0 and report.failed == 0, report.failures
    return root


@pytest.fixture
def sample_collection(tmp_path, sample_collection_dir, local_embedder):
    """A private, writable copy of the pre-embedded sample collection."""
    from nova_toolkit.collection import Collection

    dest = tmp_path / "collection"
    shutil.copytree(sample_collection_dir, dest)
    return Collection.open(dest, embedder=local_embedder)


# ---------------------------------------------------------------------------------------------
# real media for the local backend's tests (generated once per session; no model involved)
# ---------------------------------------------------------------------------------------------

SPEECH_TEXT = ("The quick brown fox jumps over the lazy dog. "
               "Coffee is brewed with hot water and freshly ground beans.")


def _ffmpeg(*args: str) -> None:
    import subprocess

    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", *args], check=True)


ASSETS = ROOT / "tests" / "assets"


def _speech_wav(path: Path) -> bool:
    """The committed flite recording of SPEECH_TEXT (tests/assets/speech.wav)."""
    shutil.copyfile(ASSETS / "speech.wav", path)
    return True


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """Images (skimage), a text image, speech/silence audio, videos and PDFs, made once.

    ``speech.wav`` is flite's reading of SPEECH_TEXT, committed in tests/assets/.
    """
    import wave

    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
    from skimage import data

    d = tmp_path_factory.mktemp("media")
    for name in ("chelsea", "coffee", "rocket"):
        Image.fromarray(getattr(data, name)()).save(d / f"{name}.png")
    Image.fromarray(data.chelsea()).save(d / "chelsea.jpg", quality=90)
    sign = Image.new("RGB", (900, 360), "white")
    draw = ImageDraw.Draw(sign)
    try:
        font = ImageFont.load_default(size=48)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    draw.text((40, 60), "Quarterly sales report", fill="black", font=font)
    draw.text((40, 180), "Revenue grew by ten percent", fill="black", font=font)
    sign.save(d / "report.png")
    rate = 16000
    with wave.open(str(d / "silence.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.zeros(int(rate * 3.5), dtype="<i2").tobytes())
    has_speech = _speech_wav(d / "speech.wav")
    if has_speech:
        _ffmpeg("-i", str(d / "speech.wav"), "-b:a", "64k", str(d / "speech.mp3"))
        _ffmpeg("-loop", "1", "-i", str(d / "chelsea.png"), "-i", str(d / "speech.wav"),
                "-vf", "scale=450:300", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                "-shortest", str(d / "cat-talk.mp4"))
        _ffmpeg("-i", str(d / "speech.wav"), "-vn", "-c:a", "aac", "-f", "mp4",
                str(d / "sound-only.mp4"))
    _ffmpeg("-loop", "1", "-i", str(d / "rocket.png"), "-t", "7", "-vf", "scale=320:480",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(d / "rocket-silent.mp4"))
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=14)
    pdf.add_page()
    pdf.multi_cell(0, 10, "Coffee brewing guide. Grind the beans, then pour hot water slowly.")
    pdf.add_page()  # a "scan": the page holds only a picture of text
    pdf.image(str(d / "report.png"), x=10, y=20, w=190)
    pdf.add_page()
    pdf.multi_cell(0, 8, " ".join(["The rocket climbed towards orbit."] * 60))
    pdf.output(str(d / "guide.pdf"))
    return d


@pytest.fixture(scope="session")
def ray_cluster():
    """One local 2-node Ray cluster (1 CPU each, 127.0.0.1) for the whole run, this process connected.

    Started here and stopped through its own handle (never ``ray stop``, which ends every Ray
    process on the machine). Drivers in subprocesses connect with ``cluster.address``.
    """
    import ray
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "object_store_memory": 150 * 2**20, "node_ip_address": "127.0.0.1"}
    cluster = Cluster(initialize_head=True, connect=False,
                      head_node_args={**node, "include_dashboard": False})
    try:
        cluster.add_node(**node)
        # the twin's test credentials reach the Ray workers only through the job's runtime_env
        # (they do not inherit this process's environment): tests/pipeline/test_ray_nova.py
        twin_credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
        ray.init(address=cluster.address, log_to_driver=False,
                 runtime_env={"env_vars": twin_credentials})
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
