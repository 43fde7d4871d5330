"""The Ray Data engine: plan tasks → embed actor pool → the driver, which alone commits.

:class:`RayAddRunner` is an :class:`~.runner.AddRunner` whose embedding happens on a Ray
cluster (:mod:`.ray_tasks`). The driver lists the sources, puts a snapshot of what the store
holds in the object store, streams the results back and builds rows and commits with the
same writer, in the same atomic commits, under the same collection lock as in-process; so
the cache, resume after a kill and the failure rows behave as they do in one process.

A worker lost beyond Ray's retries does not lose data: every source whose result never
came back is stored as a failure (``embed`` stage, the Ray error as reason), so the next
run retries it; ``DataContext.max_errored_blocks`` stays 0.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nova_toolkit._core.errors import ConfigurationError
from nova_toolkit.pipeline.planner import (
    AwaitTwin,
    CopyFromCache,
    KnownContent,
    Unchanged,
    missing_sources,
    stored_sources,
)
from nova_toolkit.pipeline.reader import Failure, library_for_add
from nova_toolkit.pipeline.runner import AddReport, AddRunner, twin_failure
from nova_toolkit.store import Store

log = logging.getLogger(__name__)

#: Ray's own retries before a source counts as lost with its worker.
MAX_RESTARTS = 3


@dataclass(frozen=True)
class RayEngine:
    """Where and how wide a Ray run goes (``Collection.add(engine=RayEngine(...))``).

    Attributes
    ----------
    address : str or None
        ``"auto"`` or ``HOST:PORT`` of a running cluster; None starts a local Ray for the
        run (stopped at its end) unless this process is already connected.
    workers : int or None
        Embed actors; default: as many as the cluster's CPUs allow after the plan tasks.
    worker_cpus : float
        CPUs per embed actor (torch gets one thread per CPU).
    batch_items : int
        Items per embedder call in an actor (and per block handed back to the driver): 256
        as the in-process engine's 256 segments; at 64 the calls cost 1.2-1.4x the CPU.
    plan_cpus : float
        CPUs reserved by each read/plan/segment task.
    """

    address: str | None = None
    workers: int | None = None
    worker_cpus: float = 1.0
    batch_items: int = 256
    plan_cpus: float = 0.25

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be >= 1, not {self.workers}")
        if not self.worker_cpus > 0:
            raise ValueError(f"worker_cpus must be > 0, not {self.worker_cpus}")
        if self.batch_items < 1:
            raise ValueError(f"batch_items must be >= 1, not {self.batch_items}")

    def pool_size(self, cluster_cpus: float) -> int:
        """Embed actors for a cluster of ``cluster_cpus`` CPUs (at least one)."""
        if self.workers is None:
            return max(1, math.floor((cluster_cpus - self.plan_cpus) / self.worker_cpus))
        if self.workers * self.worker_cpus + self.plan_cpus > cluster_cpus:
            raise ValueError(
                f"{self.workers} workers x {self.worker_cpus} CPUs leave less than "
                f"{self.plan_cpus} CPU for the read tasks on this cluster's {cluster_cpus:g} "
                "CPUs; use fewer --workers or a smaller --worker-cpus")
        return self.workers


def connect(engine: RayEngine) -> bool:
    """Connect to (or start) Ray; True when this call started a local Ray to stop later.

    A local Ray binds its services to 127.0.0.1 only: Ray does so when told it is not a
    cluster (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, read when :mod:`ray` is imported, so
    set here if this process has not imported it yet).
    """
    if engine.address is None and "ray" not in sys.modules:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    if engine.address is not None:
        ray.init(address=engine.address, **options)
        return False
    ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", **options)
    return True


class RayAddRunner(AddRunner):
    """An :class:`AddRunner` whose reading, segmenting and embedding run on Ray.

    ``remote_embedder`` is a picklable zero-argument callable that builds the embedder inside
    each actor; ``modalities`` are those the backend embeds (checked in the plan tasks).
    """

    def __init__(self, store: Store, *, segmentation: Any, embedder: Callable[[], Any],
                 remote_embedder: Callable[[], Any], modalities: frozenset[str],
                 engine: RayEngine | None = None, **options: Any) -> None:
        super().__init__(store, segmentation=segmentation, embedder=embedder, **options)
        self.remote_embedder = remote_embedder
        self.modalities = frozenset(modalities)
        self.engine = engine or RayEngine()

    def run(self, paths: Sequence[str], *, keep_missing: bool = False,
            meta_json: str | None = None) -> AddReport:
        """Add ``paths`` with the Ray engine; same contract as :meth:`AddRunner.run`."""
        started = time.perf_counter()
        self.report = AddReport()
        self.meta_json = meta_json
        stop = connect(self.engine)
        try:
            with self.store.writer():
                self._start_ray(paths)
                self._stream()
                self._committed(self.writer.flush(force=True))
                if not keep_missing:
                    gone = missing_sources(paths, set(self.listing.sources),
                                           stored_sources(self.store), self.listing.unreadable,
                                           library=self.library)
                    if gone:
                        self.writer.remove_sources(gone)
                        self.report.removed = gone
        finally:
            if stop:
                import ray

                ray.shutdown()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _start_ray(self, paths: Sequence[str]) -> None:
        self.settings = self.store.settings
        self.library = library_for_add(self.store, paths, self.media_root)
        self.listing = self.build_reader(paths, library=self.library).listing()
        self.known = KnownContent.from_store(self.store)
        self.writer = self.build_writer(self.store, self.commit_rows)
        self.planner = _DriverPlanner(self.known)
        self.waiting: dict[str, list] = {}
        self.failed_now: set[str] = set()
        self.done: dict[str, tuple[str, bool]] = {}  # key -> (owner source, embedded?)
        self.nodes: set[str] = set()  # Ray node ids whose actors embedded

    def _dataset(self) -> Any:
        import ray

        from nova_toolkit.pipeline.ray_tasks import (
            ContentClaims,
            EmbedWorker,
            PlanContext,
            plan_batch,
        )

        remote = self.remote_embedder
        if self.settings.backend == "nova":  # one Bedrock rate limit for the cluster (N1)
            from nova_toolkit.pipeline.ray_limits import share_rate_limit

            remote = share_rate_limit(remote)
        ctx = ray.data.DataContext.get_current()
        ctx.max_errored_blocks = 0
        # Ray Data counts an actor it cancels before start-up (scaling the pool) as an actor
        # that died starting; its default of 0 such deaths failed whole runs
        ctx.max_consecutive_actor_init_deaths = MAX_RESTARTS
        ctx.enable_progress_bars = False
        context = ray.put(PlanContext(self.known, self.settings, self.segmentation,
                                      self.modalities, dict(self.listing.errors),
                                      self.library))
        claims = ray.remote(ContentClaims).options(max_restarts=0).remote()
        self._claims = claims  # kept alive for the run
        sources = self.listing.sources
        workers = self.engine.pool_size(ray.cluster_resources().get("CPU", 1.0))
        workers = min(workers, math.ceil(len(sources) / self.engine.batch_items))  # no idle actor
        # one block per embedder call (an actor hands its results back per block, so results,
        # commits and progress move per call), and at least two blocks per actor
        blocks = min(len(sources),
                     max(math.ceil(len(sources) / self.engine.batch_items), 2 * workers))
        where = self.listing.locations  # the driver's keys travel with the paths walked
        # as bytes: a name that is not UTF-8 (surrogate-escaped here) is no Arrow string
        ds = ray.data.from_items([{"i": i, "source": s, "path": os.fsencode(where.get(s, ""))}
                                  for i, s in enumerate(sources)], override_num_blocks=blocks)
        with warnings.catch_warnings():
            # Ray Data's only way to make retries finite (its default is to restart actors
            # forever) is ``ray_remote_args``, which warns that it is deprecated
            warnings.filterwarnings("ignore", r"`ray_remote_args` is deprecated")
            ds = ds.map_batches(plan_batch, fn_args=(context, claims),
                                batch_size=math.ceil(len(sources) / blocks),
                                num_cpus=self.engine.plan_cpus, max_retries=MAX_RESTARTS)
            return ds.map_batches(
                EmbedWorker, fn_constructor_args=(remote, self.settings.purpose,
                                                  max(1, round(self.engine.worker_cpus))),
                batch_size=self.engine.batch_items,
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=self.engine.worker_cpus, max_restarts=MAX_RESTARTS,
                max_task_retries=MAX_RESTARTS)

    def _stream(self) -> None:
        """Take every result as it comes back; only Ray's own failures count as lost."""
        from nova_toolkit.pipeline.ray_tasks import unpack

        if not self.listing.sources:
            return
        batches = iter(self._dataset().iter_batches(batch_size=None, batch_format="numpy"))
        received: set[int] = set()
        with self._progress_for(len(self.listing.sources)):
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - lost sources become failure rows
                    self._lost(received, exc)
                    break
                fatal = next((str(f) for f in batch.get("fatal", ()) if f), "")
                if fatal:  # a worker's configuration cannot serve any file: stop, record none
                    raise ConfigurationError(f"on a Ray worker: {fatal}")
                self.report.embedder_calls += int(batch["calls"].sum())
                self.nodes.update(str(n) for n in batch["node"])
                for i, step in unpack(batch):
                    if i not in received:  # a retried block may repeat rows
                        received.add(i)
                        self._take_remote(step)
                self._committed(self.writer.flush())
            for key, twins in self.waiting.items():  # an owner that never came back
                for twin in twins:
                    self._fail(Failure(twin.source, "embed",
                                       f"same content as {self.done.get(key, ('?',))[0]}, "
                                       "whose result was lost with its Ray worker"), whole=True)
            self.waiting.clear()

    def _take_remote(self, step: Any) -> None:
        from nova_toolkit.pipeline.ray_tasks import Embedded

        if isinstance(step, Embedded):
            stored = self._store_embedded(step.step, step.results)
            self.done[step.step.key] = (step.step.item.source, stored)
        elif isinstance(step, AwaitTwin):
            owner = self.done.get(step.key)
            if owner is None:
                self.waiting.setdefault(step.key, []).append(step.item)
            elif owner[1]:
                self._copy(step.item, step.key, owner[0])
            else:
                self._fail(twin_failure(step.item, owner[0]), whole=True)
        elif isinstance(step, Failure):
            self._fail(step, whole=True)
        elif isinstance(step, Unchanged):
            self._unchanged(step)
        elif isinstance(step, CopyFromCache):
            self._copy(step.item, step.key, step.owner)
        else:
            raise TypeError(f"the Ray engine gave an unknown step {step!r}")

    def _lost(self, received: set[int], exc: BaseException) -> None:
        """Record every source whose result never came back as failed (retried next run)."""
        reason = f"lost with its Ray worker ({ray_error(exc)})"
        lost = [s for i, s in enumerate(self.listing.sources) if i not in received]
        warnings.warn(f"Ray run failed after {len(received)} of {len(self.listing.sources)} "
                      f"sources: {reason}; {len(lost)} sources stored as failed, the next "
                      "run retries them", RuntimeWarning, stacklevel=3)
        for source in lost:
            self._fail(Failure(source, "embed", reason), whole=True)


class _DriverPlanner:
    """The driver's stand-in for the planner: only its :class:`KnownContent` is used."""

    def __init__(self, known: KnownContent) -> None:
        self.known = known

    def batch_sent(self) -> None:  # the actors batch; nothing to clear on the driver
        pass



def ray_error(exc: BaseException) -> str:
    """A one-line reason for a Ray error: the user exception behind it when there is one."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException) and not isinstance(cause, type(exc)):
        exc = cause
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__
