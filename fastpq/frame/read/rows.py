"""Row-level filtering: bound predicates (fastpq.frame.read.filters) evaluated over decoded columns.

Each column comes with its validity as the reader decoded it (a float NaN is a
value, a null is not: pandas' NaN alone cannot tell them apart). A predicate
is evaluated on the valid rows only; nulls then match ``is null``, ``in`` with
None in the collection, and ``not in`` without it, and nothing else.
Categoricals are evaluated once per category and mapped through the codes.
Floats of every width compare in float64 (a float32 0.1 is not equal to 0.1), the
rule statistics and the page index follow, so the layout never changes the answer.
Dates, timestamps, times and durations are compared as integers in the
column's own unit against the filter's nanosecond key, rounding the key the
exact way for each operator, so no value is ever converted to a coarser or
narrower type (timestamps beyond the nanosecond range compare correctly).
"""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from .filters import COMPARISONS, NS, _EPOCH_ORDINAL, Bound

_TIME_KINDS = ("date", "timestamp", "timestamp_tz", "time", "duration")


def dnf_mask(groups: list, columns: dict, n: int) -> np.ndarray:
    """OR over ``groups`` of the AND of their predicates; ``columns``: name -> (values, valid)."""
    out = np.zeros(n, dtype=bool)
    for group in groups:
        mask = np.ones(n, dtype=bool)
        for b in group:
            values, valid = columns[b.column]
            mask &= predicate_mask(b, values, valid)
            if not mask.any():
                break
        out |= mask
    return out


