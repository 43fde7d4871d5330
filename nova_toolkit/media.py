"""Media items: read bytes once, detect modality and format from magic bytes, decode text.

This is the leftmost stage of the flow (``sources → segment → embed → …``). It knows nothing
about models: it turns a path, an ``s3://`` object or bytes in memory into a
:class:`MediaItem` (content, SHA-256, modality, format) and fails with a
:class:`MediaError` that names the source and the reason when the input is bad.

Detection trusts content over names: magic bytes decide, and the file extension only breaks
ties (which kind of text, an MPEG audio stream too short to confirm, ...). A ``.txt`` file that
holds a PNG is an image; a ``.txt`` file that holds random bytes is unsupported.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MODALITIES",
    "FORMATS",
    "DecodedText",
    "MediaError",
    "MediaItem",
    "UnsupportedMediaError",
    "decode_text",
    "detect",
    "iter_files",
    "parse_s3_uri",
]

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

#: How many leading bytes the sniffers look at (text detection samples this much too).
SNIFF_BYTES = 64 * 1024
_READ_CHUNK = 1024 * 1024
_TEXT_MIN_PRINTABLE = 0.90

_UNKNOWN_REASON = "unknown format (no recognised signature and not text)"


class MediaError(ValueError):
    """Bad input: always names the source and the reason.

    Parameters
    ----------
    source : str
        The path, URI or caller-given name of the input.
    reason : str
        What is wrong with it, in words a user can act on.
    """

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = str(reason)
        super().__init__(f"{self.source}: {self.reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the two-argument constructor picklable (multiprocessing, joblib).
        return (type(self), (self.source, self.reason))


class UnsupportedMediaError(MediaError):
    """The input was read but its format is not one nova_toolkit handles."""


# --------------------------------------------------------------------------------------------
# text decoding
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, with an honest note of how.

    Attributes
    ----------
    text : str
        The decoded text (a BOM is removed).
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"`` or ``"utf-8 (with replacement)"``.
    replaced : bool
        True when undecodable bytes were replaced with U+FFFD; a row built from this text
        must say so.
    """

    text: str
    encoding: str
    replaced: bool


def _printable_ratio(s: str) -> float:
    """Share of characters that are printable or whitespace (U+FFFD and NUL count as bad)."""
    if not s:
        return 1.0
    good = 0
    for ch in s:
        if ch == "\ufffd" or ch == "\x00":
            continue
        if ch.isprintable() or ch in "\t\n\r\f\v":
            good += 1
    return good / len(s)


def _looks_like_text(s: str) -> bool:
    return "\x00" not in s and _printable_ratio(s) >= _TEXT_MIN_PRINTABLE


def _decode_prefix(data: bytes, encoding: str) -> tuple[str, bool]:
    """Decode a prefix that may end inside a multi-byte sequence.

    Returns the text and whether it decoded strictly.
    """
    try:
        dec = codecs.getincrementaldecoder(encoding)("strict")
        return dec.decode(data, final=False), True
    except UnicodeDecodeError:
        dec = codecs.getincrementaldecoder(encoding)("replace")
        return dec.decode(data, final=False), False


def _sniff_text_encoding(sample: bytes) -> str | None:
    """Which decoding :func:`decode_text` will use for data starting with ``sample``.

    Returns ``None`` when the bytes are binary (not text).
    """
    if sample.startswith(codecs.BOM_UTF8):
        text, _ = _decode_prefix(sample[3:], "utf-8")
        return "utf-8-sig" if _looks_like_text(text) else None
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, _ = _decode_prefix(sample, "utf-16")
        return "utf-16" if _looks_like_text(text) else None
    if b"\x00" in sample:
        return None
    text, strict = _decode_prefix(sample, "utf-8")
    if strict:
        return "utf-8" if _looks_like_text(text) else None
    # Not UTF-8. Judge "is this text?" on the kinder of two lenient decodes: UTF-8 with
    # replacement, or Latin-1 (where every byte is a character, so accented prose in a legacy
    # 8-bit encoding still reads as printable while random bytes do not: ~24 % of byte values
    # are control characters).
    if _looks_like_text(text) or _looks_like_text(sample.decode("latin-1")):
        return "utf-8 (with replacement)"
    return None


