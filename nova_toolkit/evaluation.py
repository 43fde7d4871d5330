"""Retrieval quality on labelled queries: hit@k and MRR per target modality.

A labelled query is one JSON object per line (see ``tests/quality/README.md``)::

    {"query": "a striped tabby cat", "modality": "image", "expected": ["images/cat.png"]}
    {"query_file": "images/rocket.webp", "modality": "video", "expected": ["video/rocket.mp4"]}
    {"query": "...", "modality": "document", "expected": ["documents/a.pdf"], "page": 2}

Each query is searched with its target modality as a filter; a hit is right when
its source ends with one of ``expected`` (and, for documents with ``page``, is on
that page). Hits on the query file itself are ignored.

``mode`` picks the search mode (:mod:`nova_toolkit.search_modes`): ``vector``, ``text``
(BM25 over the rows' snippets) or ``hybrid``. A query by example file has no words, so
``text`` mode leaves file queries out (not counted) and ``hybrid`` runs them as vector
queries; :func:`compare_modes` runs all three and prints them side by side.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nova_toolkit._core.view import SearchView


@dataclass(frozen=True)
class QueryOutcome:
    """One labelled query and the rank (1-based) of its first right hit, or None."""

    query: str
    kind: str  # "text" or "file"
    modality: str
    rank: int | None
    top: list[str] = field(default_factory=list)


@dataclass
class QualityReport:
    """Outcomes of a query set, with hit@k and MRR summaries."""

    outcomes: list[QueryOutcome]
    mode: str = "vector"

    @staticmethod
    def _summary(outcomes: list[QueryOutcome]) -> dict:
        n = len(outcomes)
        if not n:
            return {"n": 0, "hit@1": None, "hit@5": None, "mrr": None}
        ranks = [o.rank for o in outcomes]
        return {
            "n": n,
            "hit@1": sum(r is not None and r <= 1 for r in ranks) / n,
            "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n,
        }

    def overall(self) -> dict:
        return self._summary(self.outcomes)

    def by_modality(self) -> dict[str, dict]:
        groups: dict[str, list[QueryOutcome]] = defaultdict(list)
        for o in self.outcomes:
            groups[o.modality].append(o)
        return {m: self._summary(v) for m, v in sorted(groups.items())}

    def by_kind(self) -> dict[str, dict]:
        groups: dict[str, list[QueryOutcome]] = defaultdict(list)
        for o in self.outcomes:
            groups[o.kind].append(o)
        return {k: self._summary(v) for k, v in sorted(groups.items())}

    def misses(self, k: int = 1) -> list[QueryOutcome]:
        return [o for o in self.outcomes if o.rank is None or o.rank > k]

    def table(self) -> str:
        """A plain-text table: per modality, per kind and overall."""
        lines = [f"{'group':<12}{'n':>4}{'hit@1':>8}{'hit@5':>8}{'mrr':>8}"]
        rows = list(self.by_modality().items()) + [
            (f"[{k}]", v) for k, v in self.by_kind().items()] + [("overall", self.overall())]
        for name, s in rows:
            lines.append(f"{name:<12}{s['n']:>4}{s['hit@1']:>8.3f}{s['hit@5']:>8.3f}"
                         f"{s['mrr']:>8.3f}")
        return "\n".join(lines)


def load_queries(path: str | os.PathLike) -> list[dict]:
    """Read a JSONL file of labelled queries (blank lines ignored)."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON ({exc})") from None
    return out


def _matches(hit: dict, expected: list[str], page: int | None) -> bool:
    source = hit["source"].replace(os.sep, "/")
    if not any(source.endswith(e) for e in expected):
        return False
    return page is None or hit["segment"]["page"] == page


def evaluate(collection: SearchView, queries: list[dict], *, root: str | os.PathLike,
             depth: int = 10, mode: str = "vector") -> QualityReport:
    """Run labelled ``queries`` against ``collection`` (built from the folder ``root``).

    Parameters
    ----------
    depth : int
        Hits looked at per query; ranks beyond it count as misses.
    mode : str
        Search mode of the text queries: ``vector``, ``text`` or ``hybrid``. File
        queries are left out in ``text`` mode and run as vector queries otherwise.
    """
    from nova_toolkit.search_modes import MODES

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    root = Path(root)
    outcomes = []
    for q in queries:
        modality = q["modality"]
        if "query_file" in q:
            if mode == "text":
                continue
            path = root / q["query_file"]
            hits = collection.search(file=path, modality=modality, top_k=depth + 5)
            own = q["query_file"]
            hits = [h for h in hits if not h["source"].replace(os.sep, "/").endswith(own)]
            kind, text = "file", q["query_file"]
        else:
            hits = collection.search(q["query"], modality=modality, top_k=depth, mode=mode)
            kind, text = "text", q["query"]
        # rank by distinct source (+page): several segments of one file count once
        seen: list[tuple] = []
        rank = None
        for h in hits:
            ident = (h["source"], h["segment"]["page"] if q.get("page") else None)
            if ident in seen:
                continue
            seen.append(ident)
            if _matches(h, q["expected"], q.get("page")):
                rank = len(seen)
                break
        top = [h["source"] for h in hits[:3]]
        outcomes.append(QueryOutcome(text, kind, modality, rank if rank and rank <= depth
                                     else None, top))
    return QualityReport(outcomes, mode)


def compare_modes(collection: SearchView, queries: list[dict], *, root: str | os.PathLike,
                  depth: int = 10, modes: tuple[str, ...] = ("vector", "text", "hybrid"),
                  ) -> dict[str, QualityReport]:
    """:func:`evaluate` in each of ``modes``: ``{mode: QualityReport}``."""
    return {m: evaluate(collection, queries, root=root, depth=depth, mode=m) for m in modes}


def modes_table(reports: dict[str, QualityReport]) -> str:
    """Per group (modality, kind, overall), hit@1 / hit@5 / MRR of each mode side by side."""
    names = list(reports)
    groups: list[str] = []
    per: dict[str, dict[str, dict]] = {}
    for mode, rep in reports.items():
        rows = {**rep.by_modality(), **{f"[{k}]": v for k, v in rep.by_kind().items()},
                "overall": rep.overall()}
        per[mode] = rows
        groups += [g for g in rows if g not in groups]
    head = f"{'group':<12}" + "".join(f"{m + ' n':>10}{'h@1':>7}{'h@5':>7}{'mrr':>7}"
                                      for m in names)
    lines = [head]
    for g in groups:
        line = f"{g:<12}"
        for m in names:
            s = per[m].get(g)
            if not s or not s["n"]:
                line += f"{0:>10}{'-':>7}{'-':>7}{'-':>7}"
            else:
                line += f"{s['n']:>10}{s['hit@1']:>7.3f}{s['hit@5']:>7.3f}{s['mrr']:>7.3f}"
        lines.append(line)
    return "\n".join(lines)
