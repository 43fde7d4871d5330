"""``document_mode`` (text | image | both): recorded with a collection, part of the cache key,
refused when it differs, historical for old collections, honoured by the local backend."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from pdf_helpers import TEXT_PAGES, scanned_pdf, text_pdf

from nova_toolkit.collection import Collection
from nova_toolkit.embedders import Embedding, EmbedFailure, get_embedder
from nova_toolkit.embedders.nova.constants import MAX_INLINE_BYTES, MODEL_ID
from nova_toolkit.media import MediaError, MediaItem
from nova_toolkit.segment import SegmentationConfig, segment_item
from nova_toolkit.store import CollectionSettings, SettingsMismatchError, Store, cache_key


def test_defaults_recorded_and_a_different_mode_refused(tmp_path):
    assert get_embedder("nova").document_mode == "image"
    with pytest.raises(ValueError, match="document_mode must be one of text, image, both"):
        get_embedder("nova", document_mode="pages")
    coll = Collection.open(tmp_path / "n", backend="nova", dimension=256)
    assert coll.settings.document_mode == "image"
    assert Store.open(tmp_path / "n").manifest["settings"]["document_mode"] == "image"
    assert Collection.open(tmp_path / "n", dimension=256).embedder.document_mode == "image"
    with pytest.raises(SettingsMismatchError,
                       match="document_mode: collection has 'image', asked for 'text'"):
        Collection.open(tmp_path / "n", document_mode="text")
    both = Collection.open(tmp_path / "b", backend="nova", document_mode="both")
    assert Collection.open(tmp_path / "b").embedder.document_mode == "both"
    with pytest.raises(ValueError, match="differs from the embedder's"):
        Collection.open(tmp_path / "x", embedder=both.embedder, document_mode="text")


def test_cache_key_follows_the_mode(tmp_path):
    base = dict(backend="nova", model_id=MODEL_ID, dimension=256, purpose="GENERIC_INDEX",
                segmentation=SegmentationConfig(max_chars=8192).to_dict())
    sha = "ab" * 32
    old = cache_key(sha, CollectionSettings(**base))
    keys = {m: cache_key(sha, CollectionSettings(**base, document_mode=m))
            for m in ("text", "image", "both")}
    assert keys["text"] == old  # text is what every collection did before the setting
    assert len({old, keys["image"], keys["both"]}) == 3


def test_an_old_collection_opens_with_its_historical_behaviour(tmp_path):
    path = tmp_path / "old"
    old = CollectionSettings(backend="nova", model_id=MODEL_ID, dimension=256,
                             purpose="GENERIC_INDEX",
                             segmentation=SegmentationConfig(max_chars=8192).to_dict(),
                             extra={"truncation_mode": "END"})
    Store.open(path, old)  # written as before the setting existed
    assert "document_mode" not in Store.open(path).manifest["settings"]
    coll = Collection.open(path)
    assert coll.settings.document_mode is None and coll.embedder.document_mode == "text"
    again = Collection.open(path, dimension=256)  # asking other options changes nothing
    assert again.embedder.document_mode == "text"
    assert Collection.open(path, document_mode="text").settings.effective_document_mode == "text"
    with pytest.raises(SettingsMismatchError,
                       match="document_mode: collection has 'text', asked for 'image'"):
        Collection.open(path, document_mode="image")
    assert "document_mode" not in Store.open(path).manifest["settings"]


def _rows(embedder, item, mode):
    segs = segment_item(item, SegmentationConfig(max_chars=1000, overlap_chars=100))
    rows = embedder.embed([(item, segs)], purpose="GENERIC_INDEX", document_mode=mode)[0]
    assert all(isinstance(r, Embedding) for r in rows), [r for r in rows
                                                         if isinstance(r, EmbedFailure)]
    by_index = {s.index: s for s in segs}
    return segs, [(r, r.segment or by_index[r.segment_index]) for r in rows]


@pytest.mark.slow
def test_local_backend_honours_the_mode(local_embedder, media_dir):
    from nova_toolkit.decode import pdf_page_texts

    item = MediaItem.from_path(media_dir / "guide.pdf")  # text page, a scan, a long page
    layers = [t.strip() for t in pdf_page_texts(item)]
    segs, text_rows = _rows(local_embedder, item, "text")
    assert [(r.embedding_type, s.page) for r, s in text_rows] == [
        ("IMAGE" if s.page == 2 else "TEXT", s.page) for s in segs]
    _, image_rows = _rows(local_embedder, item, "image")
    assert [(r.embedding_type, s.page) for r, s in image_rows] == [
        ("IMAGE", 1), ("IMAGE", 2), ("IMAGE", 3)]
    assert [r.segment_index for r, _ in image_rows] == [
        min(s.index for s in segs if s.page == p) for p in (1, 2, 3)]
    assert image_rows[0][0].snippet == layers[0] and image_rows[2][0].snippet == layers[2]
    assert "sales report" in image_rows[1][0].snippet.lower()  # OCR of the scan
    assert all(s.char_start is None for _, s in image_rows)
    # the scan is the same row in every mode; a text page's image differs from its text
    np.testing.assert_allclose(image_rows[1][0].vector, text_rows[1][0].vector, atol=1e-6)
    assert float(image_rows[0][0].vector @ text_rows[0][0].vector) < 0.999
    _, both_rows = _rows(local_embedder, item, "both")
    want = sorted((r.embedding_type, r.segment_index) for r, _ in text_rows + image_rows)
    assert sorted((r.embedding_type, r.segment_index) for r, _ in both_rows) == sorted(set(want))
    q = local_embedder.embed_texts(["quarterly revenue report", "how to brew coffee"])
    v = np.stack([r.vector for r, _ in image_rows])
    assert (q @ v.T).argmax(axis=1).tolist() == [1, 0]


@pytest.mark.slow
def test_local_collection_modes_and_query_by_page(local_embedder, media_dir, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    text_pdf(lib / "text.pdf")
    scanned_pdf(lib / "scan.pdf")
    (lib / "guide.pdf").write_bytes((media_dir / "guide.pdf").read_bytes())
    coll = Collection.open(tmp_path / "c", backend="local", document_mode="image")
    assert coll.add([lib], progress=False).failed == 0
    rows = coll.to_pandas()
    assert set(rows["embedding_type"]) == {"IMAGE"} and rows["page"].notna().all()
    assert sorted(rows.loc[rows["source"] == "text.pdf", "page"]) == [1, 2]
    scan = scanned_pdf(tmp_path / "query.pdf", [["Vegetable garden notes",
                                                 "Plant tomatoes in spring"]])
    for query in (text_pdf(tmp_path / "page.pdf", TEXT_PAGES[1:]), scan):
        top = coll.search(file=query, top_k=3)[0]
        assert (top["source"], top["segment"]["page"]) == ("text.pdf", 2), query
    with pytest.raises(SettingsMismatchError, match="document_mode"):
        Collection.open(tmp_path / "c", document_mode="both")
    local = Collection.open(tmp_path / "l", backend="local")
    assert local.settings.document_mode == "text"  # the local default, as before


@pytest.mark.slow
def test_docx_is_embedded_from_its_text_in_every_mode(local_embedder, tmp_path):
    body = ('<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Only page text.</w:t></w:r>'
            '</w:p></w:body></w:document>')
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", body)
    item = MediaItem.from_path(path)
    for mode in ("text", "image", "both"):
        _, rows = _rows(local_embedder, item, mode)
        assert [(r.embedding_type, s.page, r.snippet) for r, s in rows] == [
            ("TEXT", 1, "Only page text.")]


def test_page_render_size_and_format(tmp_path):
    """150 dpi PNG for a text page; the long side capped; JPEG when the PNG is too large."""
    import io

    import pypdfium2
    from fpdf import FPDF
    from PIL import Image

    from nova_toolkit.embedders.nova import documents

    def size_of(data: bytes) -> tuple[str, tuple[int, int]]:
        with Image.open(io.BytesIO(data)) as im:
            return im.format, im.size

    page = MediaItem.from_path(text_pdf(tmp_path / "t.pdf"))
    data, fmt = documents.render_page(page, 1)
    pw, ph = pypdfium2.PdfDocument(page.data)[0].get_size()
    kind, (w, h) = size_of(data)
    assert (fmt, kind) == ("png", "PNG") and len(data) < documents.PNG_BUDGET
    assert abs(w - pw * 150 / 72) <= 1 and abs(h - ph * 150 / 72) <= 1

    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (1754, 1240, 3),
                                                              dtype=np.uint8))
    noise.save(tmp_path / "noise.png")
    poster = FPDF(format=(1000, 1500))  # mm: a poster, ~8,900 px tall at 150 dpi
    poster.add_page()
    poster.image(str(tmp_path / "noise.png"), x=0, y=0, w=1000, h=1500)
    poster.output(str(tmp_path / "poster.pdf"))
    data, fmt = documents.render_page(MediaItem.from_path(tmp_path / "poster.pdf"), 1)
    kind, (w, h) = size_of(data)
    assert (fmt, kind) == ("jpeg", "JPEG") and abs(h - documents.MAX_SIDE) <= 1
    assert 4 * len(data) / 3 < MAX_INLINE_BYTES
    with pytest.raises(MediaError, match="no page 3"):
        documents.render_page(page, 3)


def test_document_image_body_is_nova_s_schema(tmp_path):
    import base64

    from nova_toolkit.embedders.nova import documents
    from nova_toolkit.twin.nova_requests import parse_request

    data, fmt = documents.render_page(MediaItem.from_path(text_pdf(tmp_path / "t.pdf")), 2)
    body = documents.image_body(data, fmt, purpose="GENERIC_INDEX", dimension=1024)
    assert body == {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 1024,
        "image": {"format": "png", "detailLevel": "DOCUMENT_IMAGE",
                  "source": {"bytes": base64.b64encode(data).decode()}}}}
    req = parse_request(body, segmented=False)  # the twin's Bedrock-side validation
    assert (req.modality, req.block["detailLevel"], req.data) == ("image", "DOCUMENT_IMAGE", data)
