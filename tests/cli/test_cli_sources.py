"""One file, one source on the command line: the CLI in subprocesses, real files, local backend."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["a.txt", "b.txt", "sub/c.md"]

pytestmark = pytest.mark.slow


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def info(coll: str, cwd: Path, *extra: str) -> dict:
    return json.loads(ok(cli("info", "--collection", coll, "--json", *extra, cwd=cwd)))


def sources(out: str) -> list[str]:
    return sorted({h["source"] for h in json.loads(out)})


@pytest.fixture
def home(tmp_path) -> Path:
    for name, text in (("a.txt", "The golden retriever fetched a stick from the waves."),
                       ("b.txt", "The rocket's upper stage performed the orbital burn."),
                       ("sub/c.md", "# Pasta\n\nCook spaghetti, add tomato sauce and basil.")):
        (tmp_path / "lib" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "lib" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_four_spellings_on_the_cli_store_each_file_once(home):
    first = ok(cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home))
    assert first.startswith("embedded 3, cached 0, failed 0")
    for spelling in ("./lib/", str(home / "lib"), "lib/../lib"):
        out = ok(cli("embed", spelling, "--collection", "coll", "--no-progress", cwd=home))
        assert out.startswith("embedded 0, cached 3, failed 0 (0 new vector rows"), spelling
        assert "removed" not in out, spelling
    got = info("coll", home)
    assert (got["items"], got["segments"]) == (3, 3)
    assert got["media_root"] == os.path.realpath(home / "lib")
    assert "media root " + os.path.realpath(home / "lib") in ok(
        cli("info", "--collection", "coll", cwd=home))
    hits = ok(cli("search", "--collection", "coll", "--text", "dog", "--top-k", "10", "--json",
                  cwd=home))
    assert sources(hits) == KEYS  # every hit once
    top = json.loads(hits)[0]
    assert top["path"] == os.path.join(os.path.realpath(home / "lib"), top["source"])


def test_moved_together_then_media_elsewhere_with_media_root(home):
    ok(cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home))
    moved = home / "moved"
    moved.mkdir()
    for name in ("lib", "coll"):  # a collection and its media moved together
        shutil.move(str(home / name), moved / name)
    got = info(str(moved / "coll"), home)
    assert got["items"] == 3 and got["media_root"] == os.path.realpath(moved / "lib")
    out = ok(cli("embed", str(moved / "lib"), "--collection", str(moved / "coll"),
                 "--no-progress", cwd=home))
    assert out.startswith("embedded 0, cached 3, failed 0")
    out = ok(cli("remove", "--collection", "moved/coll", "--source", "moved/lib/b.txt",
                 cwd=home))
    assert "removed: b.txt" in out.splitlines()
    assert "note: 1 of these files are still on disk" in out  # found through the root

    # now the media go somewhere the collection does not know: --media-root names it
    shutil.move(str(moved / "lib"), home / "usb")
    media = ("--media-root", str(home / "usb"))
    assert info("moved/coll", home, *media)["media_root"] == os.path.realpath(home / "usb")
    out = ok(cli("embed", "usb", "--collection", "moved/coll", "--no-progress", *media,
                 cwd=home))
    assert out.startswith("embedded 1, cached 2, failed 0")  # b.txt back; the rest as is
    assert "removed" not in out
    out = ok(cli("metadata", "--collection", "moved/coll", "--source", "usb/sub", "--set",
                 '{"course": "cooking"}', "--json", *media, cwd=home))
    assert json.loads(out)["updated"] == ["sub/c.md"]
    out = ok(cli("remove", "--collection", "moved/coll", "--source", "a.txt", "--dry-run",
                 *media, cwd=home))
    assert "would remove: a.txt" in out and "still on disk" in out
    hits = json.loads(ok(cli("search", "--collection", "moved/coll", "--text", "pasta",
                             "--top-k", "1", "--json", *media, cwd=home)))
    assert hits[0]["source"] == "sub/c.md" and os.path.isfile(hits[0]["path"])
    assert hits[0]["metadata"] == {"course": "cooking"}


def assert_refused(done: subprocess.CompletedProcess, says: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nova-toolkit") and says in lines[0], lines


def test_a_media_root_that_is_not_a_folder_is_one_line_exit_2(home):
    ok(cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home))
    for command in (["info"], ["embed", "lib"], ["remove", "--source", "a.txt"]):
        done = cli(*command, "--collection", "coll", "--media-root", "gone", cwd=home)
        assert_refused(done, "--media-root: no such folder: gone")
    assert info("coll", home)["items"] == 3  # nothing stored touched
