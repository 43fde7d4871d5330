"""Metadata on a re-run and ``Collection.update_metadata``, with the real local model and index.

A metadata-only update rewrites the rows' ``metadata`` column through one store commit, calls
no model, and the collection's index follows without a rebuild (a marker file put in the index
directory survives: a rebuild starts from an empty directory).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from collection_helpers import Counting, assert_refused, three_texts, write

from nova_toolkit import InvalidArgumentError
from nova_toolkit.collection import INDEX_DIR, Collection

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture
def lib(tmp_path) -> Path:
    d = three_texts(tmp_path / "lib")
    return d


@pytest.fixture
def coll(tmp_path, lib, local_embedder) -> Collection:
    c = Collection.open(tmp_path / "c", embedder=Counting(local_embedder))
    assert c.add([str(lib)], progress=False).embedded == 3
    return c


def metadata_by_source(c: Collection) -> dict:
    out = {}
    for row in c.to_arrow().select(["source", "metadata"]).to_pylist():
        out.setdefault(row["source"], set()).add(row["metadata"])
    return {s: [json.loads(m) if m else {} for m in sorted(v, key=str)] for s, v in out.items()}


def vectors_by_key(c: Collection) -> dict:
    keys = c.to_arrow().column("key").to_pylist()
    return dict(zip(keys, c.vectors(), strict=True))


def mark_index(c: Collection) -> Path:
    """Build the index and drop a marker in its directory (gone if the index is rebuilt)."""
    c.index_client()
    marker = c.path / INDEX_DIR / "marker"
    marker.write_text("built once")
    return marker


def text_hits(c: Collection, flt: dict) -> list[str]:
    """Sources of every row the filter lets through (a vector search over all rows)."""
    return sorted({h["source"] for h in c.search("anything", top_k=50, filter=flt)})


# -- metadata given to a re-run -------------------------------------------------------------
def test_metadata_on_a_rerun_reaches_unchanged_files_without_a_model_call(coll, lib):
    before = vectors_by_key(coll)
    calls = coll.embedder.calls
    r = coll.add([str(lib)], metadata={"course": "bio-101", "year": 2026}, progress=False)
    assert (r.embedded, r.unchanged, r.updated, r.failed) == (0, 3, 3, 0)
    assert r.embedder_calls == 0 and coll.embedder.calls == calls
    assert r.segments == 0  # no new vector rows: three rewritten
    assert "metadata updated on 3" in r.summary()
    assert set(map(str, metadata_by_source(coll))) == {"a.txt", "b.txt",
                                                       "sub/c.md"}
    assert all(m == [{"course": "bio-101", "year": 2026}]
               for m in metadata_by_source(coll).values())
    after = vectors_by_key(coll)
    assert after.keys() == before.keys()
    for key, vec in before.items():
        np.testing.assert_array_equal(after[key], vec)
    assert len(text_hits(coll, {"course": "bio-101"})) == 3  # filterable at once
    assert text_hits(coll, {"year": {"$gt": 2025}}) == text_hits(coll, {"course": "bio-101"})


def test_the_same_metadata_again_rewrites_nothing(coll, lib):
    coll.add([str(lib)], metadata={"b": 1, "a": "x"}, progress=False)
    version = coll.store.version
    r = coll.add([str(lib)], metadata={"a": "x", "b": 1}, progress=False)  # same object
    assert (r.unchanged, r.updated) == (3, 0)
    assert coll.store.version == version  # no commit at all


def test_only_files_whose_metadata_differs_are_rewritten(coll, lib):
    coll.add([str(lib / "a.txt")], metadata={"k": 1}, progress=False)
    r = coll.add([str(lib)], metadata={"k": 1}, progress=False)
    assert (r.unchanged, r.updated) == (3, 2)
    appended = coll.store.last_commit.written["segments"][-1]  # the rewritten rows' part
    assert pq.read_metadata(coll.path / "segments" / appended).num_rows == 2  # b and c only
    assert all(m == [{"k": 1}] for m in metadata_by_source(coll).values())


def test_not_given_keeps_metadata_even_on_a_changed_file_and_empty_clears(coll, lib):
    coll.add([str(lib)], metadata={"course": "x"}, progress=False)
    write(lib / "a.txt", "A heron waited in the reeds for the fish to come close.")
    write(lib / "d.txt", "Brand new notes about volcanoes and lava flows.")
    calls = coll.embedder.calls
    r = coll.add([str(lib)], progress=False)  # no metadata given
    assert (r.embedded, r.unchanged, r.updated) == (2, 2, 0) and coll.embedder.calls > calls
    meta = metadata_by_source(coll)
    assert meta["a.txt"] == [{"course": "x"}]  # re-embedded, metadata kept
    assert meta["d.txt"] == [{}]                # new file: none
    assert meta["b.txt"] == [{"course": "x"}]
    r = coll.add([str(lib)], metadata={}, progress=False)  # given, empty: clears
    assert (r.embedded, r.updated) == (0, 3)
    assert all(m == [{}] for m in metadata_by_source(coll).values())
    assert coll.to_arrow().column("metadata").null_count == len(coll)


def test_same_content_under_a_new_name_gets_the_runs_metadata_not_the_owners(coll, lib):
    coll.add([str(lib)], metadata={"owner": True}, progress=False)
    write(lib / "copy.txt", (lib / "b.txt").read_text())
    r = coll.add([str(lib / "copy.txt")], progress=False)
    assert r.cached == 1
    assert metadata_by_source(coll)["copy.txt"] == [{}]
    r = coll.add([str(lib)], metadata={"tag": "t"}, progress=False)
    assert r.updated == 4


def test_reserved_keys_and_non_objects_are_refused_by_add(coll, lib):
    version = coll.store.version
    with pytest.raises(InvalidArgumentError, match="reserved") as info:
        coll.add([str(lib)], metadata={"modality": "x"}, progress=False)
    assert info.value.argument == "metadata"
    with pytest.raises(InvalidArgumentError, match="dict"):
        coll.add([str(lib)], metadata=["not", "a", "dict"], progress=False)
    with pytest.raises(InvalidArgumentError, match=r"S3 Vectors would refuse.*metadata\.deep"):
        coll.add([str(lib)], metadata={"deep": {"no": "objects"}}, progress=False)
    assert coll.store.version == version


# -- update_metadata ----------------------------------------------------------------------
def test_update_by_source_merges_and_the_index_follows_without_a_rebuild(coll, lib):
    coll.add([str(lib)], metadata={"course": "x", "old": 1}, progress=False)
    marker = mark_index(coll)
    client = coll.index_client()
    calls = coll.embedder.calls
    change = coll.update_metadata(str(lib / "sub"), set={"lang": "it"}, unset=["old"])
    assert change.matched == change.updated == ("sub/c.md",)
    assert change.rows == 1 and not change.dry_run
    assert "updated metadata of 1 of 1" in change.summary()
    assert metadata_by_source(coll)["sub/c.md"] == [{"course": "x", "lang": "it"}]
    assert metadata_by_source(coll)["a.txt"] == [{"course": "x", "old": 1}]
    assert coll.embedder.calls == calls
    # the index followed: same client, stamped with the new version, not rebuilt
    assert coll.index_client() is client
    assert marker.exists()
    assert text_hits(coll, {"lang": "it"}) == ["sub/c.md"]
    assert text_hits(coll, {"old": 1}) == ["a.txt", "b.txt"]
    hits = coll.search("pasta with tomato", top_k=5, filter={"lang": "it"})
    assert [h["source"] for h in hits] == ["sub/c.md"]
    assert hits[0]["metadata"] == {"course": "x", "lang": "it"}
    # another process opening the collection finds the index current too
    fresh = Collection.open(coll.path)
    assert text_hits(fresh, {"lang": "it"}) == ["sub/c.md"]
    assert marker.exists()


def test_update_by_filter_selects_whole_files(coll, lib):
    coll.add([str(lib / "a.txt")], metadata={"lang": "en"}, progress=False)
    mark_index(coll)
    change = coll.update_metadata(filter={"lang": "en"}, set={"reviewed": True})
    assert change.updated == ("a.txt",)
    assert text_hits(coll, {"reviewed": True}) == ["a.txt"]
    change = coll.update_metadata(filter={"modality": "text"}, set={"reviewed": True})
    assert change.matched == ("a.txt", "b.txt", "sub/c.md")
    assert len(change.updated) == 2  # a.txt had it already
    nothing = coll.update_metadata(filter={"lang": "fr"}, set={"x": 1})
    assert nothing.matched == nothing.updated == () and nothing.rows == 0


def test_a_failed_or_dry_update_changes_nothing(coll, lib):
    coll.add([str(lib)], metadata={"course": "x"}, progress=False)
    mark_index(coll)
    version, before = coll.store.version, metadata_by_source(coll)
    dry = coll.update_metadata(str(lib), set={"course": "y"}, dry_run=True)
    assert dry.dry_run and len(dry.updated) == 3 and "would update" in dry.summary()
    bad = [
        (dict(filter={"course": {"$like": "x"}}, set={"a": 1}), "(?i)unknown operator"),
        (dict(filter={"modality": "imgae"}, set={"a": 1}), "unknown modality 'imgae'"),
        (dict(filter={"snippet": "x"}, set={"a": 1}), "non-filterable"),
        (dict(sources=str(lib / "nope.txt"), set={"a": 1}), "not in the collection"),
        (dict(sources=str(lib), set={"source": "elsewhere"}), "reserved"),
        (dict(sources=str(lib), unset=["page"]), "reserved"),
        (dict(sources=str(lib), set={"a": 1}, unset=["a"]), "both set and unset"),
        (dict(sources=str(lib)), "nothing to change"),
        (dict(set={"a": 1}), "exactly one of"),
        (dict(sources=str(lib), filter={"course": "x"}, set={"a": 1}), "exactly one of"),
        (dict(sources=str(lib), set={"nested": {"no": "objects"}}), "S3 Vectors would refuse"),
        (dict(sources=str(lib), set={"big": "x" * 3000}), "S3 Vectors would refuse"),
        (dict(sources=str(lib), set={"nan": float("nan")}), "not JSON"),
    ]
    for kwargs, says in bad:
        with pytest.raises(InvalidArgumentError, match=says):
            coll.update_metadata(**kwargs)
    assert coll.store.version == version
    assert metadata_by_source(coll) == before
    assert text_hits(coll, {"course": "x"}) == sorted(map(str, before))


def test_failure_rows_of_an_updated_file_are_kept(coll, lib):
    write(lib / "a.txt", "")  # now fails (nothing to embed); its old rows stay
    r = coll.add([str(lib)], progress=False)
    assert r.failed == 1
    fails = coll.failures().to_pylist()
    coll.update_metadata(str(lib / "a.txt"), set={"stale": True})
    assert coll.failures().to_pylist() == fails
    assert metadata_by_source(coll)["a.txt"] == [{"stale": True}]
    assert coll.store.items().num_rows == 3


# -- both engines -------------------------------------------------------------------------
def test_the_ray_engine_updates_metadata_the_same_way(tmp_path, lib, local_embedder,
                                                      ray_cluster):
    from nova_toolkit.pipeline.ray_engine import RayEngine

    colls = {}
    for name, engine in (("local", "local"), ("ray", RayEngine(workers=1, worker_cpus=0.5))):
        library = tmp_path / f"lib-{name}"
        shutil.copytree(lib, library)
        c = Collection.open(tmp_path / name, embedder=local_embedder)
        c.add([str(library)], progress=False, engine=engine)
        r = c.add([str(library)], metadata={"course": "x"}, progress=False, engine=engine)
        assert (r.embedded, r.unchanged, r.updated, r.embedder_calls) == (0, 3, 3, 0), name
        r = c.add([str(library)], metadata={"course": "x"}, progress=False, engine=engine)
        assert r.updated == 0, name
        write(library / "a.txt", "A heron waited in the reeds for the fish to come close.")
        r = c.add([str(library)], progress=False, engine=engine)  # none given: kept
        assert (r.embedded, r.unchanged, r.updated) == (1, 2, 0), name
        colls[name] = metadata_by_source(c)  # keys relative to each library root
    assert colls["local"] == colls["ray"]
    assert all(m == [{"course": "x"}] for m in colls["ray"].values())


# -- the CLI ------------------------------------------------------------------------------
def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_metadata_sets_unsets_and_search_filters_on_it(coll, lib, tmp_path):
    mark_index(coll)
    c = str(coll.path)
    done = cli("metadata", "--collection", c, "--source", str(lib / "a.txt"), str(lib / "b.txt"),
               "--set", '{"course": "bio-101", "draft": true}', cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "updated metadata of 2 of 2 matched files (2 vector rows)"
    done = cli("metadata", "--collection", c, "--filter", '{"course": "bio-101"}',
               "--unset", "draft", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["updated"] == ["a.txt", "b.txt"]
    found = cli("search", "--collection", c, "--text", "retriever rocket pasta", "--mode", "text",
                "--json",
                "--filter", '{"course": "bio-101"}', cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert sorted(h["source"] for h in hits) == ["a.txt", "b.txt"]
    assert all(h["metadata"] == {"course": "bio-101"} for h in hits)
    assert (coll.path / INDEX_DIR / "marker").exists()


@pytest.mark.parametrize("args, says", [
    (["--source", "nope.txt", "--set", '{"a": 1}'], "--source: 'nope.txt' is not in the"),
    (["--filter", '{"a": {"$nope": 1}}', "--set", '{"a": 1}'], "unknown operator '$nope'"),
    (["--filter", "{not json", "--set", '{"a": 1}'], "--filter is not valid JSON"),
    (["--filter", '{"modality": "pictures"}', "--set", '{"a": 1}'], "unknown modality"),
    (["--source", "lib", "--set", '{"snippet": "x"}'], "--set: metadata keys ['snippet'] are"),
    (["--source", "lib", "--unset", "source"], "--unset: metadata keys ['source'] are"),
    (["--source", "lib"], "give --set JSON and/or --unset"),
    (["--source", "lib", "--set", "[1, 2]"], "--set must be a JSON object"),
])
def test_cli_metadata_mistakes_are_one_line_exit_2_and_change_nothing(coll, lib, args, says):
    version = coll.store.version
    done = cli("metadata", "--collection", str(coll.path), *args, cwd=lib.parent)
    assert_refused(done, says)
    assert "Traceback" not in done.stderr
    coll.store.refresh()
    assert coll.store.version == version


def test_cli_metadata_on_a_missing_collection(tmp_path):
    done = cli("metadata", "--collection", str(tmp_path / "none"), "--source", "x",
               "--set", '{"a": 1}', cwd=tmp_path)
    assert done.returncode == 2 and "not a collection" in done.stderr
    assert not (tmp_path / "none").exists()


def test_cli_embed_rerun_with_metadata_is_a_metadata_only_update(coll, lib, tmp_path):
    done = cli("embed", str(lib), "--collection", str(coll.path), "--no-progress",
               "--metadata", '{"course": "bio-101"}', cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("embedded 0, cached 3, failed 0 (0 new vector")
    assert done.stdout.splitlines()[0].endswith("; metadata updated on 3")
    coll.store.refresh()
    assert all(m == [{"course": "bio-101"}] for m in metadata_by_source(coll).values())
    done = cli("embed", str(lib), "--collection", str(coll.path), "--no-progress",
               "--metadata", '{"course": {"nested": 1}}', cwd=tmp_path)
    assert done.returncode == 2 and "--metadata: S3 Vectors would refuse" in done.stderr
