"""Decoded column buffers -> pandas arrays, with pandas.read_parquet's default dtypes.

Numeric and timestamp buffers are wrapped without copying where pandas allows
(the ``np.shares_memory`` test in tests/read checks it). Strings become pandas'
``str`` dtype: arrow-backed, built from the decoded offsets and bytes of each
column chunk as the chunks of one arrow array (no Python object per value, no
concatenation), when pyarrow is importable; python-backed otherwise. Objects
(dates, times, decimals, bytes, UUIDs) are built only where pandas' default is
an object column.

Exactness beats imitation in two places (README, "Dtypes"): an integer column
with nulls becomes float64 as in pandas, unless a value would not survive the
conversion (|v| > 2**53), in which case it becomes the nullable ``Int64``
family; INT96 and DATE values outside what the default dtype can hold keep a
coarser unit instead of wrapping.
"""
from __future__ import annotations

import datetime
import uuid

import numpy as np
import pandas as pd

from .._thrift import Type
from ..format.statistics import exact_decimal
from .dtypes import STR_DTYPE

_INT_WIDTH = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}
_UINT_WIDTH = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
_INT96_UNITS = ["ns", "us", "ms", "s"]
_EXACT_FLOAT_INT = 1 << 53
_NULLABLE_INT = {np.dtype(k): v for k, v in [
    ("int8", "Int8"), ("int16", "Int16"), ("int32", "Int32"), ("int64", "Int64"),
    ("uint8", "UInt8"), ("uint16", "UInt16"), ("uint32", "UInt32"), ("uint64", "UInt64")]}


def _arrow():
    try:
        import pyarrow
    except ImportError:
        return None
    return pyarrow


def flat_to_pandas(col, *, dtype_backend=None, tz=None):
    """A pandas array for a decoded ``FlatColumn`` (see fastpq.column.reader)."""
    if col.as_codes:
        return _categorical(col, dtype_backend)
    return to_pandas(col.decoded(), dtype_backend=dtype_backend, tz=tz)


def to_pandas(d, *, dtype_backend=None, tz=None):
    """A pandas array for ``Decoded`` values of one leaf (column.decoders.Decoded)."""
    leaf = d.leaf
    mask = d.valid.view(bool) if d.valid is not None and d.has_nulls else None
    kind = leaf.logical.kind
    ptype = leaf.physical_type
    if ptype == Type.BYTE_ARRAY:
        return _byte_arrays(d, mask, kind, leaf, dtype_backend)
    if ptype == Type.FIXED_LEN_BYTE_ARRAY:
        return _fixed_len(d.values, mask, kind, leaf)
    values = d.values
    if ptype == Type.BOOLEAN:
        return _booleans(values, mask, dtype_backend)
    if ptype == Type.INT96:
        return _timestamps(values, mask, _INT96_UNITS[d.int96_unit], "UTC" if tz else None, tz)
    if kind == "timestamp":
        return _timestamps(values, mask, leaf.logical.unit, "UTC" if leaf.logical.utc else None, tz)
    if kind == "date":
        return _dates(values, mask)
    if kind == "time":
        return _times(values, mask, leaf.logical.unit or ("ms" if ptype == Type.INT32 else "us"))
    if kind == "decimal":
        return _decimals_from_ints(values, mask, leaf.logical.scale or 0)
    if kind == "null":
        return np.full(len(values), None, dtype=object)
    if values.dtype.kind == "f":
        if dtype_backend == "numpy_nullable":
            m = np.zeros(len(values), bool) if mask is None else ~mask
            return pd.arrays.FloatingArray(values, m)
        return values
    return _integers(values, mask, leaf, dtype_backend)


# ---------------------------------------------------------------- numbers
def _integers(values, mask, leaf, dtype_backend):
    logical = leaf.logical
    if logical.kind == "int" and logical.bit_width in _INT_WIDTH:
        target = (_INT_WIDTH if logical.signed else _UINT_WIDTH)[logical.bit_width]
        if np.dtype(target).itemsize == values.dtype.itemsize:
            values = values.view(target)
        else:
            values = values.astype(target)  # narrowing: pyarrow does the same (values fit by the spec)
    if mask is None and dtype_backend != "numpy_nullable":
        return values
    if dtype_backend == "numpy_nullable" or _inexact_as_float(values, mask):
        m = np.zeros(len(values), bool) if mask is None else ~mask
        return pd.arrays.IntegerArray(values, m)
    out = values.astype(np.float64)
    out[~mask] = np.nan
    return out


