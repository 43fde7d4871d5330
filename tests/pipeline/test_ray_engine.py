"""The Ray Data engine against the in-process one, on one local 2-node Ray cluster.

Every run here goes through real Ray Data (plan tasks, an embed actor pool) with the real
local backend, built inside the actors from the collection's settings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import ray_helpers
from ray_helpers import (
    DiesOn,
    DiesOnce,
    WaitsForPeers,
    assert_same,
    build_library,
    change_library,
    many_texts,
    snapshot,
)

from nova_toolkit.collection import Collection
from nova_toolkit.collection.opening import EmbedderSpec
from nova_toolkit.pipeline.ray_engine import MAX_RESTARTS, RayAddRunner, RayEngine

ROOT = Path(__file__).resolve().parents[2]
#: Two actors of half a CPU on the 2 x 1-CPU cluster leave a CPU for the plan tasks.
TWO_NODES = RayEngine(workers=2, worker_cpus=0.5)


@pytest.fixture(scope="module")
def ray_ready(ray_cluster):
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(ray_helpers)
    return ray_cluster


def both(tmp_path, local_embedder, paths, **kwargs):
    """The same add through both engines; (local report, ray report, local coll, ray coll)."""
    local = Collection.open(tmp_path / "local", embedder=local_embedder)
    remote = Collection.open(tmp_path / "ray")
    assert local.settings == remote.settings
    a = local.add(paths, progress=False, **kwargs)
    b = remote.add(paths, progress=False, engine=TWO_NODES, **kwargs)
    return a, b, local, remote


def counts(report):
    return (report.embedded, report.cached, report.unchanged, report.failed,
            sorted(report.failures), sorted(report.removed), report.segments)


def ray_runner(coll: Collection, build, engine: RayEngine = TWO_NODES, **options):
    return RayAddRunner(coll.store, segmentation=coll.segmentation,
                        embedder=lambda: coll.embedder, remote_embedder=build,
                        modalities=coll.embedder_factory_info().modalities, engine=engine,
                        progress=False, **options)


def test_both_engines_make_the_same_collection_then_the_same_update(
        tmp_path, local_embedder, ray_ready):
    lib = build_library(tmp_path / "lib")
    a, b, local, remote = both(tmp_path, local_embedder, [str(lib)])
    assert counts(a) == counts(b)
    assert (b.embedded, b.cached, b.failed) == (7, 1, 2)  # the copy of whales.txt is cached
    reasons = dict(b.failures)
    assert "empty" in reasons["empty.txt"]
    assert "broken.png" in reasons
    assert_same(snapshot(local), snapshot(remote))

    change_library(lib)
    a = local.add([str(lib)], progress=False)
    b = remote.add([str(lib)], progress=False, engine=TWO_NODES)
    assert counts(a) == counts(b)
    assert b.embedded == 1 and b.cached == 1  # the changed file; the new copy of bread.md
    assert b.removed == ["chess.txt"]
    assert b.failed == 2  # the empty file and the broken image are retried, and fail again
    assert_same(snapshot(local), snapshot(remote))


def test_a_run_uses_both_nodes_and_claims_each_content_once(tmp_path, local_embedder,
                                                            ray_ready):
    lib = many_texts(tmp_path / "lib", 24)
    for i in range(6):  # six more files with the content of note-000 .. note-005
        (lib / f"again-{i}.txt").write_bytes((lib / f"note-{i:03d}.txt").read_bytes())
    coll = Collection.open(tmp_path / "ray")
    (tmp_path / "actors").mkdir()
    build = WaitsForPeers(EmbedderSpec(coll.settings, str(coll.path), {}),
                          str(tmp_path / "actors"), peers=2)
    # 0.6 CPU per actor: two cannot share a 1-CPU node, so each node holds one
    runner = ray_runner(coll, build, engine=RayEngine(workers=2, worker_cpus=0.6, batch_items=4))
    report = runner.run([str(lib)])
    assert (report.embedded, report.cached, report.failed) == (24, 6, 0)
    assert len(os.listdir(tmp_path / "actors")) >= 2  # both actors were built
    assert len(runner.nodes) == 2  # the two actors ran on the two nodes
    local = Collection.open(tmp_path / "local", embedder=local_embedder)
    local.add([str(lib)], progress=False)
    assert_same(snapshot(local), snapshot(coll))


def test_a_killed_actor_is_restarted_and_nothing_is_lost(tmp_path, local_embedder, ray_ready):
    lib = many_texts(tmp_path / "lib", 12)
    coll = Collection.open(tmp_path / "ray")
    marker = tmp_path / "killed-once"
    build = DiesOnce(EmbedderSpec(coll.settings, str(coll.path), {}), str(marker))
    report = ray_runner(coll, build, engine=RayEngine(workers=1)).run([str(lib)])
    assert marker.exists()  # the actor did die
    assert (report.embedded, report.failed) == (12, 0)
    local = Collection.open(tmp_path / "local", embedder=local_embedder)
    local.add([str(lib)], progress=False)
    assert_same(snapshot(local), snapshot(coll))


def test_sources_lost_beyond_retries_are_stored_as_failed_and_retried(
        tmp_path, local_embedder, ray_ready):
    lib = many_texts(tmp_path / "lib", 6)
    coll = Collection.open(tmp_path / "ray")
    build = DiesOn(EmbedderSpec(coll.settings, str(coll.path), {}), "note-003.txt")
    with pytest.warns(RuntimeWarning, match="stored as failed"):
        report = ray_runner(coll, build, engine=RayEngine(workers=1, batch_items=1)).run(
            [str(lib)])
    assert MAX_RESTARTS < 10  # finite restarts: the run ended
    lost = dict(report.failures)
    assert "note-003.txt" in lost
    assert all("lost with its Ray worker" in r for r in lost.values())
    assert report.embedded + report.failed == 6  # every source is stored or failed
    stored = {r["source"] for r in coll.store.items().to_pylist()}
    failed = {r["source"] for r in coll.failures().to_pylist()}
    assert stored | failed == {p.name for p in lib.iterdir()} and not stored & failed

    again = coll.add([str(lib)], progress=False, engine=TWO_NODES)  # a healthy embedder
    assert again.failed == 0 and again.embedded == report.failed
    local = Collection.open(tmp_path / "local", embedder=local_embedder)
    local.add([str(lib)], progress=False)
    assert_same(snapshot(local), snapshot(coll))


DRIVER = textwrap.dedent("""
    import sys
    import ray
    import ray.cloudpickle
    sys.path.insert(0, sys.argv[4])
    import ray_helpers
    from nova_toolkit.collection import Collection
    from nova_toolkit.collection.opening import EmbedderSpec
    from nova_toolkit.pipeline.ray_engine import RayAddRunner, RayEngine
    ray.cloudpickle.register_pickle_by_value(ray_helpers)
    coll = Collection.open(sys.argv[1])
    slow = ray_helpers.Slow(EmbedderSpec(coll.settings, str(coll.path), {}), 0.4)
    RayAddRunner(coll.store, segmentation=coll.segmentation, embedder=lambda: coll.embedder,
                 remote_embedder=slow, modalities=coll.embedder_factory_info().modalities,
                 engine=RayEngine(address=sys.argv[3], workers=1, batch_items=2),
                 commit_rows=4, progress=False).run([sys.argv[2]])
