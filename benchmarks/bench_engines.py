"""Engines: the same mixed library through the in-process engine, a local Ray and a 2-node cluster.

    python benchmarks/bench_engines.py [--n 2000 --seed 0 --runs local,ray,cluster --json PATH]
    python benchmarks/bench_engines.py --child local|ray|cluster --lib DIR --out DIR --result F

A deterministic mixed library (``engines_library.py``: ~80 % distinct texts, 15 % images,
4 % audio clips, 1 % PDFs, a few exact duplicates) is embedded with the real local backend
into a fresh collection by each run, each in its own child process so each is measured alone:

(a) ``local``: ``Collection.add(engine="local")``, in this process.
(b) ``ray``: a local Ray started by the child with the engine's own ``connect(RayEngine())``
    (the options a default ``engine="ray"`` run starts it with), then ``engine=RayEngine()``.
(c) ``cluster``: a ``ray.cluster_utils.Cluster`` of 2 nodes x 1 CPU on 127.0.0.1, then
    ``RayEngine(address=cluster.address, workers=2, worker_cpus=0.5)``.

Figures per run: wall time of the add; CPU-seconds of the whole process tree (the child and
every descendant: gcs, raylets, Ray workers, ffmpeg), read with psutil as
user + system + children_user + children_system summed over the live tree just before Ray
shuts down (a reaped child is counted in its parent's children_* times), taken before and
after the add, minus this benchmark's own sampler thread; peak memory (sum of the tree's RSS,
sampled every 0.25 s; shared pages such as Ray's object store count once per process mapping
them); for Ray the start-up cost (``ray.init`` / cluster start, and the wall time of an 8-file
run on the started Ray: actor start-up + model load) and the CPU the idle Ray uses. The
machine's other CPU use during the add (system-wide busy time minus the tree's) is printed
to show interference. Each Ray run's CPU is split by process (last seen by the sampler).

Goal (issue 12): CPU-seconds per file, Ray / in-process <= 1.1. The parent checks the three
collections are equal (same row keys and fields, same items and failures, vectors allclose
atol 1e-5).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engines_library import Mix, make_library, text_body  # noqa: E402

RUNS = ("local", "ray", "cluster")
NODE = {"num_cpus": 1, "object_store_memory": 150 * 2**20, "node_ip_address": "127.0.0.1"}


def label(proc: psutil.Process) -> str:
    """A short name for a process of the tree (Ray workers carry their task in their title)."""
    try:
        cmd = proc.cmdline()
        name = proc.name()
    except psutil.Error:
        return "?"
    if cmd and cmd[0].startswith("ray::"):
        return cmd[0].split()[0]
    if name.startswith("python") or (cmd and "python" in os.path.basename(cmd[0])):
        script = next((c for c in cmd[1:] if c.endswith(".py")), None)
        if script:
            return os.path.basename(script)
        return "python (-m " + cmd[2] + ")" if len(cmd) > 2 and cmd[1] == "-m" else name
    return name


def ignores_sigchld(pid: int) -> bool:
    """True when ``pid`` ignores SIGCHLD: its children are reaped without adding their CPU
    to its children_* times (Ray's raylet does this to its workers)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            mask = next(ln for ln in fh if ln.startswith("SigIgn:")).split()[1]
    except (OSError, StopIteration):
        return True
    return bool(int(mask, 16) & (1 << 16))


@dataclass
class Seen:
    """What the sampler last saw of one process of the tree."""

    label: str
    own: float          # user + system
    children: float     # children_user + children_system (its reaped children)
    at: float           # when
    lost_on_exit: bool  # nobody in the tree will count its CPU when it ends


class Tree:
    """Samples this process and its descendants every ``every`` s: RSS sum (peak), each one's CPU.

    The CPU of the tree between two :meth:`snapshot` calls counts every process alive at the
    second one exactly (user+system+children_*); a process that ended in between counts with
    its last sample only when its parent ignores SIGCHLD (a Ray worker under its raylet),
    otherwise its parent's children_* times already hold it (ffmpeg under Python).
    """

    def __init__(self, every: float = 0.25) -> None:
        self.root = psutil.Process()
        self.every = every
        self.peak_rss = 0
        self.seen: dict[tuple[int, float], Seen] = {}
        self.sampler_cpu = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> dict[tuple[int, float], Seen]:
        """Sample the live tree now; its processes by (pid, create time)."""
        rss, alive, now = 0, {}, time.perf_counter()
        with self._lock:
            for p in [self.root, *self.root.children(recursive=True)]:
                try:
                    with p.oneshot():
                        rss += p.memory_info().rss
                        t = p.cpu_times()
                        key = (p.pid, p.create_time())
                        old = self.seen.get(key)
                        name = label(p)
                        if old is not None and name in ("ray::IDLE", "?"):
                            name = old.label  # keep what the worker last did
                        lost = old.lost_on_exit if old else (
                            p.pid != self.root.pid and ignores_sigchld(p.ppid()))
                        alive[key] = self.seen[key] = Seen(
                            name, t.user + t.system, t.children_user + t.children_system,
                            now, lost)
                except psutil.Error:
                    continue
            self.peak_rss = max(self.peak_rss, rss)
        return alive

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()
            self.sampler_cpu = time.thread_time()

    def start(self) -> Tree:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def snapshot(self) -> tuple[float, dict[tuple[int, float], Seen]]:
        return time.perf_counter(), self.sample()

    def between(self, a: tuple, b: tuple) -> tuple[float, dict[str, float]]:
        """CPU-seconds of the tree from snapshot ``a`` to ``b``, and own CPU by process kind."""
        (t0, start), (t1, end) = a, b
        total, kinds = 0.0, defaultdict(float)
        with self._lock:
            seen = dict(self.seen)
        for key, rec in seen.items():
            if key in end:
                rec = end[key]
            elif not (rec.lost_on_exit and t0 < rec.at <= t1):
                continue
            first = start.get(key)
            own0, kids0 = (first.own, first.children) if first else (0.0, 0.0)
            total += rec.own + rec.children - own0 - kids0
            kinds[rec.label] += rec.own - own0
            if rec.children - kids0 > 0.05:
                kinds[rec.label + " (reaped children)"] += rec.children - kids0
        return total, {k: round(v, 2) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])
                       if v >= 0.05}


