"""Tests for nova_toolkit.media.walk: trees, hidden names, loops, missing paths, hostile names, links."""

from __future__ import annotations

import os
from pathlib import Path

from media_files import png_bytes

from nova_toolkit.media import LINK_OUTSIDE, MediaItem, iter_files


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



def test_a_name_that_is_not_utf8_is_walked_surrogate_escaped_and_opens(tmp_path):
    root = tmp_path / "lib"
    root.mkdir()
    fd = os.open(os.fsencode(root) + b"/caf\xe9.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"espresso")
    os.close(fd)
    (root / "z.txt").write_text("after it")  # the walk goes on past it
    got = list(iter_files(root))
    assert got == [(os.path.join(str(root), "caf\udce9.txt"), None),
                   (os.path.join(str(root), "z.txt"), None)]
    with open(os.fsencode(got[0][0]), "rb") as f:
        assert f.read() == b"espresso"
    assert MediaItem.from_path(got[0][0]).size == len(b"espresso")


def links_tree(tmp_path: Path) -> Path:
    root, outside = tmp_path / "lib", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    (outside / "dir").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (outside / "secret.txt").write_text("s")
    (outside / "dir" / "d.txt").write_text("d")
    (root / "to-a.txt").symlink_to("a.txt")                     # a file inside
    (root / "to-sub").symlink_to(root / "sub", target_is_directory=True)  # a folder inside
    (root / "to-secret.txt").symlink_to(outside / "secret.txt")  # a file outside
    (root / "to-dir").symlink_to(outside / "dir", target_is_directory=True)  # a folder outside
    (root / "sub" / "up.txt").symlink_to("../../outside/secret.txt")  # outside, relative
    (root / "gone.txt").symlink_to(outside / "missing.txt")      # broken, pointing outside
    return root


def test_links_out_of_the_folder_are_reported_not_followed(tmp_path):
    root = links_tree(tmp_path)
    j = lambda *p: os.path.join(str(root), *p)  # noqa: E731
    assert list(iter_files(root)) == [
        (j("a.txt"), None),
        (j("gone.txt"), "broken symbolic link"),
        (j("sub", "b.txt"), None),
        (j("sub", "up.txt"), LINK_OUTSIDE),
        (j("to-a.txt"), None),
        (j("to-dir"), LINK_OUTSIDE),
        (j("to-secret.txt"), LINK_OUTSIDE),
        (j("to-sub", "b.txt"), None),
        (j("to-sub", "up.txt"), LINK_OUTSIDE),
    ]
    # the folder is the one walked: walking lib/sub, a link from it to lib/a.txt is outside
    (root / "sub" / "to-parent.txt").symlink_to("../a.txt")
    assert (j("sub", "to-parent.txt"), LINK_OUTSIDE) in list(iter_files(root / "sub"))


def test_follow_links_follows_them_and_a_named_link_is_always_followed(tmp_path):
    root = links_tree(tmp_path)
    j = lambda *p: os.path.join(str(root), *p)  # noqa: E731
    got = dict(iter_files(root, follow_links=True))
    assert got[j("to-secret.txt")] is None and got[j("to-dir", "d.txt")] is None
    assert got[j("sub", "up.txt")] is None and got[j("gone.txt")] == "broken symbolic link"
    assert LINK_OUTSIDE not in got.values()
    # a path the caller names is followed, outside or not (the user chose it)
    assert list(iter_files([root / "to-secret.txt", root / "to-dir"])) == [
        (j("to-secret.txt"), None), (j("to-dir", "d.txt"), None)]
