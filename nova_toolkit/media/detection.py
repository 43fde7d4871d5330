"""Detection: ``(modality, format)`` of bytes from their magic bytes.

Detection trusts content over names: magic bytes decide, and the file extension only breaks
ties (which kind of text, an MPEG audio stream too short to confirm, ...). A ``.txt`` file that
holds a PNG is an image; a ``.txt`` file that holds random bytes is unsupported.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import zipfile

from nova_toolkit.media.errors import UnsupportedMediaError
from nova_toolkit.media.text import SNIFF_BYTES, _decode_prefix, _sniff_text_encoding

MODALITIES = ("text", "document", "image", "audio", "video")

#: Every (format → modality) pair :func:`detect` can return.
FORMATS: dict[str, str] = {
    "txt": "text", "md": "text", "html": "text", "csv": "text", "json": "text",
    "pdf": "document", "docx": "document",
    "png": "image", "jpeg": "image", "gif": "image", "webp": "image", "bmp": "image",
    "tiff": "image",
    "wav": "audio", "mp3": "audio", "ogg": "audio", "flac": "audio", "m4a": "audio",
    "mp4": "video", "mov": "video", "mkv": "video", "webm": "video", "flv": "video",
    "mpeg": "video", "wmv": "video", "3gp": "video", "avi": "video",
}  # fmt: skip

_UNKNOWN_REASON = "unknown format (no recognised signature and not text)"

_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")

_TEXT_EXTENSIONS = {
    "txt": "txt", "text": "txt",
    "md": "md", "markdown": "md",
    "html": "html", "htm": "html", "xhtml": "html",
    "csv": "csv",
    "json": "json",
}  # fmt: skip

_MP4_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

# MPEG audio bitrates in kbit/s, indexed [version 1 / 2][layer][bitrate index].
_MP3_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}


def _extension(filename: str | None) -> str:
    """Lower-case extension without the dot ('' when none); works for paths and s3:// URIs."""
    if not filename:
        return ""
    name = str(filename).rstrip("/").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if "." not in name.lstrip("."):
        return ""
    return name.rsplit(".", 1)[-1].lower()


