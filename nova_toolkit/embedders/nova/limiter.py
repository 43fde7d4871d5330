"""One request rate for every Bedrock model call of a process (or, through Ray, a cluster).

Bedrock's quota on InvokeModel / StartAsyncInvoke is per account and region, not per client:
threads, processes and cluster workers all draw from it. A :class:`RequestLimiter` is asked
before every model call (:meth:`~RequestLimiter.acquire`, which waits for a token) and told
how each answer went (:meth:`~RequestLimiter.record`); :func:`attach` hooks one to a botocore
client's ``before-send`` / ``needs-retry`` events, the same events botocore's own adaptive
mode uses, so every HTTP attempt is paced and counted.

:class:`AdaptiveLimiter` is the in-process limiter, assembled from botocore's adaptive-mode
pieces (``TokenBucket``, ``CubicCalculator``, ``RateClocker``, ``ThrottlingErrorDetector``):
with a known quota (``max_rps``) it sends at that rate from the first request and never
above it; without one it behaves as botocore's adaptive mode (no pacing until the first
throttle, then CUBIC). By Little's law the requests in flight settle near
``rate x latency``: threads beyond that wait in :meth:`~AdaptiveLimiter.acquire`.
:mod:`nova_toolkit.pipeline.ray_limits` shares one across a Ray cluster.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol, runtime_checkable

from botocore.retries import adaptive, bucket, standard, throttling

__all__ = ["MODEL_OPERATIONS", "AdaptiveLimiter", "RequestLimiter", "SmoothBucket", "attach",
           "limiter_for"]

#: The Bedrock operations that draw from the model-invocation quota (GetAsyncInvoke does not).
MODEL_OPERATIONS = ("InvokeModel", "StartAsyncInvoke")


@runtime_checkable
class RequestLimiter(Protocol):
    """Paces requests: ``acquire()`` before each one, ``record(throttled)`` after its answer."""

    def acquire(self) -> None:
        """Block until this request may be sent."""
        ...

    def record(self, throttled: bool) -> None:
        """Report one answer (``throttled``: the service refused it for rate)."""
        ...


class SmoothBucket(bucket.TokenBucket):
    """botocore's ``TokenBucket`` holding at most ``burst`` tokens (botocore's holds a second's
    worth): after an idle spell requests still leave evenly spaced, so a quota the service
    enforces with a bucket of its own never sees a burst on top of the paced rate."""

    def __init__(self, max_rate: float, clock: Any, burst: float = 1.0) -> None:
        self._burst = float(burst)
        super().__init__(max_rate, clock)

    @bucket.TokenBucket.max_rate.setter
    def max_rate(self, value: float) -> None:
        bucket.TokenBucket.max_rate.fset(self, value)
        with self._new_fill_rate_condition:
            self._max_capacity = min(self._max_capacity, max(1.0, self._burst))
            self._current_capacity = min(self._current_capacity, self._max_capacity)


class AdaptiveLimiter:
    """A thread-safe client-side rate limiter built from botocore's adaptive-mode pieces.

    Parameters
    ----------
    max_rps : float or None
        The known quota (requests per second). Requests are paced at it from the start
        and the rate never goes above it; a throttle (someone else shares the quota)
        lowers the rate by CUBIC's β and it grows back to ``max_rps``. None: botocore's
        adaptive behaviour (unpaced until the first throttle).
    burst : float
        Tokens the bucket may save up while idle (default 1: evenly spaced requests).
    clock : botocore.retries.bucket.Clock, optional
        Time source (``current_time()`` / ``sleep()``); tests may pass their own.
    """

    def __init__(self, max_rps: float | None = None, *, burst: float = 1.0,
                 clock: Any = None) -> None:
        if max_rps is not None and not max_rps > 0:
            raise ValueError(f"max_rps must be > 0, not {max_rps}")
        self.max_rps = None if max_rps is None else float(max_rps)
        self._clock = clock if clock is not None else bucket.Clock()
        now = self._clock.current_time()
        self._cubic = throttling.CubicCalculator(starting_max_rate=self.max_rps or 0,
                                                 start_time=now)
        self._bucket = SmoothBucket(self.max_rps or 1, self._clock, burst)
        self._clocker = adaptive.RateClocker(self._clock)
        self._enabled = self.max_rps is not None  # botocore paces only after a throttle
        self._throttled_once = False
        self._lock = threading.Lock()
        self.requests = 0
        self.throttles = 0

    def __repr__(self) -> str:
        return f"AdaptiveLimiter(max_rps={self.max_rps}, rate={self.rate})"

    @property
    def rate(self) -> float | None:
        """The current send rate (requests per second); None while unpaced."""
        return self._bucket.max_rate if self._enabled else None

    def acquire(self) -> None:
        """Wait for a token of the bucket (at once while unpaced)."""
        if self._enabled:
            self._bucket.acquire()

    def record(self, throttled: bool) -> None:
        """Adjust the rate as botocore's ``ClientRateLimiter`` does, capped at ``max_rps``."""
        measured = self._clocker.record()
        now = self._clock.current_time()
        with self._lock:
            self.requests += 1
            if throttled:
                self.throttles += 1
                current = min(measured, self._bucket.max_rate) if self._enabled else measured
                new_rate = self._cubic.error_received(current, now)
                self._enabled = self._throttled_once = True
            elif not self._throttled_once:
                return  # at the known quota (or unpaced): nothing to recover from
            else:
                new_rate = self._cubic.success_received(now)
            new_rate = min(new_rate, adaptive.ClientRateLimiter._MAX_RATE_ADJUST_SCALE * measured)
            if self.max_rps is not None:
                new_rate = min(new_rate, self.max_rps)
            self._bucket.max_rate = new_rate

    def snapshot(self) -> dict[str, Any]:
        """Counters and the current rate (for reports and tests)."""
        with self._lock:
            return {"max_rps": self.max_rps, "rate": self.rate, "requests": self.requests,
                    "throttles": self.throttles}


def limiter_for(rate_limiter: RequestLimiter | None,
                max_rps: float | None) -> RequestLimiter | None:
    """The limiter a Nova embedder uses: the one given, else one for ``max_rps`` (or none)."""
    if rate_limiter is not None:
        if not isinstance(rate_limiter, RequestLimiter):
            raise TypeError(f"rate_limiter needs acquire() and record(throttled), "
                            f"not {type(rate_limiter).__name__}")
        return rate_limiter
    return AdaptiveLimiter(max_rps) if max_rps is not None else None


def attach(client: Any, limiter: RequestLimiter,
           operations: tuple[str, ...] = MODEL_OPERATIONS) -> None:
    """Pace ``operations`` of a botocore ``client`` with ``limiter`` (every HTTP attempt).

    Throttles are recognised by botocore's own ``ThrottlingErrorDetector`` (error codes,
    the service model, HTTP 429), as in botocore's adaptive mode.
    """
    service = client.meta.service_model.service_id.hyphenize()
    detector = standard.ThrottlingErrorDetector(retry_event_adapter=standard.RetryEventAdapter())

    def before_send(**_: Any) -> None:  # must return None: a value would replace the response
        limiter.acquire()

    def answered(**kwargs: Any) -> None:  # None: botocore's retry handler decides retries
        limiter.record(bool(detector.is_throttling_error(**kwargs)))

    events = client.meta.events
    for op in operations:
        events.register(f"before-send.{service}.{op}", before_send,
                        unique_id=f"nova-limiter-send-{id(limiter)}-{op}")
        events.register(f"needs-retry.{service}.{op}", answered,
                        unique_id=f"nova-limiter-answer-{id(limiter)}-{op}")