def _inexact_as_float(values, mask) -> bool:
    if values.dtype.itemsize < 8 and values.dtype != np.uint32:
        return False
    present = values[mask]
    if values.dtype.kind == "u":
        return bool(len(present)) and present.max() > _EXACT_FLOAT_INT
    return bool(len(present)) and (present.max() > _EXACT_FLOAT_INT or present.min() < -_EXACT_FLOAT_INT)


def _booleans(values, mask, dtype_backend):
    b = values.view(bool)
    if dtype_backend == "numpy_nullable":
        return pd.arrays.BooleanArray(b, np.zeros(len(b), bool) if mask is None else ~mask)
    if mask is None:
        return b
    out = b.astype(object)
    out[~mask] = None
    return out


# ---------------------------------------------------------------- time
def _timestamps(values, mask, unit, utc, tz):
    dt = values.view(f"M8[{unit}]")  # nulls already hold NaT (INT64_MIN)
    if utc is None:
        return dt
    result = pd.DatetimeIndex(dt, copy=False).tz_localize("UTC")
    if tz and tz != "UTC":
        result = result.tz_convert(tz)
    return result.array


def _dates(values, mask):
    days = values.astype(np.int64)
    present = days if mask is None else days[mask]
    lo, hi = datetime.date.min.toordinal(), datetime.date.max.toordinal()
    epoch = datetime.date(1970, 1, 1).toordinal()
    if len(present) and (present.min() + epoch < lo or present.max() + epoch > hi):
        # outside datetime.date's years 1..9999: exact as datetime64[s] instead of overflowing
        out = (days * 86400).view("M8[s]")
        if mask is not None:
            out[~mask] = np.datetime64("NaT")
        return out
    out = days.view("M8[D]").astype(object)
    if mask is not None:
        out[~mask] = None
    return out


