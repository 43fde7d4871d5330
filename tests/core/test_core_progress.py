"""Progress counts work done: files move when their outcome is known, not when listed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nova_toolkit._core.progress import AddProgress, eta_text
from nova_toolkit.collection import Collection
from nova_toolkit.pipeline.runner import AddRunner

ROOT = Path(__file__).resolve().parents[2]


def test_counts_files_once_segments_and_modalities():
    p = AddProgress(4, enabled=False)
    p.finished("a.txt", "text")
    p.finished("a.txt", "text")  # repeats are ignored
    p.segments(3)
    p.finished("b.png", None, failed=True)
    assert len(p.done) == 2
    assert p.detail() == "3 segments · text 1 · 1 failed"
    assert p.line().startswith("embed: 2/4 files (50 %), 3 segments")


def test_eta_text():
    assert [eta_text(s) for s in (None, 5, 185, 3720)] == ["?", "5s", "3m05s", "1h02m"]


def test_the_notebook_form_is_html_with_a_plain_text_twin(capsys):
    p = AddProgress(2, notebook=True)  # outside a kernel IPython prints the text form
    p.finished("a.txt", "text")
    p.close()
    bundle = p._bundle()
    assert '<progress value="1" max="2"' in bundle["text/html"]
    assert bundle["text/plain"].startswith("embed: 1/2 files")


class WatchingEmbedder:
    """The real backend, recording how many files the progress had done at each call."""

    def __init__(self, inner) -> None:
        self.inner, self.seen, self.runner = inner, [], None
        self.modalities = inner.modalities

    def embed(self, batch, *, purpose):
        self.seen.append((len(self.runner.bar.done), len(batch)))
        return self.inner.embed(batch, purpose=purpose)


def test_files_being_embedded_are_not_counted_done_before_their_vectors(
        tmp_path, local_embedder):
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(6):
        (lib / f"n{i}.txt").write_text(f"Note {i} about the harbour and a lantern number {i}.")
    coll = Collection.open(tmp_path / "c", embedder=local_embedder)
    watch = WatchingEmbedder(local_embedder)
    runner = AddRunner(coll.store, segmentation=coll.segmentation, embedder=lambda: watch,
                       batch_segments=4, progress=False)
    watch.runner = runner
    report = runner.run([str(lib)])
    assert report.embedded == 6
    assert watch.seen == [(0, 4), (4, 2)]  # the batch in flight is not counted yet
    assert len(runner.bar.done) == 6 and runner.bar.embedded_segments == 6


def test_a_notebook_add_leaves_its_progress_as_html_and_text(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(3):
        (lib / f"n{i}.txt").write_text(f"Kettle note {i}.")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from nova_toolkit import Collection\n"
        f"coll = Collection.open({json.dumps(str(tmp_path / 'c'))})\n"
        f"report = coll.add([{json.dumps(str(lib))}])")]
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    shown = [o for o in outputs if o.output_type == "display_data"]
    assert shown, outputs
    final = shown[-1].data
    assert "<progress" in final["text/html"] and "3/3 files" in final["text/html"]
    assert final["text/plain"].startswith("embed: 3/3 files (100 %)")
    assert not any(o.output_type == "stream" and o.name == "stderr" and "%|" in o.text
                   for o in outputs)  # no terminal bar in the notebook


def test_the_cli_shows_a_terminal_bar_that_ends_at_the_total(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(3):
        (lib / f"n{i}.txt").write_text(f"Violin note {i}.")
    out = subprocess.run([sys.executable, "-m", "nova_toolkit.cli", "embed", str(lib),
                          "--collection", str(tmp_path / "c")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "3/3" in out.stderr and "3 segments" in out.stderr and "text 3" in out.stderr
