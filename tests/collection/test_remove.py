"""``Collection.remove`` and ``nova-toolkit remove`` with the real local model, store and index.

Removing takes a file's vector rows, item row and failure rows out in one atomic commit; the
index follows by DeleteVectors (a marker file in the index directory survives: no rebuild);
a later ``embed`` of the folder does not report the file as missing, and embeds it again as
a new file if it is still on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from collection_helpers import assert_refused, three_texts, write

from nova_toolkit import InvalidArgumentError
from nova_toolkit.collection import INDEX_DIR, Collection
from nova_toolkit.store import CommitError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lib(tmp_path) -> Path:
    d = three_texts(tmp_path / "lib")
    write(d / "sub" / "d.txt", "Lava flows from the volcano reached the sea at dawn.")
    write(d / "empty.txt", "")  # fails: nothing to embed
    return d


@pytest.fixture
def coll(tmp_path, lib, local_embedder) -> Collection:
    c = Collection.open(tmp_path / "c", embedder=local_embedder)
    r = c.add([str(lib)], progress=False)
    assert (r.embedded, r.failed) == (4, 1)
    c.add([str(lib / "sub")], metadata={"lang": "it"}, progress=False)
    return c


def mark_index(c: Collection) -> Path:
    c.index_client()
    marker = c.path / INDEX_DIR / "marker"
    marker.write_text("built once")
    return marker


def sources(c: Collection) -> list[str]:
    return sorted(c.store.items().column("source").to_pylist())


def everywhere(c: Collection) -> set[str]:
    """Sources with a row in any of the three tables."""
    return {s for t in (c.store.items(), c.store.segments(), c.store.failures())
            for s in t.column("source").to_pylist()}


def hit_sources(c: Collection, **kwargs) -> set[str]:
    return {h["source"] for h in c.search("anything at all", top_k=50, **kwargs)}


def test_remove_by_source_takes_every_row_out_and_the_index_follows(coll, lib):
    marker = mark_index(coll)
    client = coll.index_client()
    a = "a.txt"  # the key: the file relative to the library root
    assert a in hit_sources(coll)
    removal = coll.remove(str(lib / "a.txt"))  # named by its path
    assert removal.sources == (a,) and removal.rows == 1 and removal.failures == 0
    assert removal.summary() == "removed 1 files (1 vector rows, 0 failure rows)"
    assert a not in everywhere(coll) and len(coll) == 3
    # the same client, not rebuilt, and the row is gone from vector and text search
    assert coll.index_client() is client and marker.exists()
    assert a not in hit_sources(coll)
    assert a not in {h["source"] for h in coll.search("golden retriever", mode="text", top_k=10)}
    assert coll.index_client().list_vectors(vectorBucketName="collection",
                                            indexName="segments")["vectors"]
    keys = {v["key"] for v in coll.index_client().list_vectors(
        vectorBucketName="collection", indexName="segments")["vectors"]}
    assert keys == set(coll.to_arrow().column("key").to_pylist())
    # another Collection object on the same directory sees the same, without a rebuild
    assert a not in hit_sources(Collection.open(coll.path))
    assert marker.exists()


def test_remove_by_folder_spelled_any_way_and_by_filter(coll, lib, monkeypatch):
    monkeypatch.chdir(lib.parent)
    removal = coll.remove("lib/./sub/../sub/")
    assert removal.sources == ("sub/c.md", "sub/d.txt")
    write(lib / "sub" / "e.txt", "Tea leaves steep for three minutes in hot water.")
    coll.add([str(lib / "sub")], metadata={"lang": "it"}, progress=False)
    mark_index(coll)
    removal = coll.remove(filter={"$and": [{"lang": "it"}, {"modality": "text"}]})
    assert removal.sources == ("sub/c.md", "sub/d.txt", "sub/e.txt")
    assert hit_sources(coll) == {"a.txt", "b.txt"}
    with pytest.raises(InvalidArgumentError, match="no row has the metadata key 'lang'"):
        coll.remove(filter={"lang": "it"})  # nothing left to match: no row has the key


def test_a_file_that_only_failed_is_removed_by_source(coll, lib):
    empty = "empty.txt"
    assert empty in set(coll.failures().column("source").to_pylist())
    removal = coll.remove([empty])  # named by its key
    assert removal.sources == (empty,) and (removal.rows, removal.failures) == (0, 1)
    assert empty not in everywhere(coll)


def test_after_removal_the_folder_is_not_missing_and_a_file_on_disk_comes_back(coll, lib):
    a, b = "a.txt", "b.txt"
    coll.remove([str(lib / a), str(lib / b)])
    (lib / "b.txt").unlink()
    r = coll.add([str(lib)], progress=False)
    assert r.removed == []          # neither is reported missing (b is gone from disk too)
    assert r.embedded == 1          # a is on disk: embedded again, as a new file
    assert r.unchanged == 2 and r.failed == 1
    assert a in sources(coll) and b not in everywhere(coll)


def test_dry_run_and_failed_removals_change_nothing(coll, lib):
    marker = mark_index(coll)
    version, rows = coll.store.version, coll.to_arrow().to_pylist()
    dry = coll.remove(str(lib), dry_run=True)
    assert dry.dry_run and len(dry.sources) == 5 and dry.rows == 4 and dry.failures == 1
    assert dry.summary().startswith("would remove 5 files")
    for kwargs, says in [
        (dict(filter={"lang": {"$regex": "it"}}), "(?i)unknown operator"),
        (dict(filter={"modality": "photo"}), "unknown modality 'photo'"),
        (dict(filter={}), "must not be empty"),
        (dict(filter=["lang", "it"]), "JSON object"),
        (dict(sources=[str(lib / "a.txt"), str(lib / "typo.txt")]), "typo.txt"),
        (dict(sources=[]), "sources: is empty"),
        (dict(), "exactly one of"),
    ]:
        with pytest.raises(InvalidArgumentError, match=says):
            coll.remove(**kwargs)
    assert coll.store.version == version and coll.to_arrow().to_pylist() == rows
    assert marker.exists() and len(hit_sources(coll)) == 4


def test_a_removal_interrupted_before_its_manifest_swap_loses_nothing(coll, lib, monkeypatch):
    """The commit writes new parts, then swaps the manifest: failing the swap leaves all as it was."""
    from nova_toolkit.store import store as store_module

    mark_index(coll)
    version, rows = coll.store.version, coll.to_arrow().to_pylist()
    files = {p.name for p in coll.path.rglob("*.parquet")}

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "write_manifest", disk_full)
    with pytest.raises(CommitError, match="No space"):  # the disk's error, named (issue 14)
        coll.remove(str(lib / "sub"))
    monkeypatch.undo()
    again = Collection.open(coll.path)
    assert again.store.version == version and again.to_arrow().to_pylist() == rows
    assert {p.name for p in coll.path.rglob("*.parquet")} == files  # new parts cleaned up
    assert len(hit_sources(again)) == 4  # the index was never touched


def test_an_index_that_cannot_follow_is_rebuilt_by_the_next_search(coll, lib, local_embedder):
    coll.index_client()
    shutil.rmtree(coll.path / INDEX_DIR / "buckets")  # the index's data lost, its stamp kept
    other = Collection.open(coll.path, embedder=local_embedder)  # another process, say
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        removal = other.remove(str(lib / "a.txt"))
    assert removal.sources == ("a.txt",)  # the store, the truth, changed
    assert any("next search rebuilds it" in str(w.message) for w in caught)
    assert not (coll.path / INDEX_DIR / "store-version.json").exists()
    assert "a.txt" not in hit_sources(other)
    assert len(hit_sources(other)) == 3


# -- the CLI ------------------------------------------------------------------------------
def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_remove_dry_run_then_remove_then_info(coll, lib):
    c = str(coll.path)
    dry = cli("remove", "--collection", c, "--source", "lib/sub", "--dry-run", cwd=lib.parent)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "would remove 2 files (2 vector rows, 0 failure rows)",
        "would remove: sub/c.md", "would remove: sub/d.txt",
        "note: 2 of these files are still on disk; embedding their folder again adds them "
        "back as new files"]
    done = cli("remove", "--collection", c, "--filter", '{"lang": "it"}', "--json",
               cwd=lib.parent)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"removed": ["sub/c.md", "sub/d.txt"],
                                       "rows": 2, "failures": 0, "dry_run": False}
    info = json.loads(cli("info", "--collection", c, "--json", cwd=lib.parent).stdout)
    assert (info["items"], info["segments"], info["failures"]) == (2, 2, 1)
    found = cli("search", "--collection", c, "--text", "pasta spaghetti volcano", "--mode",
                "text", "--json", cwd=lib.parent)
    assert found.returncode == 0 and json.loads(found.stdout) == []


@pytest.mark.parametrize("args, says", [
    (["--source", "lib/typo.txt"], "--source: 'lib/typo.txt' is not in the collection"),
    (["--filter", '{"lang": '], "--filter is not valid JSON"),
    (["--filter", '{"lang": {"$gt": "it"}}'], "--filter: $gt takes a number"),
    (["--filter", '{"modality": {"$in": ["text", "movie"]}}'], "unknown modality 'movie'"),
])
def test_cli_remove_mistakes_are_one_line_exit_2_and_change_nothing(coll, lib, args, says):
    version = coll.store.version
    done = cli("remove", "--collection", str(coll.path), *args, cwd=lib.parent)
    assert_refused(done, says)
    coll.store.refresh()
    assert coll.store.version == version


def test_cli_remove_needs_a_selection(coll, lib):
    done = cli("remove", "--collection", str(coll.path), cwd=lib.parent)
    assert done.returncode == 2 and "one of the arguments --source --filter is required" \
        in done.stderr
    both = cli("remove", "--collection", str(coll.path), "--source", "lib", "--filter",
               '{"lang": "it"}', cwd=lib.parent)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
