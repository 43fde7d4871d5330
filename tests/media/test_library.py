"""Tests for nova_toolkit.media.library: one key per local file, whatever the spelling."""

from __future__ import annotations

import os

import pytest

from nova_toolkit.media.library import MediaLibrary, library_root, resolved, within


def touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path, monkeypatch):
    touch(tmp_path / "lib" / "images" / "cat.png")
    touch(tmp_path / "lib" / "a.txt")
    touch(tmp_path / "notes" / "a.txt")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_spelling_of_a_file_gives_one_key(tree):
    lib = MediaLibrary(os.path.realpath(tree / "lib"))
    spellings = ["lib/images/cat.png", "./lib/images/cat.png", str(tree / "lib/images/cat.png"),
                 "lib/../lib/images/cat.png", "lib//images/./cat.png"]
    assert {lib.key(s) for s in spellings} == {"images/cat.png"}
    (tree / "link").symlink_to(tree / "lib", target_is_directory=True)
    assert lib.key("link/images/cat.png") == "images/cat.png"  # a link is its target
    assert lib.key("notes/a.txt") == "../notes/a.txt"  # outside the root: still one key
    assert lib.key("s3://bucket/lib/a.txt") == "s3://bucket/lib/a.txt"


def test_locate_turns_a_key_back_into_where_the_file_is(tree):
    lib = MediaLibrary(os.path.realpath(tree / "lib"))
    for key in ("images/cat.png", "../notes/a.txt"):
        assert os.path.isfile(lib.locate(key))
        assert lib.key(lib.locate(key)) == key
    assert lib.locate("s3://b/k.txt") == "s3://b/k.txt"
    assert lib.locate(str(tree / "notes" / "a.txt")) == str(tree / "notes" / "a.txt")
    # no root (a collection from before roots): relative sources were walked from here
    assert MediaLibrary(None).locate("lib/a.txt") == os.path.join(os.getcwd(), "lib", "a.txt")
    assert MediaLibrary(None).key("./lib/a.txt") == os.path.realpath("lib/a.txt")


def test_library_root_is_the_common_ancestor_of_what_exists(tree):
    real = os.path.realpath(tree)
    assert library_root(["./lib/", "lib/../lib"]) == os.path.join(real, "lib")
    assert library_root(["lib/a.txt"]) == os.path.join(real, "lib")  # a file: its folder
    assert library_root(["lib/images", "notes/a.txt"]) == real
    assert library_root(["lib/typo", "lib/a.txt"]) == os.path.join(real, "lib")
    assert library_root(["lib/typo"]) is None and library_root(["s3://b/p/"]) is None


def test_a_broken_link_is_named_where_it_is(tree):
    (tree / "lib" / "dangling.png").symlink_to(tree / "nowhere" / "gone.png")
    lib = MediaLibrary(os.path.realpath(tree / "lib"))
    assert resolved("lib/dangling.png") == os.path.join(os.path.realpath(tree), "lib",
                                                        "dangling.png")
    assert lib.key("./lib/dangling.png") == "dangling.png"


def test_within_compares_whole_names():
    assert within("/a/lib/x.txt", "/a/lib") and within("/a/lib", "/a/lib")
    assert not within("/a/library/x.txt", "/a/lib")
    assert within("/x", "/")
