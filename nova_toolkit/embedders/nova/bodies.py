"""Nova request bodies, built exactly as Bedrock takes them (part A of the contract)."""

from __future__ import annotations

import base64
from typing import Any

from nova_toolkit.embedders.base import PURPOSES
from nova_toolkit.embedders.nova.constants import (
    DIMENSIONS,
    FORMATS,
    MAX_SEGMENT_CHARS,
    MIN_SEGMENT_CHARS,
)


def source(*, data: bytes | None = None, s3_uri: str | None = None) -> dict[str, Any]:
    """``{"bytes": <base64>}`` or ``{"s3Location": {"uri": ...}}``."""
    if (data is None) == (s3_uri is None):
        raise ValueError("give exactly one of data= or s3_uri=")
    if data is not None:
        return {"bytes": base64.b64encode(data).decode("ascii")}
    return {"s3Location": {"uri": s3_uri}}


def nova_format(modality: str, fmt: str) -> str:
    """Nova's ``format`` value for a media format; ValueError when Nova does not take it."""
    try:
        return FORMATS[modality][fmt.lower()]
    except KeyError:
        allowed = ", ".join(sorted(set(FORMATS.get(modality, {}).values()))) or "none"
        raise ValueError(f"Nova does not take {modality} in {fmt!r} format "
                         f"(it takes {allowed})") from None


def text_block(value: str | None = None, *, s3_uri: str | None = None,
               truncation: str = "END") -> dict[str, Any]:
    """The ``text`` parameter block (inline ``value`` or an S3 ``source``)."""
    if truncation not in ("START", "END", "NONE"):
        raise ValueError(f"truncationMode must be START, END or NONE, not {truncation!r}")
    block: dict[str, Any] = {"truncationMode": truncation}
    if value is not None:
        block["value"] = value
    else:
        block["source"] = source(s3_uri=s3_uri)
    return block


def media_block(modality: str, fmt: str, *, data: bytes | None = None,
                s3_uri: str | None = None, detail_level: str | None = None,
                embedding_mode: str = "AUDIO_VIDEO_COMBINED") -> dict[str, Any]:
    """The ``image`` / ``audio`` / ``video`` parameter block."""
    block: dict[str, Any] = {"format": nova_format(modality, fmt),
                             "source": source(data=data, s3_uri=s3_uri)}
    if modality == "image" and detail_level:
        block["detailLevel"] = detail_level
    if modality == "video":
        block["embeddingMode"] = embedding_mode
    return block


def _params(purpose: str, dimension: int, modality: str, block: dict) -> dict[str, Any]:
    if purpose not in PURPOSES:
        raise ValueError(f"embeddingPurpose must be one of {PURPOSES}, not {purpose!r}")
    if dimension not in DIMENSIONS:
        raise ValueError(f"embeddingDimension must be one of {DIMENSIONS}, not {dimension}")
    return {"embeddingPurpose": purpose, "embeddingDimension": dimension, modality: block}


def single_body(modality: str, block: dict, *, purpose: str, dimension: int) -> dict[str, Any]:
    """A SINGLE_EMBEDDING body for InvokeModel (``modality``: text, image, audio, video)."""
    return {"taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": _params(purpose, dimension, modality, block)}


def segmented_body(modality: str, block: dict, *, purpose: str, dimension: int,
                   max_length_chars: int | None = None,
                   duration_seconds: int | None = None) -> dict[str, Any]:
    """A SEGMENTED_EMBEDDING body for StartAsyncInvoke's ``modelInput``.

    ``max_length_chars`` (text, 800–50,000) or ``duration_seconds`` (audio/video, 1–30)
    becomes ``segmentationConfig``.
    """
    block = dict(block)
    if modality == "text" and max_length_chars is not None:
        n = min(MAX_SEGMENT_CHARS, max(MIN_SEGMENT_CHARS, int(max_length_chars)))
        block["segmentationConfig"] = {"maxLengthChars": n}
    elif modality in ("audio", "video") and duration_seconds is not None:
        block["segmentationConfig"] = {"durationSeconds": min(30, max(1, int(duration_seconds)))}
    return {"taskType": "SEGMENTED_EMBEDDING",
            "segmentedEmbeddingParams": _params(purpose, dimension, modality, block)}
