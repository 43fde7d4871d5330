"""Documents through the local backend: page text layers, OCR of scanned pages, page numbers."""

from __future__ import annotations

import numpy as np

from nova_toolkit.embedders import Embedding
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import SegmentationConfig, segment_item


def test_pdf_pages_text_and_scan(local_embedder, media_dir):
    path = media_dir / "guide.pdf"
    item = MediaItem.from_path(path)
    segs = segment_item(item, SegmentationConfig(max_chars=1000, overlap_chars=100))
    assert [s.page for s in segs][:2] == [1, 2] and {s.page for s in segs} == {1, 2, 3}
    assert segs[1].text is None  # no text layer: the embedder OCRs the page
    page3 = [s for s in segs if s.page == 3]
    assert len(page3) >= 2 and page3[0].char_start == 0  # long page chunked, spans per page
    rows = local_embedder.embed([(item, segs)], purpose="GENERIC_INDEX")[0]
    assert all(isinstance(r, Embedding) for r in rows) and len(rows) == len(segs)
    assert rows[0].embedding_type == "TEXT" and "Coffee" in rows[0].snippet
    assert rows[1].embedding_type == "IMAGE" and "sales report" in rows[1].snippet.lower()
    assert all(abs(np.linalg.norm(r.vector) - 1) < 1e-5 for r in rows)
    q = local_embedder.embed_texts(["quarterly revenue report", "how to brew coffee"])
    v = np.stack([r.vector for r in rows])
    assert (q @ v.T).argmax(axis=1).tolist() == [1, 0]
    qv = local_embedder.embed_query(item)
    assert qv.shape == (384,)


def test_docx_pages(tmp_path):
    import zipfile

    body = ('<w:document xmlns:w="x"><w:body>'
            '<w:p><w:r><w:t>First page text.</w:t></w:r></w:p>'
            '<w:p><w:r><w:br w:type="page"/><w:t xml:space="preserve">Second &amp; last.</w:t>'
            '</w:r></w:p></w:body></w:document>')
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", body)
    item = MediaItem.from_path(path)
    segs = segment_item(item, SegmentationConfig(max_chars=1000))
    assert [(s.page, s.text) for s in segs] == [(1, "First page text."), (2, "Second & last.")]
