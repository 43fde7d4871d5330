"""``nova-toolkit push``: copy a collection's index (or a local mirror index) to S3 Vectors.

    nova-toolkit push --collection DIR --bucket B --index I [--endpoint-url URL]
                      [--profile P] [--region R] [--batch 500] [--restart]

``--local-root DIR`` (a local mirror root) with ``--local-bucket`` / ``--local-index``
(default ``collection`` / ``segments``) replaces ``--collection``. The collection is resolved
here to its index reference; :func:`nova_toolkit.vectors.sync.push` only sees that. An
interrupted push resumes from its checkpoint unless ``--restart`` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nova_toolkit.cli.remote import add_remote_options, remote_client

NAME = "push"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``push`` to ``subparsers``; its handler is :func:`run`."""
    p = subparsers.add_parser(NAME, help="push a collection's index to S3 Vectors")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--collection", metavar="DIR", help="collection directory")
    src.add_argument("--local-root", metavar="DIR", help="local S3 Vectors mirror root")
    p.add_argument("--local-bucket", default="collection")
    p.add_argument("--local-index", default="segments")
    add_remote_options(p)
    p.add_argument("--batch", type=int, default=500, help="vectors per PutVectors (1-500)")
    p.add_argument("--checkpoint", default=None, help="checkpoint file (resume state)")
    p.add_argument("--restart", action="store_true", help="ignore the checkpoint")
    p.set_defaults(handler=run)
    return p


def _source(args: argparse.Namespace) -> Any:
    from nova_toolkit._core.view import IndexRef, index_ref

    if args.collection:
        from nova_toolkit.collection import Collection

        return index_ref(Collection.open(args.collection, create=False))
    from nova_toolkit.vectors import local_client

    client = local_client(args.local_root)
    return IndexRef(client, args.local_bucket, args.local_index, Path(client.root))


def run(args: argparse.Namespace) -> int:
    """Push, printing progress on stderr and the report on stdout."""
    from nova_toolkit.vectors import sync

    report = sync.push(
        _source(args), remote_client(args), bucket=args.bucket, index=args.index,
        batch=args.batch, checkpoint=args.checkpoint, restart=args.restart,
        on_batch=lambda n: print(f"\rpushed {n}", end="", file=sys.stderr, flush=True),
    )  # fmt: skip
    print(file=sys.stderr)
    print(f"push {args.bucket}/{args.index}: {report.summary()}")
    if report.non_filterable:
        print(f"non-filterable metadata keys: {', '.join(report.non_filterable)}")
    for note in report.notes:
        print(note)
    return 0
