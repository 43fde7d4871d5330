"""Runner: the loop over real stages, each stage taken as a builder (one faked per test)."""

from __future__ import annotations

import pytest
from pipeline_helpers import SEGMENTATION, write

from nova_toolkit.media import MediaItem
from nova_toolkit.pipeline.planner import Planner
from nova_toolkit.pipeline.reader import Failure, Listing
from nova_toolkit.pipeline.runner import AddRunner
from nova_toolkit.pipeline.writer import BufferedWriter
from nova_toolkit.store import Store


def runner(store, embedder, **stages) -> AddRunner:
    return AddRunner(store, segmentation=SEGMENTATION, embedder=lambda: embedder,
                     progress=False, **stages)


class MemoryReader:
    """A reader stage over bytes held in memory (no walk): items, plus one read failure."""

    def __init__(self, docs: dict[str, bytes]) -> None:
        self.docs = docs

    def listing(self) -> Listing:
        return Listing(tuple(self.docs) + ("mem://lost",), {"mem://lost": "connection reset"})

    def __iter__(self):
        for source, data in self.docs.items():
            yield MediaItem.from_bytes(data, source=source, filename=source)
        yield Failure("mem://lost", "read", "connection reset")


class RecordingWriter(BufferedWriter):
    """The real writer, recording each commit it makes."""

    made: list = []

    def flush(self, *, force: bool = False):
        done = super().flush(force=force)
        if done is not None:
            RecordingWriter.made.append(done)
        return done


def test_a_fake_reader_builder_feeds_the_real_stages(tmp_path, store, local_embedder):
    docs = {"mem://a.txt": b"Whales sing in the deep ocean.",
            "mem://b.txt": b"Bread rises in a warm oven.",
            "mem://a-copy.txt": b"Whales sing in the deep ocean."}
    given = []

    def reader(paths, library):
        given.append((list(paths), library.root))
        return MemoryReader(docs)

    report = runner(store, local_embedder, reader=reader).run(["ignored"])
    assert given == [(["ignored"], None)]  # no local path exists: no library root
    assert (report.embedded, report.cached, report.failed) == (2, 1, 1)
    assert report.failures == [("mem://lost", "connection reset")]
    assert report.segments == 3 and report.embedder_calls == 1
    assert sorted(store.items().column("source").to_pylist()) == sorted(docs)
    assert store.failures().column("reason").to_pylist() == ["connection reset"]


def test_writer_builder_and_commit_cadence(tmp_path, store, local_embedder):
    lib = tmp_path / "lib"
    for i in range(6):
        write(lib / f"{i}.txt", f"Note {i}: the meeting moved to room {i * 11}.")
    RecordingWriter.made = []
    report = runner(store, local_embedder, writer=RecordingWriter, batch_segments=2,
                    commit_rows=2).run([str(lib)])
    assert report.embedded == 6 and report.embedder_calls == 3
    assert [c.rows for c in RecordingWriter.made] == [2, 2, 2]
    assert Store.open(store.root).segments().num_rows == 6


def test_nothing_to_embed_builds_no_embedder(tmp_path, store, local_embedder):
    lib = tmp_path / "lib"
    write(lib / "a.txt", "A stored file.")
    runner(store, local_embedder).run([str(lib)])
    built = []

    def embedder():
        built.append(1)
        return local_embedder

    report = AddRunner(store, segmentation=SEGMENTATION, embedder=embedder,
                       progress=False).run([str(lib)])
    assert report.unchanged == 1 and built == []
    (lib / "a.txt").unlink()
    report = AddRunner(store, segmentation=SEGMENTATION, embedder=embedder,
                       progress=False).run([str(lib)])
    assert report.removed == ["a.txt"] and store.items().num_rows == 0
    assert built == [] and "removed 1 missing" in report.summary()


def test_a_planner_builder_with_an_unknown_step_is_refused(tmp_path, store, local_embedder):
    write(tmp_path / "a.txt", "anything")

    class Odd(Planner):
        def plan(self, item):
            return ("not", "a", "step")

    with pytest.raises(TypeError, match="unknown step"):
        runner(store, local_embedder, planner=Odd.for_store).run([str(tmp_path / "a.txt")])
