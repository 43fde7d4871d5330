"""Reader stage: sources (paths, folders, ``s3://`` prefixes) → items or failures.

Walking and reading are :mod:`nova_toolkit.media`'s (:func:`~nova_toolkit.media.iter_files`,
:class:`~nova_toolkit.media.MediaItem`); this stage only turns what they give into plain
records: a :class:`Listing` of what the walk found, then a :class:`MediaItem` or a
:class:`Failure` per source, so a bad file is a record and the run goes on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nova_toolkit.media import MediaError, MediaItem, iter_files


@dataclass(frozen=True)
class Failure:
    """One thing that could not be read, segmented or embedded (a failure row to be)."""

    source: str
    stage: str                       # "read", "segment" or "embed"
    reason: str
    segment_index: int | None = None


@dataclass(frozen=True)
class Listing:
    """What the walk found: every source in walk order, and why some could not be listed."""

    sources: tuple[str, ...]
    errors: dict[str, str] = field(default_factory=dict)  # source -> reason

    @property
    def unreadable(self) -> list[str]:
        """Sources (files, folders, prefixes) the walk could not read."""
        return [s for s in self.sources if s in self.errors]


class SourceReader:
    """Lists ``paths`` once and reads each source into a :class:`MediaItem` or a :class:`Failure`.

    One boto3 S3 client is made on first use of an ``s3://`` object (standard AWS
    configuration) unless ``s3_client`` is given.
    """

    def __init__(self, paths: Iterable[str | os.PathLike], *, s3_client: Any = None) -> None:
        self.paths = [os.fspath(p) for p in paths]
        self._s3 = s3_client
        self._listing: Listing | None = None

    def listing(self) -> Listing:
        """The walk's result (walked once, on first call)."""
        if self._listing is None:
            sources, errors = [], {}
            for source, error in iter_files(self.paths):
                sources.append(source)
                if error is not None:
                    errors[source] = error
            self._listing = Listing(tuple(sources), errors)
        return self._listing

    def s3_client(self) -> Any:
        """The run's S3 client (made once)."""
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3")
        return self._s3

    def read(self, source: str) -> MediaItem | Failure:
        """Read one source; a :class:`Failure` (stage ``read``) names why it could not be."""
        try:
            if source.startswith("s3://"):
                return MediaItem.from_s3(source, client=self.s3_client())
            return MediaItem.from_path(source, source=source)
        except MediaError as exc:
            return Failure(source, "read", exc.reason)
        except OSError as exc:
            return Failure(source, "read", exc.strerror or str(exc))

    def __len__(self) -> int:
        return len(self.listing().sources)

    def __iter__(self) -> Iterator[MediaItem | Failure]:
        """Every listed source, read, in walk order (walk errors come back as failures)."""
        listing = self.listing()
        for source in listing.sources:
            error = listing.errors.get(source)
            yield Failure(source, "read", error) if error is not None else self.read(source)
