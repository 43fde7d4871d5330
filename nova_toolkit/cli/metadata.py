"""``nova-toolkit metadata --collection DIR (--source PATH... | --filter JSON) [--set JSON] [--unset KEY...]``.

Sets and/or drops user metadata keys of stored files, with no model call
(:meth:`Collection.update_metadata`); the local index follows, so a ``search --filter``
right after sees the change.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from nova_toolkit.cli.common import UserError, add_media_root, json_arg, json_text, shown

NAME = "metadata"


def add_selection(parser: argparse.ArgumentParser) -> None:
    """``--collection`` and the selection of files (``--source ...`` or ``--filter``)."""
    parser.add_argument("--collection", required=True, metavar="DIR")
    add_media_root(parser)
    pick = parser.add_mutually_exclusive_group(required=True)
    pick.add_argument("--source", nargs="+", action="extend", metavar="PATH",
                      help="stored files (any spelling of their path, or their key), or "
                           "folders / s3:// prefixes holding them")
    pick.add_argument("--filter", default=None, metavar="JSON",
                      help='S3 Vectors filter (as search takes it), e.g. \'{"lang": "en"}\': '
                           "the files with a matching row")
    parser.add_argument("--dry-run", action="store_true", help="only say what would change")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")


@contextlib.contextmanager
def naming_source() -> Iterator[None]:
    """A mistake in the API's ``sources=`` argument names the ``--source`` option."""
    from nova_toolkit import InvalidArgumentError

    try:
        yield
    except InvalidArgumentError as exc:
        if exc.argument != "sources":
            raise
        raise UserError(exc.describe("--source")) from None


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``metadata`` to ``subparsers``; its handler is :func:`run`."""
    m = subparsers.add_parser(NAME, help="set or drop metadata keys of stored files (no model)")
    add_selection(m)
    m.add_argument("--set", default=None, metavar="JSON",
                   help='keys to set on each file, e.g. \'{"course": "bio-101"}\'')
    m.add_argument("--unset", nargs="+", action="extend", default=[], metavar="KEY",
                   help="keys to drop from each file's metadata")
    m.set_defaults(handler=run)
    return m


def run(args: argparse.Namespace) -> int:
    """Update the metadata and print what changed."""
    from nova_toolkit.collection import Collection

    values = json_arg(args.set, "--set")
    if values is None and not args.unset:
        raise UserError("give --set JSON and/or --unset KEY...")
    coll = Collection.open(args.collection, create=False, media_root=args.media_root)
    with naming_source():
        change = coll.update_metadata(args.source, filter=json_arg(args.filter, "--filter"),
                                      set=values, unset=args.unset, dry_run=args.dry_run)
    if args.json:
        print(json_text({"matched": list(change.matched), "updated": list(change.updated),
                         "rows": change.rows, "dry_run": change.dry_run}))
        return 0
    print(change.summary())
    verb = "would update" if change.dry_run else "updated"
    for source in change.updated:
        print(f"{verb}: {shown(source)}")
    return 0
