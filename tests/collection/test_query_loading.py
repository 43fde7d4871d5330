"""A query loads only what it needs (issue 13): checked in fresh subprocesses through the CLI.

``--text`` loads the text encoder only (torch + tokenizers; not sentence-transformers, not the
image / speech / OCR models), ``--mode text`` loads no model at all, ``--file`` loads that
file's modality's models only. Each subprocess runs the real ``nova-toolkit search`` entry
point, then prints which watched modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from search_helpers import (
    AUDIO_MODULES,
    IMAGE_MODULES,
    OCR_MODULES,
    SAMPLE,
    UNNEEDED,
    build_small_collection,
)

pytestmark = pytest.mark.slow

WATCHED = ("torch", "tokenizers", *IMAGE_MODULES, *AUDIO_MODULES, *OCR_MODULES, *UNNEEDED)


@pytest.fixture(scope="module")
def coll_dir(tmp_path_factory, local_embedder):
    return build_small_collection(tmp_path_factory.mktemp("loading"), local_embedder)


def loaded_after(*args: str) -> tuple[list[dict], list[str]]:
    """Run ``nova-toolkit search ARGS --json`` in a fresh process: (hits, watched modules loaded)."""
    code = (
        "import io, json, sys, contextlib\n"
        "from nova_toolkit.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    rc = main({[*args, '--json']!r})\n"
        f"loaded = [m for m in {WATCHED!r} if m in sys.modules]\n"
        "print(json.dumps({'rc': rc, 'hits': json.loads(out.getvalue()), 'loaded': loaded}))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0
    return result["hits"], result["loaded"]


def test_a_text_query_loads_only_the_text_encoder(coll_dir):
    hits, loaded = loaded_after("search", "--collection", str(coll_dir), "--text",
                                "a tabby cat asleep on the sofa", "--top-k", "4")
    assert len(hits) == 4 and hits[0]["modality"] in ("text", "audio", "image")
    assert loaded == ["torch", "tokenizers"]


def test_a_full_text_query_loads_no_model(coll_dir):
    hits, loaded = loaded_after("search", "--collection", str(coll_dir), "--text", "sailing",
                                "--mode", "text")
    assert hits and hits[0]["source"].endswith("sailing-basics.txt")
    models = {"torch", "tokenizers", "sentence_transformers", "transformers", *IMAGE_MODULES,
              *AUDIO_MODULES, *OCR_MODULES}
    assert not set(loaded) & models  # bm25s (the full-text engine) is all it needs


def test_an_audio_file_query_loads_speech_only(coll_dir):
    hits, loaded = loaded_after("search", "--collection", str(coll_dir), "--file",
                                str(SAMPLE / "audio" / "cat-on-the-sofa.wav"), "--top-k", "2")
    assert hits[0]["source"].endswith("cat-on-the-sofa.wav")
    assert "pocketsphinx" in loaded
    assert not set(loaded) & {*IMAGE_MODULES, *OCR_MODULES, *UNNEEDED}


def test_an_image_file_query_loads_the_image_models_only(coll_dir):
    hits, loaded = loaded_after("search", "--collection", str(coll_dir), "--file",
                                str(SAMPLE / "images" / "cat.png"), "--top-k", "2")
    assert hits[0]["source"].endswith("cat.png")
    assert "efficientnet_lite_pytorch" in loaded and "PIL" in loaded
    assert not set(loaded) & {*AUDIO_MODULES, *UNNEEDED}


def test_a_text_file_query_loads_only_the_text_encoder(coll_dir):
    hits, loaded = loaded_after("search", "--collection", str(coll_dir), "--file",
                                str(SAMPLE / "text" / "sailing-basics.txt"), "--top-k", "1")
    assert hits[0]["source"].endswith("sailing-basics.txt")
    assert loaded == ["torch", "tokenizers"]
