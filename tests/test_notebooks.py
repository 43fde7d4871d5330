"""The notebooks: shipped as stripped .ipynb, run from any folder, and draw in exported HTML.

Each notebook runs in a fresh kernel (nbclient) started in an empty temp dir that is not
``notebooks/``: the sample media are found through the package (``sample_library()``, no
``NOVA_TOOLKIT_SAMPLE`` set), what they write goes to ``NOVA_TOOLKIT_HOME`` (a temp dir), and
one shared copy of the pre-embedded sample collection comes in through
``NOVA_TOOLKIT_COLLECTION`` (so the sample library is embedded once per session).

01 (gallery, progress) and 03 (plotly maps) are also exported to static HTML, both with
:func:`nova_toolkit.viz.export_notebook` and with ``jupyter nbconvert --to html``, and opened
in headless Chromium (tests/cdp.py) with every host but 127.0.0.1 unresolvable: the figures
must draw, the progress must read as text, and nothing may be fetched from anywhere but the
file itself (the nbconvert command's own template links require.js, MathJax and the widgets' manager
from CDNs; those are the only requests it may try, and the figures draw without them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cdp
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
# every external host fails at once (no DNS wait); the DevTools socket and 127.0.0.1 still work
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
GL_NOTES = ("GL Driver Message (OpenGL, Performance",)
# what nbconvert's own lab template loads from CDNs (not our outputs): require.js, MathJax and,
# when the notebook saved widget state, the widgets' HTML manager
NBCONVERT_CDN = ("https://cdnjs.cloudflare.com/ajax/libs/require.js/",
                 "https://cdnjs.cloudflare.com/ajax/libs/mathjax/", "https://unpkg.com/")


def test_notebooks_are_there():
    expected = {"01_quickstart.ipynb", "02_crossmodal_search.ipynb", "03_semantic_map.ipynb",
                "04_clustering.ipynb", "05_mrl_tradeoff.ipynb", "06_s3vectors_roundtrip.ipynb",
                "07_workshop.ipynb", "07_workshop_solutions.ipynb", "08_nova_boto3.ipynb"}
    assert expected <= set(NAMES)
    assert not list(NOTEBOOKS.glob("[0-9][0-9]_*.py"))  # one source per notebook: the .ipynb


@pytest.mark.parametrize("name", NAMES)
def test_shipped_notebooks_are_valid_and_stripped(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], (name, cell.source[:60])
        assert cell.execution_count is None, (name, cell.source[:60])
        assert not {"execution", "collapsed", "scrolled"} & set(cell.metadata), cell.metadata
    assert "widgets" not in nb.metadata  # no saved widget state either
    text = "\n".join(c.source for c in nb.cells)
    assert "../data" not in text and "../build" not in text  # nothing relative to notebooks/


SOLUTION_BITS = ("modality='video'", 'modality="video"', "top_k=1)[0]", ".n_clusters",
                 "cross_source_only=True", "export_html(", "semantic_map(coll")


def test_the_workshop_holds_no_answers():
    """Exercise cells, scaffolds and statements guide; the solutions notebook has the code."""
    text = "\n".join(c.source for c in
                     nbformat.read(NOTEBOOKS / "07_workshop.ipynb", as_version=4).cells)
    assert not [bit for bit in SOLUTION_BITS if bit in text]
    solved = "\n".join(c.source for c in nbformat.read(
        NOTEBOOKS / "07_workshop_solutions.ipynb", as_version=4).cells)
    assert all(bit in solved for bit in ("top_k=1)[0]", ".n_clusters", "export_html("))


@pytest.fixture(scope="module")
def notebook_env(tmp_path_factory, sample_collection_dir):
    root = tmp_path_factory.mktemp("notebooks")
    coll = root / "collection"
    shutil.copytree(sample_collection_dir, coll)
    return {"NOVA_TOOLKIT_COLLECTION": str(coll), "NOVA_TOOLKIT_HOME": str(root / "home")}


@pytest.fixture
def elsewhere(notebook_env, tmp_path, monkeypatch):
    """An empty working dir far from notebooks/, and the notebooks' environment."""
    for key in ("NOVA_TOOLKIT_SAMPLE", "NOVA_TOOLKIT_OUT", "PLOTLY_RENDERER"):
        monkeypatch.delenv(key, raising=False)
    for key, value in notebook_env.items():
        monkeypatch.setenv(key, value)
    cwd = tmp_path / "somewhere-else"
    cwd.mkdir()
    return cwd


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_from_another_folder(name, notebook_env, elsewhere):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(elsewhere)}}).execute()
    outputs = _outputs(nb)
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for o in outputs)
    assert "✘" not in text or name == "07_workshop.ipynb"
    assert not list(elsewhere.iterdir())  # nothing written to the working directory
    if name == "03_semantic_map.ipynb":
        assert (Path(notebook_env["NOVA_TOOLKIT_HOME"]) / "out" / "semantic-map.html").is_file()
    if name == "07_workshop.ipynb":
        # unsolved exercises say what is missing and hint, but never print the answer
        assert text.count("✘ not yet") == 5
        assert not [bit for bit in SOLUTION_BITS if bit in text]


