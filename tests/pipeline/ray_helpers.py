"""Helpers of the Ray engine tests: a fixture library, collection snapshots, dying embedders.

The embedder wrappers are shipped to Ray actors by value (the test registers this module with
cloudpickle), since Ray's workers do not have ``tests/`` on their path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
from pathlib import Path

import numpy as np

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"

TEXTS = {
    "whales.txt": "Whales sing to each other across the deep ocean at night.",
    "bread.md": "# Bread\n\nKnead the dough, let it rise in a warm kitchen, then bake it.",
    "garden.txt": "Water the tomatoes early in the morning before the sun gets hot.",
    "trains.txt": "The steam locomotive pulled into the platform at noon.",
    "chess.txt": "Open with the king's pawn and castle early to keep the king safe.",
}


def build_library(root: Path) -> Path:
    """Texts, a duplicate, an empty file, a broken image, latin-1 text and a real photo."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in TEXTS.items():
        (root / name).write_text(text)
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "whales-again.txt").write_text(TEXTS["whales.txt"])
    (root / "empty.txt").write_bytes(b"")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not an image at all")
    (root / "cafe.txt").write_bytes("Un caf\xe9 cr\xe8me et une cr\xeape, s'il vous pla\xeet."
                                    .encode("latin-1"))
    shutil.copy(SAMPLE / "images" / "cat.png", root / "cat.png")
    return root


def change_library(root: Path) -> None:
    """A changed file, a deleted file and a new same-content file."""
    (root / "garden.txt").write_text("Prune the roses in late winter, before new growth.")
    (root / "chess.txt").unlink()
    (root / "bread-copy.md").write_text(TEXTS["bread.md"])


def many_texts(root: Path, n: int) -> Path:
    """``n`` distinct short text files."""
    root.mkdir(parents=True, exist_ok=True)
    words = ("river", "mountain", "kettle", "violin", "harbour", "lantern", "orchard", "comet")
    for i in range(n):
        a, b = words[i % len(words)], words[(i * 3 + 1) % len(words)]
        (root / f"note-{i:03d}.txt").write_text(f"Note {i}: the {a} near the {b}, day {i}.")
    return root


def snapshot(coll) -> dict:
    """What must be equal between engines: rows by key (vectors apart), items, failures,
    thumbnails."""
    table = coll.to_arrow(vectors=True).sort_by("key")
    skip = {"vector"}
    rows = {r["key"]: {k: v for k, v in r.items() if k not in skip}
            for r in table.drop_columns(["vector"]).to_pylist()}
    vectors = np.stack(table.column("vector").to_numpy(zero_copy_only=False)) \
        if table.num_rows else np.zeros((0, coll.settings.dimension), np.float32)
    items = sorted((r["source"], r["cache_key"], r["n_segments"], r["modality"], r["note"])
                   for r in coll.store.items().to_pylist())
    failures = sorted((r["source"], r["stage"], r["segment_index"], r["reason"])
                      for r in coll.failures().to_pylist())
    return {"rows": rows, "vectors": vectors, "items": items, "failures": failures,
            "thumbnails": thumbnail_rows(coll.store)}


def thumbnail_rows(store) -> list[tuple]:
    """The stored thumbnails, sorted: (source, content hash, locator, size, bytes' SHA-256)."""
    return sorted((r["source"], r["content_sha256"], r["locator"], r["width"], r["height"],
                   hashlib.sha256(r["data"]).hexdigest())
                  for r in store.thumbnails().to_pylist())


def assert_same(a: dict, b: dict) -> None:
    """Two snapshots hold the same collection (vectors equal to float32 rounding)."""
    assert a["items"] == b["items"]
    assert a["failures"] == b["failures"]
    assert a["thumbnails"] == b["thumbnails"]
    assert a["rows"] == b["rows"]
    np.testing.assert_allclose(a["vectors"], b["vectors"], atol=1e-5)


class DiesOnce:
    """Builds the real embedder; its first embed call kills the actor's process (SIGKILL)."""

    def __init__(self, build, marker: str) -> None:
        self.build, self.marker = build, marker

    def __call__(self):
        return _Dying(self.build(), self.marker, always=False)


class DiesOn:
    """Builds the real embedder; any batch holding ``poison`` kills the actor, every time."""

    def __init__(self, build, poison: str) -> None:
        self.build, self.poison = build, poison

    def __call__(self):
        return _Dying(self.build(), self.poison, always=True)


class _Dying:
    def __init__(self, inner, token: str, *, always: bool) -> None:
        self.inner, self.token, self.always = inner, token, always
        self.modalities = inner.modalities

    def embed(self, batch, *, purpose):
        if self.always:
            if any(item.source.endswith(self.token) for item, _ in batch):
                os.kill(os.getpid(), signal.SIGKILL)
        elif not os.path.exists(self.token):
            Path(self.token).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.inner.embed(batch, purpose=purpose)


class Slow:
    """Builds the real embedder; each embed call first sleeps ``seconds`` (a long run)."""

    def __init__(self, build, seconds: float) -> None:
        self.build, self.seconds = build, seconds

    def __call__(self):
        return _Slow(self.build(), self.seconds)


class _Slow:
    def __init__(self, inner, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds
        self.modalities = inner.modalities

    def embed(self, batch, *, purpose):
        import time

        time.sleep(self.seconds)
        return self.inner.embed(batch, purpose=purpose)


class WaitsForPeers:
    """Builds the real embedder; an actor's first embed call waits until ``peers`` actors exist.

    Ray Data hands blocks to whichever actor is ready first, so without this one actor could
    embed everything before the other has loaded its model: each actor leaves a file named by
    its pid in ``folder`` when built, and embeds only once ``peers`` such files are there (or
    after ``timeout`` seconds, when the test's own assertion will say what happened).
    """

    def __init__(self, build, folder: str, peers: int, timeout: float = 120.0) -> None:
        self.build, self.folder, self.peers, self.timeout = build, folder, peers, timeout

    def __call__(self):
        inner = self.build()
        Path(self.folder, str(os.getpid())).touch()
        return _WaitsForPeers(inner, self.folder, self.peers, self.timeout)


class _WaitsForPeers:
    def __init__(self, inner, folder: str, peers: int, timeout: float) -> None:
        self.inner, self.folder, self.peers, self.timeout = inner, folder, peers, timeout
        self.modalities = inner.modalities
        self.waited = False

    def embed(self, batch, *, purpose):
        import time

        deadline = time.monotonic() + self.timeout
        while not self.waited and len(os.listdir(self.folder)) < self.peers:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.waited = True
        return self.inner.embed(batch, purpose=purpose)