def busy() -> float:
    """System-wide busy CPU-seconds (all cores)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def child(args: argparse.Namespace) -> None:
    """One measured run (``--child``); writes its figures as JSON to ``--result``."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # before ray is imported
    tree = Tree().start()
    t_start = time.perf_counter()
    from nova_toolkit.collection import Collection
    from nova_toolkit.pipeline.ray_engine import RayEngine, connect

    out: dict = {"run": args.child}
    tuned = json.loads(args.ray_options or "{}")
    cluster = None
    engine: object = "local"
    if args.child in ("ray", "cluster"):
        t0 = time.perf_counter()
        if args.child == "ray":
            engine = RayEngine(**tuned)
            connect(engine)
        else:
            from ray.cluster_utils import Cluster

            cluster = Cluster(initialize_head=True, connect=False,
                              head_node_args={**NODE, "include_dashboard": False})
            cluster.add_node(**NODE)
            cluster.wait_for_nodes()
            engine = RayEngine(**{"address": cluster.address, "workers": 2, "worker_cpus": 0.5,
                                  **tuned})
            connect(engine)
        out["start_s"] = time.perf_counter() - t0
        a = tree.snapshot()
        time.sleep(args.idle)
        b = tree.snapshot()
        out["idle_s"] = b[0] - a[0]
        out["idle_cpu_per_s"] = tree.between(a, b)[0] / out["idle_s"]
        out["idle_by_process"] = tree.between(a, b)[1]
        tiny = Collection.open(Path(args.out).with_name(args.child + "-tiny"))
        a = tree.snapshot()
        tiny.add([args.tiny], progress=False, engine=engine)
        b = tree.snapshot()
        out["tiny_s"] = b[0] - a[0]
        out["tiny_cpu_s"] = tree.between(a, b)[0]
        out["engine"] = repr(engine)
    coll = Collection.open(args.out)
    a, busy0, sampler0 = tree.snapshot(), busy(), tree.sampler_cpu
    report = coll.add([args.lib], progress=False, engine=engine)
    b, busy1, sampler1 = tree.snapshot(), busy(), tree.sampler_cpu
    out["wall_s"] = b[0] - a[0]
    cpu, out["by_process"] = tree.between(a, b)
    out["sampler_cpu_s"] = sampler1 - sampler0  # this benchmark's own sampling, taken out
    out["cpu_s"] = cpu - out["sampler_cpu_s"]
    out["other_cpu_s"] = max(0.0, (busy1 - busy0) - cpu)
    out["total_cpu_s"] = tree.between((t_start, {}), tree.snapshot())[0]
    out["total_wall_s"] = time.perf_counter() - t_start
    tree.stop()
    out["peak_rss_mb"] = tree.peak_rss / 2**20
    out["report"] = {"embedded": report.embedded, "cached": report.cached,
                     "failed": report.failed, "segments": report.segments,
                     "embedder_calls": report.embedder_calls}
    out["files"] = report.embedded + report.cached + report.failed + report.unchanged
    if args.child in ("ray", "cluster"):
        import ray

        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()
    Path(args.result).write_text(json.dumps(out, indent=1))


