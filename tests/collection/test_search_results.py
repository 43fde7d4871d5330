"""Search results in a notebook: a short ``repr``, a static HTML table, flat ``to_pandas()``.

Real searches on a small real collection (text, a PDF, an image, audio); the HTML is read back
with the standard library's HTML parser, the DataFrame compared field by field with the hits.
"""

from __future__ import annotations

import json
import os
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from search_helpers import SAMPLE, build_small_collection

from nova_toolkit.collection import Collection, SearchResults
from nova_toolkit.collection.results import COLUMNS, REPR_ROWS

pytestmark = pytest.mark.slow

HOSTILE = "<script>alert('x')</script> & <b>bold</b> cats sleep on the warm sofa"


@pytest.fixture(scope="module")
def coll(tmp_path_factory, local_embedder):
    root = tmp_path_factory.mktemp("results")
    path = build_small_collection(root, local_embedder)
    (root / "lib" / "hostile.txt").write_text(HOSTILE)
    shutil.copy(SAMPLE / "documents" / "outdoor-handbook.pdf", root / "lib")
    coll = Collection.open(path, embedder=local_embedder)
    assert coll.add([str(root / "lib")], progress=False).failed == 0
    return coll


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_repr_is_short_and_names_each_hit(coll):
    hits = coll.search("a cat asleep on the sofa", top_k=len(coll))
    assert len(hits) > REPR_ROWS
    lines = repr(hits).splitlines()
    assert lines[0] == f"SearchResults: {len(hits)} hits for 'a cat asleep on the sofa' (mode vector)"
    assert len(lines) == REPR_ROWS + 2 and "more (.to_pandas() has them all)" in lines[-1]
    for line, hit in zip(lines[1:-1], hits, strict=False):
        assert hit["source"].rsplit("/", 1)[-1] in line and f"[{hit['modality']}]" in line
        assert f"{hit['distance']:.4f}" in line
    assert all(len(line) < 200 for line in lines)


def test_html_is_an_escaped_static_table(coll):
    hits = coll.search("cats sleep on the sofa", top_k=6)
    assert any(h["source"].endswith("hostile.txt") for h in hits)
    parser = Tags()
    parser.feed(hits._repr_html_())
    names = [t for t, _ in parser.tags]
    assert "script" not in names and "b" in names  # only the table's own <b> title
    assert names.count("b") == 1 and names.count("tr") == len(hits) + 1
    text = "".join(parser.text)
    assert "<script>alert('x')</script> & <b>bold</b>" in text  # shown as text, not run
    titles = [a["title"] for t, a in parser.tags if t == "td" and a.get("title", "")[:1] == "/"]
    assert titles == [h["path"] for h in hits]  # the full path on hover
    assert all(os.path.isfile(h["path"]) and h["path"].endswith(h["source"]) for h in hits)


def test_to_pandas_has_flat_columns_equal_to_the_hits(coll):
    hits = coll.search("sailing a small dinghy", top_k=len(coll))
    df = hits.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == len(hits)
    assert "segment" not in df.columns and "scores" not in df.columns
    assert {"start_s", "end_s", "page", "char_start", "char_end", "segment_index"} <= set(df)
    assert str(df["page"].dtype) == "Int64" and str(df["start_s"].dtype) == "float64"
    assert df["page"].isna().sum() == sum(h["segment"]["page"] is None for h in hits)
    for row, hit in zip(df.to_dict("records"), hits, strict=True):
        seg = hit["segment"]
        for col, want in [("segment_index", seg["index"]), ("page", seg["page"]),
                          ("start_s", seg["start_s"]), ("end_s", seg["end_s"]),
                          ("char_start", seg["char_start"]), ("char_end", seg["char_end"]),
                          ("distance", hit["distance"])]:
            got = row[col]
            if want is None:
                assert pd.isna(got), col
            else:
                assert got == pytest.approx(want), col
        for col in ("source", "path", "modality", "embedding_type", "snippet", "key",
                    "metadata"):
            assert row[col] == hit[col]
    pages = df.dropna(subset=["page"])
    assert len(pages) and (pages["modality"] == "document").all()
    timed = df.dropna(subset=["start_s"])
    assert len(timed) and (timed["modality"] == "audio").all()


def test_hybrid_scores_become_columns_and_no_hits_keep_the_columns(coll):
    df = coll.search("sailing", mode="hybrid", top_k=3).to_pandas()
    assert {"bm25", "fused", "vector_distance"} <= set(df.columns)
    assert df["fused"].is_monotonic_decreasing
    empty = coll.search("zzzqqqxxy", mode="text")
    assert isinstance(empty, SearchResults) and len(empty) == 0
    assert list(empty.to_pandas().columns) == list(COLUMNS)
    assert "no results" in empty._repr_html_()


def test_results_are_still_the_plain_list_of_hits(coll):
    hits = coll.search("a cat", top_k=3)
    assert isinstance(hits, list) and all(isinstance(h, dict) for h in hits)
    assert json.loads(json.dumps(list(hits))) == list(hits)
    assert hits.query == "a cat" and hits.mode == "vector"
    top = hits[:2]
    assert isinstance(top, SearchResults) and list(top) == list(hits)[:2]
    assert repr(top).startswith("SearchResults: 2 hits for 'a cat'") and hits[0] == list(hits)[0]
