"""One file, one source: keys relative to the library root the collection records.

Real collections on the real local backend: every spelling of a folder adds its files once;
a collection and its media moved together keep working; media moved elsewhere are found
with ``media_root=``; selection by any spelling or by key; the dry run and the Ray engine
key files as the in-process engine does.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from collection_helpers import Counting, three_texts, write

from nova_toolkit.collection import Collection
from nova_toolkit.store import MANIFEST

KEYS = ["a.txt", "b.txt", "sub/c.md"]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A working directory holding ``lib`` (three texts); the collection goes in ``coll``."""
    three_texts(tmp_path / "lib")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def stored(c: Collection) -> list[str]:
    return sorted(c.store.items().column("source").to_pylist())


def test_four_spellings_store_each_file_once(home, local_embedder):
    emb = Counting(local_embedder)
    c = Collection.open("coll", embedder=emb)
    first = c.add(["lib"], progress=False)
    assert first.embedded == 3 and stored(c) == KEYS
    for spelling in ("./lib/", str(home / "lib"), "lib/../lib", "lib/./sub/.."):
        calls = emb.calls
        r = c.add([spelling], progress=False)
        assert (r.embedded, r.cached, r.unchanged, r.failed) == (0, 0, 3, 0), spelling
        assert r.removed == [] and r.embedder_calls == 0 and emb.calls == calls, spelling
        assert stored(c) == KEYS and len(c) == 3, spelling
    assert len({h["source"] for h in c.search("anything", top_k=10)}) == 3  # no hit twice
    # the root is recorded relative to the collection directory, and absolute
    manifest = json.loads((home / "coll" / MANIFEST).read_text())
    assert manifest["media_root"] == {"relative": "../lib",
                                      "absolute": os.path.realpath(home / "lib")}
    assert c.info()["media_root"] == os.path.realpath(home / "lib")
    # the items table's path is where each file is
    paths = c.store.items().column("path").to_pylist()
    assert sorted(paths) == [os.path.join(os.path.realpath(home / "lib"), *k.split("/"))
                             for k in KEYS]


def test_one_run_naming_a_folder_twice_and_a_link_to_it_embeds_it_once(home, local_embedder):
    (home / "shortcut").symlink_to(home / "lib", target_is_directory=True)
    (home / "lib" / "also-a.txt").symlink_to(home / "lib" / "a.txt")  # a link to a file
    emb = Counting(local_embedder)
    c = Collection.open("coll", embedder=emb)
    r = c.add(["lib", "./lib/", "shortcut", str(home / "lib" / "a.txt")], progress=False)
    assert (r.embedded, r.cached, r.failed) == (3, 0, 0) and stored(c) == KEYS
    assert emb.calls == 1


def test_a_file_added_under_another_spelling_is_unchanged(home, local_embedder):
    emb = Counting(local_embedder)
    c = Collection.open("coll", embedder=emb)
    c.add(["lib"], progress=False)
    calls = emb.calls
    r = Collection.open("coll", embedder=emb).add([str(home / "lib" / "sub" / "c.md")],
                                                   progress=False)
    assert (r.unchanged, r.embedded, r.embedder_calls) == (1, 0, 0) and emb.calls == calls
    assert stored(c) == KEYS


def test_files_outside_the_root_get_parent_keys_and_are_found_missing(home, local_embedder):
    c = Collection.open("coll", embedder=local_embedder)
    c.add(["lib"], progress=False)
    write(home / "notes" / "n1.txt", "The ferry to the island leaves every hour.")
    write(home / "notes" / "n2.txt", "Snow closed the mountain pass overnight.")
    r = c.add(["./notes"], progress=False)
    assert r.embedded == 2 and stored(c) == ["../notes/n1.txt", "../notes/n2.txt", *KEYS]
    assert c.add([str(home / "notes")], progress=False).unchanged == 2
    (home / "notes" / "n2.txt").unlink()
    r = c.add(["notes/"], progress=False)
    assert r.removed == ["../notes/n2.txt"]  # only the walked folder's file, by key
    assert stored(c) == ["../notes/n1.txt", *KEYS]
    hit = c.search("ferry island", top_k=1)[0]
    assert hit["source"] == "../notes/n1.txt" and os.path.isfile(hit["path"])


