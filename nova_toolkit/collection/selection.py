"""Which stored files a metadata update or a removal acts on: by source, or by filter.

Both act on whole files (sources), never on single vector rows: a file's rows share its
metadata, and the planner's "unchanged" check is per file, so half a file would never
come back. A selection is therefore a set of sources:

- by **source**: each path given names the stored source of that key (``images/cat.png``,
  see :mod:`nova_toolkit.media.library`), else every stored local file at or under the
  path once both are resolved (``os.path.realpath``: ``lib``, ``./lib/``, ``/abs/lib`` and
  ``lib/../lib`` are the same folder; a stored key resolves under the library root), else
  every stored key under it read as a key folder (``images``); an ``s3://`` URI names
  that object or every object under that prefix. A path that names nothing stored is an
  error (a typo must not look like "nothing to do").
- by **filter**: the S3 Vectors filter language the search takes, checked as the search
  checks it (:func:`nova_toolkit.search_modes.check_filter`: unknown operators, a
  modality no file can have) and evaluated by the mirror's own filter code
  (:func:`nova_toolkit.vectors.compile_filter`) over the same row metadata the index
  holds (:func:`~nova_toolkit.pipeline.rows.index_metadata`); every file with at least
  one matching row is selected.

Mistakes raise :class:`~nova_toolkit.InvalidArgumentError` naming the argument.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa

from nova_toolkit._core.errors import InvalidArgumentError
from nova_toolkit.pipeline.rows import NON_FILTERABLE, index_metadata
from nova_toolkit.search_modes import check_filter
from nova_toolkit.vectors import compile_filter
from nova_toolkit.vectors.columns import MetadataColumns


def as_sources(sources: str | os.PathLike | Iterable[str | os.PathLike] | None) -> list[str] | None:
    """``sources`` as a list of strings (one path given alone is a list of one)."""
    if sources is None:
        return None
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    out = [os.fspath(s) for s in sources]
    if not out:
        raise InvalidArgumentError("sources", "is empty: name at least one file, folder or "
                                   "s3:// URI")
    return out


def match_sources(given: Iterable[str], stored: Iterable[str], *,
                  resolve: Callable[[str], str] = os.path.realpath,
                  key: Callable[[str], str] | None = None) -> list[str]:
    """The stored sources named by ``given`` (sorted); an error names a path that names none.

    ``resolve`` turns a stored local source into the absolute path it stands for (default:
    resolved against the working directory, as sources were stored before library roots);
    ``key`` turns a given path into the key it would be stored under (a collection's
    :meth:`~nova_toolkit.media.library.MediaLibrary.key`). A given path is resolved with
    :func:`os.path.realpath`.
    """
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
            if key is not None and key(path) in exact:
                out.add(key(path))
                continue
            if resolved is None:
                resolved = {s: resolve(s) for s in stored if not s.startswith("s3://")}
            real = os.path.realpath(path)
            under = real.rstrip(os.sep) + os.sep
            hits = [s for s, r in resolved.items() if r == real or r.startswith(under)]
            if not hits:  # a folder named as keys are: "images", "images/"
                folder = path.replace(os.sep, "/").rstrip("/") + "/"
                hits = [s for s in resolved if s.startswith(folder)]
        if not hits:
            raise InvalidArgumentError("sources", f"{path!r} is not in the collection: no "
                                       "stored file is at or under that path")
        out.update(hits)
    return sorted(out)


def rows_matching(table: pa.Table, flt: dict) -> np.ndarray:
    """Boolean mask of the segment rows of ``table`` that ``flt`` matches (as the index would)."""
    if not isinstance(flt, dict):
        raise InvalidArgumentError("filter", "must be a JSON object", value=flt)
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