def decode_text(data: bytes) -> DecodedText | None:
    """Decode ``data`` as text, or return ``None`` when it is binary.

    UTF-8 (a BOM is stripped → ``"utf-8-sig"``) and UTF-16 with a BOM decode as such. Other
    bytes count as text when they hold no NUL and at least ~90 % of the leniently decoded
    characters are printable or whitespace (e.g. Latin-1 prose); they are decoded as UTF-8 with
    ``errors="replace"`` and flagged ``replaced=True`` so nothing silently changes.
    """
    data = bytes(data)
    if not data:
        return DecodedText("", "utf-8", False)
    if data.startswith(codecs.BOM_UTF8):
        body = data[3:]
        try:
            return DecodedText(body.decode("utf-8"), "utf-8-sig", False)
        except UnicodeDecodeError:
            text = body.decode("utf-8", errors="replace")
            return (
                DecodedText(text, "utf-8 (with replacement)", True)
                if _looks_like_text(text[:SNIFF_BYTES])
                else None
            )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, replaced = data.decode("utf-16"), False
        except UnicodeDecodeError:
            text, replaced = data.decode("utf-16", errors="replace"), True
        return (
            DecodedText(text, "utf-16", replaced) if _looks_like_text(text[:SNIFF_BYTES]) else None
        )
    if _sniff_text_encoding(data[:SNIFF_BYTES]) is None:
        return None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        return DecodedText(data.decode("utf-8", errors="replace"), "utf-8 (with replacement)", True)


# --------------------------------------------------------------------------------------------
# detection
# --------------------------------------------------------------------------------------------

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


def _detect(data: bytes, ext: str) -> tuple[str, str]:
    if not data:
        raise UnsupportedMediaError("<bytes>", "empty content (0 bytes)")
    h = data[:SNIFF_BYTES]
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