def test_remove_and_update_by_any_spelling_or_by_key(home, local_embedder):
    c = Collection.open("coll", embedder=local_embedder)
    c.add(["lib"], progress=False)
    for name in ("sub/c.md", "./lib/sub/c.md", str(home / "lib" / "sub" / "c.md"),
                 "lib/../lib/sub/", "sub", "sub/"):
        assert c.remove(name, dry_run=True).sources == ("sub/c.md",), name
    change = c.update_metadata(["a.txt", "./lib/b.txt"], set={"checked": True})
    assert change.updated == ("a.txt", "b.txt")
    assert c.remove(str(home / "lib")).sources == tuple(KEYS)
    assert len(c) == 0


def test_collection_and_media_moved_together_keep_working(home, local_embedder):
    project = home / "project"
    shutil.move(str(home / "lib"), project / "lib")
    os.chdir(project)
    c = Collection.open("coll", embedder=local_embedder)
    c.add(["lib"], progress=False)
    moved = home / "elsewhere" / "project-copy"
    shutil.move(str(project), moved)  # the folder holding both goes somewhere else
    os.chdir(home)
    emb = Counting(local_embedder)
    again = Collection.open(moved / "coll", embedder=emb)
    assert again.media_root == os.path.realpath(moved / "lib")
    hit = again.search("golden retriever at the beach", top_k=1)[0]
    assert hit["source"] == "a.txt" and hit["path"] == os.path.join(again.media_root, "a.txt")
    assert os.path.isfile(hit["path"])
    r = again.add([str(moved / "lib")], progress=False)
    assert (r.unchanged, r.embedder_calls, r.removed) == (3, 0, []) and emb.calls == 0
    assert again.remove(str(moved / "lib" / "b.txt")).sources == ("b.txt",)


def test_a_collection_moved_alone_finds_its_media_where_they_were(home, local_embedder):
    c = Collection.open(home / "coll", embedder=local_embedder)
    c.add(["lib"], progress=False)
    shutil.move(str(home / "coll"), home / "deep" / "down" / "coll")
    emb = Counting(local_embedder)
    again = Collection.open(home / "deep" / "down" / "coll", embedder=emb)
    assert again.media_root == os.path.realpath(home / "lib")  # the absolute form
    assert again.add(["lib"], progress=False).unchanged == 3 and emb.calls == 0


def test_media_moved_elsewhere_open_with_media_root(home, local_embedder):
    c = Collection.open("coll", embedder=local_embedder)
    c.add(["lib"], progress=False)
    shutil.move(str(home / "lib"), home / "mounted-media")
    emb = Counting(local_embedder)
    other = Collection.open("coll", embedder=emb, media_root=home / "mounted-media")
    assert other.media_root == os.path.realpath(home / "mounted-media")
    assert other.locate("sub/c.md") == os.path.join(other.media_root, "sub", "c.md")
    hit = other.search("spaghetti with tomato sauce", top_k=1)[0]
    assert hit["source"] == "sub/c.md" and os.path.isfile(hit["path"])
    r = other.add(["mounted-media"], progress=False)
    assert (r.unchanged, r.embedded, r.removed, r.embedder_calls) == (3, 0, [], 0)
    (home / "mounted-media" / "b.txt").unlink()
    r = other.add(["./mounted-media/"], progress=False)
    assert r.removed == ["b.txt"] and stored(other) == ["a.txt", "sub/c.md"]
    assert other.update_metadata("mounted-media/a.txt", set={"k": 1}).updated == ("a.txt",)
    # the recorded root is not changed by a media_root given at open
    assert json.loads((home / "coll" / MANIFEST).read_text())["media_root"]["relative"] == \
        "../lib"


