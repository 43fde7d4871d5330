"""The ``nova`` backend: Amazon Nova Multimodal Embeddings on Amazon Bedrock.

Sync SINGLE_EMBEDDING (InvokeModel) for text chunks, images and audio/video clips of
at most 30 s; SEGMENTED_EMBEDDING (StartAsyncInvoke through an S3 staging prefix) for
longer audio/video and very long texts. Requests run in a bounded pool of threads
sharing one botocore client; transient errors are retried (see :mod:`.transport`).

Documents follow ``document_mode`` (default ``image``): page images rendered by pypdfium2
and sent with ``detailLevel=DOCUMENT_IMAGE``, the text layer as TEXT, or both
(see :mod:`.documents`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from nova_toolkit._core.errors import ConfigurationError, InvalidArgumentError
from nova_toolkit.embedders.base import Embedding, EmbedFailure, l2_normalize
from nova_toolkit.embedders.document_modes import check_document_mode
from nova_toolkit.embedders.nova import bodies
from nova_toolkit.embedders.nova.async_invoke import AsyncRunner
from nova_toolkit.embedders.nova.async_split import AsyncLimits, embed_media_async, embed_text_async
from nova_toolkit.embedders.nova.configuration import check_aws_configuration
from nova_toolkit.embedders.nova.constants import (
    DEFAULT_DIMENSION,
    DIMENSIONS,
    MAX_INLINE_BYTES,
    MAX_INPUT_CHARS,
    MAX_SYNC_SECONDS,
    MODEL_ID,
    TOKEN_HEADER,
)
from nova_toolkit.embedders.nova.documents import plan_document, query_document
from nova_toolkit.embedders.nova.limiter import RequestLimiter, attach, limiter_for
from nova_toolkit.embedders.nova.parse import sync_embeddings
from nova_toolkit.embedders.nova.text_limits import fit_query_text, fit_text_segments, longest_text
from nova_toolkit.embedders.nova.transport import (
    PermanentError,
    make_client,
    make_session,
    with_retries,
)
from nova_toolkit.embedders.nova.usage import CHARS_PER_TOKEN, Usage

if TYPE_CHECKING:
    from nova_toolkit.media import MediaItem
    from nova_toolkit.segment import Segment

Result = list[Embedding | EmbedFailure]


class NovaEmbedder:
    """Nova Multimodal Embeddings through Bedrock.

    Parameters
    ----------
    dimension : int
        256, 384, 1024 or 3072 (default).
    profile, region : str, optional
        AWS profile and region (else the standard chain and ``AWS_DEFAULT_REGION``).
    endpoint_url : str, optional
        Endpoint override for Bedrock and S3 (``AWS_ENDPOINT_URL*`` work too).
    s3_staging : str, optional
        ``s3://bucket/prefix`` for async jobs (inputs uploaded, outputs written).
        Without it, audio/video over 30 s fail with a reason instead of going async.
    pool_size : int
        Requests in flight at once (also botocore's ``max_pool_connections``).
    max_retries : int
        Retries of this backend (full-jitter backoff) after botocore's own attempts.
    retry_mode, max_attempts : str, int
        botocore retry settings. Default: ``adaptive`` mode with 1 attempt, i.e.
        botocore's client-side rate limiter paces the pool to the service's quota
        (measured on the twin at a 50 rps quota: 54 rps, 2 throttles per 400 calls) while
        this backend's faster jittered loop does the retrying (botocore's own backoff
        cut throughput to 38-43 rps). Against random (not quota-driven) throttling the
        adaptive limiter collapses the rate: use ``retry_mode="standard"`` there.
        None: ``adaptive``, or ``standard`` when a rate limiter below paces the calls.
    max_rps, rate_limiter : float, RequestLimiter, optional
        Pace InvokeModel / StartAsyncInvoke at the account's known quota (an in-process
        :class:`.limiter.AdaptiveLimiter`), or with a given limiter shared by several
        embedders (a Ray cluster's: :mod:`nova_toolkit.pipeline.ray_limits`). Neither
        is a collection setting.
    retry_base_delay : float
        First backoff of those retries (full jitter, doubled each time, capped at 20 s).
    embedding_mode : str
        AUDIO_VIDEO_COMBINED (default) or AUDIO_VIDEO_SEPARATE for video.
    truncation : str
        Text ``truncationMode``: END (default), START or NONE.
    long_text_chars : int
        Text items longer than this go through one async SEGMENTED_EMBEDDING job
        (when ``s3_staging`` is set); shorter ones are embedded chunk by chunk.
    document_mode : str
        PDF/DOCX pages as ``image`` (DOCUMENT_IMAGE, default), ``text`` (text layer; scans as
        images) or ``both`` (see :mod:`nova_toolkit.embedders.document_modes`).
    async_limits : AsyncLimits, optional
        Per-job limits of StartAsyncInvoke (Nova's 1,900 text / 1,434 audio-video segments,
        2 h); longer inputs run as several jobs, merged (see :mod:`.async_split`).
    prices : dict, optional
        Price table for usage estimates (see :data:`.usage.DEFAULT_PRICES`).
    bedrock_client, s3_client : optional
        Ready clients (tests); otherwise built lazily from the session.
    """

    name = "nova"
    model_id = MODEL_ID
    dimensions = DIMENSIONS
    modalities = frozenset({"text", "document", "image", "audio", "video"})
    max_input_chars = MAX_INPUT_CHARS
    #: Default chunk size: Nova's inline text limit, a valid maxLengthChars (800–50,000).
    default_max_chars = MAX_INPUT_CHARS
    #: Nova's own segmentation has no overlap; client-side chunks follow it.
    default_overlap_chars = 0

    def __init__(self, *, dimension: int = DEFAULT_DIMENSION, profile: str | None = None,
                 region: str | None = None, endpoint_url: str | None = None,
                 s3_staging: str | None = None, pool_size: int = 32, max_retries: int = 8,
                 max_attempts: int = 1, retry_mode: str | None = None,
                 embedding_mode: str = "AUDIO_VIDEO_COMBINED", truncation: str = "END",
                 detail_level: str = "STANDARD_IMAGE", long_text_chars: int = 200_000,
                 document_mode: str = "image",
                 segment_seconds: int = 5, async_concurrency: int = 4,
                 prices: dict | None = None, read_timeout: float = 60.0,
                 retry_base_delay: float = 0.2, async_limits: AsyncLimits | None = None,
                 bedrock_client: Any = None, s3_client: Any = None,
                 max_rps: float | None = None, rate_limiter: RequestLimiter | None = None) -> None:
        if dimension not in DIMENSIONS:
            raise InvalidArgumentError("dimension", "the nova backend serves no such dimension",
                                       value=dimension, allowed=DIMENSIONS)
        if embedding_mode not in ("AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE"):
            raise ValueError(f"embedding_mode must be AUDIO_VIDEO_COMBINED or "
                             f"AUDIO_VIDEO_SEPARATE, not {embedding_mode!r}")
        if pool_size < 1:
            raise ValueError("pool_size must be >= 1")
        self.dimension = dimension
        self.profile, self.region, self.endpoint_url = profile, region, endpoint_url
        self.s3_staging = s3_staging
        self.pool_size, self.max_retries = pool_size, max_retries
        self.rate_limiter = limiter_for(rate_limiter, max_rps)
        retry_mode = retry_mode or ("standard" if self.rate_limiter is not None else "adaptive")
        self.max_attempts, self.retry_mode, self.read_timeout = max_attempts, retry_mode, \
            read_timeout
        self.embedding_mode, self.truncation, self.detail_level = embedding_mode, truncation, \
            detail_level
        self.long_text_chars, self.segment_seconds = long_text_chars, segment_seconds
        self.async_concurrency = async_concurrency
        self.retry_base_delay = retry_base_delay
        self.async_limits = async_limits or AsyncLimits()
        self.document_mode = check_document_mode(document_mode)
        self.usage = Usage(prices=dict(prices)) if prices else Usage()
        self._bedrock, self._s3 = bedrock_client, s3_client
        if bedrock_client is not None and self.rate_limiter is not None:
            attach(bedrock_client, self.rate_limiter)
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never shows clients or credentials
        return (f"NovaEmbedder(dimension={self.dimension}, region={self.region!r}, "
                f"pool_size={self.pool_size})")

    # -- clients ---------------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        session = make_session(self.profile, self.region)
        check_aws_configuration(session, self.profile)  # a run stops here, before any file
        return make_client(session, service, pool_size=self.pool_size,
                           endpoint_url=self.endpoint_url, max_attempts=self.max_attempts,
                           retry_mode=self.retry_mode, read_timeout=self.read_timeout,
                           usage=self.usage)

    @property
    def bedrock(self) -> Any:
        with self._lock:
            if self._bedrock is None:
                self._bedrock = self._client("bedrock-runtime")
                if self.rate_limiter is not None:  # every model call waits for its token
                    attach(self._bedrock, self.rate_limiter)
            return self._bedrock

    @property
    def s3(self) -> Any:
        with self._lock:
            if self._s3 is None:
                self._s3 = self._client("s3")
            return self._s3

    def settings(self) -> dict:
        return {"backend": self.name, "model_id": self.model_id, "dimension": self.dimension,
                "truncation_mode": self.truncation, "embedding_mode": self.embedding_mode,
                "detail_level": self.detail_level}

    def reset_usage(self) -> Usage:
        """Return the usage so far and start counting afresh."""
        old, self.usage = self.usage, Usage(prices=self.usage.prices)
        return old

    # -- one InvokeModel -------------------------------------------------------------------
    def _invoke(self, body: dict, *, chars: int = 0, seconds: float = 0.0,
                images: int = 0) -> dict:
        raw = json.dumps(body)

        def call() -> tuple[dict, dict]:
            resp = self.bedrock.invoke_model(modelId=MODEL_ID, body=raw, accept="application/json",
                                             contentType="application/json")
            return json.loads(resp["body"].read()), resp["ResponseMetadata"]["HTTPHeaders"]

        payload, headers = with_retries(call, usage=self.usage, max_retries=self.max_retries,
                                        base_delay=self.retry_base_delay)
        tokens = headers.get(TOKEN_HEADER)
        counts: dict[str, float] = {"calls": 1, "input_chars": chars, "input_seconds": seconds,
                                    "input_images": images}
        if tokens is not None:
            counts["input_tokens"] = int(tokens)
        elif chars:
            counts["estimated_tokens"] = int(np.ceil(chars / CHARS_PER_TOKEN))
        self.usage.add(**counts)
        return payload

    def _text_call(self, text: str, index: int, purpose: str,
                   segment: Segment | None = None) -> Result:
        if len(text) > MAX_INPUT_CHARS:  # Bedrock would answer ValidationException
            raise ValueError(f"text of {len(text)} chars is above Nova's {MAX_INPUT_CHARS}")
        body = bodies.single_body("text", bodies.text_block(text, truncation=self.truncation),
                                  purpose=purpose, dimension=self.dimension)
        payload = self._invoke(body, chars=len(text))
        rows = sync_embeddings(payload, index, snippet=text, text_len=len(text))
        return [replace(r, segment=segment) for r in rows] if segment else rows

    def _media_call(self, item: MediaItem, index: int, purpose: str,
                    seconds: float = 0.0) -> Result:
        block = self._media_block(item, inline_ok=True)
        body = bodies.single_body(item.modality, block, purpose=purpose, dimension=self.dimension)
        payload = self._invoke(body, seconds=seconds, images=int(item.modality == "image"))
        return list(sync_embeddings(payload, index))

    def _media_block(self, item: MediaItem, *, inline_ok: bool) -> dict:
        uri = item.source if item.source.startswith("s3://") else None
        too_big = 4 * ((item.size + 2) // 3) + 1024 > MAX_INLINE_BYTES
        if uri is None and (too_big or not inline_ok):
            uri = self._runner().stage(item.data, _filename(item), item.sha256)
        kw: dict[str, Any] = {"s3_uri": uri} if uri else {"data": item.data}
        return bodies.media_block(item.modality, item.format, detail_level=self.detail_level
                                  if item.modality == "image" else None,
                                  embedding_mode=self.embedding_mode, **kw)

    def _runner(self) -> AsyncRunner:
        if not self.s3_staging:
            raise PermanentError("needs an S3 staging URI (s3_staging= / --s3-staging) for "
                                 "StartAsyncInvoke or inputs above 25 MB")
        return AsyncRunner(self.bedrock, self.s3, self.s3_staging, self.usage)

    def _types(self, modality: str) -> list[str]:
        if modality == "video":
            return (["AUDIO_VIDEO_COMBINED"] if self.embedding_mode == "AUDIO_VIDEO_COMBINED"
                    else ["VIDEO", "AUDIO"])
        return [{"audio": "AUDIO", "image": "IMAGE"}.get(modality, "TEXT")]

    def _async_call(self, item: MediaItem, segments: Sequence[Segment], purpose: str) -> Result:
        """StartAsyncInvoke, in several jobs when the input is over the per-job limits."""
        if item.modality == "text":
            return embed_text_async(self, item, segments, purpose)
        return embed_media_async(self, item, segments, purpose, self._types(item.modality))

    # -- planning --------------------------------------------------------------------------
    def _plan(self, item: MediaItem, segments: Sequence[Segment],
              purpose: str) -> tuple[list[Callable[[], Result]], list[Callable[[], Result]]]:
        """(sync tasks, async tasks) for one item; each task returns rows for its segments."""
        m = item.modality
        if m == "text" and self.s3_staging and (len(item.data) > self.long_text_chars
                                                 or longest_text(segments) > MAX_INPUT_CHARS):
            return [], [lambda: self._async_call(item, segments, purpose)]
        if m == "text":  # documents are planned by documents.plan_document
            tasks = []
            for seg in segments:
                if not (seg.text or "").strip():
                    tasks.append(lambda s=seg: [EmbedFailure(s.index, "segment has no text")])
                else:
                    tasks.append(lambda s=seg: self._text_call(s.text, s.index, purpose, s))
            return tasks, []
        if m == "image":
            index = segments[0].index if segments else 0
            return [lambda: self._media_call(item, index, purpose)], []
        end = max((s.end_s or 0.0 for s in segments), default=0.0)
        if len(segments) <= 1 and end <= MAX_SYNC_SECONDS:
            index = segments[0].index if segments else 0
            return [lambda: self._media_call(item, index, purpose, seconds=end)], []
        if end <= MAX_SYNC_SECONDS and not self.s3_staging:
            # a short clip cut into several windows, and no S3 for StartAsyncInvoke:
            # one InvokeModel for the whole clip (Nova's sync semantics), one row 0–end
            from nova_toolkit.segment import Segment

            whole = Segment(0, start_s=0.0, end_s=end)
            return [lambda: [replace(r, segment=whole) for r in
                             self._media_call(item, 0, purpose, seconds=end)]], []
        return [], [lambda: self._async_call(item, segments, purpose)]

    def _run(self, tasks: list[Callable[[], Result]], workers: int,
             indexes: list[list[int]]) -> list[Result]:
        def guarded(i: int) -> Result:
            try:
                return tasks[i]()
            except ConfigurationError:
                raise  # no file can succeed: the run stops
            except (PermanentError, ValueError) as exc:  # a request Nova would refuse
                self.usage.add(failures=1)
                return [EmbedFailure(j, str(exc)) for j in indexes[i]]
            except Exception as exc:  # one bad item must not stop the run
                self.usage.add(failures=1)
                return [EmbedFailure(j, f"{type(exc).__name__}: {exc}") for j in indexes[i]]

        if not tasks:
            return []
        with ThreadPoolExecutor(max_workers=min(workers, len(tasks)),
                                thread_name_prefix="nova") as pool:
            return list(pool.map(guarded, range(len(tasks))))

    # -- the Embedder protocol -------------------------------------------------------------
    def embed(self, batch: Sequence[tuple[MediaItem, Sequence[Segment]]], *,
              purpose: str) -> list[Result]:
        """Embed the segments of several items; all requests share the bounded pool."""
        sync: list[tuple[int, Callable[[], Result], list[int]]] = []
        slow: list[tuple[int, Callable[[], Result], list[int]]] = []
        for i, (item, segments) in enumerate(batch):
            if item.modality == "document":  # per-page tasks, each with its own indexes
                sync += [(i, t, ix) for t, ix in
                         plan_document(self, item, segments, purpose, self.document_mode)]
                continue
            if item.modality == "text" and not self.s3_staging:  # ≤ 8,192 chars a call
                segments = fit_text_segments(segments)
            tasks, jobs = self._plan(item, segments, purpose)
            every = [s.index for s in segments] or [0]
            if len(tasks) == len(segments) and item.modality == "text":
                sync += [(i, t, [s.index]) for t, s in zip(tasks, segments, strict=True)]
            else:
                sync += [(i, t, every) for t in tasks]
            slow += [(i, t, every) for t in jobs]
        results: list[Result] = [[] for _ in batch]
        done_async: list[Result] = []
        runner = threading.Thread(target=lambda: done_async.extend(
            self._run([t for _, t, _ in slow], self.async_concurrency, [x for *_, x in slow])))
        runner.start()
        for (i, _, _), rows in zip(sync, self._run([t for _, t, _ in sync], self.pool_size,
                                                   [x for *_, x in sync]), strict=True):
            results[i].extend(rows)
        runner.join()
        for (i, _, _), rows in zip(slow, done_async, strict=True):
            results[i].extend(rows)
        for res in results:
            res.sort(key=lambda r: r.segment_index)
        return results

    def embed_texts(self, texts: Sequence[str], *, purpose: str = "GENERIC_INDEX") -> np.ndarray:
        """Embed raw strings (one InvokeModel each, in the pool) → ``(n, dimension)``.

        One vector per string: a string above Nova's 8,192 characters is shortened per
        ``truncation`` (END keeps the start, START the end) with a ``TextTruncatedWarning``
        (see :func:`.text_limits.fit_query_text`); index long texts with :meth:`embed`.

        Raises
        ------
        ValueError
            A string above 8,192 characters with ``truncation="NONE"``.
        RuntimeError
            When a text cannot be embedded (after retries).
        """
        texts = [fit_query_text(t, self.truncation) for t in texts]
        tasks = [lambda t=t, i=i: self._text_call(t, i, purpose) for i, t in enumerate(texts)]
        rows = self._run(tasks, self.pool_size, [[i] for i in range(len(texts))])
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, r in enumerate(rows):
            if not r or isinstance(r[0], EmbedFailure):
                reason = r[0].reason if r else "no embedding returned"
                raise RuntimeError(f"nova could not embed text #{i}: {reason}")
            out[i] = r[0].vector
        return out

    def embed_query(self, item: MediaItem, *, purpose: str = "GENERIC_RETRIEVAL") -> np.ndarray:
        """A whole file as a query: text (above 8,192 chars cut per ``truncation``, with a
        warning; see :meth:`embed_texts`), document, image or ≤ 30 s clip."""
        if item.modality == "document":  # mean of its pages (see documents.query_document)
            return query_document(self, item, purpose)
        if item.modality == "text":
            from nova_toolkit.segment import item_text

            return self.embed_texts([item_text(item)], purpose=purpose)[0]
        try:
            rows = self._media_call(item, 0, purpose)
        except PermanentError as exc:
            raise ValueError(f"{item.source}: {exc}") from None
        return l2_normalize(np.mean([r.vector for r in rows], axis=0))


def _filename(item: MediaItem) -> str:
    base = item.source.rsplit("/", 1)[-1] or "input"
    return base if "." in base else f"{base}.{item.format}"
