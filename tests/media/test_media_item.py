"""Tests for nova_toolkit.media.item: MediaItem from paths and bytes, its fields and errors."""

from __future__ import annotations

import hashlib
import os
import random

import pytest
from media_files import png_bytes

from nova_toolkit.media import MediaError, MediaItem, UnsupportedMediaError


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