def snapshot(path: Path) -> dict:
    """What must be equal between the runs: row fields by key, vectors, items, failures."""
    from nova_toolkit.collection import Collection

    coll = Collection.open(path, create=False)
    table = coll.to_arrow(vectors=True).sort_by("key")
    rows = {r["key"]: r for r in table.drop_columns(["vector"]).to_pylist()}
    vectors = (np.stack(table.column("vector").to_numpy(zero_copy_only=False))
               if table.num_rows else np.zeros((0, coll.settings.dimension), np.float32))
    items = sorted((r["source"], r["cache_key"], r["n_segments"], r["modality"], r["note"])
                   for r in coll.store.items().to_pylist())
    failures = sorted((r["source"], r["stage"], r["segment_index"], r["reason"])
                      for r in coll.failures().to_pylist())
    return {"rows": rows, "vectors": vectors, "items": items, "failures": failures}


def compare(a: dict, b: dict) -> dict:
    """Equality of two snapshots, and what differs (fields and modalities of differing rows)."""
    same_keys = list(a["rows"]) == list(b["rows"])
    fields: dict[str, int] = defaultdict(int)
    modalities: dict[str, int] = defaultdict(int)
    examples = []
    diff = None
    if same_keys:
        far = (np.abs(a["vectors"] - b["vectors"]).max(axis=1) > 1e-5
               if len(a["vectors"]) else np.zeros(0, bool))
        diff = float(np.abs(a["vectors"] - b["vectors"]).max()) if len(a["vectors"]) else 0.0
        for n, key in enumerate(a["rows"]):
            ra, rb = a["rows"][key], b["rows"][key]
            changed = [f for f in ra if ra[f] != rb[f]] + (["vector"] if far[n] else [])
            for f in changed:
                fields[f] += 1
            if changed:
                modalities[ra["modality"]] += 1
                if len(examples) < 3:
                    examples.append({"key": key, **{f: [str(ra[f])[:80], str(rb[f])[:80]]
                                                     for f in changed if f != "vector"}})
    equal = bool(same_keys and not fields and a["items"] == b["items"]
                 and a["failures"] == b["failures"])
    return {"keys": same_keys, "rows": not fields, "items": a["items"] == b["items"],
            "failures": a["failures"] == b["failures"], "max_vector_diff": diff,
            "equal": equal, "differing_fields": dict(fields),
            "differing_rows_by_modality": dict(modalities), "examples": examples}


def parent(args: argparse.Namespace) -> None:
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        mix = make_library(root / "lib", Mix.of(args.n, {"image": args.image, "audio": args.audio,
                                                       "pdf": args.pdf}, args.dupes), args.seed)
        tiny = root / "tiny"
        tiny.mkdir()
        import random

        rng = random.Random(args.seed + 1)
        for i in range(8):
            (tiny / f"tiny-{i}.txt").write_text("Warm-up. " + text_body(rng, ["A tiny run."], i))
        print(f"library: {mix.total} files: {mix.describe()}  (made in "
              f"{time.perf_counter() - t0:.1f} s)", flush=True)
        results = {}
        for run in runs:
            result = root / f"{run}.json"
            cmd = [sys.executable, __file__, "--child", run, "--lib", str(root / "lib"),
                   "--tiny", str(tiny), "--out", str(root / "colls" / run),
                   "--result", str(result), "--idle", str(args.idle),
                   "--ray-options", args.ray_options or "{}"]
            print(f"[{run}] running ...", flush=True)
            subprocess.run(cmd, check=True)
            results[run] = json.loads(result.read_text())
            r = results[run]
            print(f"[{run}] {r['wall_s']:.1f} s, {r['cpu_s']:.1f} CPU-s, {r['report']}", flush=True)
        snaps = {run: snapshot(root / "colls" / run) for run in runs}
    base = runs[0]
    checks = {run: compare(snaps[base], snaps[run]) for run in runs[1:]}
    show(mix, results, checks, base)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"n": mix.total, "mix": mix.as_dict(), "runs": results, "equal_to_" + base: checks},
            indent=1))
        print(f"figures saved to {args.json}")


