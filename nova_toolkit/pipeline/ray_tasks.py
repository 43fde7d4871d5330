"""What runs on Ray workers: the plan tasks, the embed actors and the content-claims actor.

Nothing here imports :mod:`ray` at module level, so the driver side
(:mod:`.ray_engine`) decides when Ray is loaded. Rows between stages are plain
``{"i": walk index, "kind": str, "payload": pickled step}`` records:

- :func:`plan_batch` (tasks) reads each source (a key the driver made, with the path it
  walked), plans it against a snapshot of what the
  store held when the run started (:class:`~.planner.KnownContent`), segments what must
  be embedded and claims its content key once for the whole cluster (:class:`ContentClaims`):
  the first source to claim a key embeds it, the others wait for its rows.
- :class:`EmbedWorker` (an actor pool) builds the embedder once per actor and embeds the
  ``embed`` rows of each batch in one call; other rows pass through.

Items travel to the embed actors with their bytes and come back to the driver without them.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nova_toolkit._core.errors import ConfigurationError
from nova_toolkit.embedders import EmbedFailure
from nova_toolkit.media import MediaItem
from nova_toolkit.media.library import MediaLibrary
from nova_toolkit.pipeline.planner import AwaitTwin, Embed, KnownContent, Planner
from nova_toolkit.pipeline.reader import Failure, SourceReader
from nova_toolkit.pipeline.rows import step_thumbnails
from nova_toolkit.segment import SegmentationConfig
from nova_toolkit.store import CollectionSettings


@dataclass(frozen=True)
class PlanContext:
    """Everything a plan task needs, put in the object store once per run."""

    known: KnownContent
    settings: CollectionSettings
    segmentation: SegmentationConfig
    modalities: frozenset[str]
    errors: dict[str, str]            # walk errors: source -> reason
    library: MediaLibrary = MediaLibrary()  # the driver's: keys are made there, once


@dataclass(frozen=True)
class Embedded:
    """An :class:`~.planner.Embed` step (item without its bytes) and the embedder's results."""

    step: Embed
    results: list


def light(item: MediaItem) -> MediaItem:
    """``item`` without its bytes (what the driver needs to build rows)."""
    return dataclasses.replace(item, data=b"")


def kind_of(step: Any) -> str:
    """The row kind of a planner step."""
    from nova_toolkit.pipeline.planner import CopyFromCache, Unchanged

    for cls, kind in ((Unchanged, "unchanged"), (CopyFromCache, "copy"), (AwaitTwin, "twin"),
                      (Failure, "failure"), (Embed, "embed"), (Embedded, "embedded")):
        if isinstance(step, cls):
            return kind
    raise TypeError(f"not a pipeline step: {step!r}")


def pack(index: Iterable[int], steps: Iterable[Any]) -> dict[str, np.ndarray]:
    """Rows of (walk index, kind, pickled step) as a Ray Data numpy batch."""
    steps = list(steps)
    return {"i": np.asarray(list(index), dtype=np.int64),
            "kind": np.asarray([kind_of(s) for s in steps], dtype=object),
            "payload": np.asarray([pickle.dumps(s, protocol=5) for s in steps], dtype=object)}


def unpack(batch: dict[str, np.ndarray]) -> list[tuple[int, Any]]:
    """(walk index, step) of every row of a batch."""
    return [(int(i), pickle.loads(p)) for i, p in zip(batch["i"], batch["payload"], strict=True)]


