"""Validate and read a Nova Multimodal Embeddings request body, the way Bedrock does.

Errors are ``ValidationException`` (400) with Bedrock's "Malformed input request"
wording. Lenient where AWS's own walkthrough is: a missing ``embeddingPurpose`` means
GENERIC_INDEX. An inline text ``value`` above 8,192 characters is refused whatever the
``truncationMode`` (the documented maximum; ``truncationMode`` acts on the token limit),
in StartAsyncInvoke too (the conservative reading: long async text comes from S3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Any

from nova_toolkit.embedders.base import PURPOSES
from nova_toolkit.twin.wire import ServiceError

DIMENSIONS = (256, 384, 1024, 3072)
TEXT_VALUE_CHARS = 8192  # documented maximum of an inline text ``value`` (longer: 400)
TEXT_S3_CHARS = 50_000  # documented maximum of a sync text read from S3
MAX_BODY_BYTES = 25_000_000
FORMATS = {
    "image": ("png", "jpeg", "gif", "webp"),
    "audio": ("mp3", "wav", "ogg"),
    "video": ("mp4", "mov", "mkv", "webm", "flv", "mpeg", "mpg", "wmv", "3gp"),
}
_KEYS = {
    "top": {"schemaVersion", "taskType", "singleEmbeddingParams", "segmentedEmbeddingParams"},
    "params": {"embeddingPurpose", "embeddingDimension", "text", "image", "audio", "video"},
    "text": {"truncationMode", "value", "source", "segmentationConfig"},
    "image": {"format", "source", "detailLevel"},
    "audio": {"format", "source", "segmentationConfig"},
    "video": {"format", "source", "embeddingMode", "segmentationConfig"},
}


def invalid(message: str) -> ServiceError:
    """Bedrock's ValidationException for a malformed body."""
    return ServiceError("ValidationException", f"Malformed input request: {message}, please "
                        "reformat your input and try again.", 400)


@dataclass
class NovaRequest:
    """A validated request: task, purpose, dimension, modality and its parameter block."""

    task: str
    purpose: str
    dimension: int
    modality: str
    block: dict[str, Any]
    data: bytes | None = field(default=None, repr=False)  # inline source bytes, decoded
    s3_uri: str | None = None

    def input_key(self) -> str:
        """SHA-256 naming the input (text value, inline bytes or S3 URI), for twin stats."""
        if self.modality == "text" and "value" in self.block:
            raw = self.block["value"].encode()
        elif self.data is not None:
            raw = self.data
        else:
            raw = (self.s3_uri or "").encode()
        return hashlib.sha256(raw).hexdigest()

    @property
    def embedding_mode(self) -> str | None:
        return self.block.get("embeddingMode")

    @property
    def segmentation(self) -> dict[str, Any]:
        return self.block.get("segmentationConfig") or {}


