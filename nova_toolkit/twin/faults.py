"""Make the twin behave like a loaded service: latency, a request quota, random failures."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

from nova_toolkit.twin.config import TwinConfig
from nova_toolkit.twin.wire import ServiceError

#: Returned by :meth:`FaultInjector.decide` when the connection must be closed unanswered.
DROP = "drop"


class RateQuota:
    """Token bucket: ``rate`` requests per second, bursts of at most ``rate`` requests."""

    def __init__(self, rate: float) -> None:
        self.rate = float(rate)
        self.tokens = float(rate)
        self.stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Use one token if there is one."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class FaultInjector:
    """Decides the fate of one Bedrock model call and counts what it decided."""

    def __init__(self, config: TwinConfig) -> None:
        self.config = config
        self.quota = RateQuota(config.rps_quota) if config.rps_quota else None
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def _draw(self) -> float:
        with self._lock:
            return self._random.random()

    def count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def decide(self) -> str | None:
        """Apply latency and the quota; raise the injected error, or return :data:`DROP`/None.

        Throttles answer at once (the service rejects before the model runs); every
        other outcome waits ``latency_ms`` first.
        """
        c = self.config
        if (self.quota is not None and not self.quota.take()) or (
                c.throttle_rate and self._draw() < c.throttle_rate):
            self.count("throttled")
            raise ServiceError("ThrottlingException", "Too many requests, please wait before "
                               "trying again.", 429)
        if c.latency_ms:
            time.sleep(c.latency_ms / 1000.0)
        r = self._draw()
        if r < c.drop_rate:
            self.count("dropped")
            return DROP
        r -= c.drop_rate
        if r < c.timeout_rate:
            self.count("timeouts")
            raise ServiceError("ModelTimeoutException", "Model has timed out in processing the "
                               "request. Try your request again.", 408)
        r -= c.timeout_rate
        if r < c.error_rate:
            if self._draw() < 0.5:
                self.count("errors_500")
                raise ServiceError("InternalServerException", "An internal server error "
                                   "occurred. Retry your request.", 500)
            self.count("errors_503")
            raise ServiceError("ServiceUnavailableException", "The service isn't currently "
                               "available. Try again later.", 503)
        return None
