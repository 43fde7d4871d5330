"""Collection.search modes (vector / text / hybrid), QueryVectors paging and the topK cap.

Real parts only: the sample collection embedded by the local model, the local S3 Vectors
mirror, the twin over HTTP with an unmodified boto3 client, the ``nova-toolkit`` command
in a subprocess. Expected rankings come from numpy (exact cosine) and from the index's
own scores, never from this code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import boto3
import numpy as np
import pytest

from nova_toolkit import InvalidArgumentError
from nova_toolkit.collection import INDEX_BUCKET, INDEX_NAME, Collection
from nova_toolkit.search_modes import AWS_TOP_K_LIMIT, LIMITS_URL, TopKCapWarning
from nova_toolkit.vectors import local_client, sync
from nova_toolkit.vectors.sync_text_search import text_search_configs

pytestmark = pytest.mark.slow  # the sample collection is embedded by the real local model

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("nova-toolkit")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nova_toolkit.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def _word_of(coll: Collection, source_tail: str) -> tuple[str, str]:
    """A distinctive snippet word of one source (the rarest alphabetic word in it)."""
    rows = coll.to_arrow().to_pylist()
    counts: dict[str, int] = {}
    for r in rows:
        for w in set((r["snippet"] or "").lower().split()):
            counts[w] = counts.get(w, 0) + 1
    mine = next(r for r in rows if r["source"].endswith(source_tail))
    words = [w for w in (mine["snippet"] or "").lower().split() if w.isalpha() and len(w) > 5]
    return min(words, key=lambda w: (counts[w], w)), mine["source"]


def test_text_mode_finds_snippet_words_and_scores(sample_collection):
    word, source = _word_of(sample_collection, "railway-journeys.txt")
    hits = sample_collection.search(word, mode="text", top_k=5)
    assert hits and hits[0]["source"] == source
    for h in hits:
        assert h["distance"] is None and h["scores"]["bm25"] > 0
        assert word in (h["snippet"] or "").lower()
    assert [h["scores"]["bm25"] for h in hits] == sorted(
        (h["scores"]["bm25"] for h in hits), reverse=True)


def test_hybrid_mode_fuses_vector_and_text(sample_collection):
    hits = sample_collection.search("sleeping car on a night train", mode="hybrid", top_k=8)
    assert hits[0]["source"].endswith("railway-journeys.txt")
    fused = [h["scores"]["fused"] for h in hits]
    assert fused == sorted(fused, reverse=True) and all(f > 0 for f in fused)
    # a row the vector search found carries its distance, the one vector mode reports
    vec = {h["key"]: h["distance"] for h in sample_collection.search(
        "sleeping car on a night train", top_k=len(sample_collection))}
    for h in hits:
        if h["distance"] is not None:
            assert h["distance"] == pytest.approx(vec[h["key"]], abs=1e-5)
            assert h["scores"]["vector_distance"] == pytest.approx(h["distance"])


@pytest.mark.parametrize("mode", ["vector", "text", "hybrid"])
def test_filters_apply_in_every_mode(sample_collection, mode):
    rows = sample_collection.to_arrow().to_pylist()
    modality = "image"
    words = next(r["snippet"] for r in rows if r["modality"] == modality and r["snippet"])
    query = " ".join(words.split()[:3])
    hits = sample_collection.search(query, mode=mode, modality=modality, top_k=20)
    assert hits and {h["modality"] for h in hits} == {modality}
    other = sample_collection.search(query, mode=mode, filter={"modality": "text"}, top_k=20)
    assert {h["modality"] for h in other} <= {"text"}


def test_bad_modes_are_clear_errors(sample_collection, sample_dir):
    with pytest.raises(InvalidArgumentError,
                       match="mode: unknown search mode .*; allowed: vector, text, hybrid"):
        sample_collection.search("cat", mode="bm25")
    with pytest.raises(ValueError, match="mode='text' is a full-text search"):
        sample_collection.search(file=sample_dir / "images" / "cat.png", mode="text")
    with pytest.raises(ValueError, match="needs text="):
        sample_collection.search(file=sample_dir / "images" / "cat.png", mode="hybrid")


def test_text_mode_loads_no_model(sample_collection):
    word, source = _word_of(sample_collection, "railway-journeys.txt")
    code = (
        "import sys, json\n"
        "from nova_toolkit.collection import Collection\n"
        f"hits = Collection.open({str(sample_collection.path)!r}).search({word!r}, mode='text')\n"
        "print(json.dumps({'top': hits[0]['source'], 'loaded': [m for m in ('torch', "
        "'sentence_transformers', 'transformers', 'onnxruntime') if m in sys.modules]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    result = json.loads(out.stdout)
    assert result == {"top": source, "loaded": []}


@pytest.fixture
def many_rows(tmp_path, local_embedder):
    """A collection of 620 short text segments (one per line) from the real model."""
    lib = tmp_path / "lib"
    lib.mkdir()
    topics = ["harbour", "orchard", "glacier", "bakery", "violin", "comet", "meadow", "canyon"]
    lines = [f"Note {i}: the {topics[i % 8]} near stop {i} was quiet." for i in range(620)]
    (lib / "notes.txt").write_text("\n".join(lines), encoding="utf-8")
    coll = Collection.open(tmp_path / "c", embedder=local_embedder, max_chars=45,
                           overlap_chars=0)
    coll.add([str(lib)], progress=False)
    assert len(coll) > 500
    return coll


def test_local_top_k_is_not_capped_and_exact(many_rows):
    q = many_rows.embed_query(text="a quiet glacier")
    with warnings.catch_warnings():
        warnings.simplefilter("error", TopKCapWarning)
        hits = many_rows.search(vector=q, top_k=500)
        everything = many_rows.search(vector=q, top_k=10_000)
    assert len(hits) == 500 and len(everything) == len(many_rows)
    keys = many_rows.to_arrow().column("key").to_pylist()
    sims = many_rows.vectors() @ np.asarray(q, np.float32)
    truth = [keys[i] for i in np.argsort(-sims, kind="stable")[:500]]
    got = [h["key"] for h in hits]
    assert len(set(got)) == 500
    # exact search: the same rows as numpy's ranking (ties aside), distances 1 - cos
    assert np.allclose([h["distance"] for h in hits], np.sort(1 - sims)[:500], atol=1e-5)
    assert len(set(got) ^ set(truth)) <= 2
    text = many_rows.search("quiet", mode="text", top_k=10_000)
    assert len(text) == sum("quiet" in (r or "").split(" ") or "quiet." in (r or "") for r in
                            many_rows.to_arrow().column("snippet").to_pylist()) > 100


def test_remote_pages_and_caps_with_a_warning(many_rows, tmp_path):
    from nova_toolkit.twin import Twin, TwinConfig

    twin = Twin(TwinConfig(root=tmp_path / "twin"), port=0).start()
    try:
        client = boto3.client("s3vectors", endpoint_url=twin.url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        report = sync.push(many_rows, client, bucket="remote-bkt", index="segments")
        assert report.vectors == len(many_rows)
        cfg = client.get_index(vectorBucketName="remote-bkt", indexName="segments")["index"]
        assert cfg["indexMode"] == "ENHANCED"
        assert text_search_configs(cfg)["snippet"]["language"] == "en"
        pages: list[dict] = []
        client.meta.events.register("after-call.s3vectors.QueryVectors",
                                    lambda parsed, **_: pages.append(parsed))
        q = many_rows.embed_query(text="a quiet glacier")
        with pytest.warns(TopKCapWarning) as caught:
            hits = many_rows.search(vector=q, top_k=500,
                                    remote=(client, "remote-bkt", "segments"))
        message = str(caught[0].message)
        assert f"capped at {AWS_TOP_K_LIMIT}" in message and LIMITS_URL in message
        assert len(hits) == AWS_TOP_K_LIMIT
        local = many_rows.search(vector=q, top_k=AWS_TOP_K_LIMIT)
        assert [h["key"] for h in hits] == [h["key"] for h in local]
        # every page that said there was more was followed, and only those
        assert all(p.get("nextToken") for p in pages[:-1]) and not pages[-1].get("nextToken")
        text = many_rows.search("glacier", mode="text", top_k=50,
                                remote=(client, "remote-bkt", "segments"))
        assert len(text) == 50 and all("glacier" in h["snippet"] for h in text)
    finally:
        twin.stop()


def test_existing_index_gets_text_search_without_losing_vectors(sample_collection):
    root = sample_collection.path / "index"
    old = local_client(root)
    old.update_metadata_configuration(vectorBucketName=INDEX_BUCKET, indexName=INDEX_NAME,
                                      delete={"textSearchConfigurations": [
                                          {"metadataKey": "snippet"}]})
    before = text_search_configs(old.get_index(vectorBucketName=INDEX_BUCKET,
                                               indexName=INDEX_NAME)["index"])
    assert "snippet" not in before
    n = len(sample_collection)
    reopened = Collection.open(sample_collection.path)
    word, source = _word_of(reopened, "railway-journeys.txt")
    assert reopened.search(word, mode="text")[0]["source"] == source
    cfg = local_client(root).get_index(vectorBucketName=INDEX_BUCKET,
                                       indexName=INDEX_NAME)["index"]
    assert cfg["indexMode"] == "ENHANCED"
    assert text_search_configs(cfg)["snippet"]["status"] == "ACTIVE"
    listed = local_client(root).get_paginator("list_vectors").paginate(
        vectorBucketName=INDEX_BUCKET, indexName=INDEX_NAME)
    assert sum(len(p["vectors"]) for p in listed) == n


def test_classic_index_of_an_older_collection_is_upgraded(sample_collection):
    """An index as the collection wrote it before full-text search: created by a mirror
    in a bucket from before 30 Sep 2026 (so CLASSIC), no searchable keys."""
    import datetime as dt
    import shutil

    from nova_toolkit.collection import NON_FILTERABLE, index_metadata

    root = sample_collection.path / "index"
    stamp = (root / "store-version.json").read_bytes()
    shutil.rmtree(root)
    old = local_client(root, clock=lambda: dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    old.create_vector_bucket(vectorBucketName=INDEX_BUCKET)
    old.create_index(vectorBucketName=INDEX_BUCKET, indexName=INDEX_NAME, dataType="float32",
                     dimension=sample_collection.settings.dimension, distanceMetric="cosine",
                     metadataConfiguration={"nonFilterableMetadataKeys": list(NON_FILTERABLE)})
    table = sample_collection.store.segments()
    old.import_vectors(vectorBucketName=INDEX_BUCKET, indexName=INDEX_NAME,
                       keys=table.column("key").to_pylist(), data=sample_collection.vectors(),
                       metadata=index_metadata(table))
    (root / "store-version.json").write_bytes(stamp)
    assert old.get_index(vectorBucketName=INDEX_BUCKET,
                         indexName=INDEX_NAME)["index"]["indexMode"] == "CLASSIC"
    q = sample_collection.vectors()[0]
    before = old.query_vectors(vectorBucketName=INDEX_BUCKET, indexName=INDEX_NAME, topK=5,
                               queryVector={"float32": q.tolist()}, returnDistance=True)
    reopened = Collection.open(sample_collection.path)
    word, source = _word_of(reopened, "railway-journeys.txt")
    assert reopened.search(word, mode="text")[0]["source"] == source
    cfg = local_client(root).get_index(vectorBucketName=INDEX_BUCKET,
                                       indexName=INDEX_NAME)["index"]
    assert cfg["indexMode"] == "ENHANCED" and "snippet" in text_search_configs(cfg)
    after = reopened.search(vector=q, top_k=5)
    assert [h["key"] for h in after] == [v["key"] for v in before["vectors"]]
    assert len(reopened.index_client().get_paginator("list_vectors").paginate(
        vectorBucketName=INDEX_BUCKET, indexName=INDEX_NAME).build_full_result()["vectors"]
    ) == len(sample_collection)


def test_cli_mode(sample_collection_dir):
    coll = Collection.open(sample_collection_dir)
    word, source = _word_of(coll, "railway-journeys.txt")
    out = _cli("search", "--collection", str(sample_collection_dir), "--text", word,
               "--mode", "text", "--json")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert hits[0]["source"] == source and hits[0]["scores"]["bm25"] > 0
    printed = _cli("search", "--collection", str(sample_collection_dir), "--text", word,
                   "--mode", "hybrid")
    assert printed.returncode == 0 and Path(source).name in printed.stdout
    for bad in (["--text", "x", "--mode", "fuzzy"],
                ["--file", str(ROOT / "data" / "sample" / "images" / "cat.png"), "--mode",
                 "text"]):
        out = _cli("search", "--collection", str(sample_collection_dir), *bad)
        assert out.returncode == 2 and out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1 and "mode" in out.stderr
