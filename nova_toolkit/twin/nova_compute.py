"""Turn a validated Nova request into Nova-shaped embeddings, using the twin's model."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from nova_toolkit.embedders.base import Embedding, EmbedFailure, l2_normalize
from nova_toolkit.twin.models import TwinModel, serve_dimension
from nova_toolkit.twin.nova_requests import NovaRequest, invalid
from nova_toolkit.twin.nova_text import request_text, segmented_text, single_text
from nova_toolkit.twin.segment_limits import SegmentLimits
from nova_toolkit.twin.wire import ServiceError

#: JSONL file of each embedding type in an async output folder.
OUTPUT_FILES = {
    "TEXT": "embedding-text.jsonl",
    "IMAGE": "embedding-image.jsonl",
    "AUDIO": "embedding-audio.jsonl",
    "VIDEO": "embedding-video.jsonl",
    "AUDIO_VIDEO_COMBINED": "embedding-audio-video.jsonl",
}
_SINGLE_TYPE = {"image": "IMAGE", "audio": "AUDIO"}


def _vector(vec: np.ndarray, dimension: int) -> list[float]:
    return serve_dimension(np.asarray(vec)[None, :], dimension)[0].tolist()


def media_item(req: NovaRequest, data: bytes):
    """A MediaItem of the request's bytes, checked against the declared modality."""
    from nova_toolkit.media import MediaError, MediaItem

    fmt = req.block.get("format", "bin")
    try:
        item = MediaItem.from_bytes(data, source=f"input.{fmt}", filename=f"input.{fmt}")
    except MediaError as exc:
        raise invalid(f"{req.modality} input: {exc.reason}") from None
    if item.modality != req.modality:
        raise invalid(f"{req.modality} input: content is {item.modality} ({item.format})")
    return item


def _check_modality(model: TwinModel, modality: str) -> None:
    if modality not in model.modalities():
        raise ServiceError(
            "ValidationException",
            f"The twin cannot embed {modality} yet: its local model does not support this "
            "modality in this build (text works; image/audio/video arrive with the local "
            "backend's media support).", 400)


def check_supported(model: TwinModel, req: NovaRequest) -> None:
    """Raise a ValidationException when the twin's model cannot embed this modality."""
    if req.modality != "text":
        _check_modality(model, req.modality)


def _media_segments(item, seconds: float, *, single: bool):
    from nova_toolkit.media import MediaError
    from nova_toolkit.segment import Segment, SegmentationConfig, segment_item

    if item.modality == "image":
        return [Segment(0)]
    try:
        segments = segment_item(item, SegmentationConfig(max_chars=1000, segment_seconds=seconds))
    except MediaError:
        if single:
            return [Segment(0)]
        raise invalid(f"{item.modality} segmentation is not available in the twin yet") from None
    if single and len(segments) > 1:
        raise invalid(f"{item.modality} input is longer than 30 seconds; use StartAsyncInvoke")
    return segments


def _typed(results: list, modality: str, mode: str | None) -> dict[int, dict[str, Any]]:
    """Per segment index: ``{embedding type: 384-d vector}`` or ``{"failure": reason}``.

    Video: AUDIO_VIDEO_COMBINED is the mean of the local backend's vectors for the
    segment; AUDIO_VIDEO_SEPARATE gives VIDEO (its visual vectors) and AUDIO (its audio
    or transcript vectors), each falling back to the combined mean when the local
    backend returned only one kind.
    """
    by_seg: dict[int, list[Embedding]] = defaultdict(list)
    out: dict[int, dict[str, Any]] = {}
    for r in results:
        if isinstance(r, EmbedFailure):
            out[r.segment_index] = {"failure": r.reason}
        else:
            by_seg[r.segment_index].append(r)
    for idx, embs in by_seg.items():
        mean = l2_normalize(np.mean([e.vector for e in embs], axis=0))
        if modality != "video":
            out[idx] = {_SINGLE_TYPE.get(modality, "TEXT"): embs[0].vector}
        elif mode == "AUDIO_VIDEO_SEPARATE":
            vis = [e.vector for e in embs if e.embedding_type in ("VIDEO", "IMAGE")]
            aud = [e.vector for e in embs if e.embedding_type in ("AUDIO", "TEXT")]
            out[idx] = {"VIDEO": l2_normalize(np.mean(vis, axis=0)) if vis else mean,
                        "AUDIO": l2_normalize(np.mean(aud, axis=0)) if aud else mean}
        else:
            out[idx] = {"AUDIO_VIDEO_COMBINED": mean}
    return out


