"""``nova-toolkit push`` / ``nova-toolkit pull``: CLI wiring of :mod:`.sync`.

cli.py calls ``add_sync_commands(sub)`` on its sub-parsers and dispatches ``push`` /
``pull`` to :data:`SYNC_HANDLERS` (each parsed namespace also carries ``func``)::

    nova-toolkit push --collection DIR --bucket B --index I [--endpoint-url URL]
                      [--profile P] [--region R] [--batch 500] [--restart]
    nova-toolkit pull --bucket B --index I --to DIR [--endpoint-url URL ...]
                      [--segments N] [--checkpoint FILE] [--restart]

``push`` also accepts ``--local-root DIR`` (a local mirror root) with ``--local-bucket``
/ ``--local-index`` (default ``collection`` / ``segments``) instead of ``--collection``.
Both resume an interrupted run from their checkpoint unless ``--restart`` is given.
Handlers return the process exit code.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _remote_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bucket", required=True, help="remote vector bucket name")
    p.add_argument("--index", required=True, help="remote index name")
    p.add_argument("--endpoint-url", default=None, help="S3 Vectors endpoint (e.g. the twin)")
    p.add_argument("--profile", default=None, help="AWS profile")
    p.add_argument("--region", default=None, help="AWS region")


def add_sync_commands(subparsers: Any) -> None:
    """Add the ``push`` and ``pull`` sub-commands to an argparse sub-parsers object."""
    p = subparsers.add_parser("push", help="push a collection's index to S3 Vectors")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--collection", metavar="DIR", help="collection directory")
    src.add_argument("--local-root", metavar="DIR", help="local S3 Vectors mirror root")
    p.add_argument("--local-bucket", default="collection")
    p.add_argument("--local-index", default="segments")
    _remote_args(p)
    p.add_argument("--batch", type=int, default=500, help="vectors per PutVectors (1-500)")
    p.add_argument("--checkpoint", default=None, help="checkpoint file (resume state)")
    p.add_argument("--restart", action="store_true", help="ignore the checkpoint")
    p.set_defaults(func=run_push)

    q = subparsers.add_parser("pull", help="pull an S3 Vectors index into a local mirror")
    _remote_args(q)
    q.add_argument("--to", required=True, metavar="DIR", help="local mirror root directory")
    q.add_argument("--local-bucket", default=None, help="local bucket (default: --bucket)")
    q.add_argument("--local-index", default=None, help="local index (default: --index)")
    q.add_argument("--segments", type=int, default=1, help="parallel ListVectors segments (1-16)")
    q.add_argument("--checkpoint", default=None, help="checkpoint file (resume state)")
    q.add_argument("--restart", action="store_true", help="ignore the checkpoint")
    q.set_defaults(func=run_pull)


def _client(args: argparse.Namespace) -> Any:
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    return session.client("s3vectors", endpoint_url=args.endpoint_url)


def run_push(args: argparse.Namespace) -> int:
    from . import local_client, sync

    if args.collection:
        source: Any = args.collection
    else:
        source = (local_client(args.local_root), args.local_bucket, args.local_index)
    report = sync.push(
        source, _client(args), bucket=args.bucket, index=args.index, batch=args.batch,
        checkpoint=args.checkpoint, restart=args.restart,
        on_batch=lambda n: print(f"\rpushed {n}", end="", file=sys.stderr, flush=True),
    )  # fmt: skip
    print(file=sys.stderr)
    print(f"push {args.bucket}/{args.index}: {report.summary()}")
    if report.non_filterable:
        print(f"non-filterable metadata keys: {', '.join(report.non_filterable)}")
    for note in report.notes:
        print(note)
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from . import sync

    report = sync.pull(
        _client(args), bucket=args.bucket, index=args.index, to=args.to,
        local_bucket=args.local_bucket, local_index=args.local_index, segments=args.segments,
        checkpoint=args.checkpoint, restart=args.restart,
        on_page=lambda n: print(f"\rpulled {n}", end="", file=sys.stderr, flush=True),
    )  # fmt: skip
    print(file=sys.stderr)
    print(f"pull {args.bucket}/{args.index} -> {args.to}: {report.summary()}")
    for note in report.notes:
        print(note)
    return 0


SYNC_HANDLERS = {"push": run_push, "pull": run_pull}
