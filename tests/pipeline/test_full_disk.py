"""A full disk loses at most the last few seconds of work and says so in one line (issue 14).

The collection lives on a real 1 MiB tmpfs (mounted here, as root, and unmounted by its own
path); where mounting is not allowed the CLI run gets a file-size limit instead (EFBIG), the
same failure through the kernel. Commits come every ``commit_rows`` rows or every
``commit_seconds``, so a slow run keeps what it did before the disk filled.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nova_toolkit.collection import Collection
from nova_toolkit.pipeline.writer import BufferedWriter
from nova_toolkit.store import CommitError

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def many_notes(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note-{i:04d}.txt").write_text(
            f"Note {i}: the {i % 13}th lantern on pier {i % 7} was lit at {i % 24} o'clock.")
    return folder


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs at ``tmp_path/disk`` (None when this machine refuses the mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        yield None
        return
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_the_writer_commits_on_time_as_well_as_on_rows(tmp_path, local_embedder):
    lib = many_notes(tmp_path / "lib", 2)
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    coll.add([str(lib)], progress=False)
    store = coll.store
    writer = BufferedWriter(store, commit_rows=10_000, commit_seconds=0.2)
    with store.writer():
        rows, vectors = writer.rows_of("note-0000.txt")  # a real stored row, re-added
        item = store.items().to_pylist()[0]
        writer.add_item(item, rows, vectors)
        assert not writer.due  # one row, just buffered
        time.sleep(0.25)
        assert writer.due  # the oldest row has waited commit_seconds
        assert writer.flush() is not None and not writer.due
    assert store.version == 2 and len(Collection.open(tmp_path / "c", create=False)) == 2


def test_a_full_disk_keeps_the_last_commit_and_the_run_resumes(small_disk, tmp_path,
                                                                local_embedder):
    if small_disk is None:
        pytest.fail("this test needs a tmpfs mount (root); the CLI test covers EFBIG")
    lib = many_notes(tmp_path / "lib", 1200)
    coll = Collection.open(small_disk / "c", embedder=local_embedder)
    with pytest.raises(CommitError, match="No space left on device") as info:
        coll.add([str(lib)], progress=False, commit_rows=100)
    assert "kept as of its last commit" in str(info.value)
    reopened = Collection.open(small_disk / "c", create=False)
    kept = len(reopened)
    assert 0 < kept < 1200  # the commits before the disk filled
    listed = {p for t in ("items", "segments", "failures")
              for p in reopened.store.manifest["parts"][t]}
    on_disk = {p.name for t in ("items", "segments", "failures")
               for p in (small_disk / "c" / t).glob("*.parquet")}
    assert on_disk == listed  # the failed commit left no stray part behind
    subprocess.run(["mount", "-o", "remount,size=32m", str(small_disk)], check=True)
    again = Collection.open(small_disk / "c", embedder=local_embedder).add(
        [str(lib)], progress=False)
    assert again.unchanged == kept and again.embedded == 1200 - kept  # resumed, not redone


def test_the_cli_reports_a_full_disk_in_one_line(small_disk, tmp_path):
    lib = many_notes(tmp_path / "lib", 900)
    target = (small_disk or tmp_path) / "c"
    limit = None if small_disk is not None else 400_000  # EFBIG where mounting is refused

    def limited():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run([sys.executable, "-m", "nova_toolkit.cli", "embed", str(lib),
                        "--collection", str(target), "--no-progress"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, preexec_fn=limited,
                       env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert r.returncode in (1, 2), (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "No space left on device" in lines[0] or "File too large" in lines[0]
    assert "kept" in lines[0]
