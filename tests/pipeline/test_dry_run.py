"""``dry_run`` plans with the pipeline's reader and planner: duplicates and cached files are not sent."""

from __future__ import annotations

from pipeline_helpers import write

from nova_toolkit.collection import Collection
from nova_toolkit.pipeline.dry_run import dry_run


def test_duplicates_count_once_and_a_collection_s_cache_is_not_sent(tmp_path, local_embedder):
    lib = tmp_path / "lib"
    write(lib / "a.txt", "Tea is steeped in hot water.")
    write(lib / "b.txt", "The train leaves at nine.")
    write(lib / "c.txt", "Tea is steeped in hot water.")  # same content as a.txt
    write(lib / "empty.txt", b"")
    report = dry_run([lib])
    assert (report.files, report.cached, report.usage.calls) == (2, 1, 2)
    assert [s for s, _ in report.skipped] == ["empty.txt"]  # its key under the folder given
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    coll.add([str(lib / "a.txt")], progress=False)
    report = dry_run([lib], collection=coll)
    assert (report.files, report.cached, report.usage.calls) == (1, 2, 1)
    assert "2 files cached (not sent)" in report.summary()
    assert report.usage.input_chars == len("The train leaves at nine.")
