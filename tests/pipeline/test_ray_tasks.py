"""The Ray engine's stages alone: content claims, the plan task, the embed actor's batch call.

Called in this (Ray-connected) process on real items and the real local backend, so each
stage's rows are checked without a Dataset around them.
"""

from __future__ import annotations

import pickle

from pipeline_helpers import SEGMENTATION, write

from nova_toolkit.pipeline.planner import (
    AwaitTwin,
    CopyFromCache,
    Embed,
    KnownContent,
    Planner,
    Unchanged,
)
from nova_toolkit.pipeline.ray_tasks import (
    ContentClaims,
    Embedded,
    EmbedWorker,
    PlanContext,
    pack,
    plan_batch,
    unpack,
)
from nova_toolkit.pipeline.reader import Failure
from nova_toolkit.store import cache_key


def test_the_first_claim_of_a_key_owns_it_and_a_retried_source_keeps_it():
    claims = ContentClaims()
    assert claims.claim([("k1", "a"), ("k2", "b"), ("k1", "c")]) == ["a", "b", "a"]
    assert claims.claim([("k1", "a"), ("k2", "d")]) == ["a", "b"]  # a retried task


def test_pack_and_unpack_round_trip_steps_with_their_walk_index(tmp_path):
    steps = [Unchanged("a.txt"), Failure("b.png", "read", "truncated")]
    batch = pack([7, 3], steps)
    assert list(batch["kind"]) == ["unchanged", "failure"]
    assert unpack(batch) == [(7, steps[0]), (3, steps[1])]


def test_plan_batch_reads_plans_segments_and_claims(tmp_path, store, ray_cluster):
    import ray

    same = "Lanterns glow along the harbour wall at dusk."
    stored = write(tmp_path / "stored.txt", same)
    copy = write(tmp_path / "copy.txt", same)
    new = write(tmp_path / "new.txt", "A comet crossed the winter sky.")
    twin = write(tmp_path / "twin.txt", "A comet crossed the winter sky.")
    other = write(tmp_path / "other.txt", "Violins tuned before the concert.")
    empty = write(tmp_path / "empty.txt", "")
    from nova_toolkit.media import MediaItem

    key = cache_key(MediaItem.from_path(stored).sha256, store.settings)
    known = KnownContent({str(stored): key}, {key: str(stored)}, set())
    ctx = PlanContext(known, store.settings, SEGMENTATION, frozenset({"text"}),
                      {str(tmp_path / "gone.txt"): "permission denied"})
    claims = ray.remote(ContentClaims).remote()
    ray.get(claims.claim.remote([(cache_key(MediaItem.from_path(other).sha256,
                                            store.settings), "elsewhere.txt")]))
    sources = [stored, copy, new, twin, other, empty, tmp_path / "gone.txt"]
    batch = {"i": list(range(len(sources))), "source": [str(s) for s in sources]}
    steps = [s for _, s in unpack(plan_batch(batch, ray.put(ctx), claims))]
    assert isinstance(steps[0], Unchanged)
    assert isinstance(steps[1], CopyFromCache) and steps[1].owner == str(stored)
    assert isinstance(steps[2], Embed) and steps[2].item.data  # bytes go to the actor
    assert isinstance(steps[3], AwaitTwin) and steps[3].key == steps[2].key
    assert isinstance(steps[4], AwaitTwin)  # claimed by another task first
    assert isinstance(steps[5], Failure) and steps[5].stage == "read"
    assert steps[6] == Failure(str(tmp_path / "gone.txt"), "read", "permission denied")
    for step in (steps[1], steps[3], steps[4]):
        assert step.item.data == b""  # what the driver gets back carries no bytes


class Exploding:
    modalities = frozenset({"text"})

    def embed(self, batch, *, purpose):
        raise ConnectionError("bedrock unreachable")


def test_embed_worker_embeds_a_batch_in_one_call_and_passes_other_rows(
        tmp_path, store, local_embedder, ray_cluster):
    planner = Planner(KnownContent(), store.settings, segmentation=SEGMENTATION,
                      modalities=lambda: {"text"})
    a = planner.plan(_item(tmp_path, "a.txt", "Orchards bloom in spring."))
    b = planner.plan(_item(tmp_path, "b.txt", "Kettles whistle on the stove."))
    worker = EmbedWorker(lambda: local_embedder, "GENERIC_INDEX", 1)
    out = worker(pack([0, 1, 2], [a, Unchanged("c.txt"), b]))
    rows = unpack(out)
    assert list(out["calls"]) == [1, 0, 0]  # one embedder call for the batch
    assert isinstance(rows[1][1], Unchanged)
    for _, done in (rows[0], rows[2]):
        assert isinstance(done, Embedded) and done.step.item.data == b""
        assert done.results[0].vector.shape == (store.settings.dimension,)
    assert len(pickle.dumps(rows[0][1])) < 10_000


def test_an_embedder_error_fails_the_batch_segments_instead_of_the_run(tmp_path, store,
                                                                      ray_cluster):
    planner = Planner(KnownContent(), store.settings, segmentation=SEGMENTATION,
                      modalities=lambda: {"text"})
    step = planner.plan(_item(tmp_path, "a.txt", "Harbour lights."))
    (_, done), = unpack(EmbedWorker(Exploding, "GENERIC_INDEX", 1)(pack([0], [step])))
    assert [r.reason for r in done.results] == [
        "embedder error: ConnectionError: bedrock unreachable"]


def _item(tmp_path, name, text):
    from nova_toolkit.media import MediaItem

    return MediaItem.from_path(write(tmp_path / name, text))

