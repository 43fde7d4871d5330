"""``embed --dry-run``: the add pipeline's reader and planner, with Nova's cost counted instead of calls.

Nothing is sent: every source is walked and read by :class:`~.reader.SourceReader` and
planned by :class:`~.planner.Planner` exactly as :meth:`Collection.add` would, and each
item the planner would embed is counted by
:func:`nova_toolkit.embedders.nova.dry_run.count_planned`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from nova_toolkit.embedders.nova.constants import DEFAULT_DIMENSION, MAX_INPUT_CHARS, MODEL_ID
from nova_toolkit.embedders.nova.dry_run import DryRunReport, count_planned
from nova_toolkit.embedders.nova.embedder import NovaEmbedder
from nova_toolkit.embedders.nova.usage import Usage
from nova_toolkit.pipeline.planner import Embed, KnownContent, Planner
from nova_toolkit.pipeline.reader import Failure, SourceReader, library_for_add
from nova_toolkit.segment import SegmentationConfig
from nova_toolkit.store import CollectionSettings


def dry_run(paths: Iterable[str | os.PathLike], *, max_chars: int = MAX_INPUT_CHARS,
            overlap_chars: int = 0, segment_seconds: float = 5.0,
            prices: dict | None = None, document_mode: str | None = None,
            collection: Any = None, follow_links: bool = False) -> DryRunReport:
    """Count requests, input chars/seconds/images and cost for embedding ``paths`` with nova.

    The same content at two paths counts once (the run embeds it once). With
    ``collection`` (an open :class:`~nova_toolkit.collection.Collection`), whatever it
    already holds — unchanged files, content cached under another path — counts as
    ``cached``, not as requests, and its segmentation and document mode are used. Text is
    chunked as the run would, and a chunk over Nova's 8,192 chars counts as the pieces the
    client re-cuts it into; audio/video durations come from the segmenter when it can
    read them (else one request per file is counted); document pages count as text
    requests and/or page images as ``document_mode`` says (default ``image``). Sources are
    keyed as the run would key them (the collection's library root, or the one its first
    add would record), so a file already stored under another spelling counts as cached.
    Links out of a folder walked are skipped unless ``follow_links``, as the run skips them.
    """
    paths = [os.fspath(p) for p in ([paths] if isinstance(paths, (str, os.PathLike))
                                    else paths)]
    planner = _planner(collection, max_chars=max_chars, overlap_chars=overlap_chars,
                       segment_seconds=segment_seconds, document_mode=document_mode)
    mode = planner.settings.effective_document_mode
    report = DryRunReport(Usage(prices=dict(prices)) if prices else Usage())
    library = None
    if collection is not None:
        library = library_for_add(collection.store, paths, collection.media_root, record=False)
    for got in SourceReader(paths, library=library, follow_links=follow_links):
        step = got if isinstance(got, Failure) else planner.plan(got)
        if isinstance(step, Failure):
            if step.stage == "segment" and got.modality in ("audio", "video"):
                report.files += 1  # duration unreadable here: one request counted
                report.unknown_durations += 1
                report.usage.add(calls=1)
            else:
                report.skipped.append((step.source, step.reason))
        elif isinstance(step, Embed):
            count_planned(step.item, step.segments, mode, report.usage)
            report.files += 1
        else:  # unchanged, cached under another path, or a duplicate in this run
            report.cached += 1
    return report


def _planner(collection: Any, *, max_chars: int, overlap_chars: int, segment_seconds: float,
             document_mode: str | None) -> Planner:
    """The collection's planner, or one over an empty cache with nova's default settings."""
    from nova_toolkit.embedders.document_modes import check_document_mode

    def modalities() -> frozenset[str]:
        return NovaEmbedder.modalities  # the class's: no client is built

    if collection is not None:
        if document_mode not in (None, collection.settings.effective_document_mode):
            raise ValueError(f"document_mode={document_mode!r} differs from the collection's")
        return Planner.for_store(collection.store, segmentation=collection.segmentation,
                                 modalities=modalities)
    check_document_mode(document_mode or "image")
    config = SegmentationConfig(max_chars=max_chars, overlap_chars=overlap_chars,
                                segment_seconds=segment_seconds)
    settings = CollectionSettings(
        backend="nova", model_id=MODEL_ID, dimension=DEFAULT_DIMENSION,
        purpose="GENERIC_INDEX", segmentation=config.to_dict(),
        document_mode=document_mode or "image")
    return Planner(KnownContent(), settings, segmentation=config, modalities=modalities)