# -- static HTML ------------------------------------------------------------------------------

DREW = """(() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return plots.map(gd => ({
    svg: gd.querySelectorAll('.main-svg').length,
    traces: (gd._fullData || []).length,
    points: (gd._fullData || []).reduce((n, t) => n + ((t.x || []).length || 0), 0),
    svgPoints: gd.querySelectorAll('.scatterlayer .point, .scatterlayer .js-line').length,
    gl: [...gd.querySelectorAll('canvas')].filter(c => c.width > 0 && c.height > 0).length,
    width: gd.getBoundingClientRect().width,
    height: gd.getBoundingClientRect().height}));
})()"""


def _requests(page: cdp.Chromium) -> list[str]:
    return [p["request"]["url"] for s, m, p in page._events
            if m == "Network.requestWillBeSent" and s == page._session]


def _foreign(urls: list[str]) -> list[str]:
    local = ("file:", "data:", "blob:", "about:", "http://127.0.0.1", "ws://127.0.0.1")
    return [u for u in urls if not u.startswith(local)]


def _open(path: Path) -> tuple[list[dict], str, list[str], list[cdp.ConsoleMessage]]:
    """Open ``path`` offline; (plots drawn, page text, foreign requests, console errors)."""
    with cdp.Chromium(extra_flags=OFFLINE) as page:
        page.send("Network.enable")
        page.navigate(path.resolve().as_uri())
        plots = page.evaluate(DREW)
        if plots:
            page.wait_for("[...document.querySelectorAll('.js-plotly-plot')].every("
                          "gd => gd._fullLayout && gd.querySelector('.main-svg'))")
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            plots = page.evaluate(DREW)
        text = page.evaluate("document.body.innerText")
        return plots, text, _foreign(_requests(page)), page.errors(ignore=GL_NOTES)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, notebook_env):
    """01 and 03 executed from another folder, written by export_notebook and by the CLI."""
    from nbclient import NotebookClient

    from nova_toolkit.viz import export_notebook

    root = tmp_path_factory.mktemp("exported")
    cwd = root / "somewhere-else"
    cwd.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for key in ("NOVA_TOOLKIT_SAMPLE", "NOVA_TOOLKIT_OUT", "PLOTLY_RENDERER"):
            mp.delenv(key, raising=False)
        for key, value in notebook_env.items():
            mp.setenv(key, value)
        out = {}
        for name in ("01_quickstart", "03_semantic_map"):
            nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(cwd)}}).execute()
            executed = root / f"{name}.ipynb"
            nbformat.write(nb, executed)
            out[name, "package"] = export_notebook(executed, root / f"{name}.offline.html",
                                                   execute=False)
            cli = subprocess.run(
                [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output",
                 f"{name}.cli", "--output-dir", str(root), str(executed)],
                capture_output=True, text=True, cwd=cwd, timeout=300)
            assert cli.returncode == 0, cli.stderr
            out[name, "cli"] = root / f"{name}.cli.html"
    assert not list(cwd.iterdir())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("how", ["package", "cli"])
def test_exported_semantic_map_draws_offline(exported, how):
    assert cdp.find_chromium(), cdp.MISSING
    plots, text, foreign, errors = _open(exported["03_semantic_map", how])
    assert len(plots) >= 3  # the maps by modality, by cluster and by embedding type
    for plot in plots:
        assert plot["svg"] >= 1 and plot["traces"] >= 1 and plot["points"] > 10, plot
        assert plot["width"] > 300 and plot["height"] > 300, plot
        assert plot["gl"] >= 1, plot  # Scattergl points are drawn on a canvas
    if how == "package":
        assert foreign == [] and errors == [], (foreign, errors)
    else:  # nbconvert's own template tries cdnjs (and fails offline); the figures did not need it
        assert foreign and all(u.startswith(NBCONVERT_CDN) for u in foreign), foreign
        assert all("ERR_NAME_NOT_RESOLVED" in e.text or "cdnjs" in e.url for e in errors), errors
    html = exported["03_semantic_map", how].read_text(encoding="utf-8")
    assert "application/vnd.plotly.v1+json" not in html or "Plotly.newPlot" in html


@pytest.mark.slow
def test_exported_quickstart_shows_progress_as_text_and_the_gallery(exported):
    assert cdp.find_chromium(), cdp.MISSING
    path = exported["01_quickstart", "package"]
    plots, text, foreign, errors = _open(path)
    assert foreign == [] and errors == [], (foreign, errors)
    assert "files (100 %)" in text and "done in" in text and "segments" in text, text[:2000]
    assert "ETA" not in text.split("files (100 %)")[1].split("\n")[0]
    assert "1. " in text and "distance" in text  # the gallery of the first search
    html = path.read_text(encoding="utf-8")
    assert "<script src=" not in html.replace("<script src=\"data:", "")
    nb = json.loads((path.parent / "01_quickstart.ipynb").read_text(encoding="utf-8"))
    shown = [o for c in nb["cells"] for o in c.get("outputs", []) if "data" in o
             and "nova-progress" in "".join(o["data"].get("text/html", ""))]
    assert shown and "".join(shown[-1]["data"]["text/plain"]).startswith("embed: ")
