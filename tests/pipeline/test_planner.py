"""Planner stage: each step decided against what a real store holds."""

from __future__ import annotations

from pipeline_helpers import SEGMENTATION, write

from nova_toolkit.media import MediaItem
from nova_toolkit.pipeline.planner import (
    AwaitTwin,
    CopyFromCache,
    Embed,
    KnownContent,
    Planner,
    Unchanged,
    missing_sources,
    segments_for,
    stored_sources,
)
from nova_toolkit.pipeline.reader import Failure
from nova_toolkit.pipeline.rows import item_row
from nova_toolkit.pipeline.writer import BufferedWriter
from nova_toolkit.store import cache_key

ALL = frozenset({"text", "document", "image", "audio", "video"})


def planner(store, modalities=ALL) -> Planner:
    return Planner.for_store(store, segmentation=SEGMENTATION, modalities=lambda: modalities)


def stored(store, item: MediaItem) -> str:
    """Commit ``item`` as stored (an item row, no vectors needed for planning)."""
    key = cache_key(item.sha256, store.settings)
    with store.writer():
        w = BufferedWriter(store)
        w.add_item(item_row(item, key, 0), [], [])
        w.flush(force=True)
    return key


def test_unchanged_copy_twin_and_embed(tmp_path, store):
    a = MediaItem.from_path(write(tmp_path / "a.txt", "The same words."))
    key = stored(store, a)
    p = planner(store)
    assert p.plan(a) == Unchanged(a.source)
    twin = MediaItem.from_path(write(tmp_path / "copy.txt", "The same words."))
    assert p.plan(twin) == CopyFromCache(twin, key, a.source)
    new = MediaItem.from_path(write(tmp_path / "new.txt", "Other words entirely."))
    step = p.plan(new)
    assert isinstance(step, Embed) and step.key == cache_key(new.sha256, store.settings)
    assert [s.text for s in step.segments] == ["Other words entirely."] and step.note == ""
    again = MediaItem.from_path(write(tmp_path / "again.txt", "Other words entirely."))
    assert p.plan(again) == AwaitTwin(again, step.key)  # same content, same batch
    p.batch_sent()
    p.known.added(new.source, step.key)
    assert p.plan(again) == CopyFromCache(again, step.key, new.source)


def test_a_changed_file_or_a_failed_one_is_planned_again(tmp_path, store):
    f = write(tmp_path / "a.txt", "version one")
    stored(store, MediaItem.from_path(f, source=str(f)))
    f.write_text("version two")
    assert isinstance(planner(store).plan(MediaItem.from_path(f, source=str(f))), Embed)
    known = KnownContent.from_store(store)
    item = MediaItem.from_path(write(tmp_path / "b.txt", "fine"))
    known.added(item.source, cache_key(item.sha256, store.settings))
    known.committed(removed=[], failed=[item.source])
    p = Planner(known, store.settings, segmentation=SEGMENTATION, modalities=lambda: ALL)
    assert isinstance(p.plan(item), Embed)  # stored, but its last run failed
    known.committed(removed=[item.source], failed=[])
    assert p.plan(item) == Unchanged(item.source)


def test_failures_decoding_notes_and_lazy_modalities(tmp_path, store):
    asked = []

    def modalities():
        asked.append(1)
        return frozenset({"text"})

    p = Planner.for_store(store, segmentation=SEGMENTATION, modalities=modalities)
    blank = MediaItem.from_path(write(tmp_path / "blank.txt", "   \n\n  "))
    assert p.plan(blank) == Failure(blank.source, "segment", "nothing to embed (no text)")
    # a PDF header and its binary comment line (plain text quoting %PDF- is text now)
    pdfish = MediaItem.from_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nnot really", source="x.pdf")
    got = p.plan(pdfish)
    assert isinstance(got, Failure) and got.stage == "embed" and "cannot embed" in got.reason
    latin = MediaItem.from_path(write(tmp_path / "l1.txt", "café crème brûlée".encode("latin-1")))
    step = segments_for(latin, SEGMENTATION)
    assert isinstance(step, Embed) and "replacement" in step.note
    known = stored(store, MediaItem.from_path(write(tmp_path / "k.txt", "kept")))
    assert known and len(asked) == 2
    p2 = planner(store, modalities=frozenset())
    assert p2.plan(MediaItem.from_path(tmp_path / "k.txt")) == Unchanged(str(tmp_path / "k.txt"))


def test_missing_sources_under_walked_folders_only(tmp_path, store):
    lib = tmp_path / "lib"
    for name in ("a.txt", "b.txt", "locked/c.txt"):
        write(lib / name, name)
    outside = write(tmp_path / "outside.txt", "elsewhere")
    for f in (lib / "a.txt", lib / "b.txt", lib / "locked" / "c.txt", outside):
        stored(store, MediaItem.from_path(f, source=str(f)))
    everything = stored_sources(store)
    assert everything == {str(lib / "a.txt"), str(lib / "b.txt"), str(lib / "locked" / "c.txt"),
                          str(outside)}
    seen = {str(lib / "a.txt")}
    assert missing_sources([str(lib)], seen, everything) == sorted(
        [str(lib / "b.txt"), str(lib / "locked" / "c.txt")])
    # a folder that could not be read hides nothing: its files may still be there
    assert missing_sources([str(lib)], seen, everything,
                           unreadable=[str(lib / "locked")]) == [str(lib / "b.txt")]
    assert missing_sources([str(outside)], set(), everything) == []  # a file, not a folder
    assert missing_sources(["s3://bucket/pre/"], set(),  # a prefix ends with /
                           ["s3://bucket/pre/x.txt", "s3://bucket/other/y.txt"]) == \
        ["s3://bucket/pre/x.txt"]