class ContentClaims:
    """A Ray actor: the first source to claim a content key embeds it (one paid call per key)."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}

    def claim(self, pairs: list[tuple[str, str]]) -> list[str]:
        """The owner of each ``(key, source)``: the first claimer (a retried source keeps its key)."""
        return [self.owner.setdefault(key, source) for key, source in pairs]


def plan_batch(batch: dict[str, np.ndarray], context: Any, claims: Any) -> dict[str, np.ndarray]:
    """A Ray Data map function (run in tasks): read, plan and segment a batch of sources.

    ``context`` is a :class:`PlanContext` (or its ObjectRef); ``claims`` the run's
    :class:`ContentClaims` actor handle.
    """
    import ray

    ctx = context if isinstance(context, PlanContext) else ray.get(context)
    planner = Planner(ctx.known, ctx.settings, segmentation=ctx.segmentation,
                      modalities=lambda: ctx.modalities)
    reader = SourceReader([], library=ctx.library)
    steps: list[Any] = []
    paths = batch["path"] if "path" in batch else [""] * len(batch["source"])
    for source, path in zip(batch["source"], paths, strict=True):
        source = str(source)
        error = ctx.errors.get(source)
        path = os.fsdecode(path) if isinstance(path, bytes) else str(path)
        got = (Failure(source, "read", error) if error is not None
               else reader.read(source, path or None))
        steps.append(got if isinstance(got, Failure) else planner.plan(got))
    wanted = [(s.key, s.item.source) for s in steps if isinstance(s, Embed)]
    owners = iter(ray.get(claims.claim.remote(wanted)) if wanted else ())
    out = []
    for step in steps:
        if isinstance(step, Embed) and next(owners) != step.item.source:
            step = AwaitTwin(light(step.item), step.key)
        elif not isinstance(step, (Embed, Failure)) and hasattr(step, "item"):
            step = dataclasses.replace(step, item=light(step.item))
        out.append(step)
    return pack(batch["i"], out)


class EmbedWorker:
    """A Ray Data actor: builds the embedder once, embeds each batch's ``embed`` rows in one call.

    ``build`` is a picklable zero-argument callable returning the embedder; ``threads`` is
    the torch intra-op thread count (one per CPU the actor was given).
    """

    def __init__(self, build: Callable[[], Any], purpose: str, threads: int) -> None:
        os.environ["OMP_NUM_THREADS"] = str(max(1, threads))  # OCR (onnxruntime) reads it
        try:
            import torch

            torch.set_num_threads(max(1, threads))
        except ImportError:  # a backend without torch (nova) does not need it
            pass
        import ray

        self.embedder = build()
        self.purpose = purpose
        self.node = ray.get_runtime_context().get_node_id()
        self.fatal = ""  # a ConfigurationError's message: the driver stops the run on it

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = unpack(batch)
        todo = [(n, step) for n, (_, step) in enumerate(rows) if isinstance(step, Embed)]
        if todo:
            results = self._embed([step for _, step in todo])
            for (n, step), result in zip(todo, results, strict=True):
                step = Embed(light(step.item), step.key, step.segments, step.note,
                             step_thumbnails(step))  # made here, where the bytes are
                rows[n] = (rows[n][0], Embedded(step, list(result)))
        packed = pack((i for i, _ in rows), (s for _, s in rows))
        packed["calls"] = np.asarray([1 if todo and n == todo[0][0] else 0
                                      for n in range(len(rows))], dtype=np.int64)
        packed["node"] = np.asarray([self.node] * len(rows), dtype=object)
        packed["fatal"] = np.asarray([self.fatal] * len(rows), dtype=object)
        return packed

    def _embed(self, steps: list[Embed]) -> list[list]:
        """One embedder call; an exception fails the batch's segments with its message."""
        try:
            return self.embedder.embed([(s.item, s.segments) for s in steps],
                                       purpose=self.purpose)
        except ConfigurationError as exc:  # this worker's AWS setup: no file can succeed
            self.fatal = str(exc)
            return [[EmbedFailure(seg.index, self.fatal) for seg in s.segments] for s in steps]
        except Exception as exc:  # noqa: BLE001 - becomes failure rows, the run goes on
            reason = f"embedder error: {type(exc).__name__}: {exc}"
            return [[EmbedFailure(seg.index, reason) for seg in s.segments] for s in steps]
