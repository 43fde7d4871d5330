"""A PDF page with more text than Nova takes in one request (8,192 chars), in text mode:
the client re-cuts the page's segment into several TEXT calls (none over 8,192 chars,
each row with its own char span into the page text), and ``dry_run`` counts those calls."""

from __future__ import annotations

import json
import random

import pytest
from twin_helpers import start_twin

from nova_toolkit.collection import Collection
from nova_toolkit.decode import pdf_page_texts
from nova_toolkit.embedders.nova.constants import MAX_INPUT_CHARS
from nova_toolkit.media import MediaItem
from nova_toolkit.pipeline.dry_run import dry_run

WORDS = ("rocket", "garden", "tomato", "engine", "harvest", "orbit", "seed", "launch",
         "compost", "booster", "trowel", "payload")


@pytest.fixture
def fast_twin(tmp_path, monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    t = start_twin(tmp_path, fast_embeddings=True)
    yield t
    t.stop()


def _dense_pdf(path, chars: int):
    """A one-page PDF whose text layer holds about ``chars`` characters (tiny type)."""
    from fpdf import FPDF

    rng = random.Random(7)
    text = ""
    while len(text) < chars:
        text += rng.choice(WORDS) + " "
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=3)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.multi_cell(0, 1.2, text.strip())
    pdf.output(str(path))
    return path


def test_long_pdf_page_in_text_mode_is_several_calls_with_spans(fast_twin, tmp_path):
    pdf = _dense_pdf(tmp_path / "dense.pdf", 20_000)
    item = MediaItem.from_path(pdf)
    [page_text] = pdf_page_texts(item)
    assert len(page_text) > 2 * MAX_INPUT_CHARS  # one page, well over one request

    coll = Collection.open(tmp_path / "c", backend="nova", dimension=384, region="us-east-1",
                           endpoint_url=fast_twin.url, document_mode="text",
                           max_chars=50_000, overlap_chars=0)  # one segment for the page
    sent: list[str] = []
    coll.embedder.bedrock.meta.events.register(
        "before-call.bedrock-runtime.InvokeModel",
        lambda params, **_: sent.append(
            json.loads(params["body"])["singleEmbeddingParams"]["text"]["value"]))
    report = coll.add([pdf], progress=False)
    assert report.failed == 0 and report.embedded == 1, report.failures

    rows = coll.to_pandas().sort_values("char_start")
    assert len(rows) == len(sent) >= 3
    assert max(len(v) for v in sent) <= MAX_INPUT_CHARS
    assert rows["embedding_type"].unique().tolist() == ["TEXT"]
    assert rows["page"].unique().tolist() == [1]
    assert rows["segment_index"].is_unique
    for row in rows.itertuples():
        assert page_text[row.char_start:row.char_end] == row.snippet  # span into the page
    assert sorted(sent) == sorted(rows["snippet"])
    starts, ends = rows["char_start"].tolist(), rows["char_end"].tolist()
    assert all(e <= s for e, s in zip(ends, starts[1:], strict=False))  # in order, disjoint
    covered = " ".join(page_text[s:e] for s, e in zip(starts, ends, strict=True))
    assert covered.split() == page_text.split()  # every word sent once

    # dry_run counts exactly those calls and chars (the same re-cut)
    planned = dry_run([pdf], max_chars=50_000, document_mode="text")
    assert planned.usage.calls == len(sent)
    assert planned.usage.input_chars == sum(len(v) for v in sent)