def _times(values, mask, unit):
    v = values.astype(np.int64)
    present = v if mask is None else v[mask]
    if unit == "ns" and np.any(present % 1000):
        # datetime.time holds microseconds (pandas raises here): keep nanoseconds exact
        out = v.view("m8[ns]")
        if mask is not None:
            out = out.copy()
            out[~mask] = np.timedelta64("NaT")
        return out
    micros = v * 1000 if unit == "ms" else (v // 1000 if unit == "ns" else v)
    out = np.empty(len(v), dtype=object)
    for i, us in enumerate(micros.tolist()):
        if 0 <= us < 86_400_000_000:
            s, us_ = divmod(us, 1_000_000)
            out[i] = datetime.time(s // 3600, (s // 60) % 60, s % 60, us_)
        else:
            out[i] = pd.Timedelta(us, "us")
    if mask is not None:
        out[~mask] = None
    return out


# ---------------------------------------------------------------- objects
def _decimals_from_ints(values, mask, scale):
    out = np.array([exact_decimal(v, scale) for v in values.tolist()], dtype=object)
    if mask is not None:
        out[~mask] = None
    return out


def _fixed_len(rows, mask, kind, leaf):
    if kind == "float16" and leaf.type_length == 2:
        out = rows.view("<f2").reshape(-1)
        if mask is not None:
            out[~mask] = np.nan
        return out
    raw = rows.tobytes()
    width = leaf.type_length
    items = [raw[i: i + width] for i in range(0, len(raw), width)] if width else [b""] * len(rows)
    if kind == "decimal":
        scale = leaf.logical.scale or 0
        items = [exact_decimal(int.from_bytes(b, "big", signed=True), scale) for b in items]
    elif kind == "uuid" and width == 16:
        items = [uuid.UUID(bytes=b) for b in items]
    out = np.empty(len(items), dtype=object)
    out[:] = items
    if mask is not None:
        out[~mask] = None
    return out


def _byte_arrays(d, mask, kind, leaf, dtype_backend):
    chunks = [c for c in d.chunks if c is not None]
    if kind in ("string", "enum"):
        return _strings(chunks, d.valid, mask is not None, dtype_backend)
    out = np.empty(d.n, dtype=object)
    pos = 0
    for chunk in chunks:
        data = chunk.used.tobytes()
        offsets = chunk.offsets.tolist()
        n = len(offsets) - 1
        if kind == "decimal":
            scale = leaf.logical.scale or 0
            out[pos:pos + n] = [exact_decimal(int.from_bytes(data[offsets[i]:offsets[i + 1]], "big", signed=True)
                                              if offsets[i + 1] > offsets[i] else 0, scale) for i in range(n)]
        elif kind == "json":  # pandas.read_parquet gives JSON as Python str objects
            out[pos:pos + n] = [data[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(n)]
        else:
            out[pos:pos + n] = [data[offsets[i]:offsets[i + 1]] for i in range(n)]
        pos += n
    if mask is not None:
        out[~mask] = None
    return out


def _strings(chunks, valid, has_nulls, dtype_backend):
    pa = _arrow()
    dtype = pd.StringDtype("pyarrow", na_value=pd.NA if dtype_backend else np.nan) if pa else None
    if pa is None:
        return _python_strings(chunks, valid, has_nulls, dtype_backend)
    arrays = []
    pos = 0
    for chunk in chunks:
        n = len(chunk.offsets) - 1
        bitmap = None
        if has_nulls:
            bitmap = pa.py_buffer(np.packbits(valid[pos:pos + n], bitorder="little"))
        arr = pa.Array.from_buffers(pa.large_string(), n, [bitmap, pa.py_buffer(chunk.offsets),
                                                           pa.py_buffer(chunk.used)])
        arr.validate()  # structure; UTF-8 was checked per page as the values were decoded
        arrays.append(arr)
        pos += n
    chunked = pa.chunked_array(arrays, pa.large_string())
    return pd.arrays.ArrowStringArray(chunked, dtype=dtype)


def _python_strings(chunks, valid, has_nulls, dtype_backend):
    out = np.empty(sum(len(c.offsets) - 1 for c in chunks), dtype=object)
    pos = 0
    for chunk in chunks:
        data = chunk.used.tobytes()
        offsets = chunk.offsets.tolist()
        n = len(offsets) - 1
        out[pos:pos + n] = [data[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
        pos += n
    na = pd.NA if dtype_backend else np.nan
    if has_nulls:
        out[~valid.view(bool)] = na
    return pd.array(out, dtype=pd.StringDtype("python", na_value=na))


def _categorical(col, dtype_backend):
    """Codes of every chunk remapped onto the union of the chunks' dictionaries, in first-seen order."""
    codes = col.buffer.values
    per_chunk = [to_pandas(d, dtype_backend=dtype_backend) if d is not None else None
                 for d in col.dictionary_values()]
    present = [pd.Index(c) for c in per_chunk if c is not None]
    if not present:
        return pd.Categorical.from_codes(np.full(len(codes), -1, np.int32), categories=[])
    merged = present[0].append(present[1:]).unique() if len(present) > 1 else present[0]
    if len(merged) != sum(len(p) for p in present) or len(present) > 1:
        codes = _remap(codes, col.chunk_rows, per_chunk, merged)
    return pd.Categorical.from_codes(codes, categories=merged, validate=False)


def _remap(codes, chunk_rows, per_chunk, merged):
    """Map each chunk's codes (into its own dictionary) onto ``merged``; -1 stays -1."""
    pos = 0
    for n, cats in zip(chunk_rows, per_chunk):
        if cats is not None:
            mapping = np.append(merged.get_indexer(pd.Index(cats)).astype(np.int32), np.int32(-1))
            codes[pos:pos + n] = mapping[codes[pos:pos + n]]
        pos += n
    return codes


def categorize(array, ordered=False):
    """Values -> pandas Categorical (for categoricals whose pages were not all dictionary-encoded)."""
    return pd.Categorical(array, ordered=ordered)
