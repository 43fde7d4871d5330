"""Tests for nova_toolkit.media.walk: iter_files over trees, hidden names, loops, missing paths."""

from __future__ import annotations

import os
from pathlib import Path

from media_files import png_bytes

from nova_toolkit.media import MediaItem, iter_files


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

