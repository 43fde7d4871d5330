"""Tests for nova_toolkit.media.detection: magic bytes on real (minimal) files, text kinds."""

from __future__ import annotations

import random

import pytest
from media_files import (
    GIF_1X1,
    avi_bytes,
    bmp_bytes,
    docx_bytes,
    ebml,
    flac_bytes,
    flv_bytes,
    ftyp,
    id3_mp3_bytes,
    jpeg_bytes,
    mp3_frames,
    mpeg_ps_bytes,
    ogg_bytes,
    pdf_bytes,
    png_bytes,
    tiff_bytes,
    wav_bytes,
    webp_bytes,
    wmv_bytes,
    zip_bytes,
)

from nova_toolkit.media import (
    FORMATS,
    MODALITIES,
    MediaError,
    MediaItem,
    UnsupportedMediaError,
    detect,
)

# (bytes, filename, modality, format)
BINARY_CASES = [
    (png_bytes(), "a.png", "image", "png"),
    (jpeg_bytes(), "a.jpg", "image", "jpeg"),
    (GIF_1X1, "a.gif", "image", "gif"),
    (GIF_1X1.replace(b"GIF89a", b"GIF87a"), None, "image", "gif"),
    (webp_bytes(), "a.webp", "image", "webp"),
    (bmp_bytes(), "a.bmp", "image", "bmp"),
    (tiff_bytes(), "a.tif", "image", "tiff"),
    (tiff_bytes(big_endian=True), None, "image", "tiff"),
    (wav_bytes(), "a.wav", "audio", "wav"),
    (id3_mp3_bytes(), "a.mp3", "audio", "mp3"),
    (mp3_frames(), None, "audio", "mp3"),
    (ogg_bytes(), "a.ogg", "audio", "ogg"),
    (flac_bytes(), "a.flac", "audio", "flac"),
    (ftyp(b"M4A ", (b"M4A ", b"mp42")), "a.m4a", "audio", "m4a"),
    (ftyp(b"isom", (b"isom", b"avc1")), "a.mp4", "video", "mp4"),
    (ftyp(b"mp42"), None, "video", "mp4"),
    (ftyp(b"qt  ", (b"qt  ",)), "a.mov", "video", "mov"),
    (ftyp(b"3gp4", (b"3gp4",)), "a.3gp", "video", "3gp"),
    (ftyp(b"3g2a"), None, "video", "3gp"),
    (ebml(b"matroska"), "a.mkv", "video", "mkv"),
    (ebml(b"webm"), "a.webm", "video", "webm"),
    (flv_bytes(), "a.flv", "video", "flv"),
    (mpeg_ps_bytes(), "a.mpg", "video", "mpeg"),
    (wmv_bytes(), "a.wmv", "video", "wmv"),
    (avi_bytes(), "a.avi", "video", "avi"),
    (pdf_bytes(), "a.pdf", "document", "pdf"),
    (docx_bytes(), "a.docx", "document", "docx"),
]


@pytest.mark.parametrize(
    "data,filename,modality,fmt", BINARY_CASES, ids=[f"{c[3]}-{c[1]}" for c in BINARY_CASES]
)
def test_detect_binary_formats(data, filename, modality, fmt):
    assert detect(data, filename) == (modality, fmt)
    # content decides: a misleading or missing name does not change the answer
    assert detect(data, "misleading.txt") == (modality, fmt)
    assert detect(data) == (modality, fmt)


def test_every_format_is_covered_and_consistent():
    covered = {c[3] for c in BINARY_CASES} | {"txt", "md", "html", "csv", "json"}
    assert covered == set(FORMATS)
    assert set(FORMATS.values()) == set(MODALITIES)
    for _, _, modality, fmt in BINARY_CASES:
        assert FORMATS[fmt] == modality


TEXT_CASES = [
    (b"just some plain words\n", "notes.txt", "txt"),
    (b"just some plain words\n", None, "txt"),
    (b"# Title\n\nSome *markdown* text.\n", "readme.md", "md"),
    (b"# Title\n\nSome *markdown* text.\n", None, "md"),
    (b"plain text but named markdown", "x.markdown", "md"),
    (b"<!DOCTYPE html><html><body><p>hi</p></body></html>", "page.html", "html"),
    (b"<!DOCTYPE html><html><body><p>hi</p></body></html>", None, "html"),
    (b"<p>fragment</p>", "frag.htm", "html"),
    (b"a,b,c\n1,2,3\n4,5,6\n", "t.csv", "csv"),
    (b"a,b,c\n1,2,3\n4,5,6\n", None, "csv"),
    (b'{"a": [1, 2, 3], "b": "x"}', "d.json", "json"),
    (b'{"a": [1, 2, 3], "b": "x"}', None, "json"),
    (b"[1, 2, 3]", None, "json"),
    (b"{not json at all", None, "txt"),
    (b"def f():\n    return 1\n", "code.py", "txt"),
]


@pytest.mark.parametrize("data,filename,fmt", TEXT_CASES)
def test_detect_text_kinds(data, filename, fmt):
    assert detect(data, filename) == ("text", fmt)


