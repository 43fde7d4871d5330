"""Tests for nova_toolkit.media.library: one key per local file, whatever the spelling."""

from __future__ import annotations

import os

import pytest

from nova_toolkit.media.library import (
    MediaLibrary,
    key_name,
    key_text,
    library_root,
    resolved,
    within,
)


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


def test_a_link_not_followed_is_named_where_it_is(tree):
    (tree / "lib" / "out.txt").symlink_to(tree / "notes" / "a.txt")
    real = os.path.realpath(tree)
    assert resolved("lib/out.txt") == os.path.join(real, "notes", "a.txt")
    assert resolved("lib/out.txt", follow=False) == os.path.join(real, "lib", "out.txt")
    assert resolved("lib/a.txt", follow=False) == os.path.join(real, "lib", "a.txt")


@pytest.mark.parametrize("name, text", [
    ("caf\udce9.txt", "caf\\xe9.txt"),            # an undecodable byte: visible \xHH
    ("\udcff\udc80", "\\xff\\x80"),
    ("plain.txt", "plain.txt"),                  # valid names keep their key...
    ("a\\b.txt", "a\\b.txt"), ("\\x41", "\\x41"), ("end\\", "end\\"),
    ("a\\xe9.txt", "a\\\\xe9.txt"),              # ...except text that reads as an escape
    ("two\\\\", "two\\\\\\"), ("\\\udce9", "\\\\\\xe9"),
])
def test_key_text_is_valid_utf8_and_key_name_undoes_it(name, text):
    assert key_text(name) == text
    text.encode("utf-8")  # an Arrow string can hold it
    assert key_name(text) == name


def test_every_name_gets_its_own_key_and_back():
    import itertools

    alphabet = ["\\", "x", "e", "9", "f", "\udce9", "\udc80", "/"]
    keys: dict[str, str] = {}
    for n in range(6):
        for chars in itertools.product(alphabet, repeat=n):
            name = "".join(chars)
            key = key_text(name)
            key.encode("utf-8")
            assert key_name(key) == name
            assert keys.setdefault(key, name) == name  # no two names share a key


def test_a_file_whose_name_is_not_utf8_has_a_key_that_finds_it(tree):
    raw = os.fsencode(tree / "lib") + b"/caf\xe9.txt"
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"espresso")
    os.close(fd)
    lib = MediaLibrary(os.path.realpath(tree / "lib"))
    key = lib.key(os.fsdecode(raw))
    assert key == "caf\\xe9.txt"
    with open(os.fsencode(lib.locate(key)), "rb") as f:  # the same bytes path
        assert f.read() == b"espresso"
    assert MediaLibrary(None).key(os.fsdecode(raw)).endswith("/lib/caf\\xe9.txt")
