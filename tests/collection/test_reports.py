"""What an add and info() show a person: failures named, readable notebook forms."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

from nova_toolkit.collection import Collection
from nova_toolkit.pipeline.runner import AddReport

ROOT = Path(__file__).resolve().parents[2]


def small_library(root: Path) -> Path:
    root.mkdir()
    (root / "note.txt").write_text("The lighthouse keeper trims the lamp at dusk.")
    (root / "empty.txt").write_bytes(b"")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n<script>x</script>")
    return root


def test_summary_names_every_failure_and_the_html_escapes_them(tmp_path, local_embedder):
    lib = small_library(tmp_path / "lib")
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    report = coll.add([str(lib)], progress=False)
    lines = report.summary().splitlines()
    assert lines[0].startswith("embedded 1, cached 0, failed 2")
    assert sorted(lines[1:]) == sorted(f"failed: {s}: {r}" for s, r in report.failures)
    assert "failed: empty.txt: empty file" in report.summary()  # named by its key
    assert repr(report).startswith("<AddReport: embedded 1, cached 0, failed 2")
    page = report._repr_html_()
    assert "2 failures" in page and "empty file" in page and "<script>" not in page


def test_a_long_failure_list_is_cut_and_says_so():
    report = AddReport(failed=30, failures=[(f"f{i}.png", "broken") for i in range(30)])
    lines = report.summary().splitlines()
    assert len(lines) == 1 + 20 + 1 and "10 more failures" in lines[-1]
    assert len(report.summary(max_failures=None).splitlines()) == 31


def test_summary_prints_a_hostile_name_on_its_own_one_line(tmp_path, local_embedder):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "evil\nembedded 999, failed 0.txt").write_bytes(b"")  # empty: a failure
    (lib / "tab\tname\u202e.txt").write_bytes(b"")
    report = Collection.open(tmp_path / "c", embedder=local_embedder).add(
        [str(lib)], progress=False)
    lines = report.summary().splitlines()
    assert len(lines) == 1 + 2  # the counts, then one line per failure: nothing injected
    assert "failed: evil\\nembedded 999, failed 0.txt: " in report.summary()
    assert "tab\\tname\\u202e.txt" in report.summary()
    assert sorted(s for s, _ in report.failures)[0].startswith("evil\n")  # data unchanged


def test_info_is_a_json_able_dict_with_a_notebook_table(tmp_path, local_embedder):
    lib = small_library(tmp_path / "lib")
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    coll.add([str(lib)], progress=False)
    info = coll.info()
    assert json.loads(json.dumps(info))["items"] == 1
    assert "1 items (text 1), 1 vectors, 2 failures" in repr(info)
    page = info._repr_html_()
    assert "<table>" in page and info["settings"]["model_id"] in page
    assert "media root" in page and html.escape(info["media_root"]) in page


def test_the_cli_prints_each_failure_once(tmp_path):
    lib = small_library(tmp_path / "lib")
    out = subprocess.run([sys.executable, "-m", "nova_toolkit.cli", "embed", str(lib),
                          "--collection", str(tmp_path / "c"), "--no-progress"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    failed = [line for line in out.stdout.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 2 and len(set(failed)) == 2
