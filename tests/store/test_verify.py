"""``Collection.verify``: a whole collection checked, and repaired without losing what was stored.

The collection is made by the real local backend in two adds (two parts per table), then
damaged as disks, crashes and people do: a flipped byte, a part cut short or gone, a part no
manifest lists, rows that disagree across tables, a tampered index, a derived cache that does
not fit, a manifest that is not one. Each is found and named; ``repair`` quarantines damaged
parts (their bytes kept), says which sources lost rows, and the next add of the same folder
re-embeds exactly those.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from filelock import FileLock

from nova_toolkit.collection import Collection
from nova_toolkit.collection.index_upkeep import INDEX_BUCKET, INDEX_DIR, INDEX_NAME
from nova_toolkit.store import CollectionNotFoundError, Store
from nova_toolkit.store.derived_files import write_derived
from nova_toolkit.vectors import local_client

pytestmark = pytest.mark.slow
FIRST = {"tide": "The tide comes in over the sand twice a day.",
         "bread": "Knead the dough, let it rise, then bake the loaf.",
         "stars": "On a clear night the stars of Orion are easy to find."}
SECOND = {"owls": "Owls hunt at night and sleep in hollow trees by day.",
          "kites": "A kite rises when the wind is steady and the line is taut."}


@pytest.fixture(scope="module")
def built(tmp_path_factory, local_embedder):
    root = tmp_path_factory.mktemp("verify")
    lib = root / "lib"
    lib.mkdir()
    coll = Collection.open(root / "coll", embedder=local_embedder)
    for batch in (FIRST, SECOND):
        for name, text in batch.items():
            (lib / f"{name}.txt").write_text(text)
        coll.add([str(lib)], progress=False)
    coll.index_client()
    return root


@pytest.fixture
def coll_dir(built, tmp_path):
    shutil.copytree(built / "lib", tmp_path / "lib")
    return shutil.copytree(built / "coll", tmp_path / "coll")


def manifest(coll_dir: Path) -> dict:
    return json.loads((coll_dir / "manifest.json").read_text())


def second_part(coll_dir: Path, table: str = "segments") -> Path:
    """The part the second add wrote (it holds the SECOND sources only)."""
    return coll_dir / table / manifest(coll_dir)["parts"][table][1]


def flip_a_vector(path: Path) -> None:
    first = pq.read_table(path).column("vector")[0].values.to_numpy()
    data = bytearray(path.read_bytes())
    at = data.find(first[:4].astype("<f4").tobytes())
    data[at + 3] ^= 0x70
    path.write_bytes(bytes(data))


def test_a_sound_collection_is_sound(coll_dir):
    report = Collection.open(coll_dir, create=False).verify()
    assert report.sound and report.problems == [], report.problems
    assert report.checked["segments"] == 2 and report.checked["index"] == 1


def test_a_flipped_byte_is_quarantined_and_its_sources_re_embedded(coll_dir, local_embedder):
    part = second_part(coll_dir)
    flip_a_vector(part)
    damaged = part.read_bytes()
    report = Collection.open(coll_dir, create=False).verify()
    assert not report.sound
    [problem] = report.problems
    assert problem.path == str(part) and "damaged" in problem.reason and problem.kind == "part"
    assert manifest(coll_dir)["parts"]["segments"][1] == part.name  # checking changes nothing

    coll = Collection.open(coll_dir, embedder=local_embedder, create=False)
    fixed = coll.verify(repair=True)
    assert fixed.sound and fixed.problems[0].repaired.startswith("moved to")
    assert fixed.lost_sources == sorted(f"{n}.txt" for n in SECOND)
    kept = Path(fixed.quarantine) / "segments" / part.name
    assert kept.read_bytes() == damaged and not part.exists()  # moved, not deleted
    assert part.name not in manifest(coll_dir)["parts"]["segments"]
    saved = pq.read_table(Path(fixed.quarantine) / "items" / "rows-of-lost-sources.parquet")
    assert sorted(saved.column("source").to_pylist()) == fixed.lost_sources
    assert sorted(coll.store.items().column("source").to_pylist()) == sorted(f"{n}.txt" for n in FIRST)
    assert coll.verify().sound

    again = coll.add([str(coll_dir.parent / "lib")], progress=False)
    assert again.embedded == len(SECOND) and again.unchanged == len(FIRST)
    assert coll.search("owls hunting at night", top_k=1)[0]["source"] == "owls.txt"
    assert coll.verify().sound


def test_a_part_cut_short_loses_the_sources_the_other_tables_name(coll_dir):
    part = second_part(coll_dir, "items")  # too short to read even its source column
    part.write_bytes(part.read_bytes()[:100])
    report = Collection.verify_at(coll_dir, repair=True)
    assert report.sound and report.problems[0].path == str(part)
    assert report.lost_sources == sorted(f"{n}.txt" for n in SECOND)
    assert (Path(report.quarantine) / "items" / part.name).stat().st_size == 100
    coll = Collection.open(coll_dir, create=False)
    assert sorted(set(coll.to_arrow().column("source").to_pylist())) == \
        sorted(f"{n}.txt" for n in FIRST)


def test_a_missing_part_is_dropped_from_the_manifest(coll_dir):
    part = second_part(coll_dir)
    part.unlink()
    report = Collection.verify_at(coll_dir)
    assert [p.path for p in report.problems] == [str(part)]
    assert "missing" in report.problems[0].reason
    fixed = Collection.verify_at(coll_dir, repair=True)
    assert fixed.sound and fixed.problems[0].repaired == "dropped from the manifest"
    assert fixed.lost_sources == sorted(f"{n}.txt" for n in SECOND)
    assert Collection.verify_at(coll_dir).sound


def test_leftover_parts_are_reported_and_removed(coll_dir):
    left = coll_dir / "segments" / "part-20000101T000000-000000000000.parquet"
    shutil.copy(second_part(coll_dir), left)
    with FileLock(str(coll_dir / ".lock")):  # a writer at work: maybe its commit in progress
        busy = Collection.verify_at(coll_dir)
    assert busy.sound and any(str(left) in n for n in busy.notes)
    report = Collection.verify_at(coll_dir)
    assert [(p.path, p.kind) for p in report.problems] == [(str(left), "leftover")]
    fixed = Collection.verify_at(coll_dir, repair=True)
    assert fixed.sound and not left.exists() and fixed.lost_sources == []
    assert len(Collection.open(coll_dir, create=False)) == sum(
        pq.read_metadata(p).num_rows for p in (coll_dir / "segments").iterdir())


def test_rows_that_disagree_across_tables_are_found(coll_dir):
    store = Store.open(coll_dir)
    stray = store.segments().slice(0, 1)
    stray = stray.set_column(stray.schema.get_field_index("source"), "source",
                             [["ghost.txt"]]).set_column(0, "key", [["ghost-key"]])
    with store.writer():
        store.commit(segments=stray)  # a vector row with no item
    report = Collection.verify_at(coll_dir)
    assert [p.kind for p in report.problems] == ["rows"]
    assert "ghost.txt" in report.problems[0].reason
    fixed = Collection.verify_at(coll_dir, repair=True)
    assert fixed.sound and fixed.lost_sources == ["ghost.txt"]
    assert "ghost.txt" not in Store.open(coll_dir).segments().column("source").to_pylist()


def test_a_tampered_index_is_reported_and_rebuilt(coll_dir):
    where = {"vectorBucketName": INDEX_BUCKET, "indexName": INDEX_NAME}
    client = local_client(coll_dir / INDEX_DIR)
    client.put_vectors(vectors=[{"key": "planted", "data": {"float32": [0.1] * 384}}], **where)
    client.close()
    report = Collection.verify_at(coll_dir)
    assert [p.kind for p in report.problems] == ["index"]
    assert "vectors for" in report.problems[0].reason
    fixed = Collection.verify_at(coll_dir, repair=True)
    assert fixed.sound and fixed.problems[0].repaired == "rebuilt from the store"
    assert Collection.verify_at(coll_dir).sound


def test_derived_files_that_do_not_fit_are_removed_stale_ones_noted(coll_dir):
    coll = Collection.open(coll_dir, create=False)
    derived = coll_dir / "derived"
    n = len(coll)
    write_derived(derived / "projection-pca-good.npz", "projection",
                  {"coords": np.zeros((n, 2), np.float32)}, print_=coll.store.fingerprint,
                  version=coll.store.version, rows=n, params={})
    write_derived(derived / "projection-pca-bad.npz", "projection",
                  {"coords": np.zeros((n, 3), np.float32)}, print_=coll.store.fingerprint,
                  version=coll.store.version, rows=n, params={})
    write_derived(derived / "projection-pca-old.npz", "projection",
                  {"coords": np.zeros((n - 1, 2), np.float32)}, print_="older",
                  version=coll.store.version - 1, rows=n - 1, params={})
    (derived / "knn-cut.npz").write_bytes(b"PK\x03\x04")
    np.save(derived / "projection-umap-legacy.npy", np.zeros((n, 2), np.float32))  # pre-header
    report = coll.verify()
    assert sorted(Path(p.path).name for p in report.problems) == [
        "knn-cut.npz", "projection-pca-bad.npz"]
    assert any("2 stale" in note for note in report.notes)
    fixed = coll.verify(repair=True)
    assert fixed.sound
    assert sorted(p.name for p in derived.iterdir()) == ["projection-pca-good.npz"]


def test_a_manifest_that_is_not_one_is_the_one_problem(coll_dir, tmp_path):
    (coll_dir / "manifest.json").write_text('{"format_version": 1, "parts": {}}')
    report = Collection.verify_at(coll_dir, repair=True)
    assert [(p.kind, p.path) for p in report.problems] == [
        ("manifest", str(coll_dir / "manifest.json"))]
    assert "no settings" in report.problems[0].reason and not report.sound
    with pytest.raises(CollectionNotFoundError):
        Collection.verify_at(tmp_path / "nothing-here")


def test_a_commit_landing_during_the_check_is_not_taken_for_damage(coll_dir, monkeypatch):
    """Verify does not take the lock: a writer's commit may replace parts while they are read
    (here a real removal through another Store, at the first part read); the check then runs
    again on the new version instead of reporting the replaced parts as missing."""
    import nova_toolkit.store.verify as verify_module

    real = verify_module.read_part
    landed = []

    def read_part(path, schema):
        if not landed:
            writer = Store.open(coll_dir)
            with writer.writer():
                writer.commit(remove_sources=["owls.txt"])
            landed.append(writer.version)
        return real(path, schema)

    monkeypatch.setattr(verify_module, "read_part", read_part)
    report = Collection.verify_at(coll_dir)
    assert landed and report.sound, report.problems
    assert "owls.txt" not in Store.open(coll_dir).items().column("source").to_pylist()
