"""``nova-toolkit serve``: run the local AWS twin (bedrock-runtime, s3vectors, s3, sts)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

NAME = "serve"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``serve`` to ``subparsers``; its handler is :func:`run`."""
    v = subparsers.add_parser(NAME, help="run the local AWS twin (bedrock-runtime, s3vectors, s3)")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8555)
    v.add_argument("--root", default=None, metavar="DIR",
                   help="directory of the S3 Vectors data (default: a temporary directory)")
    v.add_argument("--latency-ms", type=float, default=0.0, metavar="MS",
                   help="added to every model call")
    v.add_argument("--rps-quota", type=float, default=None, metavar="N",
                   help="model calls per second before ThrottlingException (429)")
    v.add_argument("--throttle-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls answered ThrottlingException (429)")
    v.add_argument("--error-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls answered 500/503")
    v.add_argument("--timeout-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls answered ModelTimeoutException (408)")
    v.add_argument("--drop-rate", type=float, default=0.0, metavar="P",
                   help="share of model calls whose connection is closed unanswered")
    v.add_argument("--fast-embeddings", action="store_true",
                   help="deterministic hash-seeded vectors instead of the local model")
    v.add_argument("--max-text-segments", type=int, default=None, metavar="N",
                   help="segments one async text job may produce (Nova: 1,900)")
    v.add_argument("--max-media-segments", type=int, default=None, metavar="N",
                   help="segments one async audio/video job may produce (Nova: 1,434)")
    v.add_argument("--seed", type=int, default=None, help="seed of the fault injector")
    v.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a Host name to serve besides loopback ones (repeatable)")
    v.add_argument("--idle-timeout", type=float, default=30.0, metavar="S",
                   help="seconds before an idle or trickling connection is closed")
    v.add_argument("--verbose", action="store_true",
                   help="log every request (presigned credentials redacted)")
    v.set_defaults(handler=run)
    return v


def run(args: argparse.Namespace) -> int:
    """Serve the twin until interrupted."""
    from nova_toolkit.twin import TwinConfig, serve

    limits = {k: v for k in ("max_text_segments", "max_media_segments")
              if (v := getattr(args, k)) is not None}
    config = TwinConfig(root=args.root, latency_ms=args.latency_ms, rps_quota=args.rps_quota,
                        throttle_rate=args.throttle_rate, error_rate=args.error_rate,
                        timeout_rate=args.timeout_rate, drop_rate=args.drop_rate,
                        fast_embeddings=args.fast_embeddings, seed=args.seed,
                        quiet=not args.verbose, allowed_hosts=tuple(args.allow_host),
                        idle_timeout_s=args.idle_timeout, **limits)
    try:
        serve(config, host=args.host, port=args.port)
    except KeyboardInterrupt:
        print("nova-toolkit: twin stopped", file=sys.stderr)
    return 0
