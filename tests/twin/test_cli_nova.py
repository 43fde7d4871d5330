"""``nova-toolkit embed --backend nova`` against the twin: same collection shape as local."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from twin_helpers import aws_env

pytestmark = pytest.mark.slow


def cli(*args: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, HF_HUB_OFFLINE="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300)


def test_embed_nova_matches_local_shape_and_search(twin, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "dogs.txt").write_text("A dog chases a ball across the sandy beach.")
    (lib / "space.md").write_text("# Orbit\n\nThe rocket reached low Earth orbit.")
    (lib / "cake.txt").write_text("Whisk eggs and sugar, fold in flour, bake the sponge cake.")
    env = {**aws_env(twin.url), "AWS_SECRET_ACCESS_KEY": "s3cr3t-never-stored"}

    r = cli("embed", "lib", "--collection", "nova", "--backend", "nova", "--dimension", "1024",
            "--dry-run", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "3 requests" in r.stdout and not (tmp_path / "nova").exists()

    r = cli("embed", "lib", "--collection", "nova", "--backend", "nova", "--dimension", "1024",
            "--region", "us-east-1", "--no-progress", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "embedded 3, cached 0, failed 0" in r.stdout
    assert "usage: 3 calls" in r.stdout and "s3cr3t" not in r.stdout + r.stderr
    # a dry run over the existing collection sends only what it does not hold yet
    (lib / "tea.txt").write_text("Steep green tea for two minutes in water below boiling.")
    r = cli("embed", "lib", "--collection", "nova", "--backend", "nova", "--dimension", "1024",
            "--dry-run", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "1 requests" in r.stdout and "3 files cached (not sent)" in r.stdout, r.stdout
    (lib / "tea.txt").unlink()
    r = cli("embed", "lib", "--collection", "local", "--no-progress", cwd=tmp_path)
    assert r.returncode == 0, r.stderr

    from nova_toolkit.collection import Collection

    nova, local = Collection.open(tmp_path / "nova"), Collection.open(tmp_path / "local")
    assert nova.to_arrow().schema == local.to_arrow().schema
    assert nova.settings.backend == "nova" and nova.settings.dimension == 1024
    assert nova.vectors().shape == (3, 1024)
    assert sorted(nova.to_pandas()["source"]) == sorted(local.to_pandas()["source"])
    # the twin serves local vectors, zero-padded: the 384-d prefix equals the local vector
    nv = dict(zip(nova.to_pandas()["source"], nova.vectors(), strict=True))
    lv = dict(zip(local.to_pandas()["source"], local.vectors(), strict=True))
    for source, vec in nv.items():
        assert abs(float(vec[:384] @ lv[source]) - 1.0) < 1e-4

    r = cli("search", "--collection", "nova", "--text", "puppy at the seaside", "--top-k", "2",
            "--json", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert hits[0]["source"] == "dogs.txt"  # relative to the library root, lib

    for f in (tmp_path / "nova").rglob("*"):  # no credential reaches the store
        assert not f.is_file() or b"s3cr3t" not in f.read_bytes()

    r = cli("embed", "lib", "--collection", "local2", "--profile", "x", cwd=tmp_path)
    assert r.returncode == 2 and "options of the nova backend" in r.stderr


def test_nova_media_and_formats_it_does_not_take(twin, tmp_path, sample_dir):
    import shutil

    lib = tmp_path / "lib"
    lib.mkdir()
    for name in ("images/coffee.jpg", "images/cameraman.bmp", "audio/piano-lesson.flac",
                 "audio/espresso-order.mp3"):
        shutil.copy(sample_dir / name, lib / os.path.basename(name))
    r = cli("embed", "lib", "--collection", "nova", "--backend", "nova", "--dimension", "256",
            "--no-progress", cwd=tmp_path, env=aws_env(twin.url))
    assert r.returncode == 0, r.stderr
    assert "embedded 2, cached 0, failed 2" in r.stdout, r.stdout
    assert "bmp" in r.stdout and "(it takes gif, jpeg, png, webp)" in r.stdout
    assert "flac" in r.stdout and "(it takes mp3, ogg, wav)" in r.stdout
    r = cli("search", "--collection", "nova", "--text", "a cup of espresso", "--json",
            "--filter", '{"modality": "image"}', cwd=tmp_path, env=aws_env(twin.url))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["source"] == "coffee.jpg"
