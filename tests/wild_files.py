"""A media folder as files from the wild come (issue 14): hostile names and links out of it.

Made with real file system calls on bytes paths (``os.open``), so the name that is not UTF-8
is on disk byte for byte, not as Python would spell it.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The name that is not valid UTF-8 (Latin-1 "café"), as bytes, and its source key.
LATIN1 = b"caf\xe9.txt"
LATIN1_KEY = "caf\\xe9.txt"
#: A name that would print a fake report line, and one with a tab.
NEWLINE = "evil\nembedded 999, failed 0.txt"
TAB = "tab\tname.txt"
#: Names of the links: to a file inside, to a file outside, to a folder outside.
INSIDE_LINK, FILE_LINK, DIR_LINK = "also-plain.txt", "secret-link.txt", "elsewhere"

TEXTS = {
    LATIN1: "The espresso machine in the corner cafe hisses every morning.",
    NEWLINE.encode(): "Penguins huddle together against the antarctic wind.",
    TAB.encode(): "The violinist tuned her instrument before the concert.",
    b"plain.txt": "A lighthouse keeper climbs the spiral stairs at dusk.",
}
#: What lies outside the folder (and must not be read unless links are followed).
SECRET = "The vault combination is seven three nine, written on the back of the map."
OUTSIDE_NOTE = "Private diary entry about the garden tomatoes ripening late this year."


def write_bytes_name(path: bytes, text: str) -> None:
    """Create the file at bytes ``path`` with ``text`` (UTF-8)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def build_wild_library(root: Path) -> Path:
    """``root/lib`` with the hostile names and three links; ``root/outside`` beside it."""
    lib, outside = root / "lib", root / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "private" / "diary.txt").write_text(OUTSIDE_NOTE, encoding="utf-8")
    lib.mkdir()
    for name, text in TEXTS.items():
        write_bytes_name(os.fsencode(lib) + b"/" + name, text)
    (lib / INSIDE_LINK).symlink_to("plain.txt")
    (lib / FILE_LINK).symlink_to(outside / "secret.txt")
    (lib / DIR_LINK).symlink_to(outside / "private", target_is_directory=True)
    return lib


def stored_keys() -> list[str]:
    """The keys the embeddable files get (links out of the folder not followed)."""
    return sorted([LATIN1_KEY, NEWLINE, TAB, "plain.txt"])
