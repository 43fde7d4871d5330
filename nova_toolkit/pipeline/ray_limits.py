"""One Bedrock rate limit for a whole Ray cluster: a named limiter actor and its small client.

Bedrock's model-invocation quota is per account and region, so the embed actors of a Ray run
must share one pace, not each keep its own. :func:`cluster_limiter` gets or creates one named
actor holding an :class:`~nova_toolkit.embedders.nova.limiter.AdaptiveLimiter` (botocore's
token bucket and CUBIC, capped at the known quota) and returns a picklable
:class:`ClusterLimiter`, which implements the same
:class:`~nova_toolkit.embedders.nova.limiter.RequestLimiter` protocol: a Nova embedder built
in any actor with ``rate_limiter=`` that client waits for a cluster-wide token before each
InvokeModel / StartAsyncInvoke (one round trip) and reports each answer (fire and forget).
With the rate paced at the quota, the requests in flight across the cluster settle near
``quota x latency`` (Little's law); the actor's threads are the waiting room.

:func:`share_rate_limit` puts such a client into a picklable embedder recipe's
``backend_options`` (what the Ray engine ships to its actors). Ray is imported only inside
functions, so this module imports without Ray.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from nova_toolkit.embedders.nova.limiter import AdaptiveLimiter

__all__ = ["DEFAULT_NAME", "ClusterLimiter", "LimiterActor", "cluster_limiter",
           "share_rate_limit"]

#: The limiter actor's name (one per Ray namespace, i.e. per job unless one is shared).
DEFAULT_NAME = "nova_toolkit.bedrock_limiter"
#: Threads of the actor that may wait for a token at once (the cluster's embed threads).
MAX_WAITING = 256
#: The concurrency group of ``record`` / ``configure`` / ``snapshot``: answers never queue
#: behind the threads waiting in ``acquire``.
ANSWERS = "answers"
#: Ray's restarts of a lost limiter actor (it starts again at the quota).
MAX_RESTARTS = 3


class LimiterActor:
    """The body of the named Ray actor: one :class:`AdaptiveLimiter` for the cluster."""

    def __init__(self, max_rps: float | None) -> None:
        self.limiter = AdaptiveLimiter(max_rps)

    def acquire(self) -> None:
        """Wait (in one of the actor's threads) for a token."""
        self.limiter.acquire()

    def record(self, throttled: bool) -> None:
        self.limiter.record(throttled)

    def configure(self, max_rps: float | None) -> None:
        """A new run's quota: a fresh limiter when it differs from the current one."""
        if max_rps != self.limiter.max_rps:
            self.limiter = AdaptiveLimiter(max_rps)

    def snapshot(self) -> dict[str, Any]:
        return self.limiter.snapshot()


@dataclass(frozen=True)
class ClusterLimiter:
    """A picklable :class:`~nova_toolkit.embedders.nova.limiter.RequestLimiter` backed by the
    named limiter actor (``handle``); usable from any Ray worker or the driver."""

    handle: Any

    def acquire(self) -> None:
        """One round trip: returns when the cluster's bucket gave this request a token."""
        import ray

        ray.get(self.handle.acquire.remote())

    def record(self, throttled: bool) -> None:
        """Report an answer; not waited for."""
        self.handle.record.options(concurrency_group=ANSWERS).remote(bool(throttled))

    def snapshot(self) -> dict[str, Any]:
        """The shared limiter's counters and rate (``max_rps``, ``rate``, ``requests``,
        ``throttles``)."""
        import ray

        return ray.get(self.handle.snapshot.options(concurrency_group=ANSWERS).remote())


def cluster_limiter(*, max_rps: float | None, name: str = DEFAULT_NAME,
                    max_waiting: int = MAX_WAITING) -> ClusterLimiter:
    """Get or create the named limiter actor (quota ``max_rps``; None: adapt to throttles).

    The actor belongs to this job (it ends with the driver), takes no CPU, and keeps its
    state across runs of one job unless the quota changes. Needs a connected Ray.
    """
    import ray

    if max_rps is not None and not max_rps > 0:
        raise ValueError(f"max_rps must be > 0, not {max_rps}")
    actor = ray.remote(max_concurrency=max_waiting, concurrency_groups={ANSWERS: 4})(
        LimiterActor).options(name=name, get_if_exists=True, num_cpus=0,
                              max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)
    handle = actor.remote(max_rps)
    ray.get(handle.configure.options(concurrency_group=ANSWERS).remote(max_rps))
    return ClusterLimiter(handle)


def share_rate_limit(remote_embedder: Any, *, name: str = DEFAULT_NAME) -> Any:
    """``remote_embedder`` (a dataclass recipe with ``backend_options``, such as
    :class:`~nova_toolkit.collection.opening.EmbedderSpec`) with the cluster's limiter
    as ``rate_limiter``, at the quota its ``max_rps`` option names.

    A recipe without ``backend_options`` (a ready embedder shipped as is) comes back unchanged.
    """
    options = getattr(remote_embedder, "backend_options", None)
    if options is None or not dataclasses.is_dataclass(remote_embedder):
        return remote_embedder
    limiter = cluster_limiter(max_rps=options.get("max_rps"), name=name)
    return dataclasses.replace(remote_embedder,
                               backend_options={**options, "rate_limiter": limiter})
