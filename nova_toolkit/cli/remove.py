"""``nova-toolkit remove --collection DIR (--source PATH... | --filter JSON) [--dry-run]``.

Takes files out of a collection: their vector rows, item rows and failure rows
(:meth:`Collection.remove`); the local index follows. A removed file still on disk is
embedded again, as a new file, the next time its folder is embedded.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from nova_toolkit.cli.common import json_arg, json_text, shown
from nova_toolkit.cli.metadata import add_selection, naming_source

NAME = "remove"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``remove`` to ``subparsers``; its handler is :func:`run`."""
    r = subparsers.add_parser(NAME, help="take files out of a collection (by source or filter)")
    add_selection(r)
    r.set_defaults(handler=run)
    return r


def run(args: argparse.Namespace) -> int:
    """Remove the files selected and print them."""
    from nova_toolkit.collection import Collection

    coll = Collection.open(args.collection, create=False, media_root=args.media_root)
    with naming_source():
        removal = coll.remove(args.source, filter=json_arg(args.filter, "--filter"),
                              dry_run=args.dry_run)
    if args.json:
        print(json_text({"removed": list(removal.sources), "rows": removal.rows,
                         "failures": removal.failures, "dry_run": removal.dry_run}))
        return 0
    print(removal.summary())
    verb = "would remove" if removal.dry_run else "removed"
    for source in removal.sources:
        print(f"{verb}: {shown(source)}")
    on_disk = [s for s in removal.sources
               if not s.startswith("s3://") and os.path.isfile(coll.locate(s))]
    if on_disk:
        print(f"note: {len(on_disk)} of these files are still on disk; embedding their folder "
              "again adds them back as new files")
    return 0