# --------------------------------------------------------------------------------------------
# MediaItem
# --------------------------------------------------------------------------------------------


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``; ValueError when it is not one."""
    m = re.fullmatch(r"s3://([^/]+)/(.+)", str(uri))
    if not m:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    return m.group(1), m.group(2)


@dataclass(frozen=True)
class MediaItem:
    """One input, read once: its bytes, hash, modality and format.

    Build it with :meth:`from_path`, :meth:`from_bytes` or :meth:`from_s3`; these validate the
    input and raise :class:`MediaError` naming the source. Equality ignores ``data`` (the
    SHA-256 stands for it).

    Attributes
    ----------
    source : str
        The path as given, an ``s3://`` URI, or a caller-given name for bytes.
    modality : str
        One of :data:`MODALITIES`.
    format : str
        A key of :data:`FORMATS`, e.g. ``"pdf"``, ``"png"``, ``"mp4"``.
    sha256 : str
        Hex SHA-256 of the content bytes (part of the embedding cache key).
    size : int
        Content length in bytes.
    path : str or None
        Absolute local path when the item came from a file.
    data : bytes
        The content.
    mtime : float or None
        Modification time of the file (or the S3 object), when known.
    """

    source: str
    modality: str
    format: str
    sha256: str
    size: int
    path: str | None
    data: bytes = field(repr=False, compare=False)
    mtime: float | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike, *, source: str | None = None) -> MediaItem:
        """Read a local file.

        Raises
        ------
        MediaError
            Missing path, a directory or other non-regular file, unreadable, or empty.
        UnsupportedMediaError
            Unknown format, or binary data that is not text (whatever the extension says).
        """
        p = os.fspath(path)
        src = str(p) if source is None else str(source)
        try:
            st = os.stat(p)
        except FileNotFoundError:
            reason = "broken symbolic link" if os.path.islink(p) else "no such file or directory"
            raise MediaError(src, reason) from None
        except PermissionError:
            raise MediaError(src, "permission denied") from None
        except OSError as e:
            raise MediaError(src, e.strerror or str(e)) from None
        if stat.S_ISDIR(st.st_mode):
            raise MediaError(src, "is a directory (pass it to iter_files to walk it)")
        if not stat.S_ISREG(st.st_mode):
            raise MediaError(src, "not a regular file")
        digest = hashlib.sha256()
        chunks: list[bytes] = []
        try:
            with open(p, "rb") as f:
                while chunk := f.read(_READ_CHUNK):
                    digest.update(chunk)
                    chunks.append(chunk)
        except PermissionError:
            raise MediaError(src, "permission denied") from None
        except IsADirectoryError:
            raise MediaError(src, "is a directory") from None
        except OSError as e:
            raise MediaError(src, f"cannot read: {e.strerror or e}") from None
        data = b"".join(chunks)
        if not data:
            raise MediaError(src, "empty file (0 bytes)")
        modality, fmt = _detect_for(src, data, p)
        return cls(
            source=src,
            modality=modality,
            format=fmt,
            sha256=digest.hexdigest(),
            size=len(data),
            path=os.path.abspath(p),
            data=data,
            mtime=st.st_mtime,
        )

    @classmethod
    def from_bytes(
        cls, data: bytes, *, source: str = "<bytes>", filename: str | None = None
    ) -> MediaItem:
        """Wrap bytes held in memory.

        ``filename`` (else ``source`` when it is not ``"<bytes>"``) only lends its extension
        to break detection ties.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        data = bytes(data)
        src = str(source)
        if not data:
            raise MediaError(src, "empty content (0 bytes)")
        name = filename if filename is not None else (src if src != "<bytes>" else None)
        modality, fmt = _detect_for(src, data, name)
        return cls(
            source=src,
            modality=modality,
            format=fmt,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            path=None,
            data=data,
        )

    @classmethod
    def from_s3(cls, uri: str, *, client: Any = None) -> MediaItem:
        """Read an ``s3://bucket/key`` object with a boto3 S3 client (created when omitted).

        The whole object is read into memory, like a local file.
        """
        try:
            bucket, key = parse_s3_uri(uri)
        except ValueError as e:
            raise MediaError(str(uri), str(e)) from None
        from nova_toolkit._core.aws import error_code, make_client

        if client is None:
            client = make_client("s3")
        try:
            resp = client.get_object(Bucket=bucket, Key=key)
            data = resp["Body"].read()
        except Exception as e:  # botocore ClientError / connection errors: report
            code = error_code(e)
            reason = {
                "NoSuchKey": "no such object",
                "NoSuchBucket": "no such bucket",
                "AccessDenied": "access denied",
            }.get(code or "", f"cannot read: {e}")
            raise MediaError(uri, reason) from None
        item = cls.from_bytes(data, source=uri, filename=key)
        modified = resp.get("LastModified")
        if modified is not None and hasattr(modified, "timestamp"):
            object.__setattr__(item, "mtime", modified.timestamp())
        return item

    def text(self) -> DecodedText:
        """The decoded text of a text item (decoded once, then cached).

        Raises
        ------
        MediaError
            When the item is not of the text modality.
        """
        cached = self.__dict__.get("_decoded")
        if cached is not None:
            return cached
        if self.modality != "text":
            raise MediaError(self.source, f"not text: {self.modality} ({self.format})")
        decoded = decode_text(self.data)
        if decoded is None:  # detection said text, so this only happens for odd tails
            decoded = DecodedText(
                self.data.decode("utf-8", errors="replace"), "utf-8 (with replacement)", True
            )
        self.__dict__["_decoded"] = decoded
        return decoded


def _detect_for(source: str, data: bytes, name: str | None) -> tuple[str, str]:
    try:
        return detect(data, name)
    except UnsupportedMediaError as e:
        raise UnsupportedMediaError(source, e.reason) from None


