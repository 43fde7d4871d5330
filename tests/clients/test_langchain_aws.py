"""langchain-aws (unmodified) against ``nova-toolkit serve``.

``BedrockEmbeddings`` has a Nova branch (``_is_nova_embed``: provider ``amazon`` and a model
id holding "nova" and "embed"): it sends ``taskType: SINGLE_EMBEDDING`` with
``embeddingPurpose: GENERIC_INDEX``, ``text.truncationMode: END`` and, when ``dimensions``
is set, ``embeddingDimension`` — the body Nova documents, so the twin must answer it like
Bedrock. ``AmazonS3Vectors`` creates its index on the first ``add_texts`` (dimension read
off the first embedding) and keeps the page content in the ``_page_content`` metadata key.
"""

from __future__ import annotations

import io
import subprocess

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.slow

NOVA = "amazon.nova-2-multimodal-embeddings-v1:0"


def _cos(a: list[float], b: list[float]) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture
def embeddings(twin_env):
    from langchain_aws import BedrockEmbeddings

    return BedrockEmbeddings(model_id=NOVA, endpoint_url=twin_env.url, region_name="us-east-1",
                             dimensions=1024)


def test_bedrock_embeddings_nova_query_and_documents(embeddings, twin_env):
    from langchain_aws import BedrockEmbeddings

    docs = ["A dog runs along the sandy beach chasing a ball.",
            "The rocket reached low Earth orbit after launch.",
            "Whisk the eggs and sugar, then fold in the flour."]
    vectors = embeddings.embed_documents(docs)
    assert [len(v) for v in vectors] == [1024, 1024, 1024]
    query = embeddings.embed_query("puppy playing at the seaside")
    assert len(query) == 1024
    scores = [_cos(query, v) for v in vectors]
    assert int(np.argmax(scores)) == 0, scores
    # the same text embeds to the same vector, query or document (both GENERIC_INDEX)
    assert _cos(embeddings.embed_query(docs[1]), vectors[1]) == pytest.approx(1.0, abs=1e-5)

    # no `dimensions`: langchain sends no embeddingDimension and Nova's default (3072) comes back
    default = BedrockEmbeddings(model_id=NOVA, endpoint_url=twin_env.url, region_name="us-east-1")
    assert len(default.embed_query("hello")) == 3072
    normalized = BedrockEmbeddings(model_id=NOVA, endpoint_url=twin_env.url,
                                   region_name="us-east-1", dimensions=256, normalize=True)
    assert np.linalg.norm(normalized.embed_query("hello")) == pytest.approx(1.0, abs=1e-6)


def test_bedrock_embeddings_nova_image(embeddings):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, format="PNG")
    vector = embeddings.embed_image(buf.getvalue())  # langchain sniffs "png" off the bytes
    assert len(vector) == 1024 and np.isfinite(vector).all()


