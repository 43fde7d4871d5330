"""Tests for nova_toolkit.media: detection on real (minimal) files, errors, decoding, walking."""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import pickle
import random
import struct
import wave
import zipfile
import zlib
from pathlib import Path

import pytest

from nova_toolkit.media import (
    FORMATS,
    MODALITIES,
    DecodedText,
    MediaError,
    MediaItem,
    UnsupportedMediaError,
    decode_text,
    detect,
    iter_files,
    parse_s3_uri,
)

# ---------------------------------------------------------------------------------------------
# tiny real files
# ---------------------------------------------------------------------------------------------


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


GIF_1X1 = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def bmp_bytes() -> bytes:
    pixels = b"\x00\x00\xff\x00"  # one BGR pixel + row padding to 4 bytes
    dib = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    size = 14 + len(dib) + len(pixels)
    return b"BM" + struct.pack("<IHHI", size, 0, 0, 14 + len(dib)) + dib + pixels


def tiff_bytes(big_endian: bool = False) -> bytes:
    if big_endian:
        return b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 0) + b"\x00" * 4
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0) + b"\x00" * 4


def riff(form: bytes, body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + form + body


def webp_bytes() -> bytes:
    vp8l = b"\x2f\x00\x00\x00\x00\x88\x88\x08\x00"
    return riff(b"WEBP", b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l + b"\x00")


def avi_bytes() -> bytes:
    avih = b"avih" + struct.pack("<I", 56) + b"\x00" * 56
    hdrl = b"LIST" + struct.pack("<I", 4 + len(avih)) + b"hdrl" + avih
    return riff(b"AVI ", hdrl)


def wav_bytes(seconds: float = 0.1, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buf.getvalue()


def mp3_frames(count: int = 3) -> bytes:
    # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding → 417-byte frames.
    header = b"\xff\xfb\x90\x00"
    return (header + b"\x00" * (417 - 4)) * count


def id3_mp3_bytes() -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + mp3_frames(2)


def ogg_bytes() -> bytes:
    vorbis_id = b"\x01vorbis" + b"\x00" * 23
    header = b"OggS\x00\x02" + b"\x00" * 8 + struct.pack("<II", 1, 0) + b"\x00" * 4
    return header + bytes([1, len(vorbis_id)]) + vorbis_id


def flac_bytes() -> bytes:
    return b"fLaC" + b"\x80" + (34).to_bytes(3, "big") + b"\x00" * 34


def ftyp(brand: bytes, compatible: tuple[bytes, ...] = (b"isom",)) -> bytes:
    body = brand + b"\x00\x00\x02\x00" + b"".join(compatible)
    box = struct.pack(">I", 8 + len(body)) + b"ftyp" + body
    return box + struct.pack(">I", 8) + b"mdat"


def ebml(doctype: bytes) -> bytes:
    def el(ident: bytes, payload: bytes) -> bytes:
        return ident + bytes([0x80 | len(payload)]) + payload

    body = (
        el(b"\x42\x86", b"\x01")
        + el(b"\x42\xf7", b"\x01")
        + el(b"\x42\xf2", b"\x04")
        + el(b"\x42\xf3", b"\x08")
        + el(b"\x42\x82", doctype)
        + el(b"\x42\x87", b"\x04")
        + el(b"\x42\x85", b"\x02")
    )
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body + b"\x18\x53\x80\x67\x80"


def flv_bytes() -> bytes:
    return b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"


def mpeg_ps_bytes() -> bytes:
    return b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01\x01\x89\xc3\xf8" + b"\x00\x00\x01\xb9"


def wmv_bytes() -> bytes:
    guid = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
    return guid + struct.pack("<QIBB", 30, 0, 1, 2)


def pdf_bytes() -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        xref,
    )
    return bytes(out)


def zip_bytes(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
            "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
            "word/document.xml": '<?xml version="1.0"?><w:document><w:body><w:p><w:r>'
            "<w:t>Hello</w:t></w:r></w:p></w:body></w:document>",
        }
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


def test_mediaerror_shape_and_pickle():
    e = MediaError("a/b.png", "empty file (0 bytes)")
    assert (e.source, e.reason, str(e)) == (
        "a/b.png",
        "empty file (0 bytes)",
        "a/b.png: empty file (0 bytes)",
    )
    e2 = pickle.loads(pickle.dumps(UnsupportedMediaError("x", "y")))
    assert type(e2) is UnsupportedMediaError and str(e2) == "x: y"


def test_empty_missing_and_directory_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty") as exc:
        MediaItem.from_path(empty)
    assert exc.value.source == str(empty) and str(empty) in str(exc.value)

    missing = tmp_path / "nope.png"
    with pytest.raises(MediaError, match="no such file") as exc:
        MediaItem.from_path(missing)
    assert exc.value.source == str(missing)
    assert not isinstance(exc.value, UnsupportedMediaError)

    with pytest.raises(MediaError, match="directory") as exc:
        MediaItem.from_path(tmp_path)
    assert exc.value.source == str(tmp_path)

    with pytest.raises(MediaError, match="empty"):
        MediaItem.from_bytes(b"", source="mem")


def test_unreadable_file(tmp_path):
    """A file without read permission; as root, checked with an unprivileged effective uid."""
    p = tmp_path / "secret.txt"
    p.write_text("hello")
    p.chmod(0)
    as_root = os.geteuid() == 0
    if as_root:
        os.seteuid(65534)  # nobody: root would read the file anyway
    try:
        with pytest.raises(MediaError, match="permission denied") as exc:
            MediaItem.from_path(p)
    finally:
        if as_root:
            os.seteuid(0)
        p.chmod(0o644)
    assert exc.value.source == str(p)


def test_broken_symlink(tmp_path):
    link = tmp_path / "dangling.png"
    link.symlink_to(tmp_path / "gone.png")
    with pytest.raises(MediaError, match="broken symbolic link"):
        MediaItem.from_path(link)


def test_from_path_fields_and_sha256(tmp_path):
    data = png_bytes(16, 16) * 1  # real PNG
    p = tmp_path / "img.png"
    p.write_bytes(data)
    item = MediaItem.from_path(str(p))
    assert item.source == str(p)
    assert item.path == os.path.abspath(p)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.size == len(data) and item.data == data
    assert item.mtime == pytest.approx(p.stat().st_mtime)
    assert "data=" not in repr(item)
    named = MediaItem.from_path(p, source="library/img.png")
    assert named.source == "library/img.png" and named.path == os.path.abspath(p)


def test_sha256_of_large_file_read_in_chunks(tmp_path):
    data = (b"line of text number %d\n" * 1) * 1
    data = b"".join(b"line of text number %d\n" % i for i in range(120_000))  # > 2 MiB
    p = tmp_path / "big.txt"
    p.write_bytes(data)
    item = MediaItem.from_path(p)
    assert item.size == len(data) > 2 * 1024 * 1024
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.text().text == data.decode()


def test_from_bytes_uses_name_only_for_ties():
    item = MediaItem.from_bytes(b"a,b\n1,2\n", source="s3://bucket/x/table.csv")
    assert (item.modality, item.format, item.path) == ("text", "csv", None)
    assert item.sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    item = MediaItem.from_bytes(png_bytes(), filename="fake.mp4")
    assert (item.source, item.modality, item.format) == ("<bytes>", "image", "png")
    with pytest.raises(UnsupportedMediaError) as exc:
        MediaItem.from_bytes(random.Random(2).randbytes(256), source="blob-7")
    assert str(exc.value).startswith("blob-7: ")
    # equality ignores the bytes object identity but not the hash
    a = MediaItem.from_bytes(b"same text", source="s")
    b = MediaItem.from_bytes(bytearray(b"same text"), source="s")
    assert a == b


def test_parse_s3_uri():
    assert parse_s3_uri("s3://bucket/a/b.mp4") == ("bucket", "a/b.mp4")
    with pytest.raises(ValueError):
        parse_s3_uri("s3://bucket-only")
    with pytest.raises(MediaError):
        MediaItem.from_s3("https://example.com/x.png", client=object())


# ---------------------------------------------------------------------------------------------
# text decoding
# ---------------------------------------------------------------------------------------------


def test_utf8_plain_and_bom():
    item = MediaItem.from_bytes("naïve café ✓".encode(), source="u8")
    assert item.text() == DecodedText("naïve café ✓", "utf-8", False)
    item = MediaItem.from_bytes(codecs.BOM_UTF8 + "naïve café".encode(), source="bom")
    assert item.modality == "text"
    assert item.text() == DecodedText("naïve café", "utf-8-sig", False)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(encoding):
    text = "Hello, wörld — ünïcode\nsecond line"
    raw = text.encode(encoding)
    if encoding != "utf-16":  # add the BOM explicitly
        raw = (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + raw
    item = MediaItem.from_bytes(raw, source="u16.txt")
    assert (item.modality, item.format) == ("text", "txt")
    assert item.text() == DecodedText(text, "utf-16", False)


def test_latin1_text_is_replaced_and_flagged(tmp_path):
    text = "Le café était très animé ce soir-là, à côté de la gare.\n" * 3
    p = tmp_path / "latin1.txt"
    p.write_bytes(text.encode("latin-1"))
    item = MediaItem.from_path(p)
    assert item.modality == "text"
    decoded = item.text()
    assert decoded.replaced is True
    assert decoded.encoding == "utf-8 (with replacement)"
    assert "\ufffd" in decoded.text and "caf\ufffd" in decoded.text
    assert item.text() is decoded  # decoded once


def test_decode_text_binary_is_none():
    assert decode_text(b"abc\x00def") is None
    assert decode_text(random.Random(3).randbytes(1000)) is None
    assert decode_text(b"") == DecodedText("", "utf-8", False)


def test_utf16_bom_not_mistaken_for_mp3():
    raw = "Hello there, this is text".encode("utf-16")  # starts FF FE, like an MPEG frame
    assert raw[:2] == b"\xff\xfe"
    assert detect(raw) == ("text", "txt")


def test_multibyte_char_across_sniff_boundary():
    from nova_toolkit.media import SNIFF_BYTES

    text = "a" * (SNIFF_BYTES - 1) + "é" + " end"
    item = MediaItem.from_bytes(text.encode(), source="edge")
    assert item.text() == DecodedText(text, "utf-8", False)


# ---------------------------------------------------------------------------------------------
# iter_files
# ---------------------------------------------------------------------------------------------


def make_tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "b" / "c.txt").write_text("c")
    (root / "b" / "a.png").write_bytes(png_bytes())
    (root / ".hidden.txt").write_text("h")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("x")
    (root / "b" / ".secret").mkdir()
    (root / "b" / ".secret" / "x.txt").write_text("x")
    (root / "z").mkdir()
    (root / "z" / "loop").symlink_to(root, target_is_directory=True)  # a symlink loop
    (root / "z" / "self").symlink_to(root / "z", target_is_directory=True)
    (root / "z" / "dangling.txt").symlink_to(root / "missing.txt")


def test_iter_files_tree(tmp_path):
    root = tmp_path / "lib"
    make_tree(root)
    got = list(iter_files([str(root)]))
    assert got == [
        (os.path.join(str(root), "a.txt"), None),
        (os.path.join(str(root), "b", "a.png"), None),
        (os.path.join(str(root), "b", "c.txt"), None),
        (os.path.join(str(root), "z", "dangling.txt"), "broken symbolic link"),
    ]


def test_iter_files_keeps_given_spelling_and_reports_missing(tmp_path, monkeypatch):
    make_tree(tmp_path / "lib")
    monkeypatch.chdir(tmp_path)
    got = list(iter_files(["lib/b/", Path("lib/a.txt"), "does/not/exist.mp4", "lib/.hidden.txt"]))
    assert got == [
        ("lib/b/a.png", None),
        ("lib/b/c.txt", None),
        ("lib/a.txt", None),
        ("does/not/exist.mp4", "no such file or directory"),
        ("lib/.hidden.txt", None),  # named explicitly: not skipped
    ]
    # every yielded file without error can be read
    for source, error in got:
        if error is None:
            MediaItem.from_path(source)


def test_iter_files_accepts_a_single_path(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    assert list(iter_files(tmp_path)) == [(os.path.join(str(tmp_path), "x.txt"), None)]


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_without_nul_are_not_text(seed):
    rng = random.Random(seed)
    data = bytes(rng.randint(1, 255) for _ in range(2000))
    with pytest.raises(UnsupportedMediaError, match="not text"):
        detect(data, "x.txt")
