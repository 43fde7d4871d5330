"""Visual documents through Nova against the twin: DOCUMENT_IMAGE pages, document modes,
query by a PDF, ``--document-mode`` and ``search --file`` on the CLI."""

from __future__ import annotations

import base64
import io
import json

import pytest
from pdf_helpers import TEXT_PAGES, scanned_pdf, text_pdf
from twin_helpers import start_twin

from nova_toolkit.collection import Collection
from nova_toolkit.decode import pdf_page_texts
from nova_toolkit.embedders import l2_normalize
from nova_toolkit.embedders.nova.constants import MAX_INLINE_BYTES
from nova_toolkit.media import MediaError, MediaItem
from nova_toolkit.pipeline.dry_run import dry_run
from nova_toolkit.twin.nova_requests import parse_request


@pytest.fixture
def aws(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1", "HF_HUB_OFFLINE": "1"}.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def fast_twin(tmp_path, aws):
    t = start_twin(tmp_path, fast_embeddings=True)
    yield t
    t.stop()


@pytest.fixture
def lib(tmp_path):
    d = tmp_path / "lib"
    d.mkdir()
    scanned_pdf(d / "scan.pdf")
    text_pdf(d / "text.pdf")
    return d


def _open(path, twin, **kw) -> tuple[Collection, list[dict]]:
    """A nova collection on the twin, and the InvokeModel bodies its client sends."""
    coll = Collection.open(path, backend="nova", dimension=384, endpoint_url=twin.url,
                           region="us-east-1", **kw)
    sent: list[dict] = []
    coll.embedder.bedrock.meta.events.register(
        "before-call.bedrock-runtime.InvokeModel",
        lambda params, **_: sent.append(json.loads(params["body"])))
    return coll, sent


def _check_image_body(body: dict) -> tuple[int, int]:
    """The body passes the twin's Nova schema check; returns the page image's pixel size."""
    from PIL import Image

    req = parse_request(body, segmented=False)
    assert req.modality == "image" and set(req.block) == {"format", "source", "detailLevel"}
    assert req.block["detailLevel"] == "DOCUMENT_IMAGE" and req.block["format"] == "png"
    assert len(json.dumps(body)) < MAX_INLINE_BYTES
    raw = base64.b64decode(req.block["source"]["bytes"])
    with Image.open(io.BytesIO(raw)) as im:
        assert im.format == "PNG"
        return im.size


def test_scanned_pdf_is_embedded_as_document_images(fast_twin, lib, tmp_path):
    coll, sent = _open(tmp_path / "c", fast_twin)
    assert coll.settings.document_mode == "image"  # nova's default
    report = coll.add([lib / "scan.pdf"], progress=False)
    assert report.failed == 0 and report.embedded == 1, report.failures
    rows = coll.to_pandas().sort_values("page")
    assert rows["embedding_type"].tolist() == ["IMAGE", "IMAGE"]
    assert rows["page"].tolist() == [1, 2] and rows["snippet"].tolist() == ["", ""]
    assert len(sent) == 2
    import pypdfium2

    pw, ph = pypdfium2.PdfDocument(str(lib / "scan.pdf"))[0].get_size()  # points
    for body in sent:
        w, h = _check_image_body(body)
        assert abs(w - pw * 150 / 72) <= 1 and abs(h - ph * 150 / 72) <= 1  # 150 dpi
    # text mode is no longer a dead end for a scan: its pages go as images too
    text_coll, sent = _open(tmp_path / "t", fast_twin, document_mode="text")
    assert text_coll.add([lib / "scan.pdf"], progress=False).failed == 0
    assert text_coll.to_pandas()["embedding_type"].tolist() == ["IMAGE", "IMAGE"]
    assert len(sent) == 2 and all(_check_image_body(b) for b in sent)


@pytest.mark.parametrize("mode", ["text", "image", "both"])
def test_modes_give_the_right_rows_and_pages(fast_twin, lib, tmp_path, mode):
    coll, sent = _open(tmp_path / mode, fast_twin, document_mode=mode)
    report = coll.add([lib], progress=False)
    assert report.failed == 0 and report.embedded == 2, report.failures
    rows = coll.to_pandas()
    text_rows = rows[rows["source"].str.endswith("text.pdf")]
    layers = [t.strip() for t in pdf_page_texts(MediaItem.from_path(lib / "text.pdf"))]
    want = {"text": ["TEXT"], "image": ["IMAGE"], "both": ["TEXT", "IMAGE"]}[mode]
    got = sorted(zip(text_rows["page"], text_rows["embedding_type"], text_rows["snippet"],
                     strict=True))
    assert got == sorted((p, t, layers[p - 1]) for p in (1, 2) for t in want)
    assert rows["key"].is_unique
    images = text_rows[text_rows["embedding_type"] == "IMAGE"]
    assert images["char_start"].isna().all()  # an image row stands for the whole page
    scans = rows[rows["source"].str.endswith("scan.pdf")]
    assert sorted(scans["page"]) == [1, 2] and set(scans["embedding_type"]) == {"IMAGE"}
    kinds = sorted("image" if "image" in b["singleEmbeddingParams"] else "text" for b in sent)
    assert kinds == sorted(["image"] * (2 + 2 * ("IMAGE" in want)) + ["text"] * 2 * (
        "TEXT" in want))
    planned = dry_run([lib], document_mode=mode).usage  # --dry-run counts what is sent
    assert (planned.calls, planned.input_images) == (len(sent), kinds.count("image"))
    for body in sent:
        if "image" in body["singleEmbeddingParams"]:
            _check_image_body(body)
        else:
            req = parse_request(body, segmented=False)
            assert req.block["value"] in layers


@pytest.mark.slow
def test_query_by_pdf_page_finds_that_page(tmp_path, aws, lib):
    """The twin's real model: a scan of one page finds its text-layer twin among others."""
    twin = start_twin(tmp_path)
    try:
        text_pdf(lib / "jazz.pdf", ["Jazz concert review. The saxophone solo and the drums "
                                    "kept the crowd dancing until midnight."])
        coll, _ = _open(tmp_path / "c", twin)
        assert coll.add([lib], progress=False).failed == 0
        query = scanned_pdf(tmp_path / "query.pdf", [["Vegetable garden notes",
                                                     "Plant tomatoes in spring"]])
        hits = coll.search(file=query, top_k=3)
        assert (hits[0]["source"], hits[0]["segment"]["page"]) == ("text.pdf", 2)
        assert hits[0]["embedding_type"] == "IMAGE"
        assert hits[0]["distance"] < hits[1]["distance"]
        broken = tmp_path / "broken.pdf"
        broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
        with pytest.raises(MediaError, match="broken.pdf"):
            coll.search(file=broken)
    finally:
        twin.stop()


def test_cli_document_mode_and_search_by_file(fast_twin, lib, tmp_path, monkeypatch, capsys):
    from nova_toolkit.cli import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", fast_twin.url)
    coll = str(tmp_path / "c")
    args = ["embed", str(lib), "--collection", coll, "--backend", "nova", "--dimension", "384",
            "--region", "us-east-1", "--no-progress"]
    assert main([*args, "--document-mode", "both"]) == 0
    assert "embedded 2, cached 0, failed 0 (6 new vector rows" in capsys.readouterr().out
    assert main(["info", "--collection", coll, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["document_mode"] == "both"
    assert main([*args, "--document-mode", "text"]) == 2
    assert "document_mode: collection has 'both', asked for 'text'" in capsys.readouterr().err
    page = text_pdf(tmp_path / "page.pdf", TEXT_PAGES[:1])  # the same page, alone
    assert main(["search", "--collection", coll, "--file", str(page), "--json",
                 "--top-k", "2"]) == 0
    top = json.loads(capsys.readouterr().out)[0]
    assert (top["source"], top["segment"]["page"], top["embedding_type"]) == (
        "text.pdf", 1, "IMAGE")
    assert top["distance"] == pytest.approx(0.0, abs=1e-5)
    # a multi-page PDF queries by the normalised mean of its page (image) vectors
    c = Collection.open(coll, region="us-east-1")
    rows = c.to_pandas()
    mine = ((rows["source"] == "text.pdf") & (rows["embedding_type"] == "IMAGE"))
    centre = l2_normalize(c.vectors()[mine.to_numpy()].mean(axis=0))
    assert float(c.embed_query(file=lib / "text.pdf") @ centre) > 0.9999
    assert main(["search", "--collection", coll, "--file", str(tmp_path / "nope.pdf")]) == 2
    assert "nope.pdf" in capsys.readouterr().err
