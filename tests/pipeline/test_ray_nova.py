"""The nova backend under the Ray engine against ``nova-toolkit serve --rps-quota``: two embed
actors share one Bedrock rate limit (the named limiter actor of ``pipeline/ray_limits``), so
nothing is lost, the twin throttles nothing and its observed request rate stays under the
quota; a duplicated file's content is paid for once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from nova_toolkit.collection import Collection
from nova_toolkit.pipeline.ray_engine import RayEngine

QUOTA = 20.0
DISTINCT, DUPLICATES = 60, 12
#: What the twin needs to sign requests (the Ray workers get them from the ``ray_cluster``
#: fixture's runtime_env: they do not inherit the test process's environment).
TWIN_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                    "AWS_DEFAULT_REGION": "us-east-1"}
#: werkzeug's access-log line of one InvokeModel answer (``--verbose``).
INVOKE_LINE = re.compile(r'\[(\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d)\] "POST /model/[^ ]+/invoke '
                         r'HTTP/1\.1" (\d{3})')


@pytest.fixture
def quota_twin(tmp_path):
    """``nova-toolkit serve --rps-quota 20 --latency-ms 50 --verbose`` → (url, its log file)."""
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "nova_toolkit.cli", "serve", "--port",
                                 "0", "--fast-embeddings", "--rps-quota", f"{QUOTA:g}",
                                 "--latency-ms", "50", "--verbose"],
                                stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, found = time.monotonic() + 60, None
        while found is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read_text())
            time.sleep(0.1)
        if found is None:
            pytest.fail(f"serve did not start: {log.read_text()}")
        yield found.group(1), log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_twin/stats") as resp:
        return json.load(resp)


def _library(folder: Path) -> list[Path]:
    folder.mkdir()
    files = []
    for i in range(DISTINCT):
        files.append(folder / f"note-{i:03d}.txt")
        files[-1].write_text(f"Note {i}: the {i % 7}th shelf holds {i * 3} jars of plum jam.\n")
    for i in range(DUPLICATES):  # same bytes as note-00i: one paid call for both
        files.append(folder / f"copy-{i:03d}.txt")
        files[-1].write_bytes(files[i].read_bytes())
    return files


def test_nova_under_ray_shares_one_quota(ray_cluster, quota_twin, tmp_path, monkeypatch):
    from nova_toolkit.pipeline.ray_limits import cluster_limiter

    url, log = quota_twin
    for key, value in TWIN_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    files = _library(tmp_path / "library")
    coll = Collection.open(tmp_path / "coll", backend="nova", dimension=256, endpoint_url=url,
                           region="us-east-1", max_rps=QUOTA, pool_size=8)
    # small batches so that both embed actors (one per node) send requests at once
    report = coll.add([str(tmp_path / "library")], progress=False,
                      engine=RayEngine(workers=2, worker_cpus=0.5, batch_items=4))

    # nothing lost: every file is in the collection, no failure
    assert report.failed == 0 and not report.failures, report.failures
    assert report.embedded == DISTINCT and report.cached == DUPLICATES, report.summary()
    stored = set(coll.store.segments().column("source").to_pylist())
    assert stored == {f.relative_to(tmp_path / "library").as_posix() for f in files}  # keys

    # duplicate content costs one call: each distinct input reached the twin once
    stats = _stats(url)
    inputs = stats["inputs"]
    assert len(inputs) == DISTINCT
    assert all(c == {"attempts": 1, "served": 1} for c in inputs.values()), (
        [c for c in inputs.values() if c != {"attempts": 1, "served": 1}], stats["outcomes"])
    outcomes = stats["outcomes"]
    assert outcomes.get("InvokeModel:ok") == DISTINCT
    assert outcomes.get("InvokeModel:ThrottlingException", 0) == 0, outcomes
    assert stats["faults"].get("throttled", 0) == 0

    # every request went through the one shared limiter, paced at the quota
    shared = cluster_limiter(max_rps=QUOTA).snapshot()
    assert shared["requests"] == DISTINCT and shared["throttles"] == 0, shared
    assert shared["rate"] == QUOTA

    # the twin's own access log: answers per wall-clock second never above the quota
    # (+1 for a second's boundary), and the run took the time the quota asks for
    stamps = [datetime.strptime(m.group(1), "%d/%b/%Y %H:%M:%S")
              for m in INVOKE_LINE.finditer(log.read_text()) if m.group(2) == "200"]
    assert len(stamps) == DISTINCT
    per_second = Counter(stamps)
    span = (max(stamps) - min(stamps)).total_seconds()
    observed = DISTINCT / (span + 1)
    print(f"\nnova under Ray: {DISTINCT} calls in {span + 1:.0f} s → {observed:.1f} rps "
          f"(quota {QUOTA:g}), busiest second {max(per_second.values())}, throttles "
          f"{outcomes.get('InvokeModel:ThrottlingException', 0)}")
    assert max(per_second.values()) <= QUOTA + 1, per_second
    assert span + 1 >= (DISTINCT - 1) / QUOTA  # paced: unpaced, 16 threads would take < 1 s


def test_a_workers_bad_aws_configuration_stops_the_run(ray_cluster, tmp_path):
    from nova_toolkit import ConfigurationError

    lib = tmp_path / "library"
    lib.mkdir()
    for i in range(6):
        (lib / f"n{i}.txt").write_text(f"Note {i} about the tides.\n")
    # the profile is looked up on the Ray workers, which have no such profile: nothing can
    # succeed, so the run stops with the reason instead of storing six failures
    coll = Collection.open(tmp_path / "coll", backend="nova", dimension=256,
                           endpoint_url="http://127.0.0.1:9", region="us-east-1",
                           profile="nosuchprofile-on-the-workers")
    with pytest.raises(ConfigurationError, match="on a Ray worker: --profile "
                                                 "'nosuchprofile-on-the-workers'"):
        coll.add([str(lib)], progress=False, engine=RayEngine(workers=1, batch_items=2))
    assert coll.store.failures().num_rows == 0 and len(coll) == 0