def show(mix: Mix, results: dict, checks: dict, base: str) -> None:
    print(f"\n{mix.total} files ({mix.describe()}); {psutil.cpu_count()} CPUs, "
          f"load average now {os.getloadavg()[0]:.2f}")
    head = (f"{'run':8} {'wall s':>8} {'CPU-s':>8} {'CPU-s/file':>10} {'peak MB':>8} "
            f"{'start s':>8} {'8-file s':>8} {'8-file CPU-s':>12} {'idle CPU/s':>10} {'other CPU-s':>11}")
    print(head)
    nan = float("nan")
    for run, r in results.items():
        n = max(1, r["files"])
        print(f"{run:8} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['cpu_s'] / n:10.4f} "
              f"{r['peak_rss_mb']:8.0f} {r.get('start_s', nan):8.1f} "
              f"{r.get('tiny_s', nan):8.1f} {r.get('tiny_cpu_s', nan):12.1f} "
              f"{r.get('idle_cpu_per_s', nan):10.3f} "
              f"{r['other_cpu_s']:11.1f}")
    b = results[base]
    for run, r in results.items():
        if run == base:
            continue
        ratio = (r["cpu_s"] / max(1, r["files"])) / (b["cpu_s"] / max(1, b["files"]))
        verdict = "meets" if ratio <= 1.1 else "misses"
        print(f"{run} / {base}: CPU-s per file {ratio:.2f}x (goal <= 1.1: {verdict}), wall "
              f"{r['wall_s'] / b['wall_s']:.2f}x, peak memory "
              f"{r['peak_rss_mb'] / b['peak_rss_mb']:.2f}x")
    for run, c in checks.items():
        print(f"{run} == {base}: {'EQUAL' if c['equal'] else 'DIFFERENT'} (keys {c['keys']}, rows "
              f"{c['rows']}, items {c['items']}, failures {c['failures']}, max |vector diff| "
              f"{c['max_vector_diff']})")
        if not c["equal"]:
            print(f"  differing rows by modality {c['differing_rows_by_modality']}, fields "
                  f"{c['differing_fields']}; e.g. {c['examples']}")
    for run, r in results.items():
        print(f"{run} CPU-s by process during the add: {r['by_process']}")
        if "idle_by_process" in r:
            print(f"{run} idle Ray, CPU-s over {r['idle_s']:.0f} s: {r['idle_by_process']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="files in the library")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--image", type=float, default=0.15, help="fraction of images")
    ap.add_argument("--audio", type=float, default=0.04, help="fraction of audio clips")
    ap.add_argument("--pdf", type=float, default=0.01, help="fraction of PDFs")
    ap.add_argument("--dupes", type=int, default=10, help="exact duplicates among the n files")
    ap.add_argument("--runs", default=",".join(RUNS), help="runs, the first is the baseline")
    ap.add_argument("--idle", type=float, default=5.0, help="seconds of idle Ray measured")
    ap.add_argument("--json", help="save the figures here")
    ap.add_argument("--ray-options", help='experiments: RayEngine fields as JSON, e.g. '
                    '\'{"batch_items": 128, "plan_cpus": 0.25}\'')
    ap.add_argument("--child", choices=RUNS, help=argparse.SUPPRESS)
    for name in ("--lib", "--tiny", "--out", "--result"):
        ap.add_argument(name, help=argparse.SUPPRESS)
    args = ap.parse_args()
    child(args) if args.child else parent(args)


if __name__ == "__main__":
    main()
