"""Fixed facts of Nova Multimodal Embeddings (see NOVA-AND-S3VECTORS.md, part A)."""

from __future__ import annotations

from nova_toolkit._core.nova import NOVA_MODEL_ID
from nova_toolkit._core.retry import RETRYABLE_CODES as RETRYABLE_CODES  # the one list

MODEL_ID = NOVA_MODEL_ID  # defined once, in _core

DIMENSIONS = (256, 384, 1024, 3072)
DEFAULT_DIMENSION = 3072
#: Characters of inline text ``value`` one request takes (longer is a ValidationException,
#: whatever the truncationMode: the backend segments or goes async instead).
MAX_INPUT_CHARS = 8192
#: Async text segmentation bounds (``segmentationConfig.maxLengthChars``).
MIN_SEGMENT_CHARS, MAX_SEGMENT_CHARS = 800, 50_000
#: What one async job may hold: text segments, audio/video segments, audio/video seconds.
MAX_ASYNC_TEXT_SEGMENTS, MAX_ASYNC_MEDIA_SEGMENTS = 1900, 1434
MAX_ASYNC_MEDIA_SECONDS = 2 * 3600.0
#: Inline request bodies (after base64) must stay under this.
MAX_INLINE_BYTES = 25_000_000
#: Audio/video longer than this goes through StartAsyncInvoke.
MAX_SYNC_SECONDS = 30.0
#: Nova's format names for the toolkit's media formats.
FORMATS = {
    "image": {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "gif": "gif", "webp": "webp"},
    "audio": {"mp3": "mp3", "wav": "wav", "ogg": "ogg"},
    "video": {f: f for f in ("mp4", "mov", "mkv", "webm", "flv", "mpeg", "mpg", "wmv", "3gp")},
}
#: Async output JSONL per embedding type.
OUTPUT_FILES = {
    "TEXT": "embedding-text.jsonl",
    "IMAGE": "embedding-image.jsonl",
    "AUDIO": "embedding-audio.jsonl",
    "VIDEO": "embedding-video.jsonl",
    "AUDIO_VIDEO_COMBINED": "embedding-audio-video.jsonl",
}
RESULT_FILE = "segmented-embedding-result.json"
TOKEN_HEADER = "x-amzn-bedrock-input-token-count"
