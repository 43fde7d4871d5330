"""What the ``nova-toolkit`` subcommands share: user errors, JSON options, backend options,
and printing names that came from elsewhere.

A :class:`UserError` (or a ``ValueError`` / ``StoreError`` / ``MediaError`` from the API) is
printed by :func:`nova_toolkit.cli.main` as one ``nova-toolkit: error: ...`` line on stderr,
exit status 2.

File names are untrusted: one holding a newline would print a fake line (``evil\nembedded
999, failed 0.txt``), a terminal escape could rewrite the screen. Every name (and snippet,
and reason) in human-readable output goes through :func:`shown`; ``--json`` output is
:func:`json_text`, real JSON whatever the terminal's encoding.
"""

from __future__ import annotations

import argparse
import codecs
import json
import re
import sys
from typing import Any

from nova_toolkit._core.printable import shown as shown

_SURROGATE = re.compile("[\ud800-\udfff]")

#: Option names reserved for later features (accepted by the parser, refused with a clear message).
RESERVED = ("--config",)
#: Options passed to the backend (``get_embedder(backend, **options)``); nova only.
BACKEND_OPTIONS = ("profile", "region", "s3_staging", "max_rps")


class UserError(ValueError):
    """Bad command-line input: one line on stderr, exit status 2."""


def reserve(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """Accept ``names`` on ``parser`` (hidden) so that using one is refused with a clear message."""
    for name in names:
        parser.add_argument(name, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(reserved=tuple(parser.get_default("reserved") or ()) + tuple(names))


def refuse_reserved(args: argparse.Namespace) -> None:
    """Raise :class:`UserError` when a reserved option was given."""
    for name in getattr(args, "reserved", None) or ():
        if getattr(args, name.lstrip("-").replace("-", "_"), None) is not None:
            raise UserError(f"{name} is not available yet in this version")


def add_aws_options(parser: argparse.ArgumentParser) -> None:
    """``--profile`` / ``--region`` of the nova backend (and the reserved options)."""
    parser.add_argument("--profile", default=None, metavar="NAME",
                        help="nova: AWS profile (default: the standard credential chain)")
    parser.add_argument("--region", default=None, metavar="REGION", help="nova: AWS region")
    reserve(parser, RESERVED)


def add_media_root(parser: argparse.ArgumentParser) -> None:
    """``--media-root DIR``: where a collection's media are when they moved or came from elsewhere."""
    parser.add_argument("--media-root", default=None, metavar="DIR", type=_folder,
                        help="the folder the collection's media are in, when it is not the "
                             "library root the collection recorded (media moved, or a "
                             "collection made on another machine)")


def _folder(text: str) -> str:
    """An existing folder (argparse refuses anything else in one line)."""
    import os

    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"no such folder: {text}")
    return text


def json_arg(text: str | None, what: str) -> dict[str, Any] | None:
    """The JSON object given as option ``what``, or None when the option was not given."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UserError(f"{what} is not valid JSON ({exc}); give a JSON object, "
                        f"e.g. {what} '{{\"modality\": \"image\"}}'") from None
    if not isinstance(value, dict):
        raise UserError(f"{what} must be a JSON object, e.g. {what} '{{\"modality\": \"image\"}}'"
                        f" (got {type(value).__name__} {text.strip()[:40]})")
    return value


def backend_options(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    """``--profile`` / ``--region`` / ``--s3-staging`` for the nova backend; refused otherwise."""
    options = {k: getattr(args, k, None) for k in BACKEND_OPTIONS}
    options = {k: v for k, v in options.items() if v is not None}
    if options and backend != "nova":
        given = ", ".join("--" + k.replace("_", "-") for k in options)
        raise UserError(f"{given}: options of the nova backend, not of {backend!r}")
    return options


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON for stdout: non-ASCII as it is on a UTF-8 stdout (``\\u`` escapes
    otherwise), and a lone surrogate (a path that is not UTF-8) always ``\\udcXX``."""
    try:
        utf8 = codecs.lookup(sys.stdout.encoding or "ascii").name == "utf-8"
    except LookupError:
        utf8 = False
    text = json.dumps(value, ensure_ascii=not utf8, indent=indent)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def safe_streams() -> None:
    """Make stdout/stderr print what their encoding lacks as backslash escapes, not crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def stored_backend(path: str) -> str | None:
    """The backend a collection at ``path`` was built with (None when there is none yet)."""
    from nova_toolkit.store import Store

    return Store.open(path).settings.backend if Store.exists(path) else None
