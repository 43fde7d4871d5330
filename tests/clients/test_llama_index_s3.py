"""llama-index-vector-stores-s3 (``S3VectorStore``, unmodified) against ``nova-toolkit serve``.

As its README shows: ``create_index_from_bucket`` on an existing vector bucket, nodes
embedded by an embedding model and ``add``-ed, ``VectorStoreQuery`` with ``MetadataFilters``.
The store makes its clients from a plain ``boto3.Session()``, so only ``AWS_ENDPOINT_URL``
and the test credentials point it at the twin. Nodes are embedded with Nova through
langchain-aws' ``BedrockEmbeddings`` (llama-index's own Bedrock embedding package sends
Titan's ``inputText`` body for every ``amazon.*`` model, which Nova does not take).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import boto3
import pytest

pytestmark = pytest.mark.slow

NOVA = "amazon.nova-2-multimodal-embeddings-v1:0"
BOOKS = [("b1", "A detective untangles a murder on a snowbound train.", "mystery", 1934, "d1"),
         ("b2", "Hobbits carry a ring across mountains to a volcano.", "fantasy", 1954, "d2"),
         ("b3", "A wizard school hides a stone that grants eternal life.", "fantasy", 1997, "d2"),
         ("b4", "A locked-room puzzle: who killed the host of the dinner?", "mystery", 2015,
          "d3")]


@pytest.fixture
def embed(twin_env):
    from langchain_aws import BedrockEmbeddings

    return BedrockEmbeddings(model_id=NOVA, region_name="us-east-1", dimensions=384)


def test_s3_vector_store_readme_flow(twin_env, embed):
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
    from llama_index.core.vector_stores.types import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
        VectorStoreQuery,
    )
    from llama_index.vector_stores.s3 import S3VectorStore

    session = boto3.Session(region_name="us-east-1")
    session.client("s3vectors").create_vector_bucket(vectorBucketName="li-bucket")
    store = S3VectorStore.create_index_from_bucket(
        bucket_name_or_arn="li-bucket", index_name="li-books", dimension=384,
        distance_metric="cosine", data_type="float32", insert_batch_size=500,
        non_filterable_metadata_keys=["custom_field"], sync_session=session)
    index = session.client("s3vectors").get_index(vectorBucketName="li-bucket",
                                                  indexName="li-books")["index"]
    assert sorted(index["metadataConfiguration"]["nonFilterableMetadataKeys"]) == [
        "_node_content", "_node_type", "custom_field"]

    nodes = [TextNode(id_=key, text=text,
                      metadata={"genre": genre, "year": year, "custom_field": "x" * 3000},
                      relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc)})
             for key, text, genre, year, doc in BOOKS]
    for node, vector in zip(nodes, embed.embed_documents([n.text for n in nodes]), strict=True):
        node.embedding = vector
    assert store.add(nodes) == ["b1", "b2", "b3", "b4"]

    def query(text: str, k: int, filters: MetadataFilters | None = None):
        return store.query(VectorStoreQuery(query_embedding=embed.embed_query(text),
                                            similarity_top_k=k, filters=filters))

    fantasy = MetadataFilters(filters=[MetadataFilter(key="genre", value="fantasy")])
    result = query("hobbits take a ring to a volcano", 2, fantasy)
    assert result.ids[0] == "b2" and set(result.ids) == {"b2", "b3"}
    assert result.nodes[0].get_content() == BOOKS[1][1]
    assert result.nodes[0].metadata["year"] == 1954
    assert result.nodes[0].ref_doc_id == "d2"
    assert result.similarities == sorted(result.similarities, reverse=True)

    recent_mystery = MetadataFilters(condition=FilterCondition.AND, filters=[
        MetadataFilter(key="genre", value="mystery", operator=FilterOperator.EQ),
        MetadataFilter(key="year", value=2000, operator=FilterOperator.GTE)])
    assert query("who did it?", 4, recent_mystery).ids == ["b4"]
    either = MetadataFilters(condition=FilterCondition.OR, filters=[
        MetadataFilter(key="year", value=1934, operator=FilterOperator.LTE),
        MetadataFilter(key="genre", value=["fantasy"], operator=FilterOperator.NIN)])
    assert set(query("train", 4, either).ids) == {"b1", "b4"}
    assert query("murder on a train", 1).ids == ["b1"]

    got = store.get_nodes(node_ids=["b3", "b1"])
    assert sorted(n.node_id for n in got) == ["b1", "b3"]

    store.delete(ref_doc_id="d2")  # lists the index, deletes the nodes of document d2
    assert set(query("a magic ring", 4).ids) == {"b1", "b4"}

    store.clear()
    names = session.client("s3vectors").list_indexes(vectorBucketName="li-bucket")["indexes"]
    assert names == []


_OFFLINE_PROBE = textwrap.dedent("""
    import socket, sys
    outside = []
    def hook(event, args):  # records, and stops before any packet leaves, a non-local call
        if event == "socket.connect":
            address = args[1]
            host = address[0] if isinstance(address, tuple) else str(address)
            if not (host.startswith("127.") or host in ("::1", "localhost") or "/" in host):
                outside.append(repr(address))
                raise ConnectionRefusedError(f"offline probe: connect to {address!r}")
        elif event == "socket.getaddrinfo" and args[0] not in ("127.0.0.1", "localhost", "::1"):
            outside.append("dns " + str(args[0]))
            raise OSError(f"offline probe: name lookup of {args[0]!r}")
    sys.addaudithook(hook)
    from llama_index.vector_stores.s3 import S3VectorStore  # noqa: F401
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.utils import get_tokenizer, globals_helper
    assert len(get_tokenizer()("offline tokenizer")) > 0          # tiktoken's cl100k_base
    assert "the" in globals_helper.stopwords                        # nltk stopwords
    chunks = SentenceSplitter(chunk_size=40, chunk_overlap=0).split_text(
        "First sentence here. Second one follows. " * 20)            # nltk punkt
    assert len(chunks) > 1
    print("outside:", outside)
    sys.exit(1 if outside else 0)
""")


def test_llama_index_needs_no_download_at_run_time(tmp_path):
    """Importing and splitting text uses the nltk and tiktoken data llama-index-core ships."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NLTK_DATA", "TIKTOKEN_CACHE_DIR", "LLAMA_INDEX_CACHE_DIR")}
    env["HOME"] = str(tmp_path)  # no cache of an earlier download can help
    r = subprocess.run([sys.executable, "-c", _OFFLINE_PROBE], env=env, capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "outside: []" in r.stdout
