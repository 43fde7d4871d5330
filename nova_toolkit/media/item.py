"""MediaItem: one input read once (bytes, SHA-256, modality, format), from a path, bytes or S3.

Building an item validates it: a missing, unreadable, empty or unrecognised input raises
:class:`~nova_toolkit.media.errors.MediaError` naming the source and the reason.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from nova_toolkit.media.detection import detect
from nova_toolkit.media.errors import MediaError, UnsupportedMediaError
from nova_toolkit.media.s3 import parse_s3_uri
from nova_toolkit.media.text import DecodedText, decode_text

_READ_CHUNK = 1024 * 1024


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

