"""``Collection.update_metadata`` and ``Collection.remove``: change or take out stored files.

Both select whole files, by source or by filter (:mod:`.selection`), run under the
collection's writer lock, validate everything before they write, and write one atomic
store commit: a bad selection, a reserved key or metadata S3 Vectors would refuse changes
nothing (:class:`~nova_toolkit.InvalidArgumentError`, naming the argument). The local index then follows without a rebuild (:meth:`IndexUpkeep._index_follows`):
a search right after sees the new metadata (filterable at once) and no removed row.

Removal and later runs: a removed file is gone from the store (its rows, its item, its
failure rows), so it is not reported as "missing" by a later ``embed`` of its folder; if
it is still on disk, that embed finds it as a new file and embeds it again (use
``remove`` for files you delete or no longer want *and* keep out of the folders you embed).
A copy pushed to S3 Vectors is not changed: push again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from nova_toolkit._core.errors import InvalidArgumentError
from nova_toolkit.collection.selection import as_sources, match_sources, sources_matching
from nova_toolkit.pipeline.rows import NON_FILTERABLE, RESERVED_METADATA, index_metadata
from nova_toolkit.vectors.errors import Invalid
from nova_toolkit.vectors.validation import check_metadata

Sources = str | os.PathLike | Iterable[str | os.PathLike] | None


@dataclass(frozen=True)
class MetadataChange:
    """What :meth:`Collection.update_metadata` changed (or would, with ``dry_run``)."""

    matched: tuple[str, ...]   # files the selection picked
    updated: tuple[str, ...]   # of those, files whose metadata changed
    rows: int                  # vector rows rewritten
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would update" if self.dry_run else "updated"
        return (f"{verb} metadata of {len(self.updated)} of {len(self.matched)} matched files "
                f"({self.rows} vector rows)")

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class Removal:
    """What :meth:`Collection.remove` took out (or would, with ``dry_run``)."""

    sources: tuple[str, ...]   # files removed
    rows: int                  # their vector rows
    failures: int              # their failure rows
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (f"{verb} {len(self.sources)} files ({self.rows} vector rows, "
                f"{self.failures} failure rows)")

    def __str__(self) -> str:
        return self.summary()


def _changes(set_: dict | None, unset: Iterable[str]) -> tuple[dict, list[str]]:
    """Validated ``set`` / ``unset``: JSON-able, no reserved key, something to change."""
    if set_ is None:
        set_ = {}
    if not isinstance(set_, dict):
        raise InvalidArgumentError("set", "must be a dict (a JSON object)", value=set_)
    if isinstance(unset, str):
        unset = [unset]
    unset = list(unset)
    if not set_ and not unset:
        raise InvalidArgumentError("set", "nothing to change: give set= (keys to set) and/or "
                                   "unset= (keys to drop)")
    for name, keys in (("set", list(set_)), ("unset", unset)):
        bad = [k for k in keys if not isinstance(k, str) or not k]
        if bad:
            raise InvalidArgumentError(name, "metadata keys must be non-empty strings",
                                       value=bad)
        clash = sorted(frozenset(keys) & frozenset(RESERVED_METADATA))
        if clash:
            raise InvalidArgumentError(name, f"metadata keys {clash} are reserved by "
                                       "nova_toolkit (every row carries them)",
                                       allowed=["any other key"])
    both = sorted(set_.keys() & frozenset(unset))
    if both:
        raise InvalidArgumentError("unset", f"keys {both} are both set and unset")
    try:
        json.dumps(set_, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError("set", f"is not JSON: {exc}") from None
    return set_, unset


def _new_metadata(stored: str | None, set_: dict, unset: list[str]) -> str | None:
    """A row's stored ``metadata`` after setting and unsetting keys (null when empty)."""
    meta = json.loads(stored) if stored else {}
    meta.update(set_)
    for key in unset:
        meta.pop(key, None)
    return json.dumps(meta, sort_keys=True) if meta else None


