"""The labelled retrieval queries and the sample library they point into stay consistent.

Cheap checks only (no model): every expected file exists in its set, every query-by-example
file exists, each target modality has enough queries, document pages exist, the scanned
PDFs really have no text layer, and the library stays under its size budget.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUALITY = Path(__file__).resolve().parent
SETS = {
    "queries_dev.jsonl": (ROOT / "data" / "sample", 8),
    "queries_heldout.jsonl": (ROOT / "data" / "heldout", 5),
}
MODALITIES = ("text", "document", "image", "audio", "video")
#: Which folder of a set holds which modality (the search filter's target).
FOLDER = {"text": "text", "document": "documents", "image": "images", "audio": "audio",
          "video": "video"}


def load(name: str) -> list[dict]:
    lines = (QUALITY / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("name", sorted(SETS))
def test_queries_are_well_formed_and_point_at_real_media(name):
    root, _ = SETS[name]
    for q in load(name):
        assert set(q) <= {"query", "query_file", "modality", "expected", "page"}, q
        assert ("query" in q) != ("query_file" in q), q
        assert q["modality"] in MODALITIES, q
        assert q["expected"], q
        for rel in q["expected"]:
            assert (root / rel).is_file(), (name, rel)
            assert rel.split("/")[0] == FOLDER[q["modality"]], q
        if "query_file" in q:
            assert (root / q["query_file"]).is_file(), (name, q["query_file"])
        if "page" in q:
            import pypdfium2 as pdfium

            assert q["modality"] == "document", q
            assert 1 <= q["page"] <= len(pdfium.PdfDocument(root / q["expected"][0])), q


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_modality_has_enough_text_queries(name):
    _, minimum = SETS[name]
    counts = Counter(q["modality"] for q in load(name) if "query" in q)
    assert all(counts[m] >= minimum for m in MODALITIES), counts
    if name == "queries_dev.jsonl":
        assert sum(counts.values()) >= 40


def test_heldout_never_reuses_a_dev_file():
    import hashlib

    def digests(root: Path) -> set[str]:
        return {hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}

    assert not digests(ROOT / "data" / "sample") & digests(ROOT / "data" / "heldout")


def test_scanned_pdfs_have_no_text_layer_and_the_others_have_text_on_every_page():
    import pypdfium2 as pdfium

    pdfs = sorted((ROOT / "data").glob("*/documents/*.pdf"))
    assert pdfs
    for path in pdfs:
        doc = pdfium.PdfDocument(path)
        texts = [doc[i].get_textpage().get_text_range().strip() for i in range(len(doc))]
        if path.name.startswith("scanned"):
            assert not any(texts), path
        else:
            assert all(texts), path


def test_library_stays_small():
    total = sum(p.stat().st_size for d in ("sample", "heldout")
                for p in (ROOT / "data" / d).rglob("*") if p.is_file())
    assert total <= 15 * 2**20
