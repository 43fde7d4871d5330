"""``nova-toolkit pull``: copy an S3 Vectors index into a local mirror directory.

    nova-toolkit pull --bucket B --index I --to DIR [--endpoint-url URL ...]
                      [--segments N] [--checkpoint FILE] [--restart]

An interrupted pull resumes from its checkpoint unless ``--restart`` is given.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nova_toolkit.cli.remote import add_remote_options, remote_client

NAME = "pull"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``pull`` to ``subparsers``; its handler is :func:`run`."""
    q = subparsers.add_parser(NAME, help="pull an S3 Vectors index into a local mirror")
    add_remote_options(q)
    q.add_argument("--to", required=True, metavar="DIR", help="local mirror root directory")
    q.add_argument("--local-bucket", default=None, help="local bucket (default: --bucket)")
    q.add_argument("--local-index", default=None, help="local index (default: --index)")
    q.add_argument("--segments", type=int, default=1, help="parallel ListVectors segments (1-16)")
    q.add_argument("--checkpoint", default=None, help="checkpoint file (resume state)")
    q.add_argument("--restart", action="store_true", help="ignore the checkpoint")
    q.set_defaults(handler=run)
    return q


def run(args: argparse.Namespace) -> int:
    """Pull, printing progress on stderr and the report on stdout."""
    from nova_toolkit.vectors import sync

    report = sync.pull(
        remote_client(args), bucket=args.bucket, index=args.index, to=args.to,
        local_bucket=args.local_bucket, local_index=args.local_index, segments=args.segments,
        checkpoint=args.checkpoint, restart=args.restart,
        on_page=lambda n: print(f"\rpulled {n}", end="", file=sys.stderr, flush=True),
    )  # fmt: skip
    print(file=sys.stderr)
    print(f"pull {args.bucket}/{args.index} -> {args.to}: {report.summary()}")
    for note in report.notes:
        print(note)
    return 0