""")


def test_a_driver_killed_mid_run_resumes_to_the_uninterrupted_collection(
        tmp_path, local_embedder, ray_ready):
    lib = many_texts(tmp_path / "lib", 60)
    target = tmp_path / "ray"
    Collection.open(target)  # created (settings fixed) before the driver starts
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    proc = subprocess.Popen([sys.executable, str(script), str(target), str(lib),
                             ray_ready.address, str(Path(__file__).parent)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if len(Collection.open(target, create=False).store.items()) >= 8:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the driver finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    coll = Collection.open(target, create=False)
    done = len(coll.store.items())
    assert 8 <= done < 60  # killed part-way: some commits landed

    resumed = coll.add([str(lib)], progress=False, engine=TWO_NODES)
    assert resumed.unchanged == done and resumed.embedded == 60 - done
    assert resumed.failed == 0
    local = Collection.open(tmp_path / "local", embedder=local_embedder)
    local.add([str(lib)], progress=False)
    assert_same(snapshot(local), snapshot(coll))


def test_cli_embeds_with_the_ray_engine_on_a_cluster(tmp_path, ray_ready):
    lib = many_texts(tmp_path / "lib", 5)
    out = subprocess.run(
        [sys.executable, "-m", "nova_toolkit.cli", "embed", str(lib), "--collection",
         str(tmp_path / "c"), "--engine", "ray", "--address", ray_ready.address,
         "--workers", "2", "--worker-cpus", "0.5", "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("embedded 5, cached 0, failed 0")


@pytest.mark.parametrize("flags, says", [
    (["--workers", "2"], "--workers only apply with --engine ray"),
    (["--engine", "ray", "--workers", "0"], "workers must be >= 1"),
    (["--engine", "ray", "--worker-cpus", "-1"], "worker_cpus must be > 0"),
])
def test_cli_engine_mistakes_are_one_line_and_exit_2(tmp_path, flags, says):
    lib = many_texts(tmp_path / "lib", 1)
    out = subprocess.run(
        [sys.executable, "-m", "nova_toolkit.cli", "embed", str(lib), "--collection",
         str(tmp_path / "c"), *flags], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2
    assert says in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_too_many_workers_for_the_cluster_is_a_clear_error(tmp_path, ray_ready):
    coll = Collection.open(tmp_path / "c")
    with pytest.raises(ValueError, match="leave less than"):
        coll.add([str(many_texts(tmp_path / "lib", 1))], progress=False,
                 engine=RayEngine(workers=2, worker_cpus=1))
