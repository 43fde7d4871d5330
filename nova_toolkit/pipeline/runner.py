"""Runner: the in-process add loop over the stages, and the :class:`AddReport` it returns.

:class:`AddRunner` takes every stage as a builder (a class or any callable with the same
signature), so a test can fake one and another engine can reuse the rest:

- ``reader(paths, library=)`` → a :class:`~.reader.SourceReader`-like iterable of
  items/failures, local sources keyed by the run's
  :class:`~nova_toolkit.media.library.MediaLibrary`;
- ``planner(store, segmentation=, modalities=)`` → a :class:`~.planner.Planner`;
- ``writer(store, commit_rows)`` → a :class:`~.writer.BufferedWriter`;
- ``embedder()`` → the :class:`~nova_toolkit.embedders.Embedder` (called only when
  something has to be embedded).

The runner alone holds the collection's writer lock and decides what goes to the writer.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nova_toolkit._core.printable import shown
from nova_toolkit._core.progress import AddProgress
from nova_toolkit.embedders import Embedder
from nova_toolkit.media import MediaItem
from nova_toolkit.pipeline import rows as rowlib
from nova_toolkit.pipeline.metadata_update import StoredRows, stored_value
from nova_toolkit.pipeline.planner import (
    AwaitTwin,
    CopyFromCache,
    Embed,
    Planner,
    Unchanged,
    missing_sources,
    stored_sources,
)
from nova_toolkit.pipeline.reader import Failure, SourceReader, library_for_add
from nova_toolkit.pipeline.writer import BufferedWriter, Committed
from nova_toolkit.segment import SegmentationConfig
from nova_toolkit.store import Store


@dataclass
class AddReport:
    """What one :meth:`Collection.add` did."""

    embedded: int = 0          # items sent to the embedder
    cached: int = 0            # items whose vectors came from the cache
    unchanged: int = 0         # items already stored under the same source (not re-embedded)
    updated: int = 0           # of those, items whose metadata was rewritten (no model call)
    failed: int = 0            # items (or segments) that failed
    removed: list[str] = field(default_factory=list)  # sources gone from embedded folders
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    segments: int = 0          # vector rows written
    embedder_calls: int = 0    # batches sent to the embedder
    seconds: float = 0.0

    def headline(self) -> str:
        """The counts in one line."""
        cached = self.cached + self.unchanged
        text = (f"embedded {self.embedded}, cached {cached}, failed {self.failed}"
                f" ({self.segments} new vector rows, {self.seconds:.1f} s)")
        if self.updated:
            text += f"; metadata updated on {self.updated}"
        if self.removed:
            text += f"; removed {len(self.removed)} missing"
        return text

    def summary(self, *, max_failures: int | None = 20) -> str:
        """The counts, then one ``failed: SOURCE: REASON`` line per failure.

        At most ``max_failures`` failures are listed (None: all); :attr:`failures` has them all.
        Names are escaped to one line each (:func:`nova_toolkit._core.printable.shown`).
        """
        lines = [self.headline()]
        listed = self.failures if max_failures is None else self.failures[:max_failures]
        # names escaped: a file name holding a newline must not add a line of its own
        lines += [f"failed: {shown(source)}: {shown(reason)}" for source, reason in listed]
        if len(listed) < len(self.failures):
            lines.append(f"... and {len(self.failures) - len(listed)} more failures "
                         "(report.failures lists them all)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<AddReport: {self.headline()}>"

    def _repr_html_(self) -> str:
        """A notebook table: the counts, every failure and every removed file."""
        counts = [("embedded", self.embedded), ("cached", self.cached),
                  ("unchanged", self.unchanged), ("metadata updated", self.updated),
                  ("failed", self.failed), ("new vector rows", self.segments),
                  ("embedder calls", self.embedder_calls), ("seconds", f"{self.seconds:.1f}")]
        cells = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
                        for k, v in counts)
        out = f"<table class='nova-add-report'>{cells}</table>"
        if self.failures:
            items = "".join(f"<li><code>{html.escape(s)}</code>: {html.escape(r)}</li>"
                            for s, r in self.failures)
            out += f"<details open><summary>{len(self.failures)} failures</summary>" \
                   f"<ul>{items}</ul></details>"
        if self.removed:
            items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in self.removed)
            out += f"<details><summary>{len(self.removed)} removed (no longer on disk)" \
                   f"</summary><ul>{items}</ul></details>"
        return out


class AddRunner:
    """Runs one add in this process: read → plan → embed in batches → rows → buffered commits.

    ``media_root``: the folder the collection's media are in when it is not the root the
    collection recorded (:func:`~.reader.library_for_add`).
    """

    def __init__(self, store: Store, *, segmentation: SegmentationConfig,
                 embedder: Callable[[], Embedder],
                 reader: Callable[[Sequence[str]], Any] = SourceReader,
                 planner: Callable[..., Any] = Planner.for_store,
                 writer: Callable[[Store, int], Any] = BufferedWriter,
                 batch_segments: int = 256, commit_rows: int = 4096,
                 progress: bool = True, media_root: str | None = None) -> None:
        self.store = store
        self.media_root = media_root
        self.segmentation = segmentation
        self.build_embedder = embedder
        self.build_reader = reader
        self.build_planner = planner
        self.build_writer = writer
        self.batch_segments = batch_segments
        self.commit_rows = commit_rows
        self.progress = progress

    def run(self, paths: Sequence[str], *, keep_missing: bool = False,
            meta_json: str | None = None) -> AddReport:
        """Add ``paths`` under the collection's writer lock; see :meth:`Collection.add`.

        ``meta_json``: None leaves each source's stored metadata as it is; a JSON object
        (:func:`~.metadata_update.given_metadata`) is what every row of every source named
        carries afterwards, unchanged ones included (see :mod:`.metadata_update`).
        """
        started = time.perf_counter()
        self.report = AddReport()
        self.meta_json = meta_json
        with self.store.writer():
            self._start(paths)
            seen: set[str] = set()
            with self._progress_for(len(self.reader.listing().sources)):
                for got in self.reader:
                    seen.add(got.source)
                    self._take(got if isinstance(got, Failure) else self.planner.plan(got))
                self._embed_pending()
                self._committed(self.writer.flush(force=True))
            if not keep_missing:
                gone = missing_sources(paths, seen, stored_sources(self.store),
                                       self.reader.listing().unreadable, library=self.library)
                if gone:
                    self.writer.remove_sources(gone)
                    self.report.removed = gone
        self.report.seconds = time.perf_counter() - started
        return self.report

    # -- stages ---------------------------------------------------------------------------
    def _start(self, paths: Sequence[str]) -> None:
        self.settings = self.store.settings
        self.library = library_for_add(self.store, paths, self.media_root)
        self.reader = self.build_reader(paths, library=self.library)
        self.planner = self.build_planner(self.store, segmentation=self.segmentation,
                                          modalities=lambda: self.embedder.modalities)
        self.writer = self.build_writer(self.store, self.commit_rows)
        self._embedder: Embedder | None = None
        self.pending: list[Embed] = []
        self.pending_segments = 0
        self.waiting: dict[str, list[MediaItem]] = {}
        self.failed_now: set[str] = set()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.build_embedder()
        return self._embedder

    def _progress_for(self, total: int) -> AddProgress:
        """The run's progress over ``total`` files (shown unless ``progress=False``)."""
        self.bar = AddProgress(total, enabled=self.progress)
        return self.bar

    def _take(self, step: Any) -> None:
        if isinstance(step, Failure):
            self._fail(step, whole=True)
        elif isinstance(step, Unchanged):
            self._unchanged(step)
        elif isinstance(step, AwaitTwin):
            self.waiting.setdefault(step.key, []).append(step.item)
        elif isinstance(step, CopyFromCache):
            self._copy(step.item, step.key, step.owner)
        elif isinstance(step, Embed):
            self.pending.append(step)
            self.pending_segments += len(step.segments)
            if self.pending_segments >= self.batch_segments:
                self._embed_pending()
        else:
            raise TypeError(f"the planner gave an unknown step {step!r}")

    def _unchanged(self, step: Unchanged) -> None:
        """Stored already with the same content and settings: not re-embedded, but metadata
        given to the run reaches it (its rows rewritten when their metadata differs)."""
        self.report.unchanged += 1
        if self.meta_json is not None and self._stored().differs(step.source, self.meta_json):
            item, rows, vectors = self._stored().restamped(step.source, self.meta_json)
            self.writer.add_item(item, rows, vectors)
            self.report.updated += 1
            self.report.segments -= len(rows)  # rewritten, not new (the commit counts them)
            self._committed(self.writer.flush())
        self.bar.finished(step.source, None)

    def _fail(self, failure: Failure, *, whole: bool = False) -> None:
        """Record a failure; ``whole`` when the file as a whole failed (it is done)."""
        source = failure.source
        if whole:
            self.bar.finished(source, None, failed=True)
        if source not in self.failed_now:  # count items, not segments
            self.failed_now.add(source)
            self.report.failed += 1
        if (source, failure.reason) not in self.report.failures:
            self.report.failures.append((source, failure.reason))
        # a new failure replaces the source's old failure rows; vectors stored before for
        # it stay (nothing already stored is lost because a file went bad)
        self.writer.add_failure(rowlib.failure_row(failure))

    def _copy(self, item: MediaItem, key: str, owner: str) -> None:
        """Store the rows of ``owner`` (same content) under ``item.source``: no embedder call."""
        rows, vectors = self.writer.rows_of(owner)
        rows = rowlib.copied_rows(rows, item, self._row_metadata(item.source))
        self.writer.add_item(rowlib.item_row(item, key, len(rows)), rows, vectors)
        self.planner.known.added(item.source, key)
        self.report.cached += 1
        self.bar.finished(item.source, item.modality)

    def _embed_pending(self) -> None:
        if not self.pending:
            return
        batch = [(p.item, p.segments) for p in self.pending]
        results = self.embedder.embed(batch, purpose=self.settings.purpose)
        self.report.embedder_calls += 1
        for step, result in zip(self.pending, results, strict=True):
            self._store_embedded(step, result)
        self.pending.clear()
        self.pending_segments = 0
        self.planner.batch_sent()
        self._committed(self.writer.flush())

    def _store_embedded(self, step: Embed, results: Any) -> bool:
        """Buffer one embedded item's rows (and its waiting twins'); False when none embedded."""
        built = rowlib.embedded_rows(step, results, self.settings,
                                     self._row_metadata(step.item.source))
        for failure in built.failures:
            self._fail(failure)
        twins = self.waiting.pop(step.key, [])
        if not built.rows:  # every segment failed: keep what was stored, retry next run
            self.bar.finished(step.item.source, None, failed=True)
            for twin in twins:
                self._fail(twin_failure(twin, step.item.source), whole=True)
            return False
        self.writer.add_item(rowlib.item_row(step.item, step.key, len(built.rows),
                                             step.note), built.rows, built.vectors)
        self.planner.known.added(step.item.source, step.key)
        self.report.embedded += 1
        self.bar.segments(len(built.rows))
        self.bar.finished(step.item.source, step.item.modality)
        for twin in twins:
            self._copy(twin, step.key, step.item.source)
        return True

    def _stored(self) -> StoredRows:
        """What the store held when this run first asked (one snapshot per run's writer)."""
        snap = getattr(self, "_stored_rows", None)
        if snap is None or snap[0] is not self.writer:
            snap = self._stored_rows = (self.writer, StoredRows(self.store))
        return snap[1]

    def _row_metadata(self, source: str) -> str | None:
        """The ``metadata`` value of ``source``'s new rows: the run's, else the one it had."""
        if self.meta_json is None:
            return self._stored().kept(source)
        return stored_value(self.meta_json)

    def _committed(self, done: Committed | None) -> None:
        if done is not None:
            self.report.segments += done.rows
            self.planner.known.committed(done.removed, done.failed)


def twin_failure(twin: MediaItem, owner: str) -> Failure:
    """The failure of an item whose same-content twin ``owner`` could not be embedded."""
    return Failure(twin.source, "embed", f"same content as {owner}, which could not be embedded")
