"""Reader stage: sources (paths, folders, ``s3://`` prefixes) → items or failures.

Walking and reading are :mod:`nova_toolkit.media`'s (:func:`~nova_toolkit.media.iter_files`,
:class:`~nova_toolkit.media.MediaItem`); this stage only turns what they give into plain
records: a :class:`Listing` of what the walk found, then a :class:`MediaItem` or a
:class:`Failure` per source, so a bad file is a record and the run goes on.

Every local file is named by its key relative to the collection's library root
(:class:`~nova_toolkit.media.library.MediaLibrary`), so the same file reached by two
spellings (``lib`` and ``./lib/``, a symbolic link and its target) is listed once.
:func:`stored_library` is the library a store records; :func:`library_for_add` records
the root at a collection's first add of local files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nova_toolkit.media import LINK_OUTSIDE, MediaError, MediaItem, iter_files
from nova_toolkit.media.library import MediaLibrary, is_remote, library_root, resolved
from nova_toolkit.store import Store
from nova_toolkit.store.manifest import media_root_candidates

#: Stored local sources checked when choosing between the recorded root's two forms.
ROOT_SAMPLE = 8


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
    locations: dict[str, str] = field(default_factory=dict)  # local key -> resolved path

    @property
    def unreadable(self) -> list[str]:
        """Sources (files, folders, prefixes) the walk could not read."""
        return [s for s in self.sources if s in self.errors]


class SourceReader:
    """Lists ``paths`` once and reads each source into a :class:`MediaItem` or a :class:`Failure`.

    Local files are keyed by ``library`` (default: rooted at the paths' common ancestor);
    a file reached twice is listed once, under its first spelling's walk order. A symbolic
    link out of a folder walked is a failure under the link's own key unless
    ``follow_links`` (:func:`~nova_toolkit.media.iter_files`). One boto3 S3 client is made on
    first use of an ``s3://`` object (standard AWS configuration) unless ``s3_client`` is
    given.
    """

    def __init__(self, paths: Iterable[str | os.PathLike], *,
                 library: MediaLibrary | None = None, s3_client: Any = None,
                 follow_links: bool = False) -> None:
        self.paths = [os.fspath(p) for p in paths]
        self.library = library if library is not None else MediaLibrary(library_root(self.paths))
        self.follow_links = follow_links
        self._s3 = s3_client
        self._listing: Listing | None = None

    def listing(self) -> Listing:
        """The walk's result (walked once, on first call)."""
        if self._listing is None:
            sources, errors, locations, seen = [], {}, {}, set()
            for walked, error in iter_files(self.paths, follow_links=self.follow_links):
                # a link not followed is named for itself, not for where it points
                location = None if is_remote(walked) else resolved(
                    walked, follow=error != LINK_OUTSIDE)
                source = walked if location is None else self.library.key_of_location(location)
                if source in seen:
                    continue  # the same file under another spelling
                seen.add(source)
                sources.append(source)
                if location is not None:  # absolute: a Ray worker has another cwd
                    locations[source] = location
                if error is not None:
                    errors[source] = error
            self._listing = Listing(tuple(sources), errors, locations)
        return self._listing

    def s3_client(self) -> Any:
        """The run's S3 client (made once)."""
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3")
        return self._s3

    def read(self, source: str, path: str | None = None) -> MediaItem | Failure:
        """Read one source (from ``path`` when given, else where its key says it is); a
        :class:`Failure` (stage ``read``) names why it could not be."""
        try:
            if is_remote(source):
                return MediaItem.from_s3(source, client=self.s3_client())
            if path is None:
                found = self._listing.locations.get(source) if self._listing else None
                path = found or self.library.locate(source)
            return MediaItem.from_path(resolved(path), source=source)
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
            yield (Failure(source, "read", error) if error is not None
                   else self.read(source, listing.locations.get(source)))


def stored_library(store: Store, media_root: str | os.PathLike | None = None) -> MediaLibrary:
    """The library ``store``'s sources are keyed in: rooted at ``media_root`` when given
    (the media live elsewhere), else at the root the store recorded, as it is found now.

    Of the recorded root's two forms (relative to the collection, absolute) the first that
    is a folder holding one of the stored files wins; neither: the relative one.
    """
    if media_root is not None:
        return MediaLibrary(resolved(media_root))
    candidates = media_root_candidates(store.media_root_entry, store.root)
    if not candidates:
        return MediaLibrary(None)
    if len(candidates) > 1:
        sample = [s for s in store.items().column("source").to_pylist()
                  if not is_remote(s)][:ROOT_SAMPLE]
        for root in candidates:
            lib = MediaLibrary(root)
            if os.path.isdir(root) and (not sample or any(
                    os.path.lexists(lib.locate(s)) for s in sample)):
                return lib
    return MediaLibrary(candidates[0])


def library_for_add(store: Store, paths: Iterable[str],
                    media_root: str | os.PathLike | None = None, *,
                    record: bool = True) -> MediaLibrary:
    """The library an add of ``paths`` keys sources in; records its root at the first add.

    A collection without a recorded root gets one when local files are first added:
    ``media_root`` when given, else the common ancestor of the resolved paths that exist.
    A collection written before roots were recorded (its local sources as walked) gets the
    working directory, which its relative sources were walked from. ``record=False`` (a dry
    run) computes the same library without writing. Recording needs the store's writer lock.
    """
    lib = stored_library(store, media_root)
    if media_root_candidates(store.media_root_entry, store.root):
        return lib
    found = library_root(paths)
    if lib.root is not None:
        root = lib.root
    elif found is None:  # only s3:// URIs, or only paths that do not exist: nothing to record
        return lib
    elif _has_local_sources(store):
        root = os.path.realpath(os.getcwd())
    else:
        root = found
    if record:
        store.record_media_root(root)
    return MediaLibrary(root)


def _has_local_sources(store: Store) -> bool:
    """True when the store holds a local source (rows or failures)."""
    return any(not is_remote(s) for t in (store.items(), store.failures())
               for s in t.column("source").to_pylist())