# --------------------------------------------------------------------------------------------
# walking sources
# --------------------------------------------------------------------------------------------


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[str, str | None]]:
    """Expand paths into files, reporting problems instead of stopping.

    A file yields itself; a directory yields every regular file below it, recursively, in
    sorted order, skipping hidden names (starting with ``"."``) and symlink loops. Each item is
    ``(source, error)``: ``source`` is ``os.path.join(given, rel)`` and ``error`` is None or a
    reason (``"no such file or directory"``, ``"broken symbolic link"``,
    ``"permission denied"``) so the caller can record a failure and go on.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]  # a lone path is a common slip; do not iterate its characters
    for given in paths:
        g = os.fspath(given)
        if isinstance(g, bytes):
            g = os.fsdecode(g)
        if g.startswith("s3://"):
            yield from iter_s3(g)
        elif not os.path.lexists(g):
            yield g, "no such file or directory"
        elif not os.path.exists(g):
            yield g, "broken symbolic link"
        elif os.path.isdir(g):
            yield from _walk(g, g, set())
        else:
            yield g, None


def is_s3_prefix(uri: str) -> bool:
    """True for ``s3://bucket/`` or ``s3://bucket/some/prefix/`` (a "folder" of objects)."""
    return uri.startswith("s3://") and (uri.endswith("/") or uri.count("/") == 2)


def iter_s3(uri: str, *, client: Any = None) -> Iterator[tuple[str, str | None]]:
    """Objects under an ``s3://`` URI, as ``(uri, error)`` like :func:`iter_files`.

    A prefix ending in ``/`` (or a bare bucket) is listed with the paginated
    ListObjectsV2, skipping "folder" markers and hidden names; any other URI is
    one object. The client comes from boto3's standard configuration
    (profiles, regions, ``AWS_ENDPOINT_URL``) when omitted.
    """
    if not is_s3_prefix(uri):
        yield uri, None
        return
    rest = uri[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    from nova_toolkit._core.aws import error_code, make_client

    try:
        if client is None:
            client = make_client("s3")
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = sorted(
            obj["Key"] for page in pages for obj in page.get("Contents", ())
            if not obj["Key"].endswith("/")
            and not any(part.startswith(".") for part in obj["Key"][len(prefix):].split("/"))
        )
    except Exception as e:  # botocore ClientError / connection errors: report, go on
        code = error_code(e)
        yield uri, {"NoSuchBucket": "no such bucket",
                    "AccessDenied": "access denied"}.get(code, f"cannot list: {e}")
        return
    for key in keys:
        yield f"s3://{bucket}/{key}", None


def _dir_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _walk(
    directory: str, shown: str, ancestors: set[tuple[int, int]]
) -> Iterator[tuple[str, str | None]]:
    """Depth-first walk; ``shown`` is the path as the caller will print it."""
    ident = _dir_id(directory)
    if ident is None or ident in ancestors:  # a symlink back up the tree
        return
    try:
        with os.scandir(directory) as it:
            entries = sorted(
                (e for e in it if not e.name.startswith(".")),
                key=lambda e: (unicodedata.normalize("NFC", e.name), e.name),
            )
    except PermissionError:
        yield shown, "permission denied"
        return
    except OSError as e:
        yield shown, e.strerror or str(e)
        return
    inner = ancestors | {ident}
    for entry in entries:
        entry_shown = os.path.join(shown, entry.name)
        try:
            if entry.is_dir(follow_symlinks=True):
                yield from _walk(entry.path, entry_shown, inner)
            elif entry.is_file(follow_symlinks=True):
                yield entry_shown, None
            elif entry.is_symlink() and not os.path.exists(entry.path):
                yield entry_shown, "broken symbolic link"
            # sockets, FIFOs and devices are not media: skip them
        except OSError as e:
            yield entry_shown, e.strerror or str(e)
