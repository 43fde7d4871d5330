"""Library roots and source keys: one name per local file, whatever spelling reached it.

``lib``, ``./lib/``, ``/abs/path/lib`` and ``lib/../lib`` walk the same files; a collection
must store each of them once. So a local file is named by its **key**: its resolved location
(:func:`resolved`, symbolic links followed) relative to the collection's **library root**,
with POSIX separators (``images/cat.png``; a file added later from outside the root is
``../notes/a.txt``, still one key per file). ``s3://`` URIs are their own keys. A key that
cannot be made relative (another drive on Windows) is the absolute POSIX path.

A file name that is not valid UTF-8 (``b"caf\\xe9.txt"``) reaches Python surrogate-escaped
(:func:`os.fsdecode`: ``"caf\\udce9.txt"``), which no Arrow string can hold. Its key spells
each such byte as a visible ``\\xHH`` (``caf\\xe9.txt``), reversibly (:func:`key_text`,
:func:`key_name`): a backslash that would read as an escape is doubled, so a valid name keeps
its key unchanged except in the rare name holding ``\\\\`` or ``\\x`` + a hex byte >= 80.

Keys relative to a root let a collection and its media move together, or the media move
elsewhere (give the new root): :meth:`MediaLibrary.locate` turns a key back into where the
file is now. This module only computes names; where the root is recorded is the store's
(:mod:`nova_toolkit.store.manifest`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: A backslash that must be doubled: one before another backslash, an undecodable byte or
#: text that reads as an escaped byte.
_AMBIGUOUS = re.compile(r"\\(?=\\|[\udc80-\udcff]|x[89a-f][0-9a-f])")
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")
_ESCAPE = re.compile(r"\\(\\|x[89a-f][0-9a-f])")


def is_remote(source: str) -> bool:
    """True for an ``s3://`` URI (its own key, never resolved on disk)."""
    return source.startswith("s3://")


def key_text(name: str) -> str:
    """``name`` (surrogate-escaped by :func:`os.fsdecode`) as valid UTF-8 text for a key.

    Each undecodable byte becomes ``\\xHH`` (lowercase hex) and a backslash that would then
    read as an escape becomes ``\\\\``; a name without either is returned as it is.
    :func:`key_name` undoes it exactly.
    """
    if "\\" not in name and not _UNDECODABLE.search(name):
        return name
    name = _AMBIGUOUS.sub(r"\\\\", name)
    return _UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", name)


def key_name(text: str) -> str:
    """The surrogate-escaped name :func:`key_text` made ``text`` from (:func:`os.fsencode`
    of it gives the original bytes)."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: "\\" if m.group(1) == "\\"
                       else chr(0xDC00 + int(m.group(1)[1:], 16)), text)


def resolved(path: str | os.PathLike, *, follow: bool = True) -> str:
    """The absolute, resolved location of ``path`` (:func:`os.path.realpath`).

    A broken symbolic link (any link, with ``follow=False``: one the walk did not follow)
    resolves to where the link is (its folder resolved), not to the target it points at,
    so its failure names the file the user sees.
    """
    p = os.fspath(path)
    if os.path.lexists(p) and (not os.path.exists(p) or not follow and os.path.islink(p)):
        p = p.rstrip("/" + os.sep) or p
        return os.path.join(os.path.realpath(os.path.dirname(p) or "."), os.path.basename(p))
    return os.path.realpath(p)


def library_root(paths: Iterable[str | os.PathLike]) -> str | None:
    """The common ancestor of the resolved local ``paths`` (a file counts as its folder).

    Paths that do not exist (a typo) do not count; None when no local path exists (only
    ``s3://`` URIs, or only typos). Paths on different drives (Windows) have no common
    ancestor: the first one's folder is taken.
    """
    folders = []
    for path in paths:
        p = os.fspath(path)
        if is_remote(p) or not os.path.lexists(p):
            continue
        r = resolved(p)
        folders.append(r if os.path.isdir(r) else os.path.dirname(r))
    if not folders:
        return None
    try:
        return os.path.commonpath(folders)
    except ValueError:
        return folders[0]


def within(location: str, folder: str) -> bool:
    """True when absolute ``location`` is ``folder`` or lies below it."""
    return location == folder or location.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class MediaLibrary:
    """Names local files relative to ``root`` (absolute, resolved) and finds them again.

    ``root`` None (a collection holding only ``s3://`` sources, or written before roots
    were recorded) keys a local file by its absolute resolved path and resolves a relative
    stored source against the working directory, as such collections stored them.
    """

    root: str | None = None

    def key(self, path: str | os.PathLike) -> str:
        """The source key of ``path`` (a URI is returned as it is)."""
        p = os.fspath(path)
        return p if is_remote(p) else self.key_of_location(resolved(p))

    def key_of_location(self, location: str) -> str:
        """The key of an absolute, already resolved ``location`` (no file system call)."""
        if self.root is None:
            return key_text(location.replace(os.sep, "/"))
        try:
            rel = os.path.relpath(location, self.root)
        except ValueError:  # another drive
            return key_text(location.replace(os.sep, "/"))
        return key_text(rel.replace(os.sep, "/"))

    def locate(self, source: str) -> str:
        """Where the file stored as ``source`` is now: an absolute local path, or the URI."""
        if is_remote(source):
            return source
        native = key_name(source).replace("/", os.sep)
        if os.path.isabs(native):
            return os.path.normpath(native)
        base = self.root if self.root is not None else os.getcwd()
        return os.path.normpath(os.path.join(base, native))
