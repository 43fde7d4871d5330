"""``nova-toolkit verify`` in real subprocesses: one line per problem naming the file, a summary,
exit 0 (sound) / 1 (problems remain) / 2 (usage); ``--repair`` then ``embed`` of the same folder
brings the lost files back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-verify")
    lib = root / "lib"
    lib.mkdir()
    for name, text in (("tide", "The tide comes in over the sand twice a day."),
                       ("bread", "Knead the dough, let it rise, then bake the loaf.")):
        (lib / f"{name}.txt").write_text(text)
    assert cli("embed", str(lib), "--collection", str(root / "coll"),
               "--no-progress").returncode == 0
    (lib / "owls.txt").write_text("Owls hunt at night and sleep in hollow trees by day.")
    assert cli("embed", str(lib), "--collection", str(root / "coll"),
               "--no-progress").returncode == 0
    return root


@pytest.fixture
def coll(built, tmp_path):
    shutil.copytree(built / "lib", tmp_path / "lib")
    return shutil.copytree(built / "coll", tmp_path / "coll")


def test_verify_a_sound_collection(coll):
    r = cli("verify", "--collection", str(coll))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1].startswith(f"{coll}: sound (0 problem(s)")
    r = cli("verify", "--collection", str(coll), "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report["sound"] and report["problems"] == []


def test_verify_repair_then_embed_brings_the_lost_file_back(coll):
    manifest = json.loads((coll / "manifest.json").read_text())
    part = coll / "segments" / manifest["parts"]["segments"][1]  # the second embed: owls
    first = pq.read_table(part).column("vector")[0].values.to_numpy()
    data = bytearray(part.read_bytes())
    data[data.find(first[:4].astype("<f4").tobytes()) + 3] ^= 0x70
    part.write_bytes(bytes(data))
    leftover = coll / "items" / "part-20000101T000000-000000000000.parquet"
    leftover.write_bytes(b"left by a crash")

    r = cli("verify", "--collection", str(coll))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith(f"{part}: part is damaged")
    assert lines[1] == f"{leftover}: not listed in the manifest (left by an interrupted commit)"
    assert "2 problem(s) remain" in lines[-1]

    r = cli("verify", "--collection", str(coll), "--repair", "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report["sound"], r.stdout
    assert report["lost_sources"] == ["owls.txt"]
    assert (Path(report["quarantine"]) / "segments" / part.name).read_bytes() == bytes(data)

    r = cli("embed", str(coll.parent / "lib"), "--collection", str(coll), "--no-progress")
    assert r.returncode == 0 and "embedded 1," in r.stdout, r.stdout + r.stderr
    assert cli("verify", "--collection", str(coll)).returncode == 0
    r = cli("search", "--collection", str(coll), "--text", "owls hunting at night",
            "--top-k", "1")
    assert "owls.txt" in r.stdout


def test_verify_usage_errors_are_one_line_exit_2(tmp_path):
    r = cli("verify", "--collection", str(tmp_path / "none"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "not a collection" in r.stderr
    r = cli("verify")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
