"""Search hits as the public API gives them: :func:`hit_record` dicts in a :class:`SearchResults`.

A hit is a plain dict (the CLI's ``--json`` objects): ``key``, ``distance``, ``scores``,
``source`` (the file's key in the collection, e.g. ``images/cat.png``), ``path`` (where the
file is now: an absolute path, or the ``s3://`` URI; open this one), ``modality``, ``embedding_type``, ``segment`` (``index``, ``start_s``, ``end_s``,
``page``, ``char_start``, ``char_end``), ``snippet``, ``metadata``. :class:`SearchResults` is
the list of them, nearest first, with a short ``repr``, an HTML table for notebooks (static:
no script, every value escaped) and :meth:`SearchResults.to_pandas` with one flat column per
field.
"""

from __future__ import annotations

import html
import json
import os
from typing import Any

#: :meth:`SearchResults.to_pandas` columns, in order (score columns follow ``distance``
#: when the mode gives them: ``bm25``, ``fused``, ``vector_distance``).
COLUMNS = ("rank", "distance", "source", "path", "modality", "embedding_type", "segment_index",
           "start_s", "end_s", "page", "char_start", "char_end", "snippet", "metadata", "key")
SCORE_COLUMNS = ("bm25", "fused", "vector_distance")
#: Columns holding whole numbers that may be missing (pandas' nullable ``Int64``).
_NULLABLE_INTS = ("segment_index", "page", "char_start", "char_end")
#: Rows the text ``repr`` shows (the HTML table shows every hit).
REPR_ROWS = 10
SNIPPET_CHARS = 160


def hit_record(row: dict, distance: float | None, scores: dict | None = None, *,
               path: str | None = None) -> dict:
    """The public shape of one search hit (the CLI's ``--json`` objects).

    ``distance`` is None in text mode; ``scores`` holds ``bm25`` / ``fused`` /
    ``vector_distance`` as the mode gives them (see :mod:`nova_toolkit.search_modes`);
    ``path`` is where the file is now (:meth:`Collection.locate`; default: the source).
    """
    return {
        "key": row["key"],
        "distance": None if distance is None else float(distance),
        "scores": dict(scores or {}),
        "source": row["source"],
        "path": row["source"] if path is None else path,
        "modality": row["modality"],
        "embedding_type": row["embedding_type"],
        "segment": {
            "index": row["segment_index"],
            "start_s": row["start_s"],
            "end_s": row["end_s"],
            "page": row["page"],
            "char_start": row["char_start"],
            "char_end": row["char_end"],
        },
        "snippet": row["snippet"],
        "metadata": json.loads(row["metadata"]) if row["metadata"] else {},
    }


def where(segment: dict) -> str:
    """Where a hit sits in its file: ``#2, p.3``, ``#1, 5.0-10.0s``, ``#0, chars 0-552``."""
    parts = [f"#{segment['index']}"]
    if segment.get("page") is not None:
        parts.append(f"p.{segment['page']}")
    if segment.get("start_s") is not None:
        parts.append(f"{segment['start_s']:.1f}-{segment['end_s']:.1f}s")
    if segment.get("char_start") is not None:
        parts.append(f"chars {segment['char_start']}-{segment['char_end']}")
    return ", ".join(parts)


def score_of(hit: dict) -> tuple[str, float | None]:
    """The value a hit is ranked by and its name: ``distance``, else ``fused``, else ``bm25``."""
    scores = hit.get("scores") or {}
    if "fused" in scores:
        return "fused", scores["fused"]
    if hit.get("distance") is not None:
        return "distance", hit["distance"]
    return "bm25", scores.get("bm25")