def test_png_named_txt_is_an_image(tmp_path):
    p = tmp_path / "picture.txt"
    p.write_bytes(png_bytes())
    item = MediaItem.from_path(p)
    assert (item.modality, item.format) == ("image", "png")
    with pytest.raises(MediaError, match="not text"):
        item.text()


def test_random_bytes_named_txt_is_unsupported(tmp_path):
    p = tmp_path / "noise.txt"
    p.write_bytes(random.Random(1).randbytes(4096))
    with pytest.raises(UnsupportedMediaError) as exc:
        MediaItem.from_path(p)
    assert str(p) in str(exc.value)
    assert exc.value.source == str(p)
    assert "unknown format" in exc.value.reason
    assert str(exc.value) == f"{p}: {exc.value.reason}"
    assert isinstance(exc.value, MediaError) and isinstance(exc.value, ValueError)


@pytest.mark.parametrize("seed", range(20))
def test_random_binary_never_detected_as_text(seed):
    data = random.Random(seed).randbytes(64 + seed * 97)
    try:
        modality, _ = detect(data, "x.txt")
    except UnsupportedMediaError:
        return
    assert modality != "text"


def test_unsupported_containers_name_the_reason():
    with pytest.raises(UnsupportedMediaError, match="zip"):
        detect(zip_bytes({"a.txt": "hello"}), "archive.zip")
    with pytest.raises(UnsupportedMediaError, match="xlsx"):
        detect(zip_bytes({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"}), "b.xlsx")
    with pytest.raises(UnsupportedMediaError, match="HEIF"):
        detect(ftyp(b"heic", (b"mif1", b"heic")), "photo.heic")
    with pytest.raises(UnsupportedMediaError, match="Office") as exc:
        detect(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 100, "old.doc")
    assert exc.value.source == "old.doc"



def test_utf16_bom_not_mistaken_for_mp3():
    raw = "Hello there, this is text".encode("utf-16")  # starts FF FE, like an MPEG frame
    assert raw[:2] == b"\xff\xfe"
    assert detect(raw) == ("text", "txt")



@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_without_nul_are_not_text(seed):
    rng = random.Random(seed)
    data = bytes(rng.randint(1, 255) for _ in range(2000))
    with pytest.raises(UnsupportedMediaError, match="not text"):
        detect(data, "x.txt")


# Plain text whose first bytes spell a signature (issue 14): taken for video / PDF / RIFF and
# failed before; the structure does not confirm the container and the bytes are plain text.
LOOKALIKES = [
    ("the wide open sea rolls under a grey sky.\nGulls follow the boat.\n", "sea.txt"),
    ("Our moov to the new house took a whole weekend.\n", "moving.txt"),
    ("Our moov to the new house took a whole weekend.\n", "moving"),  # no extension either
    ("the free market, the skip list and the mdat atom.\n", "notes.md"),
    ("RIFF is a container format; WAVE and AVI use it.\n", "riff.txt"),
    ("The first line of a PDF reads %PDF-1.7 and its last %%EOF.\n", "pdf-notes.txt"),
    ("    ftyp and moov are the first atoms of an MP4 file.\n", "atoms.txt"),
]


@pytest.mark.parametrize("text, name", LOOKALIKES)
def test_text_that_spells_a_signature_is_text(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text * 3, encoding="utf-8")
    item = MediaItem.from_path(path)
    assert item.modality == "text", (name, item.format)
    assert item.text().text.startswith(text[:20])


def ascii_pdf(tmp_path) -> bytes:
    """A real PDF (fpdf2, uncompressed) with no byte above 0x7F: plain text, and a PDF."""
    from fpdf import FPDF

    doc = FPDF()
    doc.set_compression(False)
    doc.add_page()
    doc.set_font("helvetica", size=14)
    doc.cell(text="Sailing a small boat in a steady breeze")
    raw = bytes(doc.output())
    # fpdf2 writes the optional binary comment line after the header; drop it
    lines = raw.split(b"\n")
    data = b"\n".join(ln for ln in lines if all(b < 0x80 for b in ln))
    assert all(b < 0x80 for b in data)
    return data


def test_an_all_ascii_pdf_is_still_a_pdf(tmp_path):
    from nova_toolkit.decode.pdf import pdf_page_texts

    path = tmp_path / "plain.pdf"
    path.write_bytes(ascii_pdf(tmp_path))
    item = MediaItem.from_path(path)
    assert (item.modality, item.format) == ("document", "pdf")
    assert "small boat" in pdf_page_texts(item)[0]  # pdfium reads it: a real PDF


def test_real_media_keep_their_kind_when_damaged(tmp_path):
    # binary media whose structure is cut short still go to their decoder (which says why)
    for data, fmt in ((wav_bytes()[:40], "wav"), (ftyp(b"isom")[:16], "mp4"),
                      (pdf_bytes()[:64], "pdf")):
        assert detect(data + b"\x00\x01\x02", "x")[1] == fmt
