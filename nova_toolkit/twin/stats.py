"""What the twin saw: model calls per distinct input and their outcomes (``GET /_twin/stats``)."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class TwinStats:
    """Thread-safe counters; ``inputs`` maps an input's SHA-256 to attempts and successes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.outcomes: Counter[str] = Counter()
        self.inputs: dict[str, Counter[str]] = defaultdict(Counter)

    def record(self, operation: str, outcome: str, input_key: str | None = None) -> None:
        with self._lock:
            self.outcomes[f"{operation}:{outcome}"] += 1
            if input_key is not None:
                self.inputs[input_key]["attempts"] += 1
                if outcome == "ok":
                    self.inputs[input_key]["served"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"outcomes": dict(self.outcomes),
                    "inputs": {k: dict(v) for k, v in self.inputs.items()}}

    def reset(self) -> None:
        with self._lock:
            self.outcomes.clear()
            self.inputs.clear()
