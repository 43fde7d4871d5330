"""Plotly figures that also draw in a notebook exported to static HTML, and that export, offline.

Plotly's default renderer in a Jupyter kernel is ``plotly_mimetype``: JupyterLab and VS Code
draw it, but ``jupyter nbconvert --to html`` has no renderer for that mimetype and leaves a
blank space. Plotly's own ``notebook`` renderer fixes that but links MathJax from a CDN in
every figure. :func:`use_offline_renderer` (run when :mod:`nova_toolkit.viz` is imported in
a kernel) makes the default ``plotly_mimetype+nova_offline``: each figure carries its plotly
JSON for the front-ends that draw it and an HTML twin whose script needs only ``Plotly``,
which the first figure of a kernel defines once by inlining plotly.js in its output. A
renderer chosen by ``PLOTLY_RENDERER`` or by plotly for Colab, VS Code, Kaggle, ... is kept.

:func:`export_notebook` is ``jupyter nbconvert --to html [--execute]`` with nbconvert's ``lab``
template minus the scripts it loads from CDNs (require.js, MathJax, mermaid, the widgets'
manager), so the file
opens and draws with no network at all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nova_toolkit._core.progress import in_notebook

#: The name of the renderer registered with plotly.io.
RENDERER = "nova_offline"
#: The default it installs (plotly's JSON mimetype plus the self-contained HTML twin).
DEFAULT = f"plotly_mimetype+{RENDERER}"

# nbconvert's lab template, minus what it loads from a CDN: require.js (no output here needs
# it), MathJax (LaTeX in markdown then shows as typed), mermaid (diagrams show as text) and
# the Jupyter widgets' HTML manager (a widget needs its kernel anyway: it shows nothing)
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


def _renderer_class() -> type:
    from plotly.io import to_html
    from plotly.io._base_renderers import NotebookRenderer

    class OfflineNotebookRenderer(NotebookRenderer):
        """plotly's ``notebook`` renderer (plotly.js inlined once) without MathJax's CDN."""

        def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
            text = to_html(fig_dict, config=self.config, auto_play=self.auto_play,
                           include_plotlyjs=False, include_mathjax=False,
                           post_script=self.post_script, full_html=False,
                           animation_opts=self.animation_opts, default_width="100%",
                           default_height=525, validate=False)
            return {"text/html": text}

    return OfflineNotebookRenderer


def register_renderer() -> None:
    """Register the ``nova_offline`` renderer with plotly.io (idempotent)."""
    import plotly.io as pio

    if RENDERER not in pio.renderers:
        pio.renderers[RENDERER] = _renderer_class()(config={"displaylogo": False})


def use_offline_renderer(*, force: bool = False) -> bool:
    """Make plotly's default renderer draw in exported HTML too; True when it was set.

    Only in a Jupyter kernel and only over plotly's generic ``plotly_mimetype`` default
    (a ``PLOTLY_RENDERER`` or an environment-specific default is kept), unless ``force``.
    """
    if not force and (not in_notebook() or os.environ.get("PLOTLY_RENDERER")):
        return False
    try:
        import plotly.io as pio
    except ImportError:  # the analysis extra is missing: nothing to draw with
        return False

    register_renderer()
    if not force and pio.renderers.default not in ("plotly_mimetype", ""):
        return False
    pio.renderers.default = DEFAULT
    return True


def export_notebook(notebook: str | os.PathLike, out: str | os.PathLike | None = None, *,
                    execute: bool = True, cwd: str | os.PathLike | None = None,
                    timeout: int = 600, kernel_name: str = "python3") -> Path:
    """Write ``notebook`` (.ipynb) as one static HTML file that loads nothing from the network.

    ``execute`` runs it first in a fresh kernel started in ``cwd`` (default: the notebook's
    folder), like ``jupyter nbconvert --to html --execute``; the .ipynb is left untouched.
    ``out`` defaults to the notebook's name with ``.html`` next to it. Needs the ``lab`` (or
    ``notebooks``) extra: nbconvert.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    from nova_toolkit._core.atomic import atomic_write_bytes

    src = Path(notebook)
    nb = nbformat.read(src, as_version=4)
    resources: dict[str, Any] = {"metadata": {"name": src.stem}}
    if execute:
        run_in = str(cwd if cwd is not None else src.resolve().parent)
        ExecutePreprocessor(timeout=timeout, kernel_name=kernel_name).preprocess(
            nb, {"metadata": {"path": run_in}})
    exporter = HTMLExporter(template_name="lab", template_file="nova_offline.html.j2",
                            extra_loaders=[DictLoader({"nova_offline.html.j2":
                                                       _OFFLINE_TEMPLATE})])
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    target = Path(out) if out is not None else src.with_suffix(".html")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, body.encode("utf-8"))
    return target
