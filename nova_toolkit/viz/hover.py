"""Hover text of a map point or a hit card: file name, modality, offsets, trimmed snippet."""

from __future__ import annotations

import html
import os
from typing import Any

import numpy as np

SNIPPET_CHARS = 160


def _fmt_time(seconds: float) -> str:
    seconds = float(seconds)
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:04.1f}"


def _is_num(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and np.isnan(x))


def where(row: dict) -> str:
    """Where a row sits in its source: ``page 3``, ``0:05.0–0:10.0`` or ``chars 0–1000``."""
    if _is_num(row.get("page")):
        return f"page {int(row['page'])}"
    if _is_num(row.get("start_s")):
        end = f"–{_fmt_time(row['end_s'])}" if _is_num(row.get("end_s")) else ""
        return f"{_fmt_time(row['start_s'])}{end}"
    if _is_num(row.get("char_start")) and _is_num(row.get("char_end")):
        return f"chars {int(row['char_start'])}–{int(row['char_end'])}"
    return ""


def trim(text: str | None, n: int = SNIPPET_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def hover_text(row: dict, *, extra: str = "") -> str:
    """Plotly hover HTML for one row: file name, modality/type, offsets, trimmed snippet."""
    name = os.path.basename(str(row.get("source", "")))
    bits = [f"<b>{html.escape(name)}</b>",
            html.escape(f"{row.get('modality', '')} · {row.get('embedding_type', '')}")]
    at = where(row)
    if at:
        bits[-1] += " · " + html.escape(at)
    if extra:
        bits.append(html.escape(extra))
    snippet = trim(row.get("snippet"))
    if snippet:
        # wrap long snippets so the hover box stays narrow
        words, lines, line = snippet.split(" "), [], ""
        for w in words:
            if len(line) + len(w) > 60 and line:
                lines.append(line)
                line = ""
            line = f"{line} {w}".strip()
        lines.append(line)
        bits.append("<br>".join(html.escape(x) for x in lines))
    return "<br>".join(bits)
