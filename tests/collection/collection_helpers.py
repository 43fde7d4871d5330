"""Helpers of the collection tests: files on disk and a small text library."""

from __future__ import annotations

from pathlib import Path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def three_texts(d: Path) -> Path:
    """``a.txt``, ``b.txt`` and ``sub/c.md`` under ``d`` (three subjects)."""
    write(d / "a.txt", "The golden retriever fetched a stick from the waves at the beach.")
    write(d / "b.txt", "The rocket's upper stage performed the orbital insertion burn.")
    write(d / "sub" / "c.md", "# Pasta\n\nCook spaghetti, add tomato sauce and fresh basil.")
    return d


def assert_refused(done, says: str) -> None:
    """A CLI run refused with one ``nova-toolkit: error:`` line naming ``says``, exit 2."""
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nova-toolkit: error: ") and says in lines[0]


class Counting:
    """The real embedder, counting the batches that reach it (``calls``)."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, batch, *, purpose):
        self.calls += 1
        return self.inner.embed(batch, purpose=purpose)