def _media_results(model: TwinModel, req: NovaRequest, item, segments) -> list:
    """The local backend's rows for a media request; ``detailLevel=DOCUMENT_IMAGE`` images
    go through its document-page path (:meth:`TwinModel.document_image`)."""
    if req.modality == "image" and req.block.get("detailLevel") == "DOCUMENT_IMAGE":
        return [Embedding(segments[0].index, "IMAGE", model.document_image(item))]
    return model.media(item, segments, req.purpose)


def embed_single(model: TwinModel, req: NovaRequest, data: bytes | None) -> list[dict[str, Any]]:
    """The ``embeddings`` list of an InvokeModel response."""
    if req.modality == "text":
        return single_text(model, req, data, lambda v: _vector(v, req.dimension))
    check_supported(model, req)
    item = media_item(req, data)
    segments = _media_segments(item, 30.0, single=True)
    typed = _typed(_media_results(model, req, item, segments), req.modality, req.embedding_mode)
    found = typed.get(segments[0].index, {"failure": "no embedding returned"})
    if "failure" in found:
        raise ServiceError("ValidationException", f"Unable to embed the input: "
                           f"{found['failure']}", 400)
    order = ("VIDEO", "AUDIO") if req.embedding_mode == "AUDIO_VIDEO_SEPARATE" else tuple(found)
    return [{"embeddingType": t, "embedding": _vector(found[t], req.dimension)} for t in order]


def _text_chunks(req: NovaRequest, data: bytes | None) -> list:
    from nova_toolkit.segment import chunk_text

    text = request_text(req, data, single=False)
    return chunk_text(text, max_chars=req.segmentation.get("maxLengthChars", 32000))


def segment_count(model: TwinModel, req: NovaRequest, data: bytes | None) -> int:
    """Segments a SEGMENTED_EMBEDDING job of this input would produce."""
    if req.modality == "text":
        return len(_text_chunks(req, data))
    check_supported(model, req)
    seconds = float(req.segmentation.get("durationSeconds", 5))
    return len(_media_segments(media_item(req, data), seconds, single=False))


def embed_segmented(model: TwinModel, req: NovaRequest, data: bytes | None,
                    limits: SegmentLimits | None = None) -> dict[str, list[dict[str, Any]]]:
    """JSONL lines per embedding type of a SEGMENTED_EMBEDDING job (``limits`` checked
    before anything is embedded)."""
    limits = limits or SegmentLimits()
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if req.modality == "text":
        chunks = _text_chunks(req, data)
        limits.check(len(chunks), "text")
        lines["TEXT"] = segmented_text(model, req, chunks, lambda v: _vector(v, req.dimension))
        return lines
    check_supported(model, req)
    item = media_item(req, data)
    seconds = float(req.segmentation.get("durationSeconds", 5))
    segments = _media_segments(item, seconds, single=False)
    limits.check(len(segments), req.modality)
    typed = _typed(_media_results(model, req, item, segments), req.modality, req.embedding_mode)
    kinds = {"image": ["IMAGE"], "audio": ["AUDIO"]}.get(req.modality) or (
        ["VIDEO", "AUDIO"] if req.embedding_mode == "AUDIO_VIDEO_SEPARATE"
        else ["AUDIO_VIDEO_COMBINED"])
    for seg in segments:
        meta = {"segmentIndex": seg.index}
        if seg.start_s is not None:
            meta.update(segmentStartSeconds=seg.start_s, segmentEndSeconds=seg.end_s)
        found = typed.get(seg.index, {"failure": "no embedding returned"})
        for kind in kinds:
            if "failure" in found:
                lines[kind].append({"status": "FAILURE", "failureReason": "INVALID_CONTENT",
                                    "message": found["failure"], "segmentMetadata": meta})
            else:
                lines[kind].append({"embedding": _vector(found[kind], req.dimension),
                                    "status": "SUCCESS", "segmentMetadata": meta})
    return lines
