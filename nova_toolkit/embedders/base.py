"""The embedder contract: what every backend declares and returns.

An embedder turns :class:`~nova_toolkit.segment.Segment` objects into float32,
L2-normalised vectors. It never writes files: the collection runner stores what
it returns. Backends are found by name through :mod:`nova_toolkit.embedders`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from nova_toolkit._core.similarity import l2_normalize as l2_normalize  # the one copy

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

#: Nova's embeddingPurpose values.
PURPOSES = (
    "GENERIC_INDEX",
    "GENERIC_RETRIEVAL",
    "TEXT_RETRIEVAL",
    "IMAGE_RETRIEVAL",
    "VIDEO_RETRIEVAL",
    "DOCUMENT_RETRIEVAL",
    "AUDIO_RETRIEVAL",
    "CLASSIFICATION",
    "CLUSTERING",
)

#: Nova's embeddingType values (what a vector stands for).
EMBEDDING_TYPES = ("TEXT", "IMAGE", "AUDIO", "VIDEO", "AUDIO_VIDEO_COMBINED")

#: Query purpose to use when the target modality of a search is known.
RETRIEVAL_PURPOSE = {
    None: "GENERIC_RETRIEVAL",
    "text": "TEXT_RETRIEVAL",
    "document": "DOCUMENT_RETRIEVAL",
    "image": "IMAGE_RETRIEVAL",
    "audio": "AUDIO_RETRIEVAL",
    "video": "VIDEO_RETRIEVAL",
}


@dataclass(frozen=True)
class Embedding:
    """One vector for one segment (a segment may yield several, e.g. AUDIO_VIDEO_SEPARATE).

    Attributes
    ----------
    segment_index : int
        Index of the segment this vector belongs to.
    embedding_type : str
        One of :data:`EMBEDDING_TYPES`.
    vector : numpy.ndarray
        float32, L2-normalised, shape ``(dimension,)``.
    snippet : str
        Text that stands for the row (chunk text, transcript, OCR text, labels).
    truncated_chars : int
        How many input characters the model did not see (0 when none were dropped).
    segment : Segment, optional
        The segment as the backend cut it, when it segmented the input itself
        (Nova's SEGMENTED_EMBEDDING reports its own offsets); ``None`` means the
        segment given to :meth:`Embedder.embed` with index ``segment_index``.
    """

    segment_index: int
    embedding_type: str
    vector: np.ndarray = field(repr=False)
    snippet: str = ""
    truncated_chars: int = 0
    segment: Segment | None = None


@dataclass(frozen=True)
class EmbedFailure:
    """A segment the backend could not embed, with the reason (stored as a failure row)."""

    segment_index: int
    reason: str


@runtime_checkable
class Embedder(Protocol):
    """What a backend must provide.

    Attributes
    ----------
    name : str
        Registry name (``"local"``, ``"nova"``).
    model_id : str
        Model identifier stored with every row and in the cache key.
    dimension : int
        Dimension of the vectors this instance returns.
    dimensions : tuple of int
        Dimensions this backend can serve.
    modalities : frozenset of str
        Source modalities it can embed.
    max_input_chars : int
        Characters one text input may hold before the model truncates it.
    default_max_chars : int
        Default text chunk size (follows from ``max_input_chars``).
    default_overlap_chars : int
        Default overlap between text chunks.
    """

    name: str
    model_id: str
    dimension: int
    dimensions: tuple[int, ...]
    modalities: frozenset[str]
    max_input_chars: int
    default_max_chars: int
    default_overlap_chars: int

    def embed(
        self, batch: Sequence[tuple[MediaItem, Sequence[Segment]]], *, purpose: str
    ) -> list[list[Embedding | EmbedFailure]]:
        """Embed the segments of several items at once (one result list per item).

        Batching across items lets a backend fill its model batches (or its pool of
        in-flight requests) even when a library holds many small files.
        """
        ...

    def embed_query(self, item: MediaItem, *, purpose: str) -> np.ndarray:
        """Embed a whole file used as a query (query by example) → ``(dimension,)``."""
        ...

    def embed_texts(self, texts: Sequence[str], *, purpose: str) -> np.ndarray:
        """Embed raw strings (queries, labels) → ``(n, dimension)`` float32, L2-normalised."""
        ...

    def settings(self) -> dict:
        """JSON-able settings that travel with a collection (backend, model, dimension...)."""
        ...


