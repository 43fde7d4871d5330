"""Columnar, append-only view of the filterable metadata of one index, for vectorised filters.

Every (row, value) pair is one *element*; a list value contributes one element per item,
so "a stored list matches if any item matches" is the same code path as a scalar. Numbers
live in a float64 column, strings and booleans in a dictionary-encoded int32 column, which
makes ``$eq``/``$in`` integer comparisons instead of Python string compares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class GrowArray:
    """A numpy array with amortised O(1) appends; ``view`` is the filled prefix."""

    def __init__(self, dtype: Any, capacity: int = 64) -> None:
        self._buf = np.empty(capacity, dtype=dtype)
        self.n = 0

    def extend(self, values: Any) -> None:
        """Append a 1-d array-like of values."""
        values = np.asarray(values, dtype=self._buf.dtype)
        need = self.n + len(values)
        if need > len(self._buf):
            new = np.empty(max(need, 2 * len(self._buf)), dtype=self._buf.dtype)
            new[: self.n] = self._buf[: self.n]
            self._buf = new
        self._buf[self.n : need] = values
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self._buf[: self.n]


def token(value: Any) -> tuple[str, Any] | None:
    """Dictionary key of a string or boolean value; ``None`` for numbers."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, str):
        return ("s", value)
    return None


class Column:
    """All elements of one metadata key."""

    def __init__(self) -> None:
        self.rows = GrowArray(np.int64)
        self.num = GrowArray(np.float64)
        self.tok = GrowArray(np.int32)
        self.present = GrowArray(np.int64)
        self.vocab: dict[tuple[str, Any], int] = {}

    def code(self, value: Any) -> int:
        """Dictionary code of a string/bool value, or -2 if never stored (matches nothing)."""
        tok = token(value)
        return self.vocab.get(tok, -2) if tok is not None else -2

    def add(self, rows: list[int], values: list[Any], present: list[int]) -> None:
        """Append elements (already exploded from lists)."""
        nums = np.empty(len(values), dtype=np.float64)
        toks = np.empty(len(values), dtype=np.int32)
        vocab = self.vocab
        for i, v in enumerate(values):
            tok = token(v)
            if tok is None:
                nums[i] = v
                toks[i] = -1
            else:
                nums[i] = np.nan
                toks[i] = vocab.setdefault(tok, len(vocab))
        self.rows.extend(rows)
        self.num.extend(nums)
        self.tok.extend(toks)
        self.present.extend(present)


class MetadataColumns:
    """Filterable metadata of all rows of an index (rows are never rewritten, only added)."""

    def __init__(self, non_filterable: frozenset[str]) -> None:
        self.non_filterable = non_filterable
        self.columns: dict[str, Column] = {}

    def append(self, first_row: int, metadatas: Sequence[dict[str, Any] | None]) -> None:
        """Index the metadata of rows ``first_row, first_row + 1, ...``."""
        pending: dict[str, tuple[list[int], list[Any], list[int]]] = {}
        skip = self.non_filterable
        for offset, meta in enumerate(metadatas):
            if not meta:
                continue
            row = first_row + offset
            for key, value in meta.items():
                if key in skip:
                    continue
                acc = pending.get(key)
                if acc is None:
                    acc = pending[key] = ([], [], [])
                acc[2].append(row)
                if isinstance(value, list):
                    acc[0].extend([row] * len(value))
                    acc[1].extend(value)
                else:
                    acc[0].append(row)
                    acc[1].append(value)
        for key, (rows, values, present) in pending.items():
            col = self.columns.get(key)
            if col is None:
                col = self.columns[key] = Column()
            col.add(rows, values, present)
