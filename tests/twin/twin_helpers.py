"""Helpers of the twin tests: start a twin, the walkthrough environment, test media."""

from __future__ import annotations

import subprocess
from pathlib import Path

from nova_toolkit.twin import Twin, TwinConfig


def start_twin(tmp_path: Path, **options) -> Twin:
    """A twin in a background thread on a free port (stop it with ``.stop()``)."""
    return Twin(TwinConfig(root=tmp_path / "twin", **options), port=0).start()


def aws_env(url: str) -> dict[str, str]:
    """The only settings a user changes to point the walkthrough at the twin."""
    return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}


def make_media(folder: Path) -> tuple[Path, Path]:
    """A 2-frame-per-second 20 s test mp4 (testsrc + sine) and a small PNG, made with ffmpeg."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    video, image = folder / "video.mp4", folder / "image.png"
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=duration=20:size=160x120:rate=5", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=20", "-shortest", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", str(video)], check=True, timeout=60)
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=64x64", "-frames:v", "1", str(image)], check=True, timeout=60)
    return video, image
