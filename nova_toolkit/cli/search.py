"""``nova-toolkit search --collection DIR (--text Q | --file PATH)``: search a collection."""

from __future__ import annotations

import argparse
from typing import Any

from nova_toolkit.cli.common import (
    add_aws_options,
    add_media_root,
    backend_options,
    json_arg,
    json_text,
    reserve,
    shown,
    stored_backend,
)

NAME = "search"
#: Reserved on ``search`` only (``embed`` implements them).
SEARCH_RESERVED = ("--purpose", "--s3-staging")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``search`` to ``subparsers``; its handler is :func:`run`."""
    s = subparsers.add_parser(NAME, help="search a collection by text or by example file")
    s.add_argument("--collection", required=True, metavar="DIR")
    add_media_root(s)
    q = s.add_mutually_exclusive_group(required=True)
    q.add_argument("--text", metavar="QUERY")
    q.add_argument("--file", metavar="PATH")
    s.add_argument("--top-k", type=int, default=10, metavar="K")
    s.add_argument("--filter", default=None, metavar="JSON",
                   help='S3 Vectors filter, e.g. \'{"modality": "image"}\'')
    s.add_argument("--mode", default="vector", metavar="MODE",
                   help="vector (default), text (BM25 over the snippets; no model loaded) or "
                        "hybrid (both, Reciprocal Rank Fusion)")
    s.add_argument("--json", action="store_true", help="print one JSON array")
    add_aws_options(s)
    reserve(s, SEARCH_RESERVED)
    s.set_defaults(handler=run)
    return s


def _line(rank: int, hit: dict, mode: str) -> str:
    from nova_toolkit.collection.results import where

    snippet = shown(" ".join((hit["snippet"] or "").split()))
    if len(snippet) > 110:
        snippet = snippet[:107] + "..."
    score = {"text": "bm25", "hybrid": "fused"}.get(mode)
    value = hit["scores"].get(score, 0.0) if score else hit["distance"]
    return (f"{rank:>2}. {value:.4f}  [{hit['modality']}] {shown(hit['source'])} "
            f"({where(hit['segment'])})\n      {snippet}")


def run(args: argparse.Namespace) -> int:
    """Search and print the hits (ranked lines, or one JSON array with ``--json``)."""
    from nova_toolkit.collection import Collection

    backend = stored_backend(args.collection) or "local"
    coll = Collection.open(args.collection, create=False, media_root=args.media_root,
                           **backend_options(args, backend))
    hits = coll.search(args.text, file=args.file, top_k=args.top_k, mode=args.mode,
                       filter=json_arg(args.filter, "--filter"))
    if args.json:
        print(json_text(list(hits)))
        return 0
    if not hits:
        print("no results")
    for rank, hit in enumerate(hits, 1):
        print(_line(rank, hit, args.mode))
    return 0
