"""Numbers into a leaf's storage, exactly or not at all.

A leaf's values are written as the numpy dtype its physical type stores
(``storage_dtype``: INT32 leaves as int32, uint32 / uint64 unsigned, FLOAT as
float32, ...), whatever they come from: a numpy, masked or Arrow column
(``exact_numbers``) or Python objects (``exact_scalars``). A value is stored
only if reading it back gives the same value; otherwise ``ValueError`` names
the column, the first value that does not fit and the type it was meant for
(``from_pandas.column_leaves`` turns that into ``SchemaMismatchError``). The
rules (README "Dtypes"):

* integer leaves (INT8..INT64, UINT8..UINT64): integers within the leaf's
  range (UINT_64 takes 2**63..2**64-1); floats only when finite and integral
  (1.0 is stored as 1, 1.5 is refused); never bools, strings or Decimals;
* float leaves (FLOAT16, FLOAT, DOUBLE): floats and integers the leaf's width
  holds exactly (0.1 does not fit FLOAT, 2**53 + 1 does not fit DOUBLE); NaN
  and infinities are kept; never bools or strings;
* BOOLEAN: only bools (Python or numpy); never 0 / 1 or strings.

Typed columns cost nothing when their dtype is the leaf's own or one every value
of which fits (int8 into INT32); otherwise one vectorised pass checks them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .types import FieldType


def refuse(name, value, ft: FieldType) -> ValueError:
    """The error for a value that ``ft`` cannot store exactly."""
    return ValueError(f"column {name!r}: {value!r} ({type(value).__name__}) cannot be stored exactly "
                      f"as {ft.describe()}")


def logical_dtype(ft: FieldType) -> np.dtype:
    """The numpy dtype holding exactly the values of an int / uint / float / bool leaf."""
    if ft.kind == "bool":
        return np.dtype(np.bool_)
    return np.dtype({"int": "int", "uint": "uint", "float": "float"}[ft.kind] + str(ft.bits))


def storage_dtype(ft: FieldType) -> np.dtype:
    """The dtype the leaf's physical type is written from: ints narrower than 32 bits
    as int32 (INT32), uint32 / uint64 unsigned (statistics compare them unsigned)."""
    if ft.kind in ("int", "uint") and ft.bits < 32:
        return np.dtype(np.int32)
    return logical_dtype(ft)


def _always_exact(src: np.dtype, target: np.dtype) -> bool:
    """Every value of ``src`` is a value of ``target`` (numpy's 'safe' casts include
    int64 -> float64, which is not exact)."""
    if src == target:
        return True
    if src.kind in "iu" and target.kind in "iu":
        return np.can_cast(src, target, "safe")
    if src.kind in "iu" and target.kind == "f":
        return src.itemsize * 8 - (src.kind == "i") <= np.finfo(target).nmant + 1
    return src.kind == "f" and target.kind == "f" and src.itemsize <= target.itemsize


def exact_numbers(values: np.ndarray, ft: FieldType, name, shown=None) -> np.ndarray:
    """A numeric / bool array as the leaf's storage dtype, or ValueError naming the first
    misfit (``shown[i]`` rather than ``values[i]`` when given: the objects they came from)."""
    target = logical_dtype(ft)
    if not _always_exact(values.dtype, target):
        bad = _misfits(values, target)
        if bad.any():
            i = int(np.argmax(bad))
            raise refuse(name, values[i].item() if shown is None else shown[i], ft)
    return values.astype(storage_dtype(ft), copy=False)


def _misfits(values: np.ndarray, target: np.dtype) -> np.ndarray:
    """Which of ``values`` ``target`` does not hold exactly (bool array)."""
    src = values.dtype
    if src.kind == "b" or target.kind == "b" or src.kind not in "iuf":
        return np.ones(len(values), bool)                   # bools are not numbers, nor numbers bools
    if target.kind in "iu":
        info = np.iinfo(target)
        if src.kind == "f":                                 # compared as float64: float16 has no 2**31
            values = values.astype(np.float64)
            with np.errstate(invalid="ignore"):             # NaN compares False: a misfit
                inside = (values >= float(info.min)) & (values < float(info.max) + 1)  # both powers of 2
                return ~(inside & (np.trunc(values) == values))
        have = np.iinfo(src)
        lo, hi = max(info.min, have.min), min(info.max, have.max)   # representable in src
        return (values < src.type(lo)) | (values > src.type(hi))
    if src.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            back = values.astype(target).astype(src)
        return ~((back == values) | np.isnan(values))
    exact = np.abs(values.astype(np.float64)) < 2.0 ** (np.finfo(target).nmant + 1)   # rounding is monotonic
    bad = np.zeros(len(values), bool)
    with np.errstate(over="ignore"):
        for i in np.flatnonzero(~exact):                    # large integers: one by one, exactly
            bad[i] = float(target.type(int(values[i]))) != int(values[i])
    return bad


def _number_kind(t: type) -> str | None:
    if issubclass(t, (bool, np.bool_)):
        return "bool"
    if issubclass(t, (int, np.integer)):
        return "int"
    if issubclass(t, (float, np.floating)):
        return "float"
    return None


_INFERRED = {"integer": "int", "floating": "float", "boolean": "bool"}   # pandas' C-level verdicts


def exact_scalars(dense: np.ndarray, ft: FieldType, name) -> np.ndarray:
    """Non-null Python / numpy scalars (object array) as the leaf's storage dtype, or
    ValueError naming the first value that does not fit exactly."""
    found = _INFERRED.get(pd.api.types.infer_dtype(dense, skipna=False))
    if ft.kind == "bool" and found == "bool":
        return dense.astype(np.bool_)
    if ft.kind != "bool" and found in ("int", "float"):
        try:
            return exact_numbers(dense.astype(np.int64 if found == "int" else np.float64), ft, name, dense)
        except OverflowError:                               # ints beyond int64: UINT_64 values, or misfits
            pass
    return _mixed(dense, ft, name)


def _mixed(dense: np.ndarray, ft: FieldType, name) -> np.ndarray:
    """A mix of kinds: each kind the leaf takes converted through numpy at once, the first
    misfit in row order refused (1M ints and floats into DOUBLE: 0.1 s, one value at a time: 2.4 s)."""
    want = ("bool",) if ft.kind == "bool" else ("int", "float")
    code = {t: want.index(k) if k in want else -1 for t, k in ((t, _number_kind(t)) for t in set(map(type, dense)))}
    codes = np.fromiter(map(code.__getitem__, map(type, dense)), np.int8, len(dense))
    bad = codes < 0
    target, parts = logical_dtype(ft), []
    for c, dtype in enumerate((np.bool_,) if ft.kind == "bool" else (np.int64, np.float64)):
        sel = codes == c
        try:
            part = dense[sel].astype(dtype)
            miss = _misfits(part, target) if not _always_exact(part.dtype, target) else np.zeros(len(part), bool)
        except OverflowError:                               # ints beyond int64: one by one
            part = dense[sel]
            miss = np.fromiter((not _fits_int(int(v), target) for v in part), bool, len(part))
        bad[sel] |= miss
        parts.append((sel, part))
    if bad.any():
        raise refuse(name, dense[int(np.argmax(bad))], ft)
    out = np.empty(len(dense), storage_dtype(ft))
    for sel, part in parts:
        out[sel] = part.astype(out.dtype)
    return out


def _fits_int(i: int, target: np.dtype) -> bool:
    if target.kind == "f":
        with np.errstate(over="ignore"):
            return abs(i) < 2 ** 1024 and float(target.type(float(i))) == i
    info = np.iinfo(target)
    return info.min <= i <= info.max


# ---------------------------------------------------------------- time units

_EXPONENT = {"s": 0, "ms": 3, "us": 6, "ns": 9}


def rescale(ints: np.ndarray, unit: str, to: str, ft: FieldType, name, shown=None) -> np.ndarray:
    """int64 counts of ``unit`` as counts of ``to``: multiplied when finer (refusing
    overflow), divided when coarser only if nothing is lost (no silent truncation).
    Errors name ``shown[i]`` (the value the count came from) when given."""
    shift = _EXPONENT[to] - _EXPONENT[unit]
    if shift == 0 or not len(ints):
        return ints
    factor = 10 ** abs(shift)
    if shift > 0:
        limit = np.iinfo(np.int64).max // factor
        bad = (ints > limit) | (ints < -limit)
    else:
        bad = ints % factor != 0
    if bad.any():
        i = int(np.argmax(bad))
        raise refuse(name, f"{int(ints[i])} {unit}" if shown is None else shown[i], ft)
    return ints * factor if shift > 0 else ints // factor
