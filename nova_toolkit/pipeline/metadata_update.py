"""Metadata-only updates: what "metadata given" means, and a source's stored rows to rewrite.

User metadata belongs to a *file*: every vector row of a source carries the same JSON
object (the store's ``metadata`` column, null when there is none). An add is given
metadata or not:

- **not given** (``metadata=None``): every source keeps the metadata it has; a changed
  file re-embedded (or a file whose content now equals another's) gets its old metadata
  back on its new rows; a new file gets none.
- **given** (a dict, ``{}`` included): every file the add names carries exactly that
  object afterwards (it replaces, it does not merge; ``{}`` clears). A file already
  stored unchanged is not re-embedded: only its rows' ``metadata`` column is rewritten
  (a metadata-only update, no model call), and only when it differs.

:class:`StoredRows` answers "what metadata does this source have" and "give me its rows"
from one pass over the store, once per run.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nova_toolkit._core.errors import InvalidArgumentError
from nova_toolkit.pipeline.rows import RESERVED_METADATA, metadata_json
from nova_toolkit.store import Store, arrow_to_vectors
from nova_toolkit.vectors.errors import Invalid
from nova_toolkit.vectors.validation import check_metadata

#: ``meta_json`` of an add given an empty dict: clears the metadata (stored as null).
CLEARED = "{}"


def given_metadata(metadata: dict | None) -> str | None:
    """``Collection.add``'s ``metadata`` as the runner takes it.

    None when not given (sources keep theirs); otherwise the object as sorted JSON,
    :data:`CLEARED` for ``{}``. Reserved keys, and values or sizes S3 Vectors metadata
    cannot take, are refused (:class:`~nova_toolkit.InvalidArgumentError`).
    """
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise InvalidArgumentError("metadata", "must be a dict (a JSON object)", value=metadata)
    clash = sorted(set(metadata) & set(RESERVED_METADATA))
    if clash:
        raise InvalidArgumentError("metadata", f"keys {clash} are reserved by nova_toolkit "
                                   "(every row carries them)", allowed=["any other key"])
    try:  # what the index would refuse later, refused before anything is embedded
        check_metadata(metadata, frozenset(), "metadata")
    except Invalid as exc:
        raise InvalidArgumentError("metadata", f"S3 Vectors would refuse it: {exc}") from None
    return metadata_json(metadata) or CLEARED


def stored_value(meta_json: str | None) -> str | None:
    """What a row stores for given metadata ``meta_json`` (an empty object is null)."""
    return None if meta_json in (None, CLEARED) else meta_json


def same_metadata(a: str | None, b: str | None) -> bool:
    """Whether two stored ``metadata`` values hold the same object (null equals ``{}``)."""
    return (json.loads(a) if a else {}) == (json.loads(b) if b else {})


class StoredRows:
    """Per source: its stored metadata, segment rows and item row, as the store held them.

    A snapshot taken in one vectorised pass on first use, for one add run: a run visits
    each source once, so the rows of a source it has not touched yet are still the ones
    the snapshot holds, whatever the run committed meanwhile.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._segs = self.store.segments()
        self._item_table = self.store.items()
        self._rows = _positions(self._segs.column("source"))
        meta = self._segs.column("metadata").to_pylist()
        self._meta = {s: {meta[i] for i in rows} for s, rows in self._rows.items()}
        self._items = {s: int(rows[0]) for s, rows in
                       _positions(self._item_table.column("source")).items()}
        self._loaded = True

    def metadata(self, source: str) -> set[str | None]:
        """The distinct stored ``metadata`` values of ``source``'s rows (empty: no rows)."""
        self._load()
        return self._meta.get(source, set())

    def kept(self, source: str) -> str | None:
        """The metadata ``source`` keeps when an add is not given any (None for a new source)."""
        values = self.metadata(source)
        return next(iter(values)) if len(values) == 1 else None

    def differs(self, source: str, meta_json: str) -> bool:
        """Whether some stored row of ``source`` holds other metadata than ``meta_json``."""
        return any(not same_metadata(m, meta_json) for m in self.metadata(source))

    def restamped(self, source: str, meta_json: str | None
                  ) -> tuple[dict, list[dict], list[np.ndarray]]:
        """``source``'s item row, its segment rows with ``metadata`` set, and their vectors."""
        self._load()
        rows = self._rows[source]
        taken = self._segs.take(pa.array(rows))
        vectors = arrow_to_vectors(taken.column("vector"), self.store.settings.dimension)
        out = taken.drop_columns(["vector"]).to_pylist()
        value = stored_value(meta_json)
        for row in out:
            row["metadata"] = value
        item = self._item_table.slice(self._items[source], 1).to_pylist()[0]
        # as :func:`~.rows.item_row` gives it (Arrow cannot mix its scalars with datetimes)
        item["added_at"] = pa.scalar(item["added_at"], type=pa.timestamp("ms", tz="UTC"))
        return item, out, list(vectors)


def _positions(column: pa.ChunkedArray) -> dict[str, np.ndarray]:
    """Row positions of each distinct value of a string column, in row order."""
    if len(column) == 0:
        return {}
    encoded = pc.dictionary_encode(column.combine_chunks())
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    values = encoded.dictionary.to_pylist()
    groups = np.split(order, bounds)
    return {values[codes[g[0]]]: g for g in groups}