def _extraneous(obj: dict, allowed: set[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise invalid(f"{where}: extraneous key [{key}] is not permitted")


def _enum(value: Any, allowed: tuple, where: str) -> None:
    if value not in allowed:
        raise invalid(f"{where}: {value!r} is not a valid enum value (allowed: "
                      f"{', '.join(map(str, allowed))})")


def _source(block: dict, where: str) -> tuple[bytes | None, str | None]:
    src = block.get("source")
    if not isinstance(src, dict) or len(src) != 1 or not ({"bytes", "s3Location"} & set(src)):
        raise invalid(f"{where}.source: expected exactly one of bytes or s3Location")
    if "bytes" in src:
        try:
            data = base64.b64decode(src["bytes"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise invalid(f"{where}.source.bytes: not valid base64") from None
        if not data:
            raise invalid(f"{where}.source.bytes: empty")
        return data, None
    loc = src["s3Location"]
    if not isinstance(loc, dict) or not isinstance(loc.get("uri"), str) \
            or not loc["uri"].startswith("s3://"):
        raise invalid(f"{where}.source.s3Location.uri: expected an s3:// URI")
    _extraneous(loc, {"uri", "bucketOwner"}, f"{where}.source.s3Location")
    return None, loc["uri"]


def _segmentation(block: dict, modality: str, where: str, segmented: bool) -> None:
    seg = block.get("segmentationConfig")
    if seg is None:
        return
    if not segmented:
        raise invalid(f"{where}: extraneous key [segmentationConfig] is not permitted")
    if not isinstance(seg, dict):
        raise invalid(f"{where}.segmentationConfig: expected an object")
    if modality == "text":
        _extraneous(seg, {"maxLengthChars"}, f"{where}.segmentationConfig")
        n = seg.get("maxLengthChars", 32000)
        if not isinstance(n, int) or isinstance(n, bool) or not 800 <= n <= 50000:
            raise invalid(f"{where}.segmentationConfig.maxLengthChars: {n!r} is not in "
                          "800-50000")
    else:
        _extraneous(seg, {"durationSeconds"}, f"{where}.segmentationConfig")
        n = seg.get("durationSeconds", 5)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 30:
            raise invalid(f"{where}.segmentationConfig.durationSeconds: {n!r} is not in 1-30")


def parse_request(body: Any, *, segmented: bool) -> NovaRequest:
    """Validate a Nova request body (``segmented`` for StartAsyncInvoke's ``modelInput``)."""
    if not isinstance(body, dict):
        raise invalid("#: expected type: JSONObject")
    _extraneous(body, _KEYS["top"], "#")
    if "schemaVersion" in body and body["schemaVersion"] != "nova-multimodal-embed-v1":
        raise invalid(f"#/schemaVersion: {body['schemaVersion']!r} is not supported")
    task = body.get("taskType")
    want = "SEGMENTED_EMBEDDING" if segmented else "SINGLE_EMBEDDING"
    _enum(task, ("SINGLE_EMBEDDING", "SEGMENTED_EMBEDDING"), "#/taskType")
    if task != want:
        api = "StartAsyncInvoke" if task == "SEGMENTED_EMBEDDING" else "InvokeModel"
        raise invalid(f"#/taskType: {task} must be sent with {api}")
    key = "segmentedEmbeddingParams" if segmented else "singleEmbeddingParams"
    params = body.get(key)
    if not isinstance(params, dict):
        raise invalid(f"#: required key [{key}] not found")
    other = "singleEmbeddingParams" if segmented else "segmentedEmbeddingParams"
    if other in body:
        raise invalid(f"#: extraneous key [{other}] is not permitted")
    where = f"#/{key}"
    _extraneous(params, _KEYS["params"], where)
    purpose = params.get("embeddingPurpose", "GENERIC_INDEX")
    _enum(purpose, PURPOSES, f"{where}/embeddingPurpose")
    dimension = params.get("embeddingDimension", 3072)
    _enum(dimension, DIMENSIONS, f"{where}/embeddingDimension")
    present = [m for m in ("text", "image", "audio", "video") if m in params]
    if len(present) != 1:
        raise invalid(f"{where}: expected exactly one of text, image, audio, video")
    modality = present[0]
    block = params[modality]
    bw = f"{where}/{modality}"
    if not isinstance(block, dict):
        raise invalid(f"{bw}: expected type: JSONObject")
    _extraneous(block, _KEYS[modality], bw)
    _segmentation(block, modality, bw, segmented)
    data = uri = None
    if modality == "text":
        _enum(block.get("truncationMode"), ("START", "END", "NONE"), f"{bw}/truncationMode")
        if ("value" in block) == ("source" in block):
            raise invalid(f"{bw}: expected exactly one of value or source")
        if "value" in block:
            if not isinstance(block["value"], str) or not block["value"]:
                raise invalid(f"{bw}/value: expected a non-empty string")
            if len(block["value"]) > TEXT_VALUE_CHARS:  # whatever the truncationMode
                raise invalid(f"{bw}/value: expected maxLength: {TEXT_VALUE_CHARS}, actual: "
                              f"{len(block['value'])}")
        else:
            data, uri = _source(block, bw)
    else:
        _enum(block.get("format"), FORMATS[modality], f"{bw}/format")
        data, uri = _source(block, bw)
        if modality == "image" and "detailLevel" in block:
            _enum(block["detailLevel"], ("STANDARD_IMAGE", "DOCUMENT_IMAGE"), f"{bw}/detailLevel")
        if modality == "video":
            _enum(block.get("embeddingMode"), ("AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE"),
                  f"{bw}/embeddingMode")
    return NovaRequest(task, purpose, dimension, modality, block, data, uri)
