"""nova_toolkit.decode.thumbnails: small JPEGs of images, video windows and PDF pages."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pdf_helpers import text_pdf
from PIL import Image

from nova_toolkit.decode.thumbnails import (
    THUMB_PX,
    thumbnail_locator,
    thumbnails_for,
    video_thumbnails,
)
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment, SegmentationConfig, segment_item

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
COLOURS = {"red": (255, 0, 0), "lime": (0, 255, 0), "blue": (0, 0, 255)}


def _picture(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        return im.convert("RGB")


def _close(pixel, colour, tol=60) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(pixel, colour, strict=True))


@pytest.fixture(scope="module")
def striped_video(tmp_path_factory) -> Path:
    """6 s of video: red for 2 s, then lime, then blue (a keyframe every frame)."""
    import imageio_ffmpeg

    path = tmp_path_factory.mktemp("video") / "stripes.mp4"
    inputs = []
    for name in COLOURS:
        inputs += ["-f", "lavfi", "-i", f"color=c={name}:s=160x120:r=10:d=2"]
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", *inputs,
                    "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1[v]", "-map", "[v]",
                    "-pix_fmt", "yuv420p", "-g", "1", str(path)], check=True)
    return path


def test_locators_name_each_picture_spot():
    assert thumbnail_locator("image", 0, None) == "image"
    assert thumbnail_locator("video", 3, None) == "segment=3"
    assert thumbnail_locator("video", 3.0, None) == "segment=3"  # pandas' float columns
    assert thumbnail_locator("document", 1, 2) == "page=2"
    assert thumbnail_locator("document", 1, float("nan")) is None
    assert thumbnail_locator("text", 0, None) is None
    assert thumbnail_locator("audio", 0, None) is None


def test_video_windows_get_their_midpoint_frame_in_one_pass(striped_video):
    item = MediaItem.from_path(striped_video)
    thumbs = video_thumbnails(item, [(0, 0.0, 2.0), (1, 2.0, 4.0), (2, 4.0, 6.0)])
    assert [t.locator for t in thumbs] == ["segment=0", "segment=1", "segment=2"]
    for thumb, colour in zip(thumbs, COLOURS.values(), strict=True):
        im = _picture(thumb.data)
        assert (im.width, im.height) == (thumb.width, thumb.height) == (THUMB_PX, 72)
        assert _close(im.getpixel((im.width // 2, im.height // 2)), colour)


def test_segments_of_each_modality_get_one_small_thumbnail_per_spot(striped_video, tmp_path):
    config = SegmentationConfig(max_chars=200, segment_seconds=2.0)
    cases = {
        SAMPLE / "images" / "cat.png": ["image"],
        striped_video: ["segment=0", "segment=1", "segment=2"],
        text_pdf(tmp_path / "two.pdf"): ["page=1", "page=2"],
        SAMPLE / "text" / "forest-birds.txt": [],
    }
    for path, spots in cases.items():
        item = MediaItem.from_path(path)
        thumbs = thumbnails_for(item, segment_item(item, config))
        assert [t.locator for t in thumbs] == spots, path
        for t in thumbs:
            im = _picture(t.data)
            assert max(im.size) <= THUMB_PX and t.mime == "image/jpeg"
            assert len(t.data) < 6000  # a few KB each


def test_transparent_image_on_white_and_broken_media_give_none(tmp_path):
    rgba = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    rgba.paste((200, 30, 30, 255), (100, 50, 200, 150))
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    item = MediaItem.from_bytes(buf.getvalue(), source="logo.png")
    (thumb,) = thumbnails_for(item, [])
    im = _picture(thumb.data)
    assert (im.width, im.height) == (96, 64)
    assert _close(im.getpixel((2, 2)), (255, 255, 255), tol=8)  # transparent → white
    assert _close(im.getpixel((48, 32)), (200, 30, 30))
    # a video ffmpeg cannot decode: no thumbnail, and no exception (the item still embeds)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000)
    fake = MediaItem("junk.mp4", "video", "mp4", "0" * 64, 4012, str(junk), junk.read_bytes())
    assert thumbnails_for(fake, [Segment(0, start_s=0.0, end_s=1.0)]) == ()
    assert video_thumbnails(fake, [(0, 0.0, 1.0)]) == []
