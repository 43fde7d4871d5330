"""The errors the store raises (all :class:`StoreError`, itself a ``RuntimeError``)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A collection cannot be opened or written as asked."""


class SettingsMismatchError(StoreError):
    """``embed`` asked for settings that differ from the collection's fixed ones."""


class CollectionLockedError(StoreError):
    """Another writer (a notebook, another CLI run) holds the collection."""
