"""A collection is untrusted input: damaged, missing and misnamed parts are named, not obeyed.

Collections here are made by the real store and the real local backend, then damaged the way
disks, copies and people damage them: a flipped byte, a part cut short or gone, a manifest
whose part names point elsewhere or lack their fields. Each is one clear line on the CLI
(exit 2) naming the file and the reason, and nothing outside the collection is touched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from nova_toolkit.collection import Collection
from nova_toolkit.store import PartError, Store, StoreError
from nova_toolkit.store.parts import NORMS_KEY

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def one_line(r, *words: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory, local_embedder):
    root = tmp_path_factory.mktemp("damage")
    lib = root / "lib"
    lib.mkdir()
    for name, text in (("tide", "The tide comes in over the sand twice a day."),
                       ("bread", "Knead the dough, let it rise, then bake the loaf."),
                       ("stars", "On a clear night the stars of Orion are easy to find.")):
        (lib / f"{name}.txt").write_text(text)
    coll = Collection.open(root / "coll", embedder=local_embedder)
    assert coll.add([str(lib)], progress=False).embedded == 3
    return root


@pytest.fixture
def coll(built, tmp_path):
    shutil.copytree(built / "lib", tmp_path / "lib")
    return shutil.copytree(built / "coll", tmp_path / "coll")


def segments_part(coll: Path) -> Path:
    manifest = json.loads((coll / "manifest.json").read_text())
    return coll / "segments" / manifest["parts"]["segments"][0]


def flip_a_vector_exponent(path: Path) -> None:
    """Make one stored vector ~1e30 times longer by flipping a float's exponent byte."""
    first = pq.read_table(path).column("vector")[0].values.to_numpy()
    data = bytearray(path.read_bytes())
    at = data.find(first[:4].astype("<f4").tobytes())
    assert at > 0
    data[at + 3] ^= 0x70  # exponent bits of the first float
    path.write_bytes(bytes(data))


def test_a_flipped_byte_is_caught_by_the_page_checksums(coll):
    part = segments_part(coll)
    flip_a_vector_exponent(part)
    with pytest.raises(PartError, match="part is damaged") as info:
        Collection.open(coll, create=False).vectors()
    assert str(part) in str(info.value)
    one_line(cli("info", "--collection", str(coll)), part.name, "damaged")
    one_line(cli("search", "--collection", str(coll), "--text", "tide"), part.name)


def test_an_old_part_without_checksums_is_caught_by_its_vector_lengths(coll):
    part = segments_part(coll)
    table = pq.read_table(part)
    pq.write_table(table, part, compression="none", use_dictionary=False,
                   write_page_checksum=False)  # as an older writer did; lengths recorded
    assert NORMS_KEY in pq.read_schema(part).metadata
    flip_a_vector_exponent(part)
    with pytest.raises(PartError, match=r"row 0 has a vector of length .*outside"):
        Collection.open(coll, create=False).vectors()


def test_a_part_cut_short_or_missing_fails_every_command_clearly(coll, tmp_path):
    part = segments_part(coll)
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    manifest = (coll / "manifest.json").read_text()
    one_line(cli("info", "--collection", str(coll)), part.name, "damaged")
    # embed must not report success over a broken collection, nor change it
    (tmp_path / "lib" / "more.txt").write_text("A new note about the harbour lights.")
    one_line(cli("embed", str(tmp_path / "lib"), "--collection", str(coll), "--no-progress"),
             part.name)
    assert (coll / "manifest.json").read_text() == manifest
    part.unlink()
    one_line(cli("search", "--collection", str(coll), "--text", "tide"), part.name, "missing")


def test_part_names_that_leave_the_collection_are_refused(coll, tmp_path):
    outside = tmp_path / "elsewhere.parquet"
    shutil.copy(segments_part(coll), outside)
    manifest = json.loads((coll / "manifest.json").read_text())
    manifest["parts"]["segments"] = ["../../elsewhere.parquet"]
    (coll / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match="not a part file name"):
        Store.open(coll)
    one_line(cli("info", "--collection", str(coll)), "'../../elsewhere.parquet'")
    one_line(cli("embed", str(tmp_path / "lib"), "--collection", str(coll), "--no-progress"),
             "not a part file name")
    assert outside.is_file()  # read by nobody, deleted by nobody


@pytest.mark.parametrize("change, words", [
    (lambda m: m.pop("settings"), "has no settings"),
    (lambda m: m.update(version="7"), "version must be a whole number"),
    (lambda m: m.update(parts={"segments": "part.parquet"}), "must be a list"),
    (lambda m: m["parts"].update(secrets=[]), "unknown table 'secrets'"),
    (lambda m: m["parts"]["items"].append(m["parts"]["items"][0]), "lists a part twice"),
])
def test_a_manifest_without_its_fields_is_one_line(coll, change, words):
    manifest = json.loads((coll / "manifest.json").read_text())
    change(manifest)
    (coll / "manifest.json").write_text(json.dumps(manifest))
    one_line(cli("info", "--collection", str(coll)), "manifest.json", words)


def test_a_manifest_that_is_not_an_object(coll):
    (coll / "manifest.json").write_text("[1, 2, 3]")
    one_line(cli("info", "--collection", str(coll)), "not a collection manifest")


def test_norms_are_recorded_for_every_vector_part(coll):
    ranges = json.loads(pq.read_schema(segments_part(coll)).metadata[NORMS_KEY])
    low, high, nonfinite = ranges["vector"]
    assert 0.99 < low <= high < 1.01 and nonfinite == 0  # the local backend's unit vectors
    vectors = Collection.open(coll, create=False).vectors()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_a_flipped_byte_in_text_is_caught_too(coll):
    # no length to check here: only the page checksum can tell
    part = segments_part(coll)
    data = bytearray(part.read_bytes())
    at = data.find(b"Orion")
    assert at > 0, "the snippet is stored where a byte can be flipped"
    data[at] ^= 0x01  # "Orion" -> "Nrion"
    part.write_bytes(bytes(data))
    with pytest.raises(PartError, match="damaged"):
        Collection.open(coll, create=False).to_arrow()
