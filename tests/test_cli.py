"""The ``nova-toolkit`` command, end to end in a subprocess with the real MiniLM model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_embed_search_info(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "dogs.txt").write_text("A dog chases a ball across the sandy beach.")
    (lib / "space.md").write_text("# Orbit\n\nThe rocket reached low Earth orbit.")
    (lib / "broken.txt").write_bytes(bytes(range(256)) * 4)
    r = run("embed", "lib", "--collection", "coll", "--no-progress", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "embedded 2, cached 0, failed 1" in r.stdout
    assert "failed: broken.txt:" in r.stdout  # keys are relative to the library root, lib

    r = run("search", "--collection", "coll", "--text", "puppy at the seaside", "--top-k", "2",
            "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert len(hits) == 2
    top = hits[0]
    assert top["source"] == "dogs.txt"
    assert top["path"] == os.path.join(os.path.realpath(tmp_path), "lib", "dogs.txt")
    assert top["modality"] == "text" and top["embedding_type"] == "TEXT"
    assert set(top["segment"]) == {"index", "start_s", "end_s", "page", "char_start", "char_end"}
    assert top["segment"]["page"] is None and top["segment"]["char_start"] == 0
    assert "dog" in top["snippet"] and top["metadata"] == {}

    r = run("search", "--collection", "coll", "--text", "orbit", "--filter",
            '{"source": "space.md"}', "--json", cwd=tmp_path)
    assert [h["source"] for h in json.loads(r.stdout)] == ["space.md"]

    r = run("embed", "lib", "--collection", "coll", "--no-progress", cwd=tmp_path)
    assert "embedded 0, cached 2, failed 1" in r.stdout

    r = run("info", "--collection", "coll", "--json", cwd=tmp_path)
    info = json.loads(r.stdout)
    assert info["items"] == 2 and info["segments"] == 2 and info["failures"] == 1
    assert info["settings"]["backend"] == "local" and info["settings"]["dimension"] == 384
    assert info["media_root"] == os.path.join(os.path.realpath(tmp_path), "lib")

    r = run("search", "--collection", "coll", "--text", "x", "--filter", "{bad", cwd=tmp_path)
    assert r.returncode != 0 and "--filter is not valid JSON" in r.stderr
    r = run("embed", "lib", "--collection", "coll", "--dimension", "256", cwd=tmp_path)
    assert r.returncode == 2 and "dimension" in r.stderr
    r = run("embed", "lib", "--collection", "coll", "--segment-seconds", "10", cwd=tmp_path)
    assert r.returncode == 2 and "segment_seconds" in r.stderr
    r = run("embed", "lib", "--collection", "coll", "--config", "x.toml", cwd=tmp_path)
    assert r.returncode != 0 and "not available yet" in r.stderr


def test_info_on_a_missing_collection_is_a_clear_error(tmp_path):
    r = run("info", "--collection", "nowhere", cwd=tmp_path)
    assert r.returncode == 2 and "not a collection" in r.stderr
