"""``nova-toolkit`` command line: one module per subcommand, one dispatch style.

Each subcommand module (:mod:`.embed`, :mod:`.search`, :mod:`.info`, :mod:`.metadata`,
:mod:`.remove`, :mod:`.serve`, :mod:`.push`, :mod:`.pull`, :mod:`.map`, :mod:`.verify`) has
``register(subparsers)``, which adds its parser and sets ``handler=run``; :func:`main`
parses and calls ``args.handler(args)``. The options are a contract relied on by scripts;
keep them stable. Subcommands only parse arguments and print: every action is a public API
call. User errors (bad options, a missing collection, unreadable media, a filter the index
refuses) are one ``nova-toolkit: error: ...`` line on stderr and exit status 2, never a
traceback: :func:`error_line` turns the package's own errors (naming the command-line option,
not the Python argument) and botocore's into that line, and the parser's own errors are one
line too (:class:`OneLineParser`).
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from typing import NoReturn

from nova_toolkit.cli import embed, info, metadata, pull, push, remove, search, serve, verify
from nova_toolkit.cli import map as map_command
from nova_toolkit.cli.common import UserError, refuse_reserved, safe_streams, shown

#: OS errors that are the disk's, not a bug's: one line (exit 1), never a traceback.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})

__all__ = ["COMMANDS", "OneLineParser", "UserError", "build_parser", "error_line", "main"]

#: The subcommands, in ``--help`` order.
COMMANDS = (embed, search, info, metadata, remove, serve, push, pull, map_command, verify)


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``nova-toolkit`` parser with every subcommand registered."""
    p = OneLineParser(
        prog="nova-toolkit",
        description="Embed a media library into a Parquet collection and search it.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def _options(parser: argparse.ArgumentParser, command: str | None) -> set[str]:
    """The option strings of subcommand ``command`` (``--top-k``, ``--filter``, ...)."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        sub = getattr(action, "choices", {}).get(command)
        if sub is not None:
            return set(sub._option_string_actions)
    return set()


def error_line(exc: BaseException, options: set[str] = frozenset()) -> tuple[str, int] | None:
    """``(message, exit status)`` for an error a user can act on; None for a bug (re-raised).

    An :class:`~nova_toolkit.InvalidArgumentError` names the option (``--top-k``) when the
    subcommand has one for its argument; a missing collection says how to make one; an AWS
    error (botocore's, only if botocore was loaded) gives its code and message.
    """
    from nova_toolkit._core.errors import InvalidArgumentError, NovaToolkitError
    from nova_toolkit.store.errors import CollectionNotFoundError

    if isinstance(exc, InvalidArgumentError):
        option = "--" + exc.argument.replace("_", "-")
        return exc.describe(option if option in options else exc.argument), 2
    if isinstance(exc, CollectionNotFoundError):
        return f"{exc}; make one with: nova-toolkit embed MEDIA... --collection DIR", 2
    if isinstance(exc, (NovaToolkitError, ValueError)):  # UserError is a ValueError
        return str(exc), 2
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:  # full, read-only, too large
        where = f"{shown(exc.filename)}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}; work committed so far is kept", 1
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is not None and isinstance(exc, botocore.ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400
        return f"{err.get('Code', 'error')}: {err.get('Message', exc)}", 2 if status < 500 else 1
    if botocore is not None and isinstance(exc, botocore.BotoCoreError):
        return str(exc), 2  # no credentials, no region, endpoint unreachable, ...
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nova-toolkit`` console script; returns the exit status."""
    safe_streams()  # a name the terminal's encoding lacks prints escaped, never crashes
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        refuse_reserved(args)
        return args.handler(args)
    except KeyboardInterrupt:
        print("nova-toolkit: interrupted; work committed so far is kept", file=sys.stderr)
        return 130
    except Exception as exc:
        found = error_line(exc, _options(parser, args.command))
        if found is None:
            raise
        print(f"nova-toolkit: error: {shown(found[0])}", file=sys.stderr)  # one line
        return found[1]
