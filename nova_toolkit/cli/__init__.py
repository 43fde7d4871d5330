"""``nova-toolkit`` command line: one module per subcommand, one dispatch style.

Each subcommand module (:mod:`.embed`, :mod:`.search`, :mod:`.info`, :mod:`.metadata`,
:mod:`.remove`, :mod:`.serve`, :mod:`.push`, :mod:`.pull`, :mod:`.map`) has
``register(subparsers)``, which adds its parser and sets ``handler=run``; :func:`main`
parses and calls ``args.handler(args)``. The options are a contract relied on by scripts;
keep them stable. Subcommands only parse arguments and print: every action is a public API
call. User errors (bad options, a missing collection, unreadable media) are one
``nova-toolkit: error: ...`` line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nova_toolkit.cli import embed, info, metadata, pull, push, remove, search, serve
from nova_toolkit.cli import map as map_command
from nova_toolkit.cli.common import UserError, refuse_reserved

__all__ = ["COMMANDS", "UserError", "build_parser", "main"]

#: The subcommands, in ``--help`` order.
COMMANDS = (embed, search, info, metadata, remove, serve, push, pull, map_command)


def build_parser() -> argparse.ArgumentParser:
    """The ``nova-toolkit`` parser with every subcommand registered."""
    p = argparse.ArgumentParser(
        prog="nova-toolkit",
        description="Embed a media library into a Parquet collection and search it.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nova-toolkit`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    from nova_toolkit.media import MediaError
    from nova_toolkit.store import StoreError

    try:
        refuse_reserved(args)
        return args.handler(args)
    except (StoreError, MediaError, ValueError) as exc:  # UserError is a ValueError
        print(f"nova-toolkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nova-toolkit: interrupted; work committed so far is kept", file=sys.stderr)
        return 130
