"""Walking sources: paths (files, directories, ``s3://`` URIs) expanded into files to read.

Problems (a missing path, a broken link, a directory that cannot be listed) are reported as
``(source, reason)`` pairs instead of stopping the walk, so a run records them as failures.

A symbolic link met inside a folder whose target lies outside that folder is not followed
unless asked (``follow_links``): its content would otherwise leave the folder the user chose
(into snippets, or to a remote model). It is reported as :data:`LINK_OUTSIDE`, by the link's
own name. Paths named explicitly are always followed; file names that are not valid UTF-8
come back surrogate-escaped (:func:`os.fsdecode`), never as an error.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Iterator

from nova_toolkit.media.library import within
from nova_toolkit.media.s3 import iter_s3

#: The reason reported for a link out of the folder being walked (not followed).
LINK_OUTSIDE = ("symbolic link to outside the folder being embedded: not followed "
                "(follow_links=True / --follow-links to embed its target)")


def iter_files(paths: Iterable[str | os.PathLike], *,
               follow_links: bool = False) -> Iterator[tuple[str, str | None]]:
    """Expand paths into files, reporting problems instead of stopping.

    A file yields itself; a directory yields every regular file below it, recursively, in
    sorted order, skipping hidden names (starting with ``"."``) and symlink loops. Each item is
    ``(source, error)``: ``source`` is ``os.path.join(given, rel)`` and ``error`` is None or a
    reason (``"no such file or directory"``, ``"broken symbolic link"``,
    ``"permission denied"``, :data:`LINK_OUTSIDE`) so the caller can record a failure and go
    on. Links inside a walked folder are followed; links out of it only with ``follow_links``.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]  # a lone path is a common slip; do not iterate its characters
    for given in paths:
        g = os.fspath(given)
        if isinstance(g, bytes):
            g = os.fsdecode(g)
        if g.startswith("s3://"):
            yield from iter_s3(g)
        elif not os.path.lexists(g):
            yield g, "no such file or directory"
        elif not os.path.exists(g):
            yield g, "broken symbolic link"
        elif os.path.isdir(g):
            yield from _walk(g, g, set(), None if follow_links else os.path.realpath(g))
        else:
            yield g, None


def _dir_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _walk(
    directory: str, shown: str, ancestors: set[tuple[int, int]], inside: str | None
) -> Iterator[tuple[str, str | None]]:
    """Depth-first walk; ``shown`` is the path as the caller will print it; links whose
    target is not within ``inside`` (a resolved folder; None: any) are not followed."""
    ident = _dir_id(directory)
    if ident is None or ident in ancestors:  # a symlink back up the tree
        return
    try:
        with os.scandir(directory) as it:
            entries = sorted(
                (e for e in it if not e.name.startswith(".")),
                key=lambda e: (unicodedata.normalize("NFC", e.name), e.name),
            )
    except PermissionError:
        yield shown, "permission denied"
        return
    except OSError as e:
        yield shown, e.strerror or str(e)
        return
    inner = ancestors | {ident}
    for entry in entries:
        entry_shown = os.path.join(shown, entry.name)
        try:
            if (inside is not None and entry.is_symlink() and os.path.exists(entry.path)
                    and not within(os.path.realpath(entry.path), inside)):
                yield entry_shown, LINK_OUTSIDE
            elif entry.is_dir(follow_symlinks=True):
                yield from _walk(entry.path, entry_shown, inner, inside)
            elif entry.is_file(follow_symlinks=True):
                yield entry_shown, None
            elif entry.is_symlink() and not os.path.exists(entry.path):
                yield entry_shown, "broken symbolic link"
            # sockets, FIFOs and devices are not media: skip them
        except OSError as e:
            yield entry_shown, e.strerror or str(e)
