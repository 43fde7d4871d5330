"""The S3 Vectors metadata filter language: validate once, compile to a numpy mask function.

Grammar (S3 Vectors user guide, "Metadata filtering")::

    filter   := { clause, ... }                    # several clauses are ANDed
    clause   := "$and": [filter, ...] | "$or": [filter, ...]      (non-empty arrays)
              | key: scalar                        # bare value means $eq
              | key: { op: operand, ... }          # several operators are ANDed
    op       := $eq | $ne (string, number, bool)   | $gt | $gte | $lt | $lte (number)
              | $in | $nin (non-empty array of string/number/bool) | $exists (bool)
              | $startsWith (string; ENHANCED mode only, as on AWS)

Semantics chosen where AWS does not say:

* ``$eq``/``$in`` on a stored list match if any item matches (documented by AWS);
  ``$gt`` and friends likewise match if any numeric item satisfies the bound.
* ``$ne``/``$nin`` are the negation of ``$eq``/``$in`` *among vectors that have the key*:
  a vector without the key matches neither (use ``$exists`` to include them).
* ``$startsWith`` matches string values (or, on a stored list, any string item) that begin
  with the operand; the empty string matches every string value.
* An empty filter object is rejected, as is filtering on a non-filterable key.

``compile_filter`` returns ``mask(columns, n_rows) -> np.ndarray[bool]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .columns import Column, MetadataColumns
from .errors import Invalid

Mask = Callable[[MetadataColumns, int], np.ndarray]

_COMPARE = {"$gt": np.greater, "$gte": np.greater_equal, "$lt": np.less, "$lte": np.less_equal}
#: The field operators of the filter language, in the user guide's order.
OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$startsWith")
#: The logical operators.
LOGICAL_OPERATORS = ("$and", "$or")
_OPERATORS = set(OPERATORS)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, bool)) or _is_number(v)


def _any_element(col: Column, pred: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[col.rows.view[pred]] = True
    return out


def _present(col: Column | None, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    if col is not None:
        out[col.present.view] = True
    return out


def _eq_pred(col: Column, values: list[Any]) -> np.ndarray:
    """Element mask: element equals one of ``values``."""
    nums = [float(v) for v in values if _is_number(v)]
    codes = [col.code(v) for v in values if not _is_number(v)]
    pred = np.zeros(col.rows.n, dtype=bool)
    if nums:
        num = col.num.view
        pred |= num == nums[0] if len(nums) == 1 else np.isin(num, nums)
    codes = [c for c in codes if c >= 0]
    if codes:
        tok = col.tok.view
        pred |= tok == codes[0] if len(codes) == 1 else np.isin(tok, codes)
    return pred


def _field_op(key: str, op: str, operand: Any) -> Mask:
    if op in ("$eq", "$in"):
        values = [operand] if op == "$eq" else list(operand)

        def match(cols: MetadataColumns, n: int) -> np.ndarray:
            col = cols.columns.get(key)
            if col is None:
                return np.zeros(n, dtype=bool)
            return _any_element(col, _eq_pred(col, values), n)

        return match
    if op in ("$ne", "$nin"):
        positive = _field_op(key, "$eq" if op == "$ne" else "$in", operand)

        def differ(cols: MetadataColumns, n: int) -> np.ndarray:
            return _present(cols.columns.get(key), n) & ~positive(cols, n)

        return differ
    if op == "$startsWith":

        def starts(cols: MetadataColumns, n: int) -> np.ndarray:
            col = cols.columns.get(key)
            if col is None:
                return np.zeros(n, dtype=bool)
            codes = [c for (kind, val), c in col.vocab.items()
                     if kind == "s" and val.startswith(operand)]  # fmt: skip
            return _any_element(col, np.isin(col.tok.view, codes), n)

        return starts
    if op == "$exists":

        def exists(cols: MetadataColumns, n: int) -> np.ndarray:
            present = _present(cols.columns.get(key), n)
            return present if operand else ~present

        return exists
    ufunc = _COMPARE[op]
    bound = float(operand)

    def compare(cols: MetadataColumns, n: int) -> np.ndarray:
        col = cols.columns.get(key)
        if col is None:
            return np.zeros(n, dtype=bool)
        return _any_element(col, ufunc(col.num.view, bound), n)

    return compare


def _check_operand(op: str, operand: Any, path: str) -> None:
    if op in ("$eq", "$ne"):
        if not _is_scalar(operand):
            raise Invalid(path, f"{op} takes a string, number or boolean, got {operand!r}")
    elif op in _COMPARE:
        if not _is_number(operand):
            raise Invalid(path, f"{op} takes a number, got {operand!r}")
    elif op in ("$in", "$nin"):
        if not isinstance(operand, list) or not operand:
            raise Invalid(path, f"{op} takes a non-empty array, got {operand!r}")
        for i, item in enumerate(operand):
            if not _is_scalar(item):
                raise Invalid(
                    f"{path}[{i}]", f"{op} items must be strings, numbers or booleans: {item!r}"
                )
    elif op == "$startsWith" and not isinstance(operand, str):
        raise Invalid(path, f"$startsWith takes a string, got {operand!r}")
    elif op == "$exists" and not isinstance(operand, bool):
        raise Invalid(path, f"$exists takes a boolean, got {operand!r}")


def _all(parts: list[Mask]) -> Mask:
    if len(parts) == 1:
        return parts[0]

    def conj(cols: MetadataColumns, n: int) -> np.ndarray:
        out = parts[0](cols, n)
        for part in parts[1:]:
            out &= part(cols, n)
        return out

    return conj


def _any(parts: list[Mask]) -> Mask:
    def disj(cols: MetadataColumns, n: int) -> np.ndarray:
        out = parts[0](cols, n)
        for part in parts[1:]:
            out |= part(cols, n)
        return out

    return disj


def _compile(flt: Any, non_filterable: frozenset[str], path: str, enhanced: bool) -> Mask:
    if not isinstance(flt, dict):
        raise Invalid(path, f"A filter must be a JSON object, got {flt!r}")
    if not flt:
        raise Invalid(path, "A filter must not be empty")
    parts: list[Mask] = []
    for key, value in flt.items():
        sub = f"{path}.{key}"
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise Invalid(sub, f"{key} takes a non-empty array of filters, got {value!r}")
            subs = [_compile(v, non_filterable, f"{sub}[{i}]", enhanced) for i, v in enumerate(value)]
            parts.append(_all(subs) if key == "$and" else _any(subs))
            continue
        if key.startswith("$"):
            raise Invalid(sub, f"Unknown logical operator {key!r}; expected $and or $or")
        if key in non_filterable:
            raise Invalid(
                sub, f"Metadata key {key!r} is non-filterable in this index and cannot be filtered"
            )
        if isinstance(value, dict):
            if not value:
                raise Invalid(sub, f"No operator given for metadata key {key!r}")
            for op, operand in value.items():
                if op not in _OPERATORS:
                    raise Invalid(f"{sub}.{op}", f"Unknown operator {op!r}")
                if op == "$startsWith" and not enhanced:
                    raise Invalid(f"{sub}.{op}", "$startsWith needs an index in ENHANCED mode "
                                                 "(or queryMode ENHANCED)")
                _check_operand(op, operand, f"{sub}.{op}")
                parts.append(_field_op(key, op, operand))
        elif _is_scalar(value):
            parts.append(_field_op(key, "$eq", value))
        else:
            raise Invalid(
                sub,
                f"Value for {key!r} must be a string, number, boolean or an operator object, "
                f"got {value!r}",
            )
    return _all(parts)


def compile_filter(
    flt: Any, non_filterable: frozenset[str] = frozenset(), *, enhanced: bool = True
) -> Mask:
    """Validate ``flt`` (raising ``Invalid`` with a ``filter...`` path) and compile it.

    ``enhanced``: whether the query runs in ENHANCED mode (``$startsWith`` needs it).

    Returns a function ``(columns, n_rows) -> bool mask`` over all rows (dead rows are the
    caller's to remove).
    """
    return _compile(flt, non_filterable, "filter", enhanced)
