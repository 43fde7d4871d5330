"""Files from the wild through ``Collection.add`` (issue 14), on the real local backend.

A name that is not UTF-8 is embedded and its key finds the same bytes path again after the
collection is read back from its Parquet parts; names with a newline or a tab are stored as
they are; links out of the folder are failures unless ``follow_links=True``, and nothing
they point at is read. The Ray engine (listing on the driver) does the same.
"""

from __future__ import annotations

import os

import pytest
from wild_files import (
    DIR_LINK,
    FILE_LINK,
    LATIN1,
    LATIN1_KEY,
    NEWLINE,
    OUTSIDE_NOTE,
    SECRET,
    TAB,
    TEXTS,
    build_wild_library,
    stored_keys,
)

from nova_toolkit.collection import Collection
from nova_toolkit.media import LINK_OUTSIDE
from nova_toolkit.pipeline.dry_run import dry_run

OUTSIDE_KEYS = ["../outside/private/diary.txt", "../outside/secret.txt"]


def stored(c: Collection) -> list[str]:
    return sorted(c.store.items().column("source").to_pylist())


def failed(c: Collection) -> list[tuple[str, str]]:
    f = c.failures()
    return sorted(zip(f.column("source").to_pylist(), f.column("reason").to_pylist(),
                      strict=True))


def snippets(c: Collection) -> str:
    return "\n".join(c.to_arrow().column("snippet").to_pylist())


LINK_FAILURES = [(DIR_LINK, LINK_OUTSIDE), (FILE_LINK, LINK_OUTSIDE)]


def test_hostile_names_are_embedded_and_their_keys_find_the_files(tmp_path, local_embedder):
    lib = build_wild_library(tmp_path)
    c = Collection.open(tmp_path / "coll", embedder=local_embedder)
    r = c.add([lib], progress=False)
    assert (r.embedded, r.cached, r.failed) == (4, 0, 2)  # also-plain.txt is plain.txt
    assert sorted(r.failures) == LINK_FAILURES
    again = Collection.open(tmp_path / "coll", create=False)  # read back from Parquet
    assert stored(again) == stored_keys() and failed(again) == LINK_FAILURES
    where = again.locate(LATIN1_KEY)
    assert os.fsencode(where) == os.fsencode(os.path.realpath(lib)) + b"/" + LATIN1
    with open(os.fsencode(where), "rb") as f:
        assert f.read().decode() == TEXTS[LATIN1]
    for name in (NEWLINE, TAB):
        with open(again.locate(name), "rb") as f:
            assert f.read() == TEXTS[name.encode()].encode()
    assert SECRET not in snippets(again) and OUTSIDE_NOTE not in snippets(again)
    hit = again.search("espresso machine in a cafe", top_k=1)[0]
    assert hit["source"] == LATIN1_KEY and os.fsencode(hit["path"]) == os.fsencode(where)
    # nothing changed: nothing embedded again, the links reported again
    r = again.add([lib], progress=False)
    assert (r.embedded, r.unchanged, r.failed, r.removed) == (0, 4, 2, [])
    # selection by the key and by the file's own (bytes) path
    raw = os.fsdecode(os.fsencode(lib) + b"/" + LATIN1)
    for given, lang in ((LATIN1_KEY, "fr"), (raw, "en")):
        assert again.update_metadata([given], set={"lang": lang}).updated == (LATIN1_KEY,)
    assert again.remove([str(lib / NEWLINE)]).sources == (NEWLINE,)
    assert NEWLINE not in stored(again)


def test_follow_links_reads_what_links_out_of_the_folder_point_at(tmp_path, local_embedder):
    lib = build_wild_library(tmp_path)
    c = Collection.open(tmp_path / "coll", embedder=local_embedder)
    c.add([lib], progress=False)
    r = c.add([lib], progress=False, follow_links=True)
    assert (r.embedded, r.unchanged, r.failed) == (2, 4, 0)
    assert sorted(r.removed) == [DIR_LINK, FILE_LINK]  # their failure rows are gone
    assert stored(c) == sorted(stored_keys() + OUTSIDE_KEYS) and failed(c) == []
    assert SECRET in snippets(c) and OUTSIDE_NOTE in snippets(c)


def test_the_dry_run_skips_links_out_of_the_folder_as_the_run_does(tmp_path):
    lib = build_wild_library(tmp_path)
    assert sorted(dry_run([lib]).skipped) == LINK_FAILURES
    report = dry_run([lib], follow_links=True)
    assert report.skipped == [] and report.files == 6


@pytest.mark.parametrize("follow_links", [False, True])
def test_the_ray_engine_treats_files_from_the_wild_alike(tmp_path, local_embedder,
                                                         ray_cluster, follow_links):
    from nova_toolkit.pipeline.ray_engine import RayEngine

    lib = build_wild_library(tmp_path)
    local = Collection.open(tmp_path / "local", embedder=local_embedder)
    a = local.add([lib], progress=False, follow_links=follow_links)
    ray = Collection.open(tmp_path / "ray", embedder=local_embedder)
    b = ray.add([lib], progress=False, follow_links=follow_links,
                engine=RayEngine(workers=1, worker_cpus=0.5))
    assert (b.embedded, b.failed, sorted(b.failures)) == (a.embedded, a.failed,
                                                          sorted(a.failures))
    assert stored(ray) == stored(local) and failed(ray) == failed(local)
    assert (SECRET in snippets(ray)) is follow_links
    with open(os.fsencode(ray.locate(LATIN1_KEY)), "rb") as f:
        assert f.read().decode() == TEXTS[LATIN1]
