"""The nova backend's request limiter (embedders/nova/limiter.py): botocore's adaptive rate
arithmetic, capped at a known quota, and against a twin with an rps quota no throttles, also
when several embedders share one limiter (what the Ray engine's limiter actor does)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from botocore.retries import adaptive, bucket, throttling

from nova_toolkit.embedders.nova import NovaEmbedder
from nova_toolkit.embedders.nova.limiter import AdaptiveLimiter, RequestLimiter, limiter_for
from nova_toolkit.twin import Twin, TwinConfig

QUOTA = 20.0


class FakeClock(bucket.Clock):
    """A botocore clock that moves only when told (sleep moves it too)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def current_time(self) -> float:
        return self.now

    def sleep(self, amount: float) -> None:
        self.now += amount


class Flag:
    """A throttling detector for botocore's ClientRateLimiter: the answer says it."""

    def is_throttling_error(self, *, throttled: bool, **_) -> bool:
        return throttled


def _answers() -> list[tuple[float, bool]]:
    """(seconds since the last answer, throttled) of 400 answers at about 50 rps."""
    throttled = {60, 61, 150, 151, 152, 300}
    return [(0.02 if i % 3 else 0.013, i in throttled) for i in range(400)]


def test_without_a_quota_the_rate_is_botocores_adaptive_rate():
    clock, ours = FakeClock(), None
    theirs = adaptive.ClientRateLimiter(
        rate_adjustor=throttling.CubicCalculator(starting_max_rate=0,
                                                 start_time=clock.current_time()),
        rate_clocker=adaptive.RateClocker(clock), token_bucket=bucket.TokenBucket(1, clock),
        throttling_detector=Flag(), clock=clock)
    ours = AdaptiveLimiter(clock=clock)
    compared = 0
    for dt, throttled in _answers():
        clock.now += dt
        theirs.on_receiving_response(throttled=throttled)
        ours.record(throttled)
        if ours.rate is None:  # unpaced until the first throttle, as botocore
            assert not theirs._enabled
            continue
        assert ours.rate == pytest.approx(theirs._token_bucket.max_rate)
        compared += 1
    assert compared > 300 and ours.throttles == 6 and ours.requests == 400


def test_a_known_quota_paces_from_the_start_and_caps_the_recovery():
    clock = FakeClock()
    limiter = AdaptiveLimiter(QUOTA, clock=clock)
    assert limiter.rate == QUOTA  # paced before any throttle
    rates = []
    for dt, throttled in _answers() + [(0.02, False)] * 1000:  # then 20 s without throttles
        clock.now += dt
        limiter.record(throttled)
        rates.append(limiter.rate)
    assert rates[60] == pytest.approx(0.7 * QUOTA)  # a throttle backs off (CUBIC's beta) ...
    assert max(rates) == QUOTA and rates[-1] == QUOTA  # ... grows back to the quota, not above


def test_requests_leave_evenly_spaced_even_after_an_idle_spell():
    limiter = AdaptiveLimiter(QUOTA)  # botocore's bucket waits on a real condition variable
    time.sleep(0.5)  # idle: botocore's own bucket would save up 10 tokens for a burst
    started = time.perf_counter()
    for _ in range(11):
        limiter.acquire()
    # no burst: ten intervals at the quota at least (a loaded machine only makes it slower)
    assert time.perf_counter() - started >= 0.95 * 10 / QUOTA


def test_limiter_for_and_the_protocol():
    assert limiter_for(None, None) is None
    assert isinstance(limiter_for(None, 5.0), AdaptiveLimiter)
    shared = AdaptiveLimiter(5.0)
    assert limiter_for(shared, 99.0) is shared and isinstance(shared, RequestLimiter)
    with pytest.raises(TypeError, match="acquire"):
        limiter_for(object(), None)
    with pytest.raises(ValueError, match="max_rps"):
        AdaptiveLimiter(0)


def test_quota_options_are_not_collection_settings(tmp_path):
    from nova_toolkit.collection import Collection

    plain = NovaEmbedder(dimension=256).settings()
    assert NovaEmbedder(dimension=256, max_rps=QUOTA).settings() == plain
    assert NovaEmbedder(dimension=256, rate_limiter=AdaptiveLimiter()).settings() == plain
    coll = Collection.open(tmp_path / "coll", backend="nova", dimension=256, max_rps=QUOTA,
                           rate_limiter=AdaptiveLimiter(QUOTA))
    assert coll.embedder.rate_limiter.max_rps == QUOTA
    stored = coll.settings
    assert "max_rps" not in stored.extra and "rate_limiter" not in stored.extra
    assert "max_rps" not in (tmp_path / "coll" / "manifest.json").read_text()


