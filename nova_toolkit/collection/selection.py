"""Which stored files a metadata update or a removal acts on: by source, or by filter.

Both act on whole files (sources), never on single vector rows: a file's rows share its
metadata, and the planner's "unchanged" check is per file, so half a file would never
come back. A selection is therefore a set of sources:

- by **source**: each path given names the stored source spelled that way, else every
  stored local file at or under the path once both are resolved (``os.path.realpath``:
  ``lib``, ``./lib/`` and ``lib/../lib`` are the same folder); an ``s3://`` URI names
  that object or every object under that prefix. A path that names nothing stored is an
  error (a typo must not look like "nothing to do").
- by **filter**: the S3 Vectors filter language the search takes, evaluated by the
  mirror's own filter code (:func:`nova_toolkit.vectors.compile_filter`) over the same
  row metadata the index holds (:func:`~nova_toolkit.pipeline.rows.index_metadata`);
  every file with at least one matching row is selected.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from nova_toolkit.media.detection import MODALITIES
from nova_toolkit.pipeline.rows import NON_FILTERABLE, index_metadata
from nova_toolkit.vectors import compile_filter
from nova_toolkit.vectors.columns import MetadataColumns
from nova_toolkit.vectors.errors import Invalid


def as_sources(sources: str | os.PathLike | Iterable[str | os.PathLike] | None) -> list[str] | None:
    """``sources`` as a list of strings (one path given alone is a list of one)."""
    if sources is None:
        return None
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    out = [os.fspath(s) for s in sources]
    if not out:
        raise ValueError("sources is empty: name at least one file, folder or s3:// URI")
    return out


def match_sources(given: Iterable[str], stored: Iterable[str]) -> list[str]:
    """The stored sources named by ``given`` (sorted); ``ValueError`` naming a path that names none."""
    stored = sorted(set(stored))
    exact = set(stored)
    resolved: dict[str, str] | None = None
    out: set[str] = set()
    for path in given:
        if path in exact:
            out.add(path)
            continue
        if path.startswith("s3://"):
            prefix = path if path.endswith("/") else path + "/"
            hits = [s for s in stored if s.startswith(prefix)]
        else:
            if resolved is None:
                resolved = {s: os.path.realpath(s) for s in stored if not s.startswith("s3://")}
            real = os.path.realpath(path)
            under = real.rstrip(os.sep) + os.sep
            hits = [s for s, r in resolved.items() if r == real or r.startswith(under)]
        if not hits:
            raise ValueError(f"source {path!r} is not in the collection: no stored file is at "
                             "or under that path")
        out.update(hits)
    return sorted(out)


def check_filter(flt: object) -> None:
    """Refuse a filter that is malformed, or that names a modality no file can have."""
    if not isinstance(flt, dict):
        raise ValueError(f"filter must be a JSON object, not {flt!r}")
    try:
        compile_filter(flt, frozenset(NON_FILTERABLE), enhanced=True)
    except Invalid as exc:
        raise ValueError(f"invalid filter: {exc}") from None
    for value in _modality_values(flt):
        if value not in MODALITIES:
            raise ValueError(f"invalid filter: unknown modality {value!r} "
                             f"(one of {', '.join(MODALITIES)})")


def _modality_values(flt: object) -> list:
    """Every value compared with ``modality`` in ``flt`` ($eq, $ne, $in, $nin, bare values)."""
    out: list = []
    if isinstance(flt, list):
        for part in flt:
            out += _modality_values(part)
    elif isinstance(flt, dict):
        for key, value in flt.items():
            if key in ("$and", "$or"):
                out += _modality_values(value)
            elif key == "modality":
                if not isinstance(value, dict):
                    out.append(value)
                    continue
                for op, operand in value.items():
                    if op in ("$eq", "$ne"):
                        out.append(operand)
                    elif op in ("$in", "$nin"):
                        out += list(operand)
    return out


def rows_matching(table: pa.Table, flt: dict) -> np.ndarray:
    """Boolean mask of the segment rows of ``table`` that ``flt`` matches (as the index would)."""
    check_filter(flt)
    mask = compile_filter(flt, frozenset(NON_FILTERABLE), enhanced=True)
    columns = MetadataColumns(frozenset(NON_FILTERABLE))
    columns.append(0, index_metadata(table))
    return mask(columns, table.num_rows)


def sources_matching(table: pa.Table, flt: dict) -> list[str]:
    """Sources (sorted) with at least one segment row of ``table`` that ``flt`` matches."""
    mask = rows_matching(table, flt)
    picked = table.column("source").filter(pa.array(mask))
    return sorted(set(picked.to_pylist()))
