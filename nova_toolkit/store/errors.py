"""The errors the store raises (all :class:`StoreError`, a ``RuntimeError`` and a
:class:`~nova_toolkit._core.errors.NovaToolkitError`)."""

from __future__ import annotations

from nova_toolkit._core.errors import NovaToolkitError


class StoreError(NovaToolkitError, RuntimeError):
    """A collection cannot be opened or written as asked."""


class CollectionNotFoundError(StoreError):
    """There is no collection at the path given (and creating one was not asked for)."""


class SettingsMismatchError(StoreError):
    """``embed`` asked for settings that differ from the collection's fixed ones."""


class CollectionLockedError(StoreError):
    """Another writer (a notebook, another CLI run) holds the collection."""


class PartError(StoreError):
    """A part file of the collection is missing or damaged; ``path`` names it."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: part {problem}")


class CommitError(StoreError):
    """A commit could not be written (a full or read-only disk): nothing of it is visible,
    the collection is as its last commit left it. ``errno`` is the OS error's."""

    def __init__(self, root: object, error: OSError, version: int) -> None:
        self.errno = error.errno
        where = f" ({error.filename})" if error.filename else ""
        super().__init__(f"{root}: cannot write a commit: {error.strerror or error}{where}; "
                         f"the collection is kept as of its last commit (version {version}): "
                         "free some space and run again to go on from there")