def _mp3_frame_length(h: bytes) -> int | None:
    """Length in bytes of the MPEG audio frame whose 4-byte header is ``h``.

    Returns ``None`` when ``h`` is not a valid frame header, ``0`` for free-format frames
    (valid header, length unknown).
    """
    if len(h) < 4 or h[0] != 0xFF or (h[1] & 0xE0) != 0xE0:
        return None
    version_bits = (h[1] >> 3) & 0b11
    layer_bits = (h[1] >> 1) & 0b11
    if version_bits == 0b01 or layer_bits == 0b00:  # reserved version; layer 00 is AAC/ADTS
        return None
    version = {0b11: 1, 0b10: 2, 0b00: 25}[version_bits]
    layer = {0b11: 1, 0b10: 2, 0b01: 3}[layer_bits]
    bitrate_index = h[2] >> 4
    rate_index = (h[2] >> 2) & 0b11
    if bitrate_index == 0xF or rate_index == 0b11:
        return None
    if bitrate_index == 0:
        return 0
    bitrate = _MP3_BITRATES[(1 if version == 1 else 2, layer)][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (h[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and version != 1:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


def _is_mpeg_audio(data: bytes, ext: str) -> bool:
    """A bare MPEG audio stream: a valid frame header followed by another one.

    Two consecutive frames are required because ``FF Ex``/``FF Fx`` also starts other things
    (a UTF-16LE BOM is ``FF FE``); a single valid header is accepted when the name says mp3 or
    the data ends before a second frame could start.
    """
    length = _mp3_frame_length(data[:4])
    if length is None:
        return False
    if ext in ("mp3", "mp2", "mpga"):
        return True
    if length == 0:
        return False
    if len(data) < length + 4:
        return len(data) >= length > 4 and ext == ""
    return _mp3_frame_length(data[length : length + 4]) is not None


def _read_vint(buf: bytes, i: int) -> tuple[int, int] | None:
    """EBML variable-length integer at ``buf[i]`` → (value, length) or None."""
    if i >= len(buf) or buf[i] == 0:
        return None
    first = buf[i]
    n = 8 - first.bit_length() + 1
    if i + n > len(buf):
        return None
    value = first & ((1 << (8 - n)) - 1)
    for b in buf[i + 1 : i + n]:
        value = (value << 8) | b
    return value, n


def _ebml_doctype(data: bytes) -> str | None:
    """The DocType string of an EBML header (``"webm"``, ``"matroska"``), or None."""
    head = data[:256]
    i = head.find(b"\x42\x82", 4)
    while i != -1:
        vint = _read_vint(head, i + 2)
        if vint is not None:
            size, n = vint
            start = i + 2 + n
            if 0 < size <= 32 and start + size <= len(head):
                return head[start : start + size].rstrip(b"\x00").decode("ascii", "replace")
        i = head.find(b"\x42\x82", i + 1)
    return None


def _zip_kind(data: bytes, ext: str) -> tuple[str, str]:
    """Classify a ZIP container: DOCX is a document, anything else is unsupported."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        names = None
    if names is not None:
        if "word/document.xml" in names or (
            "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
        ):
            return "document", "docx"
        if any(n.startswith("xl/") for n in names):
            raise UnsupportedMediaError("<bytes>", "spreadsheet (xlsx) is not supported")
        if any(n.startswith("ppt/") for n in names):
            raise UnsupportedMediaError("<bytes>", "presentation (pptx) is not supported")
        if "mimetype" in names or "content.xml" in names:
            raise UnsupportedMediaError("<bytes>", "OpenDocument files are not supported")
        raise UnsupportedMediaError("<bytes>", "zip archive is not supported")
    # A truncated or damaged archive: fall back to the local file headers.
    if b"word/document.xml" in data[:SNIFF_BYTES] or (ext == "docx" and b"word/" in data):
        return "document", "docx"
    raise UnsupportedMediaError("<bytes>", "zip archive is not supported (or is damaged)")


def _text_format(sample: bytes, ext: str) -> str:
    """Which kind of text: the extension decides when it names one, else the content."""
    if ext in _TEXT_EXTENSIONS:
        return _TEXT_EXTENSIONS[ext]
    text, _ = _decode_prefix(sample.lstrip(codecs.BOM_UTF8), "utf-8")
    head = text.lstrip("\ufeff \t\r\n")
    lower = head[:512].lower()
    if (
        lower.startswith("<!doctype html")
        or lower.startswith("<html")
        or (lower.startswith("<") and re.search(r"<(head|body)[\s>]", lower))
    ):
        return "html"
    if head[:1] in ("{", "[") and len(sample) < SNIFF_BYTES:
        try:
            json.loads(head)
            return "json"
        except ValueError:
            pass
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    if lines and (
        re.match(r"#{1,6} \S", lines[0])
        or sum(bool(re.match(r"(#{1,6} |[-*+] |\d+\. |```|> )", ln)) for ln in lines)
        >= max(2, len(lines) // 3)
    ):
        return "md"
    if len(lines) >= 2:
        counts = {ln.count(",") for ln in lines[:-1] if ln}  # last line may be cut off
        if len(counts) == 1 and min(counts) >= 1 and lines[-1].count(",") <= min(counts):
            return "csv"
    return "txt"


def detect(data: bytes, filename: str | None = None) -> tuple[str, str]:
    """Return ``(modality, format)`` of ``data`` from its magic bytes.

    Content decides; the extension of ``filename`` only breaks ties (which kind of text; a
    lone MPEG audio frame). Recognised: PDF and DOCX (a ZIP with ``word/document.xml``);
    PNG, JPEG, GIF, WebP, BMP, TIFF; WAV, MP3 (ID3 or MPEG frame sync), Ogg (taken as
    audio), FLAC, M4A; MP4/MOV/3GP (``ftyp`` brand), MKV/WebM (EBML DocType), FLV, MPEG-PS,
    WMV (ASF), AVI. Data without a signature is text when it decodes as text (see
    :func:`decode_text`), with the kind (``txt``/``md``/``html``/``csv``/``json``) taken from
    the extension or sniffed from the content.

    Raises
    ------
    UnsupportedMediaError
        For known-but-unsupported formats (ZIP, XLSX, HEIC, legacy Office, ...) and for binary
        data with no recognised signature. Its ``source`` is ``filename`` (or ``"<bytes>"``).
    """
    source = str(filename) if filename else "<bytes>"
    try:
        return _detect(bytes(data) if not isinstance(data, bytes) else data, _extension(filename))
    except UnsupportedMediaError as e:
        if e.source == source:
            raise
        raise UnsupportedMediaError(source, e.reason) from None


#: Encodings a whole sample decodes in without a replaced byte (see :func:`_plain_text`).
_STRICT_TEXT = ("utf-8", "utf-8-sig", "utf-16")
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")


def _plain_text(h: bytes) -> bool:
    """``h`` decodes as text without replacing a byte: real media never do (they hold NULs
    and control bytes), prose starting "the wide open sea" or "RIFF is..." does."""
    return _sniff_text_encoding(h) in _STRICT_TEXT


def _detect(data: bytes, ext: str) -> tuple[str, str]:
    """Magic bytes first; but a signature is only trusted when the container's structure
    confirms it or the bytes are not plain text. Four bytes that spell a QuickTime atom
    ("Our moov...") or a ``%PDF-`` inside a note do not make a video or a PDF."""
    if not data:
        raise UnsupportedMediaError("<bytes>", "empty content (0 bytes)")
    h = data[:SNIFF_BYTES]
    try:
        found = _by_signature(h, data, ext)
    except UnsupportedMediaError:
        if _plain_text(h):
            return "text", _text_format(h, ext)
        raise
    if found[0] == "text" or not _plain_text(h):
        return found
    if found[1] == "pdf" and _PDF_OBJECT.search(h):  # an all-ASCII PDF: objects confirm it
        return found
    return "text", _text_format(h, ext)


def _by_signature(h: bytes, data: bytes, ext: str) -> tuple[str, str]:
    # documents
    if h.startswith(b"%PDF-") or b"%PDF-" in h[:1024]:
        return "document", "pdf"
    if h.startswith(b"PK\x03\x04"):
        return _zip_kind(data, ext)
    if h.startswith(_OLE_MAGIC):
        raise UnsupportedMediaError(
            "<bytes>", "legacy Office file (doc/xls/ppt) is not supported; save it as docx or pdf"
        )
    # images
    if h.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if h.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if h.startswith((b"GIF87a", b"GIF89a")):
        return "image", "gif"
    if h.startswith((b"II*\x00", b"MM\x00*")):
        return "image", "tiff"
    if (
        h.startswith(b"BM")
        and len(h) >= 18
        and h[6:10] == b"\x00\x00\x00\x00"
        and int.from_bytes(h[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)
    ):
        return "image", "bmp"
    # RIFF family
    if h.startswith(b"RIFF") and len(h) >= 12:
        form = h[8:12]
        if form == b"WAVE":
            return "audio", "wav"
        if form == b"AVI ":
            return "video", "avi"
        if form == b"WEBP":
            return "image", "webp"
        raise UnsupportedMediaError("<bytes>", f"RIFF {form.decode('latin-1')!r} is not supported")
    # ISO base media (mp4 family) and classic QuickTime
    if len(h) >= 12 and h[4:8] == b"ftyp":
        brand = h[8:12]
        if brand in _MP4_AUDIO_BRANDS:
            return "audio", "m4a"
        if brand == b"qt  ":
            return "video", "mov"
        if brand.startswith((b"3gp", b"3g2", b"3ge", b"3gg", b"3gs")):
            return "video", "3gp"
        if brand in _HEIF_BRANDS:
            raise UnsupportedMediaError(
                "<bytes>", f"HEIF/AVIF image ({brand.decode('latin-1').strip()}) is not supported"
            )
        return "video", "mp4"
    if (
        len(h) >= 8
        and h[4:8] in _QT_ATOMS
        and int.from_bytes(h[:4], "big") >= 8
        and (ext in ("mov", "qt") or h[4:8] in (b"moov", b"wide", b"pnot"))
    ):
        return "video", "mov"
    # other video
    if h.startswith(b"\x1a\x45\xdf\xa3"):
        return ("video", "webm") if _ebml_doctype(h) == "webm" else ("video", "mkv")
    if h.startswith(b"FLV\x01"):
        return "video", "flv"
    if h.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "video", "mpeg"
    if h.startswith(_ASF_GUID):
        return "video", "wmv"
    # other audio
    if h.startswith(b"fLaC"):
        return "audio", "flac"
    if h.startswith(b"OggS"):
        return "audio", "ogg"
    if h.startswith(b"ID3") and len(h) >= 10 and h[3] in (2, 3, 4):
        return "audio", "mp3"
    # text (a UTF-16 BOM is FF FE, which is also a valid-looking MPEG frame header: try text
    # first, then audio)
    if _sniff_text_encoding(h) is not None:
        return "text", _text_format(h, ext)
    if _is_mpeg_audio(h, ext):
        return "audio", "mp3"
    raise UnsupportedMediaError("<bytes>", _UNKNOWN_REASON)

