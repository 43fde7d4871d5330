"""``nova-toolkit verify --collection DIR [--repair] [--json]``: check a whole collection.

One line per problem naming the file and the reason (with ``--repair``, what was done about
it), then a summary. Exit status 0 when the collection is sound, 1 when problems remain, 2 for
usage errors (no collection there). See :meth:`Collection.verify`.
"""

from __future__ import annotations

import argparse
from typing import Any

from nova_toolkit.cli.common import json_text, shown

NAME = "verify"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``verify`` to ``subparsers``; its handler is :func:`run`."""
    v = subparsers.add_parser(
        NAME, help="check a collection (parts, index, caches); --repair quarantines damage")
    v.add_argument("--collection", required=True, metavar="DIR")
    v.add_argument("--repair", action="store_true",
                   help="rebuild the index and caches, remove leftover parts, move damaged "
                        "parts to DIR/quarantine/ (the sources to re-embed are listed)")
    v.add_argument("--json", action="store_true")
    v.set_defaults(handler=run)
    return v


def run(args: argparse.Namespace) -> int:
    """Print :meth:`Collection.verify_at`'s report; 0 when sound, 1 when problems remain."""
    from nova_toolkit.collection import Collection

    report = Collection.verify_at(args.collection, repair=args.repair)
    if args.json:
        print(json_text(report.to_dict(), indent=2))
        return 0 if report.sound else 1
    for p in report.problems:
        done = f" [repaired: {p.repaired}]" if p.repaired else ""
        print(f"{shown(p.path)}: {shown(p.reason)}{shown(done)}")
    for note in report.notes:
        print(f"note: {shown(note)}")
    checked = ", ".join(f"{k} {v}" for k, v in report.checked.items())
    if report.quarantine:
        print(f"quarantined into {shown(report.quarantine)}")
    if report.lost_sources:
        print(f"{len(report.lost_sources)} source(s) lost rows; re-embed them (a new embed of "
              "the same folder does):")
        for source in report.lost_sources:
            print(f"  {shown(source)}")
    state = ("sound" if not report.problems else "repaired" if report.sound
             else f"{len(report.remaining)} problem(s) remain")
    print(f"{shown(report.path)}: {state} ({len(report.problems)} problem(s) found; checked "
          f"{checked or 'the manifest'}; {report.seconds:.2f} s)")
    return 0 if report.sound else 1
