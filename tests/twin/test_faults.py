"""Fault injection: throttles, 5xx, model timeouts and dropped connections lose no item."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
from twin_helpers import start_twin

from nova_toolkit.embedders import Embedding, get_embedder
from nova_toolkit.media import MediaItem
from nova_toolkit.segment import Segment
from nova_toolkit.twin.models import hash_vector, serve_dimension


def test_every_item_embedded_exactly_once_under_faults(tmp_path, monkeypatch):
    twin = start_twin(tmp_path, fast_embeddings=True, throttle_rate=0.30, error_rate=0.05,
                      timeout_rate=0.02, drop_rate=0.03, seed=7)
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        nova = get_embedder("nova", dimension=256, endpoint_url=twin.url, region="us-east-1",
                            pool_size=16, retry_base_delay=0.02,
                            # random (not quota-driven) throttles: adaptive pacing would
                            # slow the test to minutes without changing what it proves
                            retry_mode="standard")
        texts = [f"item number {i}: {'lorem ipsum ' * (i % 7)}" for i in range(300)]
        batch = [(MediaItem.from_bytes(t.encode(), source=f"t{i}.txt"), [Segment(0, text=t)])
                 for i, t in enumerate(texts)]
        results = nova.embed(batch, purpose="GENERIC_INDEX")

        for text, rows in zip(texts, results, strict=True):
            assert len(rows) == 1 and isinstance(rows[0], Embedding), rows
            want = serve_dimension(hash_vector(text.encode())[None, :], 256)[0]
            np.testing.assert_allclose(rows[0].vector, want, atol=1e-5)

        with urllib.request.urlopen(f"{twin.url}/_twin/stats") as resp:
            stats = json.load(resp)
        inputs = stats["inputs"]
        assert len(inputs) == len(texts)  # every distinct input reached the twin ...
        assert all(c.get("served", 0) >= 1 for c in inputs.values())  # ... and was answered
        faults = stats["faults"]
        assert faults["throttled"] > 0 and faults["dropped"] > 0 and faults["timeouts"] > 0
        assert faults.get("errors_500", 0) + faults.get("errors_503", 0) > 0
        u = nova.usage
        assert u.calls == len(texts) and u.failures == 0
        assert u.throttles > 0 and u.requests > u.calls
    finally:
        twin.stop()
