"""What a collection is built with (:class:`CollectionSettings`) and the embedding-cache key
derived from it (:func:`cache_key`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from nova_toolkit.embedders.document_modes import HISTORICAL_MODE as HISTORICAL_DOCUMENT_MODE

#: Settings that are fixed when a collection is created.
FIXED_SETTINGS = ("backend", "model_id", "dimension", "purpose", "segmentation")


@dataclass(frozen=True)
class CollectionSettings:
    """What a collection was built with; part of every cache key.

    Attributes
    ----------
    backend, model_id : str
        Embedding backend name and the model it ran.
    dimension : int
        Vector dimension.
    purpose : str
        Nova ``embeddingPurpose`` used when storing (GENERIC_INDEX by default).
    segmentation : dict
        :meth:`SegmentationConfig.to_dict` of the chunking used.
    extra : dict
        Backend settings that do not change the vectors' meaning.
    document_mode : str or None
        How PDF/DOCX pages became vectors: ``text``, ``image`` or ``both``; fixed, part of
        the cache key. ``None`` (recorded before the setting existed) means ``text``.
    """

    backend: str
    model_id: str
    dimension: int
    purpose: str
    segmentation: dict
    extra: dict = field(default_factory=dict)
    document_mode: str | None = None

    @property
    def effective_document_mode(self) -> str:
        return self.document_mode or HISTORICAL_DOCUMENT_MODE

    def to_dict(self) -> dict:
        d = {
            "backend": self.backend,
            "model_id": self.model_id,
            "dimension": self.dimension,
            "purpose": self.purpose,
            "segmentation": self.segmentation,
            "extra": self.extra,
        }
        if self.document_mode is not None:
            d["document_mode"] = self.document_mode
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CollectionSettings:
        return cls(**{k: d[k] for k in FIXED_SETTINGS}, extra=d.get("extra", {}),
                   document_mode=d.get("document_mode"))

    def differences(self, other: CollectionSettings) -> list[str]:
        """Human-readable list of fixed settings that differ (``self`` = stored)."""
        mine, theirs = self.to_dict(), other.to_dict()
        diff = [
            f"{k}: collection has {mine[k]!r}, asked for {theirs[k]!r}"
            for k in FIXED_SETTINGS
            if mine[k] != theirs[k]
        ]
        if self.effective_document_mode != other.effective_document_mode:
            diff.append(f"document_mode: collection has {self.effective_document_mode!r}, "
                        f"asked for {other.effective_document_mode!r}")
        return diff


def cache_key(content_sha256: str, settings: CollectionSettings) -> str:
    """Embedding-cache key: content hash + segmentation + model + purpose + dimension.

    A ``document_mode`` other than ``text`` is part of it too; ``text`` (what every
    collection did before the setting existed) adds nothing, so old keys stay valid.
    """
    parts: list = [content_sha256, settings.segmentation, settings.model_id, settings.purpose,
                   settings.dimension]
    if settings.effective_document_mode != HISTORICAL_DOCUMENT_MODE:
        parts.append({"document_mode": settings.effective_document_mode})
    blob = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()
