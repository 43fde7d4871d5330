"""Nova embedder throughput against the twin, vs the walkthrough's sequential loop.

The twin runs in its own process (``nova-toolkit serve --fast-embeddings``) with 150 ms
latency, so the figures measure the client. Prints:

1. 1,000 texts: NovaEmbedder (bounded pool) vs a naive sequential ``invoke_model`` loop
   on the same twin — goal ≥ 20x;
2. with ``--rps-quota 50``: sustained requests/s of the NovaEmbedder — goal ≥ 45 — and
   lost items (goal 0).

Run: ``python benchmarks/bench_nova_throughput.py [--texts 1000] [--naive 100]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def twin(*switches: str):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nova_toolkit.cli", "serve", "--port",
                             str(port), "--fast-embeddings", *switches],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_twin/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"twin did not start: {proc.stderr.read().decode()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def naive_loop(url: str, texts: list[str]) -> float:
    """The walkthrough's loop: one invoke_model after the other. Returns seconds."""
    import boto3

    client = boto3.client("bedrock-runtime", endpoint_url=url, region_name="us-east-1")
    started = time.perf_counter()
    for text in texts:
        body = {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 1024,
            "text": {"truncationMode": "END", "value": text}}}
        resp = client.invoke_model(body=json.dumps(body), modelId=MODEL_ID,
                                   accept="application/json", contentType="application/json")
        json.loads(resp["body"].read())["embeddings"][0]["embedding"]
    return time.perf_counter() - started


def nova_run(url: str, texts: list[str], pool_size: int) -> tuple[float, object, int]:
    """Embed with the NovaEmbedder → (seconds, usage, lost items)."""
    from nova_toolkit.embedders import Embedding, get_embedder
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

    nova = get_embedder("nova", dimension=1024, endpoint_url=url, region="us-east-1",
                        pool_size=pool_size)
    batch = [(MediaItem.from_bytes(t.encode(), source=f"t{i}.txt"), [Segment(0, text=t)])
             for i, t in enumerate(texts)]
    started = time.perf_counter()
    results = nova.embed(batch, purpose="GENERIC_INDEX")
    seconds = time.perf_counter() - started
    lost = sum(not (len(r) == 1 and isinstance(r[0], Embedding)) for r in results)
    return seconds, nova.usage, lost


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=1000)
    ap.add_argument("--naive", type=int, default=100,
                    help="texts timed in the naive loop (its rate is extrapolated)")
    ap.add_argument("--pool", type=int, default=32, help="NovaEmbedder pool_size (its default)")
    ap.add_argument("--quota-pool", type=int, default=16,
                    help="pool_size for the quota run (quota x latency = 7.5 in flight suffice; "
                         "a larger pool makes botocore's adaptive limiter back off further)")
    args = ap.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    texts = [f"benchmark text {i}: a short passage about item {i}" for i in range(args.texts)]

    with twin("--latency-ms", "150") as url:
        naive_s = naive_loop(url, texts[: args.naive])
        naive_rate = args.naive / naive_s
        seconds, usage, lost = nova_run(url, texts, args.pool)
        rate = args.texts / seconds
        print(f"150 ms latency: naive loop {naive_rate:.1f} texts/s ({args.naive} texts in "
              f"{naive_s:.1f} s); NovaEmbedder pool={args.pool}: {rate:.1f} texts/s "
              f"({args.texts} in {seconds:.1f} s) -> {rate / naive_rate:.1f}x "
              f"(goal >= 20x); lost {lost}")

    with twin("--latency-ms", "150", "--rps-quota", "50") as url:
        seconds, usage, lost = nova_run(url, texts, args.quota_pool)
        print(f"150 ms latency, --rps-quota 50, pool={args.quota_pool}: {args.texts / seconds:.1f} requests/s "
              f"sustained (goal >= 45), lost {lost} (goal 0); {usage.summary()}")


if __name__ == "__main__":
    main()
