"""What the async splitter and the document planner use of the Nova embedder.

:mod:`.async_split` and :mod:`.documents` are called by :class:`.embedder.NovaEmbedder`
and call back into it; typing them against this protocol instead of the class keeps the
modules a tree (``embedder`` imports them, they import only this).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class NovaCalls(Protocol):
    """The settings and request helpers of a Nova embedder (NovaEmbedder satisfies it)."""

    dimension: int
    default_max_chars: int
    default_overlap_chars: int
    segment_seconds: float
    embedding_mode: str
    truncation: str
    document_mode: str
    pool_size: int
    usage: Any
    async_limits: Any

    def _runner(self) -> Any: ...

    def _media_block(self, item: Any, *, inline_ok: bool) -> dict: ...

    def _invoke(self, body: dict, **counts: Any) -> Any: ...

    def _text_call(self, text: str, index: int, purpose: str, segment: Any = None) -> Any: ...

    def _run(self, tasks: list[Callable[[], Any]], workers: int, *args: Any) -> Any: ...