def test_bedrock_embeddings_nova_audio_and_video(embeddings, tmp_path):
    """langchain's Nova-only sync media paths: audio, and video as AUDIO_VIDEO_COMBINED."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    wav, mp4 = tmp_path / "tone.wav", tmp_path / "clip.mp4"
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=3", str(wav)], check=True, timeout=60)
    subprocess.run([ffmpeg, "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=duration=4:size=160x120:rate=5", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=4", "-shortest", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", str(mp4)], check=True, timeout=60)
    audio = embeddings.embed_audio(str(wav))  # a file path; "wav" sniffed off RIFF/WAVE
    video = embeddings.embed_video(str(mp4))
    assert len(audio) == 1024 and len(video) == 1024
    assert np.isfinite(audio).all() and np.isfinite(video).all()


def test_bedrock_embeddings_bad_dimension_is_bedrocks_error(twin_env):
    from langchain_aws import BedrockEmbeddings

    wrong = BedrockEmbeddings(model_id=NOVA, endpoint_url=twin_env.url, region_name="us-east-1",
                              dimensions=100)
    with pytest.raises(ClientError) as err:
        wrong.embed_query("hello")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.fixture
def store(twin_env, embeddings):
    from langchain_aws.vectorstores.s3_vectors import AmazonS3Vectors

    # "To use, you MUST first manually create a S3 vector bucket."
    boto3.client("s3vectors", endpoint_url=twin_env.url,
                 region_name="us-east-1").create_vector_bucket(vectorBucketName="lc-bucket")
    return AmazonS3Vectors(vector_bucket_name="lc-bucket", index_name="lc-movies",
                           embedding=embeddings, endpoint_url=twin_env.url,
                           region_name="us-east-1",
                           non_filterable_metadata_keys=["_page_content"])


MOVIES = [("Star Wars: rebels fight an empire among the stars", "scifi", 1977),
          ("Jurassic Park: cloned dinosaurs escape on an island", "scifi", 1993),
          ("Finding Nemo: a clownfish father searches the ocean for his son", "family", 2003),
          ("Toy Story: toys come alive when nobody watches", "family", 1995)]


def test_amazon_s3vectors_add_search_filter_delete(store, twin_env):
    ids = store.add_texts([m[0] for m in MOVIES],
                          metadatas=[{"genre": g, "year": y} for _, g, y in MOVIES],
                          ids=["sw", "jp", "nemo", "toys"])
    assert ids == ["sw", "jp", "nemo", "toys"]
    index = boto3.client("s3vectors", endpoint_url=twin_env.url, region_name="us-east-1"
                         ).get_index(vectorBucketName="lc-bucket", indexName="lc-movies")
    assert index["index"]["dimension"] == 1024
    assert index["index"]["metadataConfiguration"]["nonFilterableMetadataKeys"] == [
        "_page_content"]

    hits = store.similarity_search("a fish lost in the sea", k=2,
                                   filter={"genre": {"$eq": "family"}})
    assert [d.id for d in hits][0] == "nemo"
    assert {d.metadata["genre"] for d in hits} == {"family"}
    assert hits[0].page_content == MOVIES[2][0]
    assert hits[0].metadata == {"genre": "family", "year": 2003}

    scored = store.similarity_search_with_score("space battles", k=4,
                                                filter={"year": {"$lt": 2000}})
    assert [d.id for d, _ in scored][0] == "sw"
    assert {d.id for d, _ in scored} == {"sw", "jp", "toys"}
    distances = [s for _, s in scored]
    assert distances == sorted(distances) and all(0 <= s <= 2 for s in distances)

    assert [d.id for d in store.get_by_ids(["toys", "sw"])] == ["toys", "sw"]
    retriever = store.as_retriever(search_kwargs={"k": 1, "filter": {"genre": "scifi"}})
    assert [d.id for d in retriever.invoke("dinosaurs")] == ["jp"]

    assert store.delete(ids=["nemo"]) is True
    after = store.similarity_search("a fish lost in the sea", k=4,
                                    filter={"genre": {"$eq": "family"}})
    assert [d.id for d in after] == ["toys"]
    with pytest.raises(ValueError, match="nemo"):
        store.get_by_ids(["nemo"])

    store.delete()  # no ids: langchain deletes the whole index
    with pytest.raises(ClientError) as err:
        store.client.get_index(vectorBucketName="lc-bucket", indexName="lc-movies")
    assert err.value.response["Error"]["Code"] == "NotFoundException"


def test_amazon_s3vectors_filterable_metadata_limit(twin_env, embeddings):
    """Without a non-filterable page-content key a long text breaks S3 Vectors' 2 KB limit."""
    from langchain_aws.vectorstores.s3_vectors import AmazonS3Vectors

    boto3.client("s3vectors", endpoint_url=twin_env.url,
                 region_name="us-east-1").create_vector_bucket(vectorBucketName="lc-limits")
    store = AmazonS3Vectors(vector_bucket_name="lc-limits", index_name="lc-long",
                            embedding=embeddings, endpoint_url=twin_env.url,
                            region_name="us-east-1")
    with pytest.raises(ClientError) as err:
        store.add_texts(["word " * 600])  # 3,000 bytes of filterable _page_content
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
