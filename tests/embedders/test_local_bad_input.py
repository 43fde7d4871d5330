"""Bad media gives clear failures (naming the reason), fast, without losing the other rows."""

from __future__ import annotations

import io
import struct
import wave
import zlib

import pytest

from nova_toolkit.embedders import Embedding, EmbedFailure
from nova_toolkit.media import MediaError, MediaItem
from nova_toolkit.segment import SegmentationConfig, segment_item

CFG = SegmentationConfig(max_chars=1000, overlap_chars=100)


def png_header(width: int, height: int) -> bytes:
    """A PNG claiming ``width``×``height`` pixels: IHDR, one tiny IDAT, IEND (a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def wav(n_frames: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * n_frames)
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    import fpdf

    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "secret")
    pdf.set_encryption(owner_password="owner", user_password="user")
    return bytes(pdf.output())


def reason_of(embedder, data: bytes, name: str) -> str:
    """The failure reason, from segment_item (MediaError) or from the embedder (EmbedFailure)."""
    item = MediaItem.from_bytes(data, source=name)
    try:
        segs = segment_item(item, CFG)
    except MediaError as exc:
        assert exc.source == name
        return exc.reason
    rows = embedder.embed([(item, segs)], purpose="GENERIC_INDEX")[0]
    assert rows and all(isinstance(r, EmbedFailure) for r in rows), rows
    return rows[0].reason


def test_huge_image_is_refused_from_its_header_fast(local_embedder):
    data = png_header(30000, 30000)
    assert len(data) < 200
    # refused from the header: the reason names the size read there (a 30000 x 30000 decode
    # would need 2.7 GB and fail on the missing pixel data with another reason)
    reason = reason_of(local_embedder, data, "huge.png")
    assert "too large" in reason and "30000x30000" in reason or "pixels" in reason


def test_truncated_images(local_embedder, media_dir):
    png = (media_dir / "chelsea.png").read_bytes()
    jpg = (media_dir / "chelsea.jpg").read_bytes()
    assert "image" in reason_of(local_embedder, png[: len(png) // 3], "cut.png")
    assert "image" in reason_of(local_embedder, jpg[:400], "cut.jpg")


@pytest.mark.parametrize("name,data,words", [
    ("empty.wav", wav(0), ("0 s", "0 seconds", "no samples")),
    ("bad.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 8, ("audio", "invalid", "decod")),
    ("bad.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(7, 256)) * 40, ("audio", "invalid", "decod")),
    ("bad.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 40,
     ("video", "invalid", "decod", "moov")),
])
def test_undecodable_audio_and_video(local_embedder, name, data, words):
    reason = reason_of(local_embedder, data, name)
    assert any(w in reason.lower() for w in words), reason


def test_bad_pdfs(local_embedder):
    assert "password" in reason_of(local_embedder, encrypted_pdf(), "locked.pdf")
    assert "PDF" in reason_of(local_embedder, b"%PDF-1.4\n" + bytes(range(256)) * 10, "bad.pdf")


def test_a_bad_item_does_not_sink_the_batch(local_embedder, media_dir):
    good = MediaItem.from_path(media_dir / "coffee.png")
    bad = MediaItem.from_bytes((media_dir / "chelsea.png").read_bytes()[:3000], source="cut.png")
    silent = MediaItem.from_path(media_dir / "silence.wav")
    batch = [(bad, segment_item(bad, CFG)), (good, segment_item(good, CFG)),
             (silent, segment_item(silent, CFG))]
    out = local_embedder.embed(batch, purpose="GENERIC_INDEX")
    assert isinstance(out[0][0], EmbedFailure)
    assert isinstance(out[1][0], Embedding) and isinstance(out[2][0], Embedding)


def test_collection_records_failures_and_keeps_good_rows(tmp_path, local_embedder, media_dir):
    from nova_toolkit.collection import Collection

    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "coffee.png").write_bytes((media_dir / "coffee.png").read_bytes())
    (lib / "huge.png").write_bytes(png_header(30000, 30000))
    (lib / "empty.wav").write_bytes(wav(0))
    (lib / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x01" * 999)
    coll = Collection.open(tmp_path / "coll", embedder=local_embedder)
    report = coll.add([str(lib)], progress=False)
    failed = dict(report.failures)
    assert report.embedded == 1 and set(failed) == {"huge.png", "empty.wav", "bad.mp4"}
    assert "too large" in failed["huge.png"]
    hits = coll.search("espresso coffee", modality="image")
    assert hits and hits[0]["source"].endswith("coffee.png") and "espresso" in hits[0]["snippet"]


def test_an_unidentifiable_image_fails_with_the_same_reason_every_run():
    """Pillow's own message names a BytesIO address; a stored failure must be repeatable."""
    from nova_toolkit.decode import image_size

    reasons = set()
    for _ in range(2):
        item = MediaItem.from_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, source="broken.png")
        with pytest.raises(MediaError) as err:
            image_size(item)
        reasons.add(str(err.value))
    assert reasons == {"broken.png: cannot read image header: not an image Pillow can identify "
                       "(unknown format or corrupt header)"}
