"""Progress of an add that counts the work done, not the files listed.

A file counts when its outcome is known (embedded, copied from the cache, unchanged or
failed), so the bar moves as embedding happens and its ETA follows the embedder. The line
also says how many segments were embedded and how many files of each modality are done.

Where it shows:

- in a Jupyter kernel, one HTML block updated in place (a ``<progress>`` bar and a line of
  text, a plain-text twin for front-ends without HTML): it needs no widget, so it also
  renders in VS Code, on GitHub and in a notebook exported to static HTML;
- elsewhere a :mod:`tqdm` bar (a terminal bar; periodic lines when stderr is not a TTY).
"""

from __future__ import annotations

import html
import time
from collections import Counter
from typing import Any

#: Least seconds between two notebook redraws.
NOTEBOOK_REFRESH_S = 0.5


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where HTML outputs render)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def eta_text(seconds: float | None) -> str:
    """``12s``, ``3m05s``, ``1h02m`` or ``?``."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class AddProgress:
    """Counts files done of ``total``, segments embedded and files per modality.

    ``enabled=False`` counts without showing anything. Call :meth:`finished` once per file
    (repeats are ignored), :meth:`segments` as vectors are made, :meth:`close` at the end.
    """

    def __init__(self, total: int, *, enabled: bool = True, desc: str = "embed",
                 notebook: bool | None = None) -> None:
        self.total = total
        self.desc = desc
        self.done: set[str] = set()
        self.by_modality: Counter[str] = Counter()
        self.failed = 0
        self.embedded_segments = 0
        self.started = time.perf_counter()
        self._shown = 0.0
        self._bar: Any = None
        self._handle: Any = None
        if enabled:
            if in_notebook() if notebook is None else notebook:
                from IPython.display import display

                self._handle = display(self._bundle(), raw=True, display_id=True)
            else:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=desc, unit="file", dynamic_ncols=True)

    # -- counting ---------------------------------------------------------------------------
    def finished(self, source: str, modality: str | None, *, failed: bool = False) -> None:
        """``source`` has its outcome (``failed`` when it could not be stored)."""
        if source in self.done:
            return
        self.done.add(source)
        if failed:
            self.failed += 1
        elif modality:
            self.by_modality[modality] += 1
        self._show()

    def segments(self, n: int) -> None:
        """``n`` more vectors were made."""
        self.embedded_segments += n
        self._show(advance=False)

    # -- showing ----------------------------------------------------------------------------
    def eta(self) -> float | None:
        """Seconds left at the rate so far (None before the first file is done)."""
        n = len(self.done)
        if not n:
            return None
        return (time.perf_counter() - self.started) / n * (self.total - n)

    def detail(self) -> str:
        """``384 segments · text 120 · image 30 · 2 failed``."""
        parts = [f"{self.embedded_segments} segments"]
        parts += [f"{m} {c}" for m, c in sorted(self.by_modality.items())]
        if self.failed:
            parts.append(f"{self.failed} failed")
        return " · ".join(parts)

    def line(self) -> str:
        """The whole status in one line of text."""
        n, total = len(self.done), self.total
        pct = 100 * n / total if total else 100.0
        took = time.perf_counter() - self.started
        when = (f"done in {took:.0f} s" if n >= total
                else f"{took:.0f} s, ETA {eta_text(self.eta())}")
        return f"{self.desc}: {n}/{total} files ({pct:.0f} %), {self.detail()}, {when}"

    def _bundle(self) -> dict[str, str]:
        value = len(self.done)
        text = html.escape(self.line())
        bar = (f'<progress value="{value}" max="{max(self.total, 1)}" '
               f'style="width: 24em; vertical-align: middle"></progress> ')
        return {"text/plain": self.line(),
                "text/html": f'<div class="nova-progress">{bar}<code>{text}</code></div>'}

    def _show(self, *, advance: bool = True) -> None:
        if self._bar is not None:
            if advance:
                self._bar.update(len(self.done) - self._bar.n)
            self._bar.set_postfix_str(self.detail(), refresh=False)
        elif self._handle is not None:
            now = time.perf_counter()
            if now - self._shown >= NOTEBOOK_REFRESH_S:
                self._shown = now
                self._handle.update(self._bundle(), raw=True)

    def close(self) -> None:
        """Show the final state (a notebook keeps it as the cell's output)."""
        if self._bar is not None:
            self._bar.set_postfix_str(self.detail(), refresh=False)
            self._bar.close()
            self._bar = None
        elif self._handle is not None:
            self._handle.update(self._bundle(), raw=True)
            self._handle = None

    def __enter__(self) -> AddProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
