"""Planner stage: what to do with each item read — nothing, copy, wait, embed — or why not.

It decides from what the store already holds (:class:`KnownContent`, plain dicts): an
item stored under the same source with the same cache key is :class:`Unchanged`; content
stored under another source is a :class:`CopyFromCache` (no embedder call); content
already planned for embedding in this batch is an :class:`AwaitTwin`; the rest is
segmented into an :class:`Embed` step, or a :class:`~.reader.Failure` when the backend
cannot take the modality or nothing is left to embed. :func:`missing_sources` says which
stored sources vanished from an embedded folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from nova_toolkit.media import MediaError, MediaItem, is_s3_prefix
from nova_toolkit.media.library import MediaLibrary, is_remote, resolved, within
from nova_toolkit.pipeline.reader import Failure
from nova_toolkit.segment import Segment, SegmentationConfig, segment_item
from nova_toolkit.store import CollectionSettings, Store, cache_key


@dataclass(frozen=True)
class Unchanged:
    """Stored under this source with the same content and settings: nothing to do."""

    source: str


@dataclass(frozen=True)
class CopyFromCache:
    """Same content as stored ``owner``: copy its rows under ``item.source``."""

    item: MediaItem
    key: str
    owner: str


@dataclass(frozen=True)
class AwaitTwin:
    """Same content as an item already planned for embedding: copy its rows once embedded."""

    item: MediaItem
    key: str


@dataclass(frozen=True)
class Embed:
    """Send these segments of ``item`` to the embedder; ``note`` goes on its rows."""

    item: MediaItem
    key: str
    segments: list[Segment]
    note: str = ""
    #: Thumbnails of its pictures when made where the bytes were (Ray); None: not made yet.
    thumbnails: tuple | None = None


Step = Unchanged | CopyFromCache | AwaitTwin | Embed | Failure


@dataclass
class KnownContent:
    """What the store holds, for planning: source → cache key, key → first source, failures."""

    stored_key: dict[str, str] = field(default_factory=dict)
    cache_owner: dict[str, str] = field(default_factory=dict)
    failed_sources: set[str] = field(default_factory=set)

    @classmethod
    def from_store(cls, store: Store) -> KnownContent:
        items = store.items()
        stored = dict(zip(items.column("source").to_pylist(),
                          items.column("cache_key").to_pylist(), strict=True))
        return cls(stored, {k: s for s, k in stored.items()},
                   set(store.failures().column("source").to_pylist()))

    def added(self, source: str, key: str) -> None:
        """``source`` now holds content ``key`` (rows buffered or stored)."""
        self.stored_key[source] = key
        self.cache_owner.setdefault(key, source)

    def committed(self, removed: Iterable[str], failed: Iterable[str]) -> None:
        """A commit replaced ``removed`` sources' rows and stored failures of ``failed``."""
        self.failed_sources -= set(removed)
        self.failed_sources |= set(failed)


def segments_for(item: MediaItem, config: SegmentationConfig) -> Embed | Failure:
    """Segment ``item`` for embedding (key left empty); a failure says why it cannot be."""
    note = ""
    try:
        if item.modality == "text" and item.text().replaced:
            note = "non-UTF-8 text decoded with replacement characters"
        segments = segment_item(item, config)
    except MediaError as exc:
        return Failure(item.source, "segment", exc.reason)
    if not segments:
        return Failure(item.source, "segment", "nothing to embed (no text)")
    return Embed(item, "", segments, note)


class Planner:
    """Plans each item against :class:`KnownContent` and the items planned so far.

    ``modalities`` is called only when an item has to be embedded, so a run where
    everything is cached never builds a model.
    """

    def __init__(self, known: KnownContent, settings: CollectionSettings, *,
                 segmentation: SegmentationConfig,
                 modalities: Callable[[], Iterable[str]]) -> None:
        self.known = known
        self.settings = settings
        self.segmentation = segmentation
        self._modalities = modalities
        self._planned: set[str] = set()  # keys planned for the batch not yet embedded

    @classmethod
    def for_store(cls, store: Store, *, segmentation: SegmentationConfig,
                  modalities: Callable[[], Iterable[str]]) -> Planner:
        return cls(KnownContent.from_store(store), store.settings,
                   segmentation=segmentation, modalities=modalities)

    def plan(self, item: MediaItem) -> Step:
        """The step for ``item``."""
        key = cache_key(item.sha256, self.settings)
        source = item.source
        if self.known.stored_key.get(source) == key and source not in self.known.failed_sources:
            return Unchanged(source)
        if key in self._planned:
            return AwaitTwin(item, key)
        owner = self.known.cache_owner.get(key)
        if owner is not None and owner != source:
            return CopyFromCache(item, key, owner)
        if item.modality not in set(self._modalities()):
            return Failure(source, "embed",
                           f"the {self.settings.backend!r} backend cannot embed {item.modality}")
        step = segments_for(item, self.segmentation)
        if isinstance(step, Embed):
            self._planned.add(key)
            step = Embed(item, key, step.segments, step.note)
        return step

    def batch_sent(self) -> None:
        """The planned batch went to the embedder: its keys are no longer waited on."""
        self._planned.clear()


def missing_sources(paths: Sequence[str], seen: set[str], stored: Iterable[str],
                    unreadable: Sequence[str] = (), *,
                    library: MediaLibrary | None = None) -> list[str]:
    """Stored sources under an embedded folder or ``s3://`` prefix that the walk did not find.

    Local sources are keys of ``library`` (default: as walked, relative to the working
    directory): a source counts as under a folder when the file it names is, whatever
    spelling named the folder. Nothing under a folder or prefix that could not be read
    (permission denied, listing failed) counts as missing: it may still be there.
    """
    library = library or MediaLibrary(None)
    folders = [resolved(p) for p in paths if not is_remote(p) and os.path.isdir(p)]
    prefixes = [p if p.endswith("/") else p + "/" for p in paths if is_s3_prefix(p)]
    if not (folders or prefixes):
        return []
    blind_s3 = [u.rstrip("/") for u in unreadable if is_remote(u)]
    blind = [library.locate(u) for u in unreadable if not is_remote(u)]
    out = []
    for source in sorted(set(stored) - seen):
        if is_remote(source):
            if any(source == b or source.startswith(b + "/") for b in blind_s3):
                continue
            if any(source.startswith(p) for p in prefixes):
                out.append(source)
            continue
        location = library.locate(source)
        if any(within(location, b) for b in blind):
            continue
        if any(within(location, f) for f in folders):
            out.append(source)
    return out


def stored_sources(store: Store) -> set[str]:
    """Every source the store has rows or failure rows for."""
    return (set(store.items().column("source").to_pylist())
            | set(store.failures().column("source").to_pylist()))