def test_a_new_collection_opened_with_media_root_records_it(home, local_embedder):
    c = Collection.open("coll", embedder=local_embedder, media_root=home)
    c.add(["lib/sub"], progress=False)
    assert stored(c) == ["lib/sub/c.md"] and c.media_root == os.path.realpath(home)


def test_the_dry_run_keys_files_as_the_run_does(home, local_embedder):
    from nova_toolkit.pipeline.dry_run import dry_run

    c = Collection.open("coll", embedder=local_embedder)
    c.add(["lib"], progress=False)
    report = dry_run([str(home / "lib"), "./lib/"], collection=c)
    assert (report.files, report.cached, report.usage.calls) == (0, 3, 0)
    write(home / "lib" / "new.txt", "A lighthouse keeper logs every passing ship.")
    report = dry_run(["lib/../lib"], collection=c)
    assert (report.files, report.cached) == (1, 3)
    assert json.loads((home / "coll" / MANIFEST).read_text())["version"] == c.store.version


def test_the_ray_engine_gives_the_same_keys(home, local_embedder, ray_cluster):
    from nova_toolkit.pipeline.ray_engine import RayEngine

    engine = RayEngine(workers=1, worker_cpus=0.5)
    ray_coll = Collection.open("ray", embedder=local_embedder)
    r = ray_coll.add(["./lib/", str(home / "lib")], progress=False, engine=engine)
    assert (r.embedded, r.failed) == (3, 0) and stored(ray_coll) == KEYS
    emb = Counting(local_embedder)
    local = Collection.open("local", embedder=emb)
    local.add(["lib"], progress=False)
    keys = sorted(local.to_arrow().column("key").to_pylist())
    assert sorted(ray_coll.to_arrow().column("key").to_pylist()) == keys
    r = ray_coll.add(["lib/../lib"], progress=False, engine=engine)
    assert (r.unchanged, r.embedded, r.embedder_calls, r.removed) == (3, 0, 0, [])


def test_a_collection_from_before_roots_keeps_its_sources(home, local_embedder):
    """Written before roots were recorded: sources as walked from the working directory."""
    c = Collection.open("coll", embedder=local_embedder, media_root=home)
    c.add(["lib"], progress=False)
    manifest_path = home / "coll" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    del manifest["media_root"]  # what such a collection looks like on disk
    manifest_path.write_text(json.dumps(manifest))
    emb = Counting(local_embedder)
    old = Collection.open("coll", embedder=emb)
    assert old.media_root is None and stored(old) == ["lib/a.txt", "lib/b.txt", "lib/sub/c.md"]
    assert old.remove("./lib/b.txt", dry_run=True).sources == ("lib/b.txt",)
    r = old.add(["./lib/"], progress=False)  # records the working directory as its root
    assert (r.unchanged, r.embedded, r.removed, emb.calls) == (3, 0, [], 0)
    assert old.media_root == os.path.realpath(home)
    assert json.loads(manifest_path.read_text())["media_root"]["relative"] == ".."


def test_a_media_root_that_is_not_a_folder_is_refused(home, local_embedder):
    from nova_toolkit import InvalidArgumentError

    Collection.open("coll", embedder=local_embedder).add(["lib"], progress=False)
    with pytest.raises(InvalidArgumentError, match="media_root: is not a folder"):
        Collection.open("coll", media_root=home / "no-such-media")
    with pytest.raises(InvalidArgumentError, match="media_root"):
        Collection.open("coll", media_root=home / "lib" / "a.txt")


def test_a_truncated_copy_keeps_the_library_root(home, local_embedder):
    c = Collection.open("coll", embedder=local_embedder)
    c.add(["lib"], progress=False)
    small = c.with_dimension(256, home / "elsewhere" / "small")
    assert small.media_root == c.media_root and stored(small) == KEYS
    manifest = json.loads((home / "elsewhere" / "small" / MANIFEST).read_text())
    assert manifest["media_root"]["relative"] == "../../lib"  # from the copy's own folder
    assert os.path.isfile(small.locate("sub/c.md"))
