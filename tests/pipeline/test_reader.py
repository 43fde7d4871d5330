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
    assert listing.sources == tuple(os.path.join(str(lib), n) for n in
                                    ("a.txt", "b.txt", os.path.join("sub", "c.md")))
    assert listing.errors == {} and listing.unreadable == []
    assert reader.listing() is listing and len(reader) == 3
    got = list(reader)
    assert all(isinstance(g, MediaItem) for g in got)
    assert [g.source for g in got] == list(listing.sources)
    assert got[0].data == b"first file" and got[0].modality == "text"


def test_walk_errors_and_bad_files_come_back_as_failures(tmp_path):
    empty = write(tmp_path / "empty.txt", b"")
    missing = tmp_path / "gone.txt"
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "nowhere")
    good = write(tmp_path / "ok.txt", "fine")
    reader = SourceReader([empty, missing, link, good])
    listing = reader.listing()
    assert listing.unreadable == [str(missing), str(link)]
    got = {g.source: g for g in reader}
    assert got[str(missing)] == Failure(str(missing), "read", "no such file or directory")
    assert got[str(link)] == Failure(str(link), "read", "broken symbolic link")
    bad = got[str(empty)]
    assert isinstance(bad, Failure) and bad.stage == "read" and "empty" in bad.reason
    assert isinstance(got[str(good)], MediaItem)


def test_a_file_removed_after_the_walk_is_a_read_failure(tmp_path):
    f = write(tmp_path / "soon-gone.txt", "here at listing time")
    reader = SourceReader([f])
    reader.listing()
    f.unlink()
    (got,) = list(reader)
    assert isinstance(got, Failure) and got.stage == "read" and got.source == str(f)