@pytest.fixture
def quota_twin(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    twin = Twin(TwinConfig(root=tmp_path / "twin", fast_embeddings=True, rps_quota=QUOTA,
                           latency_ms=50), port=0).start()
    yield twin
    twin.stop()


def _stats(twin: Twin) -> dict:
    with urllib.request.urlopen(f"{twin.url}/_twin/stats") as resp:
        return json.load(resp)


def _reset(twin: Twin) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{twin.url}/_twin/reset", method="POST"))
    time.sleep(1.1)  # the twin's quota bucket fills up again


def _embed_in_parallel(twin: Twin, limiters: list, texts: int) -> float:
    """Two 16-thread embedders with their limiters, each embedding ``texts`` texts at once."""
    embedders = [NovaEmbedder(dimension=256, endpoint_url=twin.url, region="us-east-1",
                              pool_size=16, retry_base_delay=0.05, rate_limiter=lim)
                 for lim in limiters]
    out: list = [None] * len(embedders)

    def run(n: int) -> None:
        out[n] = embedders[n].embed_texts([f"embedder {n}, text {i}" for i in range(texts)])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(embedders))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(v is not None and v.shape == (texts, 256) for v in out)
    assert all(e.usage.failures == 0 for e in embedders)
    return time.perf_counter() - started


def test_one_shared_limiter_keeps_two_embedders_under_the_quota(quota_twin):
    # control: a limiter each, each at the quota → twice the quota → the twin throttles
    own = [AdaptiveLimiter(QUOTA), AdaptiveLimiter(QUOTA)]
    _embed_in_parallel(quota_twin, own, 40)
    assert _stats(quota_twin)["faults"].get("throttled", 0) > 0
    _reset(quota_twin)

    shared = AdaptiveLimiter(QUOTA)
    seconds = _embed_in_parallel(quota_twin, [shared, shared], 40)
    stats = _stats(quota_twin)
    assert stats["faults"].get("throttled", 0) == 0, stats
    assert stats["outcomes"] == {"InvokeModel:ok": 80}  # nothing lost, nothing sent twice
    assert shared.snapshot() == {"max_rps": QUOTA, "rate": QUOTA, "requests": 80,
                                 "throttles": 0}
    rps = 80 / seconds
    print(f"\nshared limiter: 80 calls in {seconds:.2f} s = {rps:.1f} rps (quota {QUOTA:g})")
    # never above the quota; how close below it a loaded machine gets is not this test's
    # business (the limiter's own rate, QUOTA, is checked above)
    assert rps <= QUOTA * 1.02


def test_max_rps_paces_one_embedder_and_no_quota_adapts(quota_twin):
    nova = NovaEmbedder(dimension=256, endpoint_url=quota_twin.url, region="us-east-1",
                        pool_size=16, retry_base_delay=0.05, max_rps=QUOTA)
    assert nova.retry_mode == "standard"  # the limiter paces, not botocore's own
    nova.embed_texts([f"paced {i}" for i in range(60)])
    assert _stats(quota_twin)["faults"].get("throttled", 0) == 0
    assert nova.usage.throttles == 0 and nova.usage.calls == 60
    _reset(quota_twin)

    learning = AdaptiveLimiter()  # no known quota: learns it from throttles, loses nothing
    nova = NovaEmbedder(dimension=256, endpoint_url=quota_twin.url, region="us-east-1",
                        pool_size=16, retry_base_delay=0.05, rate_limiter=learning)
    nova.embed_texts([f"learning {i}" for i in range(80)])
    stats = _stats(quota_twin)
    assert stats["outcomes"]["InvokeModel:ok"] == 80 and nova.usage.failures == 0
    assert learning.throttles == stats["faults"]["throttled"] > 0
    assert learning.rate is not None  # paced since its first throttle


def test_start_async_invoke_is_paced_and_polling_is_not(quota_twin):
    import boto3

    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

    boto3.client("s3", endpoint_url=quota_twin.url, region_name="us-east-1").create_bucket(
        Bucket="stage")
    limiter = AdaptiveLimiter(QUOTA)
    nova = NovaEmbedder(dimension=256, endpoint_url=quota_twin.url, region="us-east-1",
                        s3_staging="s3://stage/nova", long_text_chars=1000,
                        rate_limiter=limiter)
    text = "alpha beta gamma " * 300  # above long_text_chars: one StartAsyncInvoke job
    item = MediaItem.from_bytes(text.encode(), source="long.txt")
    (rows,) = nova.embed([(item, [Segment(0, text=text)])], purpose="GENERIC_INDEX")
    assert rows and nova.usage.async_jobs == 1 and nova.usage.failures == 0
    assert _stats(quota_twin)["outcomes"] == {"StartAsyncInvoke:ok": 1}
    # one paced request: StartAsyncInvoke; GetAsyncInvoke polls and S3 calls are not paced
    assert nova.usage.requests > 1 and limiter.snapshot()["requests"] == 1
