"""``nova-toolkit push`` of a real collection (MiniLM embeddings) to the twin, then ``pull``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import numpy as np
import pytest

from nova_toolkit.twin import Twin, TwinConfig
from nova_toolkit.vectors import local_client, sync

pytestmark = pytest.mark.slow  # loads the real MiniLM model (shared per session)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
FILES = ("text/coffee-brewing.md", "text/sailing-basics.txt", "text/cats-at-home.md",
         "images/cat.png", "audio/sailboat.wav")  # fmt: skip


@pytest.fixture
def twin(tmp_path: Path):
    t = Twin(TwinConfig(root=tmp_path / "twin"), port=0).start()
    yield t
    t.stop()


@pytest.fixture
def collection(tmp_path: Path, local_embedder):
    """A small collection of the sample library (text, image, audio), really embedded."""
    from nova_toolkit.collection import Collection

    lib = tmp_path / "lib"
    lib.mkdir()
    for name in FILES:
        shutil.copy(SAMPLE / name, lib)
    coll = Collection.open(tmp_path / "collection", embedder=local_embedder)
    report = coll.add([str(lib)], progress=False)
    assert report.embedded == len(FILES) and report.failed == 0, report.failures
    return coll


def _cli(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="us-east-1", HF_HUB_OFFLINE="1")  # fmt: skip
    exe = Path(sys.executable).with_name("nova-toolkit")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nova_toolkit.cli"]
    return subprocess.run([*cmd, *args, "--endpoint-url", url], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _everything(client, bucket: str, index: str) -> dict[str, tuple]:
    out = client.list_vectors(vectorBucketName=bucket, indexName=index, maxResults=1000,
                              returnData=True, returnMetadata=True)  # fmt: skip
    assert not out.get("nextToken")
    return {
        v["key"]: (np.asarray(v["data"]["float32"], np.float32).tobytes(), v.get("metadata"))
        for v in out["vectors"]
    }


def test_cli_push_of_a_real_collection_then_pull(tmp_path: Path, twin, collection) -> None:
    # the collection directory alone (a fresh copy, no open handle) is what the CLI gets
    src = tmp_path / "pushed-collection"
    shutil.copytree(collection.path, src)
    r = _cli("push", "--collection", str(src), "--bucket", "media-bkt", "--index", "segs",
             url=twin.url, cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "push media-bkt/segs:" in r.stdout and "0 with truncated metadata" in r.stdout
    assert "non-filterable metadata keys: snippet" in r.stdout
    ck = json.loads((src / "push-media-bkt-segs.json").read_text())
    assert ck["done"] and ck["endpoint"] == twin.url

    remote = boto3.client("s3vectors", endpoint_url=twin.url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    cfg = remote.get_index(vectorBucketName="media-bkt", indexName="segs")["index"]
    dim = collection.settings.dimension
    assert cfg["dimension"] == dim and cfg["distanceMetric"] == "cosine"
    assert cfg["metadataConfiguration"]["nonFilterableMetadataKeys"] == ["snippet"]
    # ENHANCED (exact filtered results on AWS) with the snippet key full-text searchable
    assert cfg["indexMode"] == "ENHANCED"
    searchable = cfg["metadataConfiguration"]["textSearchConfigurations"]
    assert [(c["metadataKey"], c["language"]) for c in searchable] == [("snippet", "en")]
    words = remote.query_vectors(vectorBucketName="media-bkt", indexName="segs", topK=3,
                                 queryTexts=[{"text": "espresso grind", "metadataKey": "snippet"}],
                                 returnScores=True, returnMetadata=True)["vectors"]  # fmt: skip
    assert words and words[0]["metadata"]["source"].endswith("coffee-brewing.md")
    assert words[0]["scores"]["bm25Scores"][0]["metadataKey"] == "snippet"

    local = collection.index_client()
    mine = _everything(local, "collection", "segments")
    table = collection.store.segments()
    keys, vectors = table.column("key").to_pylist(), collection.vectors()
    assert sorted(mine) == sorted(keys) and len(keys) >= len(FILES)
    modalities = set()
    for key, vec in zip(keys, vectors, strict=True):
        hit = remote.query_vectors(vectorBucketName="media-bkt", indexName="segs", topK=3,
                                   queryVector={"float32": vec.tolist()}, returnMetadata=True,
                                   returnDistance=True)["vectors"]  # fmt: skip
        assert hit[0]["key"] == key and hit[0]["distance"] == pytest.approx(0.0, abs=1e-5)
        meta = hit[0]["metadata"]
        assert meta == mine[key][1]  # source, modality, offsets, snippet: all round-trip
        assert meta["source"].endswith(Path(key.split("#")[0]).name)
        assert sync._size({k: x for k, x in meta.items() if k != "snippet"}) <= 2048
        assert sync._size(meta) <= 40 * 1024
        modalities.add(meta["modality"])
    assert modalities == {"text", "image", "audio"}
    # filterable metadata is filterable remotely
    img = remote.query_vectors(vectorBucketName="media-bkt", indexName="segs", topK=10,
                               queryVector={"float32": vectors[0].tolist()},
                               filter={"modality": "image"}, returnMetadata=True)["vectors"]  # fmt: skip
    assert [h["metadata"]["source"].rsplit("/", 1)[-1] for h in img] == ["cat.png"]

    # pull it back into a fresh local index: identical to the collection's own index
    back = tmp_path / "pulled"
    r = _cli("pull", "--bucket", "media-bkt", "--index", "segs", "--to", str(back),
             "--local-bucket", "collection", "--local-index", "segments",
             url=twin.url, cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"{len(keys)} vectors" in r.stdout and "0 already done" in r.stdout
    pulled = local_client(back)
    assert _everything(pulled, "collection", "segments") == mine
    pcfg = pulled.get_index(vectorBucketName="collection", indexName="segments")["index"]
    assert pcfg["dimension"] == dim
    assert pcfg["metadataConfiguration"]["nonFilterableMetadataKeys"] == ["snippet"]
    assert pcfg["indexMode"] == "ENHANCED"  # and the searchable key came back with it
    assert [c["metadataKey"] for c in pcfg["metadataConfiguration"]["textSearchConfigurations"]
            ] == ["snippet"]
    assert json.loads((back / "pull-media-bkt-segs-to-collection-segments.json").read_text())[
        "done"
    ]