def predicate_mask(b: Bound, values, valid) -> np.ndarray:
    """Rows of ``values`` (a Series or Index) satisfying ``b``; ``valid``: bool array or None (all valid)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    n = len(s)
    valid = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    op = b.op
    if op == "is null":
        return ~valid
    if op == "is not null":
        return valid.copy()
    if op in ("==", "!=", "<", "<=", ">", ">=") and b.key is None:
        return np.zeros(n, dtype=bool)
    if isinstance(s.dtype, pd.CategoricalDtype):
        hits = _on_values(b, pd.Series(s.cat.categories, copy=False), np.ones(len(s.cat.categories), bool))
        codes = s.cat.codes.to_numpy()
        matched = np.where(codes >= 0, hits[np.maximum(codes, 0)] if len(hits) else False, False)
    else:
        matched = _on_values(b, s, valid)
    matched = np.logical_and(matched, valid)
    if op == "in" and b.has_null:
        matched |= ~valid
    elif op == "not in" and not b.has_null:
        matched |= ~valid
    return matched


def _on_values(b: Bound, s: pd.Series, valid: np.ndarray) -> np.ndarray:
    """The predicate on the values of ``s`` (nulls' results are discarded by the caller)."""
    kind = b.kind
    if kind in _TIME_KINDS:
        ints, unit = _time_ints(s, kind, valid)
        return _int_op(ints, b, NS[unit])
    if kind == "string" and not _is_object(s):
        return _pandas_op(s, b)
    if kind == "number" or kind == "bool":
        arr = _numbers(s, kind)
        if arr.dtype != object:
            return _numpy_op(arr, b)
        return _python_op(arr, b, valid)
    return _python_op(s.to_numpy(dtype=object), b, valid)


def _is_object(s) -> bool:
    return s.dtype == object


def _numbers(s: pd.Series, kind: str) -> np.ndarray:
    dt = s.dtype
    if isinstance(dt, np.dtype) and dt.kind in "biuf":
        return s.to_numpy()
    np_dtype = getattr(dt, "numpy_dtype", None)
    if np_dtype is not None and np.dtype(np_dtype).kind in "biuf":
        fill = np.nan if np.dtype(np_dtype).kind == "f" else 0 if np.dtype(np_dtype).kind in "iu" else False
        return s.to_numpy(dtype=np_dtype, na_value=fill)
    return s.to_numpy(dtype=object)


def _numpy_op(arr: np.ndarray, b: Bound) -> np.ndarray:
    op = b.op
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 8:
        # float16/32 compare in float64, as statistics and the page index do (and pyarrow's
        # comparisons): numpy would otherwise round a Python float key to the column's width,
        # so that x == 0.1 would match float32(0.1) here but not in statistics (issue 15.16)
        arr = arr.astype(np.float64)
    if op in ("in", "not in"):
        keys = list(b.key)
        hit = np.isin(arr, np.asarray(keys, dtype=object if _mixed(keys) else None)) if keys else \
            np.zeros(len(arr), bool)
        if b.has_nan and arr.dtype.kind == "f":
            hit |= np.isnan(arr)
        return hit if op == "in" else ~hit
    key = b.key
    if isinstance(key, Decimal):
        if arr.dtype.kind == "f":
            key = float(key)
        elif key == key.to_integral_value():
            key = int(key)
        else:  # an integer column against a fraction: exactly, in Python
            return _python_op(arr.astype(object), b, None)
    with np.errstate(invalid="ignore"):
        return _cmp(arr, op, key)


def _mixed(keys) -> bool:
    """Keys numpy would convert lossily to one dtype: compare them as objects."""
    return any(isinstance(k, Decimal) for k in keys) or (
        any(isinstance(k, float) for k in keys) and any(isinstance(k, int) and abs(k) > 2**53 for k in keys))


def _cmp(arr, op: str, key):
    if op == "==":
        return np.asarray(arr == key, dtype=bool)
    if op == "!=":
        return np.asarray(arr != key, dtype=bool)
    if op == "<":
        return np.asarray(arr < key, dtype=bool)
    if op == "<=":
        return np.asarray(arr <= key, dtype=bool)
    if op == ">":
        return np.asarray(arr > key, dtype=bool)
    return np.asarray(arr >= key, dtype=bool)


def _pandas_op(s: pd.Series, b: Bound) -> np.ndarray:
    if b.op in ("in", "not in"):
        hit = s.isin(list(b.key)).to_numpy(dtype=bool, na_value=False)
        return hit if b.op == "in" else ~hit
    result = COMPARISONS[b.op](s, b.key)
    return result.to_numpy(dtype=bool, na_value=False)


def _python_op(arr: np.ndarray, b: Bound, valid) -> np.ndarray:
    """Element by element (Decimals, bytes, UUIDs, booleans with nulls): only on valid rows."""
    from .filters import _compare, _eq

    n = len(arr)
    out = np.zeros(n, dtype=bool)
    positions = range(n) if valid is None else np.flatnonzero(valid)
    op = b.op
    if op in ("in", "not in"):
        for i in positions:
            v = arr[i]
            hit = (b.has_nan and isinstance(v, float) and v != v) or any(_eq(v, k) for k in b.key)
            out[i] = hit if op == "in" else not hit
        return out
    for i in positions:
        out[i] = _compare(arr[i], op, b.key)
    return out


def _time_ints(s: pd.Series, kind: str, valid: np.ndarray):
    """(int64 array, unit) of a date / timestamp / time / duration column; invalid rows hold 0."""
    dt = s.dtype
    if isinstance(dt, pd.DatetimeTZDtype) or (isinstance(dt, pd.ArrowDtype) and getattr(dt.pyarrow_dtype, "tz",
                                                                                         None)):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        dt = s.dtype
    if isinstance(dt, pd.ArrowDtype):
        np_dtype = np.dtype(dt.numpy_dtype)
        if np_dtype.kind in "mM":
            arr = s.to_numpy(dtype=np_dtype, na_value=np_dtype.type("NaT"))
            return _view(arr)
    if isinstance(dt, np.dtype) and dt.kind in "mM":
        return _view(s.to_numpy())
    objects = s.to_numpy(dtype=object)
    out = np.zeros(len(objects), dtype=np.int64)
    if kind == "date":
        for i in np.flatnonzero(valid):
            out[i] = objects[i].toordinal() - _EPOCH_ORDINAL
        return out, "D"
    if kind == "time":
        for i in np.flatnonzero(valid):
            t = objects[i]
            out[i] = ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
        return out, "us"
    for i in np.flatnonzero(valid):  # timestamps / durations held as objects
        out[i] = int(pd.Timestamp(objects[i]).as_unit("ns").asm8.astype(np.int64)) if kind != "duration" else \
            int(pd.Timedelta(objects[i]).as_unit("ns").asm8.astype(np.int64))
    return out, "ns"


def _view(arr: np.ndarray):
    unit = np.datetime_data(arr.dtype)[0]
    ints = arr.view(np.int64)
    if unit not in NS:  # 'W', 'M', 'Y' ... never read by fastpq, but be exact anyway
        arr = arr.astype(arr.dtype.kind + "8[ns]")
        return arr.view(np.int64), "ns"
    return ints, unit


def _int_op(ints: np.ndarray, b: Bound, factor: int) -> np.ndarray:
    """``ints * factor <op> key`` without overflow: the key is rounded to the unit per operator."""
    op = b.op
    if op in ("in", "not in"):
        exact = [k // factor for k in b.key if k % factor == 0]
        exact = [q for q in exact if -(1 << 63) <= q < (1 << 63)]
        hit = np.isin(ints, np.asarray(exact, dtype=np.int64)) if exact else np.zeros(len(ints), bool)
        return hit if op == "in" else ~hit
    q, r = divmod(b.key, factor)
    if op == "==":
        return (ints == q) if r == 0 else np.zeros(len(ints), bool)
    if op == "!=":
        return (ints != q) if r == 0 else np.ones(len(ints), bool)
    if op == "<":
        return ints < (q + (1 if r else 0))
    if op == "<=":
        return ints <= q
    if op == ">":
        return ints > q
    return ints >= (q + (1 if r else 0))


def filter_arrays(arrays: dict, n: int, groups, masks) -> tuple:
    """The rows of ``arrays`` (field -> array) that satisfy ``groups``; validity from ``masks``
    (the file reader's), or from pandas' nulls for columns it has none for (nested)."""
    columns = {}
    for name in {b.column for g in groups for b in g}:
        values = pd.Series(arrays[name], copy=False)
        valid = masks.get(name, _MISSING_MASK)
        if valid is _MISSING_MASK:
            valid = ~values.isna().to_numpy()
        elif valid is not None:
            valid = valid.astype(bool)
        columns[name] = (values, valid)
    mask = dnf_mask(groups, columns, n)
    if mask.all():
        return arrays, n
    rows = np.flatnonzero(mask)
    return {k: (v[rows] if isinstance(v, np.ndarray) else v.take(rows)) for k, v in arrays.items()}, len(rows)


_MISSING_MASK = object()

