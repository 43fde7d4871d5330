"""Compute the shipped ImageNet label vectors (run once; the result is committed).

    python -m nova_toolkit.embedders.local.fit_labels

Embeds the label texts of :mod:`.labels` with all-MiniLM-L6-v2 (native basis) and writes
``labels.npz`` (vectors + the SHA-256 of the texts). Reproducible from the installed wheels;
:func:`.labels.label_vectors` recomputes in memory when the digest does not match.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nova_toolkit.embedders.local.labels import LABELS_FILE, compute_label_vectors, texts_digest


def main() -> None:
    vecs = compute_label_vectors()
    out = Path(__file__).with_name(LABELS_FILE)
    np.savez_compressed(out, vectors=vecs.astype(np.float16),  # half precision: 0.7 MB
                        digest=np.array(texts_digest()))
    print(f"{len(vecs)} label vectors -> {out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