class MetadataMixin:
    """Mixin of :class:`Collection` (needs ``store``, ``library``, ``_index_follows``)."""

    def update_metadata(self, sources: Sources = None, *, filter: dict | None = None,
                        set: dict | None = None, unset: Iterable[str] = (),
                        dry_run: bool = False) -> MetadataChange:
        """Set and/or drop user metadata keys of stored files; no model call, no re-embedding.

        Parameters
        ----------
        sources : path, URI or iterable of them
            Files (or folders / ``s3://`` prefixes: every stored file under them); see
            :mod:`nova_toolkit.collection.selection`. Give this or ``filter``.
        filter : dict
            An S3 Vectors filter, as :meth:`search` takes it: the files with a matching row.
        set : dict
            Keys and values merged into each file's metadata (other keys kept).
        unset : iterable of str
            Keys dropped from each file's metadata.
        dry_run : bool
            Only say what would change.

        Reserved keys (``source``, ``modality``, ... :data:`RESERVED_METADATA`) are refused.
        Only files whose metadata actually changes are rewritten. To replace a file's whole
        metadata, re-run :meth:`add` on it with ``metadata=`` (see there).
        """
        set_, unset = _changes(set, unset)
        with self.store.writer():
            segs = self.store.segments()
            picked = self._select(sources, filter, segs, self.store.items())
            mask = pc.is_in(segs.column("source"), value_set=pa.array(picked, pa.string()))
            rows = segs.filter(mask)
            old = rows.column("metadata").to_pylist()
            new = [_new_metadata(m, set_, unset) for m in old]
            srcs = rows.column("source").to_pylist()
            updated = sorted({s for s, a, b in zip(srcs, old, new, strict=True) if a != b})
            keep = pc.is_in(rows.column("source"), value_set=pa.array(updated, pa.string()))
            rows = rows.set_column(rows.schema.get_field_index("metadata"), "metadata",
                                   pa.array(new, pa.string())).filter(keep)
            _check_index_metadata(rows)
            change = MetadataChange(tuple(picked), tuple(updated), rows.num_rows, dry_run)
            if dry_run or not updated:
                return change
            value_set = pa.array(updated, pa.string())
            items, fails = self.store.items(), self.store.failures()
            before = self.store.version
            self.store.commit(  # rows re-appended as they were, but for their metadata
                items=items.filter(pc.is_in(items.column("source"), value_set=value_set)),
                segments=rows,
                failures=fails.filter(pc.is_in(fails.column("source"), value_set=value_set)),
                remove_sources=updated)
            self._index_follows(before, put=rows)
        return change

    def remove(self, sources: Sources = None, *, filter: dict | None = None,
               dry_run: bool = False) -> Removal:
        """Take files out of the collection: their vector rows, item rows and failure rows.

        ``sources`` / ``filter`` select files as for :meth:`update_metadata` (a file that
        only failed can be named by source). The index follows (its rows deleted).
        A removed file still on disk comes back as a new file the next time its folder
        is embedded; see :mod:`nova_toolkit.collection.metadata`.
        """
        with self.store.writer():
            segs, items, fails = self.store.segments(), self.store.items(), self.store.failures()
            picked = self._select(sources, filter, segs, items, fails)
            value_set = pa.array(picked, pa.string())
            gone = segs.filter(pc.is_in(segs.column("source"), value_set=value_set))
            n_fails = pc.sum(pc.is_in(fails.column("source"), value_set=value_set)).as_py()
            removal = Removal(tuple(picked), gone.num_rows, int(n_fails or 0), dry_run)
            if dry_run or not picked:
                return removal
            before = self.store.version
            self.store.commit(remove_sources=picked)
            self._index_follows(before, delete=gone.column("key").to_pylist())
        return removal

    def _select(self, sources: Sources, flt: dict | None, segs: pa.Table,
                *tables: pa.Table) -> list[str]:
        """The stored files named by ``sources`` (looked up in ``tables``) or matching ``flt``."""
        given = as_sources(sources)
        if (given is None) == (flt is None):
            raise InvalidArgumentError("sources", "select files with exactly one of sources= "
                                       "or filter=")
        if flt is not None:
            from nova_toolkit.search_modes import check_filter, check_filter_keys

            check_filter(flt)  # its grammar first, then its keys: a misspelt key selects nothing
            check_filter_keys(flt, self.metadata_keys())
            return sources_matching(segs, flt)
        stored = [s for t in tables for s in t.column("source").to_pylist()]
        library = self.library
        return match_sources(given, stored, resolve=library.locate, key=library.key)


def _check_index_metadata(rows: pa.Table) -> None:
    """Refuse metadata the index (S3 Vectors' limits) would refuse, before anything is written."""
    for source, meta in zip(rows.column("source").to_pylist(), index_metadata(rows),
                            strict=True):
        try:
            check_metadata(meta, frozenset(NON_FILTERABLE), "metadata")
        except Invalid as exc:
            raise InvalidArgumentError("set", f"S3 Vectors would refuse the metadata this "
                                       f"makes for {source}: {exc.detail}") from None