def _short(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class SearchResults(list):
    """Search hits (dicts, see :func:`hit_record`), nearest first.

    ``query`` (what was asked) and ``mode`` are kept for the notebook display; the list
    itself is exactly the hits, so ``json.dump(list(results))`` and indexing work as before.
    """

    def __init__(self, hits: Any = (), *, query: str | None = None,
                 mode: str = "vector") -> None:
        super().__init__(hits)
        self.query = query
        self.mode = mode

    def __getitem__(self, index):  # a slice is still results (``hits[:5]`` in a notebook)
        got = super().__getitem__(index)
        if isinstance(index, slice):
            return SearchResults(got, query=self.query, mode=self.mode)
        return got

    def _title(self) -> str:
        asked = f" for {self.query!r}" if self.query else ""
        return f"{len(self)} hit{'s' if len(self) != 1 else ''}{asked} (mode {self.mode})"

    def __repr__(self) -> str:
        lines = [f"SearchResults: {self._title()}"]
        for rank, hit in enumerate(list.__getitem__(self, slice(REPR_ROWS)), 1):
            name, value = score_of(hit)
            shown = "-" if value is None else f"{value:.4f}"
            lines.append(f"{rank:>3}. {name} {shown}  [{hit['modality']}] "
                         f"{os.path.basename(hit['source']) or hit['source']} "
                         f"({where(hit['segment'])})  {_short(hit['snippet'], 60)!r}")
        if len(self) > REPR_ROWS:
            lines.append(f"     ... {len(self) - REPR_ROWS} more (.to_pandas() has them all)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = ("<tr><th>#</th><th>score</th><th>modality</th><th>source</th><th>where</th>"
                "<th style='text-align:left'>snippet</th></tr>")
        rows = []
        for rank, hit in enumerate(self, 1):
            name, value = score_of(hit)
            shown = "" if value is None else f"{value:.4f}"
            source = hit.get("path") or hit["source"]
            rows.append(
                f"<tr><td>{rank}</td><td title='{esc(name)}'>{esc(shown)}</td>"
                f"<td>{esc(hit['modality'])}</td>"
                f"<td title='{esc(source, quote=True)}'>{esc(os.path.basename(source) or source)}"
                f"</td><td>{esc(where(hit['segment']))}</td>"
                f"<td style='text-align:left'>{esc(_short(hit['snippet'], SNIPPET_CHARS))}</td>"
                f"</tr>")
        body = "".join(rows) or "<tr><td colspan='6'>no results</td></tr>"
        return (f"<div><p><b>SearchResults</b>: {esc(self._title())}</p>"
                f"<table><thead>{head}</thead><tbody>{body}</tbody></table></div>")

    def records(self) -> list[dict]:
        """One flat dict per hit: the segment fields and the scores as top-level keys."""
        scores = [k for k in SCORE_COLUMNS if any(k in (h.get("scores") or {}) for h in self)]
        out = []
        for rank, hit in enumerate(self, 1):
            seg = hit["segment"]
            flat = {"rank": rank, "distance": hit["distance"]}
            flat.update({k: (hit.get("scores") or {}).get(k) for k in scores})
            flat.update(source=hit["source"], path=hit.get("path", hit["source"]),
                        modality=hit["modality"],
                        embedding_type=hit["embedding_type"], segment_index=seg["index"],
                        start_s=seg["start_s"], end_s=seg["end_s"], page=seg["page"],
                        char_start=seg["char_start"], char_end=seg["char_end"],
                        snippet=hit["snippet"], metadata=hit["metadata"], key=hit["key"])
            out.append(flat)
        return out

    def to_pandas(self):
        """The hits as a DataFrame with flat columns (:data:`COLUMNS`; missing numbers are NA).

        ``start_s`` / ``end_s`` / ``distance`` are floats (NaN where a segment has no time or a
        mode no distance); ``segment_index``, ``page``, ``char_start``, ``char_end`` are
        pandas' nullable ``Int64``.
        """
        import pandas as pd

        records = self.records()
        columns = list(records[0]) if records else list(COLUMNS)
        frame = pd.DataFrame.from_records(records, columns=columns)
        floats = ["distance", "start_s", "end_s", *[c for c in SCORE_COLUMNS if c in columns]]
        return frame.astype({**{c: "float64" for c in floats},
                             **{c: "Int64" for c in _NULLABLE_INTS}, "rank": "int64"})
