"""The ``local`` backend: an offline stand-in for Nova, built from wheels alone.

Text (and text-like documents) go through all-MiniLM-L6-v2 in a fixed PCA
basis (:mod:`.text`). Images, audio, video and PDFs join the same space in a
later step of the project (a text bridge); until then they are reported as
unsupported by this backend, never silently skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit.embedders.base import Embedding, EmbedFailure, l2_normalize
from nova_toolkit.embedders.local.text import MODEL_NAME, NATIVE_DIM, MiniLMText

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

#: Rough characters per MiniLM word-piece token on English prose: 256 tokens ≈ 1,000 chars.
CHARS_PER_TOKEN = 4


class LocalEmbedder:
    """Offline embedder (text today) in a 384-d space; 256-d is its PCA prefix.

    Parameters
    ----------
    dimension : int
        384 (native) or 256 (first 256 axes of the fixed PCA rotation, renormalised).
    batch_size : int
        Texts per model forward pass.
    """

    name = "local"
    model_id = "nova-toolkit/local-v1 (all-MiniLM-L6-v2, pca-384)"
    dimensions = (256, NATIVE_DIM)
    modalities = frozenset({"text"})
    max_input_chars = 1000
    default_max_chars = 1000
    default_overlap_chars = 100

    def __init__(self, *, dimension: int = NATIVE_DIM, batch_size: int = 64) -> None:
        if dimension not in self.dimensions:
            raise ValueError(
                f"the local backend serves dimensions {self.dimensions}, not {dimension}"
            )
        self.dimension = dimension
        self.text = MiniLMText(batch_size=batch_size)

    def settings(self) -> dict:
        return {
            "backend": self.name,
            "model_id": self.model_id,
            "dimension": self.dimension,
            "text_model": MODEL_NAME,
        }

    def embed_texts(self, texts: Sequence[str], *, purpose: str = "GENERIC_INDEX") -> np.ndarray:
        return self.text.encode(texts, dimension=self.dimension)

    def embed(
        self, batch: Sequence[tuple[MediaItem, Sequence[Segment]]], *, purpose: str
    ) -> list[list[Embedding | EmbedFailure]]:
        results: list[list[Embedding | EmbedFailure]] = [[] for _ in batch]
        flat: list[tuple[int, Segment]] = []
        for i, (item, segments) in enumerate(batch):
            for seg in segments:
                if seg.text is None or not seg.text.strip():
                    results[i].append(EmbedFailure(seg.index, f"{item.modality} segment has no text"))
                else:
                    flat.append((i, seg))
        texts = [seg.text for _, seg in flat]
        vectors = self.embed_texts(texts, purpose=purpose)
        truncated = self.text.truncated_chars(texts) if texts else []
        for (i, seg), vec, cut in zip(flat, vectors, truncated, strict=True):
            results[i].append(Embedding(seg.index, "TEXT", vec, seg.text, cut))
        for res in results:
            res.sort(key=lambda r: r.segment_index)
        return results

    def embed_query(self, item: MediaItem, *, purpose: str = "GENERIC_RETRIEVAL") -> np.ndarray:
        """A whole text file as a query: the mean of its chunk vectors, renormalised."""
        from nova_toolkit.segment import SegmentationConfig, segment_item

        config = SegmentationConfig(max_chars=self.default_max_chars,
                                    overlap_chars=self.default_overlap_chars)
        segments = segment_item(item, config)
        if not segments:
            raise ValueError(f"{item.source}: nothing to embed (empty text)")
        vecs = self.embed_texts([s.text for s in segments], purpose=purpose)
        return l2_normalize(vecs.mean(axis=0))
