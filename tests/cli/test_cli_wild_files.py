"""Files from the wild on the command line (issue 14): the real CLI in subprocesses.

Real hostile names made on bytes paths: one that is not UTF-8, names holding a newline (one
that would print a fake "embedded 999, failed 0" line) or a tab, links to a file and to a
folder outside the library. Every name printed is escaped and on one line, ``--json`` is
real JSON, nothing crashes on an ASCII terminal, links out are reported unless
``--follow-links``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from wild_files import (
    DIR_LINK,
    FILE_LINK,
    LATIN1,
    LATIN1_KEY,
    NEWLINE,
    TAB,
    TEXTS,
    build_wild_library,
    write_bytes_name,
)

from nova_toolkit.media import LINK_OUTSIDE

ROOT = Path(__file__).resolve().parents[2]
EMPTY = "empty\nembedded 999, failed 0.txt"  # fails (empty): its name is printed
UNICODE = "résumé.txt"  # valid UTF-8, not ASCII

pytestmark = pytest.mark.slow


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The CLI on ``args`` (str with surrogates reach it as the original bytes)."""
    environ = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", **env)
    done = subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd,
                          env=environ, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    return done


def lines(done: subprocess.CompletedProcess) -> list[str]:
    return done.stdout.decode("utf-8").splitlines()


@pytest.fixture
def home(tmp_path) -> Path:
    """``lib`` (the hostile names, links out, an empty file with a newline in its name)."""
    lib = build_wild_library(tmp_path)
    (lib / EMPTY).touch()
    write_bytes_name(os.fsencode(lib / UNICODE), "Curriculum vitae of a marine biologist.")
    return tmp_path


def escaped(name: str) -> str:
    return name.replace("\n", "\\n").replace("\t", "\\t")


def test_embed_prints_each_name_escaped_on_its_own_line(home):
    out = lines(cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home))
    assert out[0].startswith("embedded 5, cached 0, failed 3 (")
    assert out[1:] == [f"failed: {DIR_LINK}: {LINK_OUTSIDE}",
                       f"failed: {escaped(EMPTY)}: empty file (0 bytes)",
                       f"failed: {FILE_LINK}: {LINK_OUTSIDE}"]
    assert not any(line.startswith("embedded 999") for line in out)
    os.remove(os.fsencode(home / "lib") + b"/" + NEWLINE.encode())
    out = lines(cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home))
    assert out[0].startswith("embedded 0, cached 4, failed 3 (") and "removed 1 missing" in out[0]
    assert out[-1] == f"removed (no longer on disk): {escaped(NEWLINE)}"
    assert len(out) == 5
    # the dry run lists what it skips the same way (nothing is sent, no AWS needed)
    out = lines(cli("embed", "lib", "--collection", "dry", "--backend", "nova", "--dry-run",
                    cwd=home))
    assert out[1:] == [f"skipped: {DIR_LINK}: {LINK_OUTSIDE}",
                       f"skipped: {escaped(EMPTY)}: empty file (0 bytes)",
                       f"skipped: {FILE_LINK}: {LINK_OUTSIDE}"]


def test_search_info_metadata_remove_print_names_escaped_and_json_is_json(home):
    cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home)
    search = ("search", "--collection", "coll", "--mode", "text", "--top-k", "1", "--text")
    out = lines(cli(*search, "espresso machine", cwd=home))
    assert len(out) == 2 and f"[text] {LATIN1_KEY} (#0" in out[0]
    out = lines(cli(*search, "penguins huddle", cwd=home))
    assert len(out) == 2 and f"[text] {escaped(NEWLINE)} (#0" in out[0]
    hit = json.loads(cli(*search, "espresso machine", "--json", cwd=home).stdout)[0]
    assert hit["source"] == LATIN1_KEY
    with open(os.fsencode(hit["path"]), "rb") as f:  # the path JSON gives opens the file
        assert f.read().decode() == TEXTS[LATIN1]
    # the file's own bytes path and its key both select it
    raw = os.fsdecode(b"lib/" + LATIN1)
    meta = ("metadata", "--collection", "coll", "--set")
    assert lines(cli(*meta, '{"lang": "fr"}', "--source", raw, cwd=home))[1:] == [
        f"updated: {LATIN1_KEY}"]
    got = json.loads(cli(*meta, '{"lang": "en"}', "--source", LATIN1_KEY, "--json",
                         cwd=home).stdout)
    assert got["updated"] == [LATIN1_KEY]
    out = lines(cli("metadata", "--collection", "coll", "--set", '{"x": 1}', "--source",
                    f"lib/{TAB}", f"lib/{NEWLINE}", cwd=home))
    assert out[1:] == [f"updated: {escaped(NEWLINE)}", f"updated: {escaped(TAB)}"]
    out = lines(cli("remove", "--collection", "coll", "--source", f"lib/{NEWLINE}", cwd=home))
    assert out[1] == f"removed: {escaped(NEWLINE)}" and len(out) == 3  # + the on-disk note
    got = json.loads(cli("remove", "--collection", "coll", "--source", f"lib/{TAB}",
                         "--json", cwd=home).stdout)
    assert got["removed"] == [TAB]


def test_a_media_root_with_a_newline_and_an_ascii_terminal_print_safely(tmp_path):
    home = tmp_path / "home\nfake line"
    home.mkdir()
    build_wild_library(home)
    write_bytes_name(os.fsencode(home / "lib" / UNICODE), "Curriculum vitae of a biologist.")
    cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home)
    out = lines(cli("info", "--collection", "coll", cwd=home))
    media = [line for line in out if line.startswith("  media root ")]
    assert media == [f"  media root {escaped(os.path.realpath(home / 'lib'))} (sources are "
                     "paths relative to it)"]
    info = json.loads(cli("info", "--collection", "coll", "--json", cwd=home).stdout)
    assert info["media_root"] == os.path.realpath(home / "lib")
    # a terminal that cannot show "é": escaped, not a UnicodeEncodeError; --json stays JSON
    ascii_env = {"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    done = cli("search", "--collection", "coll", "--mode", "text", "--text", "marine biologist",
               "--top-k", "1", cwd=home, **ascii_env)
    assert "[text] r\\xe9sum\\xe9.txt (#0" in done.stdout.decode("ascii")
    done = cli("search", "--collection", "coll", "--mode", "text", "--text", "marine biologist",
               "--top-k", "1", "--json", cwd=home, **ascii_env)
    assert json.loads(done.stdout.decode("ascii"))[0]["source"] == UNICODE


def test_follow_links_embeds_what_links_out_point_at(home):
    cli("embed", "lib", "--collection", "coll", "--no-progress", cwd=home)
    out = lines(cli("embed", "lib", "--collection", "coll", "--no-progress", "--follow-links",
                    cwd=home))
    assert out[0].startswith("embedded 2, cached 5, failed 1 (")
    assert f"removed (no longer on disk): {FILE_LINK}" in out
    hit = json.loads(cli("search", "--collection", "coll", "--mode", "text", "--text",
                         "vault combination", "--top-k", "1", "--json", cwd=home).stdout)[0]
    assert hit["source"] == "../outside/secret.txt"
