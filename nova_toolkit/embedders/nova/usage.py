"""Usage of one run: requests, retries, throttles, inputs, tokens and an estimated cost."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field

#: USD prices used for estimates. Illustrative defaults: check the Amazon Bedrock pricing
#: page for your region and pass your own table (``prices=``) for real budgets.
DEFAULT_PRICES = {
    "text_per_1k_tokens": 0.000135,
    "image_each": 0.00006,
    "audio_per_second": 0.00014,
    "video_per_second": 0.0007,
}
CHARS_PER_TOKEN = 4.0  # estimate when no token count header came back (dry runs)


@dataclass
class Usage:
    """Counters of a run (thread-safe through :meth:`add`).

    ``requests`` counts HTTP attempts (each retry is one), ``calls`` the logical
    model calls, ``input_tokens`` the ``X-Amzn-Bedrock-Input-Token-Count`` headers
    (estimated from characters for calls that returned none).
    """

    calls: int = 0
    requests: int = 0
    retries: int = 0
    throttles: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    failures: int = 0
    async_jobs: int = 0
    input_chars: int = 0
    input_seconds: float = 0.0
    input_images: int = 0
    input_tokens: int = 0
    estimated_tokens: int = 0
    prices: dict = field(default_factory=lambda: dict(DEFAULT_PRICES), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: float) -> None:
        """Increase counters by the given amounts."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    @property
    def tokens(self) -> int:
        """Reported tokens plus estimated tokens of calls without a report."""
        return self.input_tokens + self.estimated_tokens

    def estimated_cost(self) -> float:
        """USD estimate from :attr:`prices`."""
        p = self.prices
        return (self.tokens / 1000 * p["text_per_1k_tokens"]
                + self.input_images * p["image_each"]
                + self.input_seconds * (p["video_per_second"] + p["audio_per_second"]) / 2)

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("prices", "_lock")}
        out["estimated_cost_usd"] = round(self.estimated_cost(), 6)
        return out

    def summary(self) -> str:
        return (f"{self.calls} calls, {self.requests} requests ({self.retries} retries, "
                f"{self.throttles} throttled), {self.input_chars} chars, "
                f"{self.input_seconds:.1f} s, {self.input_images} images, {self.tokens} tokens, "
                f"~${self.estimated_cost():.4f}")
