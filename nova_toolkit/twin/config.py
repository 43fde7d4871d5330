"""Settings of the local AWS twin: where it keeps data and how loaded it pretends to be."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nova_toolkit._core.nova import NOVA_MODEL_ID as NOVA_MODEL_ID  # the one Nova model served

#: Account id the twin puts in ARNs (moto's default account, so S3 and Bedrock agree).
ACCOUNT_ID = "123456789012"
#: Nova's documented limits on the segments of one async (SEGMENTED_EMBEDDING) job.
MAX_TEXT_SEGMENTS = 1900
MAX_MEDIA_SEGMENTS = 1434


@dataclass
class TwinConfig:
    """How the twin behaves.

    Parameters
    ----------
    root : Path or None
        Directory for the S3 Vectors mirror (a temporary directory when None).
    region : str
        Region used in ARNs.
    latency_ms : float
        Added to every Bedrock model call (InvokeModel, StartAsyncInvoke).
    rps_quota : float or None
        Bedrock model calls accepted per second (token bucket of that size); above it a
        ``ThrottlingException`` (429) is returned.
    throttle_rate, error_rate, timeout_rate, drop_rate : float
        Probability that a Bedrock model call gets a ``ThrottlingException`` (429), a
        random 500/503, a ``ModelTimeoutException`` (408) or a closed connection (no
        response at all).
    fast_embeddings : bool
        Replace the model by a deterministic hash-seeded embedding (benchmarks measure the
        client, not MiniLM).
    seed : int or None
        Seed of the fault injector's random generator.
    quiet : bool
        No per-request log lines.
    echo_output_uri : bool
        GetAsyncInvoke reports the request's ``s3Uri`` unchanged instead of Bedrock's
        ``<s3Uri>/<invocation id>`` (to test clients against a service that does that).
    allowed_hosts : tuple of str
        ``Host`` names served besides loopback ones when the twin is bound to a loopback
        address (a docker-compose service name, say); see :mod:`.guard`.
    idle_timeout_s : float
        Seconds a connection may sit idle (or send a request this slowly) before the twin
        closes it.
    max_text_segments, max_media_segments : int
        Segments one async job may produce (Nova: 1,900 text, 1,434 audio/video); smaller
        values let tests reach the limit with small inputs. See :mod:`.segment_limits`.
    """

    root: Path | None = None
    region: str = "us-east-1"
    latency_ms: float = 0.0
    rps_quota: float | None = None
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    drop_rate: float = 0.0
    fast_embeddings: bool = False
    seed: int | None = None
    quiet: bool = True
    echo_output_uri: bool = False
    allowed_hosts: tuple[str, ...] = ()
    idle_timeout_s: float = 30.0
    max_text_segments: int = MAX_TEXT_SEGMENTS
    max_media_segments: int = MAX_MEDIA_SEGMENTS

    def __post_init__(self) -> None:
        for name in ("throttle_rate", "error_rate", "timeout_rate", "drop_rate"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.throttle_rate + self.error_rate + self.timeout_rate + self.drop_rate > 1.0:
            raise ValueError("the fault rates must not add up to more than 1")
        if self.rps_quota is not None and self.rps_quota <= 0:
            raise ValueError(f"rps_quota must be > 0, got {self.rps_quota}")
        if self.max_text_segments < 1 or self.max_media_segments < 1:
            raise ValueError("max_text_segments and max_media_segments must be >= 1")
        if self.idle_timeout_s <= 0:
            raise ValueError(f"idle_timeout_s must be > 0, got {self.idle_timeout_s}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")
