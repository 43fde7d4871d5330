"""Options and the client of the remote S3 Vectors endpoint ``push`` and ``pull`` talk to."""

from __future__ import annotations

import argparse
from typing import Any


def add_remote_options(p: argparse.ArgumentParser) -> None:
    """``--bucket`` / ``--index`` of the remote index and where and how to reach it."""
    p.add_argument("--bucket", required=True, help="remote vector bucket name")
    p.add_argument("--index", required=True, help="remote index name")
    p.add_argument("--endpoint-url", default=None, help="S3 Vectors endpoint (e.g. the twin)")
    p.add_argument("--profile", default=None, help="AWS profile")
    p.add_argument("--region", default=None, help="AWS region")


def remote_client(args: argparse.Namespace) -> Any:
    """A ``boto3.client("s3vectors")`` for the parsed remote options."""
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    return session.client("s3vectors", endpoint_url=args.endpoint_url)
