"""Reader stage: real files and folders → a listing, then items or read failures."""

from __future__ import annotations

import os

from pipeline_helpers import write

from nova_toolkit.media import MediaItem
from nova_toolkit.pipeline.reader import Failure, SourceReader


def test_folder_is_listed_once_in_walk_order_and_read(tmp_path):
    lib = tmp_path / "lib"
    write(lib / "b.txt", "second file")
    write(lib / "a.txt", "first file")
    write(lib / "sub" / "c.md", "# third")
    write(lib / ".hidden.txt", "never listed")
    reader = SourceReader([lib])
    listing = reader.listing()
    # keys relative to the library root (the folder given), POSIX separators
    assert listing.sources == ("a.txt", "b.txt", "sub/c.md")
    assert listing.locations == {k: os.path.join(os.path.realpath(lib), k.replace("/", os.sep))
                                 for k in listing.sources}
    assert listing.errors == {} and listing.unreadable == []
    assert reader.listing() is listing and len(reader) == 3
    got = list(reader)
    assert all(isinstance(g, MediaItem) for g in got)
    assert [g.source for g in got] == list(listing.sources)
    assert got[0].data == b"first file" and got[0].modality == "text"
    assert got[0].path == os.path.realpath(lib / "a.txt")


def test_walk_errors_and_bad_files_come_back_as_failures(tmp_path):
    empty = write(tmp_path / "empty.txt", b"")
    missing = tmp_path / "gone.txt"
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "nowhere")
    good = write(tmp_path / "ok.txt", "fine")
    reader = SourceReader([empty, missing, link, good])
    listing = reader.listing()
    # a broken link is named where it is, not by the missing target it points at
    assert listing.unreadable == ["gone.txt", "dangling.txt"]
    got = {g.source: g for g in reader}
    assert got["gone.txt"] == Failure("gone.txt", "read", "no such file or directory")
    assert got["dangling.txt"] == Failure("dangling.txt", "read", "broken symbolic link")
    bad = got["empty.txt"]
    assert isinstance(bad, Failure) and bad.stage == "read" and "empty" in bad.reason
    assert isinstance(got["ok.txt"], MediaItem)


def test_a_file_removed_after_the_walk_is_a_read_failure(tmp_path):
    f = write(tmp_path / "soon-gone.txt", "here at listing time")
    reader = SourceReader([f])
    reader.listing()
    f.unlink()
    (got,) = list(reader)
    assert isinstance(got, Failure) and got.stage == "read" and got.source == "soon-gone.txt"
