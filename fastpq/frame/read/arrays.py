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
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from ..._thrift import Type
from ...column.read.decoders import INT96_UNITS, Decoded, check
from ...format.arrow_schema import ArrowDictionary, ArrowType
from ...format.arrow_types import ColumnType, inferred_type
from ...format.keyvalue import ArrowSchemaWarning, PandasMetadataWarning
from ...format.statistics import exact_decimal
from ...kernels import dictionary
from . import arrow as to_arrow
from .dtypes import STR_DTYPE

_INT_WIDTH = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}
_UINT_WIDTH = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
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


def column_array(d: Decoded, *, dtype_backend=None, tz=None, ctype=None, ordered=False):
    """The pandas array of a flat column's ``Decoded`` values or categorical codes
    (fastpq.column.read.decoders.Decoded).

    ``ctype``: the column's Arrow type (fastpq.format.arrow_types.ColumnType),
    which says what the Parquet types cannot (time zone, duration, string
    flavour) and, under ``dtype_backend='pyarrow'``, the ``pd.ArrowDtype``.
    """
    if d.as_codes:
        if dtype_backend == "pyarrow":
            return _arrow_categorical(d, ctype or inferred_type(d.leaf), ordered)
        return _categorical(d, ordered)
    return values_array(d, dtype_backend=dtype_backend, tz=tz, ctype=ctype)


def values_array(d: Decoded, *, dtype_backend=None, tz=None, ctype=None):
    """The pandas array of one leaf's ``Decoded`` values (not codes)."""
    leaf = d.leaf
    ctype = _known_zone(ctype or inferred_type(leaf))
    if ctype.type.kind == "timestamp":
        d, ctype = _timestamp_type(d, ctype, tz)
    if dtype_backend == "pyarrow":
        arrow = to_arrow.decoded_to_arrow(d, ctype, INT96_UNITS[d.int96_unit])
        return pd.arrays.ArrowExtensionArray(arrow)
    mask = d.valid.view(bool) if d.valid is not None and d.has_nulls else None
    kind = leaf.logical.kind
    ptype = leaf.physical_type
    t = ctype.type
    if t.kind == "duration" and ptype == Type.INT64:
        return _durations(d.values, mask, t.unit)
    if t.kind == "utf8_view" and dtype_backend == "numpy_nullable":
        dtype_backend = None  # pandas maps string/large_string to "string", not string_view: it stays "str"
    if ptype == Type.BYTE_ARRAY:
        return _byte_arrays(d, mask, kind, leaf, dtype_backend)
    if ptype == Type.FIXED_LEN_BYTE_ARRAY:
        return _fixed_len(d.values, mask, kind, leaf)
    values = d.values
    if ptype == Type.BOOLEAN:
        return _booleans(values, mask, dtype_backend)
    if t.kind == "timestamp":
        return _timestamps(values, mask, t.unit, t.timezone)
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
            # NaN becomes NA too, as pandas converts arrow floats to Float32/Float64
            m = np.isnan(values) if mask is None else ~mask | np.isnan(values)
            return pd.arrays.FloatingArray(values, m)
        return values
    return _integers(values, mask, leaf, dtype_backend)


def with_nulls(out: np.ndarray, mask, null):
    """``out`` with ``null`` written (in place) where ``mask`` (True = valid) is False;
    ``mask`` None: no nulls, ``out`` unchanged."""
    if mask is not None:
        out[~mask] = null
    return out


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
    return with_nulls(values.astype(np.float64), mask, np.nan)


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
    return with_nulls(b.astype(object), mask, None)


# ---------------------------------------------------------------- time
def _timestamps(values, mask, unit, tz):
    dt = values.view(f"M8[{unit}]")  # nulls already hold NaT (INT64_MIN)
    if not tz:
        return dt
    try:  # int64 with a zone-aware dtype are UTC instants: no copy (tz_localize copies)
        dtype = pd.DatetimeTZDtype(unit, tz)
    except (TypeError, ValueError):
        dtype = None
    if dtype is not None:
        return pd.DatetimeIndex(values.view("i8"), dtype=dtype, copy=False).array
    result = pd.DatetimeIndex(dt, copy=False).tz_localize("UTC")
    if tz != "UTC":
        result = result.tz_convert(tz)
    return result.array


_NANOS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def _timestamp_type(d, ctype, tz):
    """The timestamp type of a column given pandas metadata's zone ``tz``, and its values.

    INT96 values are in the unit they were decoded in. A zone from pandas
    metadata that differs from the Arrow type's applies as pyarrow applies it:
    at nanoseconds (when the values fit them; otherwise they keep their unit).
    """
    t = ctype.type
    unit = INT96_UNITS[d.int96_unit] if d.leaf.physical_type == Type.INT96 else t.unit
    zone = t.timezone
    if tz and tz != zone and _zone_exists(tz, "pandas metadata"):
        zone = tz
        scaled = _to_nanos(d.values, d.valid if d.has_nulls else None, unit)
        if scaled is not None:
            d = replace(d, values=scaled, int96_unit=0)
            unit = "ns"
    if (unit, zone) == (t.unit, t.timezone):
        return d, ctype
    return d, ColumnType(ArrowType("timestamp", unit=unit, timezone=zone), ctype.dictionary, ctype.extension)


def _to_nanos(values, valid, unit):
    """int64 ``values`` in ``unit`` as nanoseconds (NaT kept), or None when one does not fit."""
    factor = _NANOS[unit]
    if factor == 1:
        return values
    present = values[values != np.iinfo(np.int64).min] if valid is None else values[valid.view(bool)]
    limit = np.iinfo(np.int64).max // factor
    if len(present) and (present.max() > limit or present.min() < -limit):
        return None
    out = values * factor
    out[values == np.iinfo(np.int64).min] = np.iinfo(np.int64).min
    return out


def _zone_exists(tz, source: str) -> bool:
    """Whether pandas knows time zone ``tz`` (stored metadata may name anything); warns if not."""
    try:
        pd.DatetimeTZDtype("ns", tz)
    except Exception:  # noqa: BLE001 - zoneinfo, pytz and dateutil raise different types
        warnings.warn(f"{source} names the unknown time zone {tz!r}: the values stay in UTC",
                      ArrowSchemaWarning if source == "ARROW:schema" else PandasMetadataWarning, stacklevel=4)
        return False
    return True


def _known_zone(ctype):
    """``ctype`` with a time zone pandas does not know replaced by UTC (after a warning)."""
    t = ctype.type if ctype is not None else None
    if t is None or t.kind != "timestamp" or not t.timezone or t.timezone == "UTC":
        return ctype
    if _zone_exists(t.timezone, "ARROW:schema"):
        return ctype
    return ColumnType(ArrowType("timestamp", unit=t.unit, timezone="UTC"), ctype.dictionary, ctype.extension)


def _dates(values, mask):
    days = values.astype(np.int64)
    present = days if mask is None else days[mask]
    lo, hi = datetime.date.min.toordinal(), datetime.date.max.toordinal()
    epoch = datetime.date(1970, 1, 1).toordinal()
    if len(present) and (present.min() + epoch < lo or present.max() + epoch > hi):
        # outside datetime.date's years 1..9999: exact as datetime64[s] instead of overflowing
        out = (days * 86400).view("M8[s]")
        return with_nulls(out, mask, np.datetime64("NaT"))
    out = days.view("M8[D]").astype(object)
    return with_nulls(out, mask, None)


def _times(values, mask, unit):
    v = values.astype(np.int64)
    present = v if mask is None else v[mask]
    if unit == "ns" and np.any(present % 1000):
        # datetime.time holds microseconds (pandas raises here): keep nanoseconds exact
        out = v.view("m8[ns]")
        return with_nulls(out if mask is None else out.copy(), mask, np.timedelta64("NaT"))
    micros = v * 1000 if unit == "ms" else (v // 1000 if unit == "ns" else v)
    out = np.empty(len(v), dtype=object)
    for i, us in enumerate(micros.tolist()):
        if 0 <= us < 86_400_000_000:
            s, us_ = divmod(us, 1_000_000)
            out[i] = datetime.time(s // 3600, (s // 60) % 60, s % 60, us_)
        else:
            out[i] = pd.Timedelta(us, "us")
    return with_nulls(out, mask, None)


# ---------------------------------------------------------------- objects
def _decimals_from_ints(values, mask, scale):
    out = np.array([exact_decimal(v, scale) for v in values.tolist()], dtype=object)
    return with_nulls(out, mask, None)


def _fixed_len(rows, mask, kind, leaf):
    if kind == "float16" and leaf.type_length == 2:
        out = rows.view("<f2").reshape(-1)
        return with_nulls(out, mask, np.nan)
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
    return with_nulls(out, mask, None)


def _byte_arrays(d, mask, kind, leaf, dtype_backend):
    chunks = [c for c in d.chunks if c is not None]
    if kind in ("string", "enum"):
        return _strings(chunks, d.valid, mask is not None, dtype_backend)
    out = np.empty(d.n, dtype=object)
    pos = 0
    for chunk in chunks:
        data = chunk.data.tobytes()
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
    return with_nulls(out, mask, None)


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
                                                           pa.py_buffer(chunk.data)])
        arr.validate()  # structure; UTF-8 was checked per page as the values were decoded
        arrays.append(arr)
        pos += n
    chunked = pa.chunked_array(arrays, pa.large_string())
    return pd.arrays.ArrowStringArray(chunked, dtype=dtype)


def _python_strings(chunks, valid, has_nulls, dtype_backend):
    out = np.empty(sum(len(c.offsets) - 1 for c in chunks), dtype=object)
    pos = 0
    for chunk in chunks:
        data = chunk.data.tobytes()
        offsets = chunk.offsets.tolist()
        n = len(offsets) - 1
        out[pos:pos + n] = [data[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
        pos += n
    na = pd.NA if dtype_backend else np.nan
    with_nulls(out, valid.view(bool) if has_nulls else None, na)
    return pd.array(out, dtype=pd.StringDtype("python", na_value=na))


def _categorical(d, ordered=False):
    """Codes of every chunk remapped onto the union of the chunks' dictionaries, in first-seen order.

    Categories have the default dtypes whatever ``dtype_backend`` (``str`` for
    strings), as pandas.read_parquet gives them.
    """
    codes = d.values
    per_chunk = [values_array(v) if v is not None else None for v in d.dictionaries]
    present = [pd.Index(c) for c in per_chunk if c is not None and len(c)]
    if not present:  # no dictionary, or only empty ones: pandas gives empty object categories
        return pd.Categorical.from_codes(np.full(len(codes), -1, np.int32), categories=pd.Index([], dtype=object),
                                         ordered=ordered)
    merged = present[0].append(present[1:]).unique() if len(present) > 1 else present[0]
    narrow = codes_dtype(len(merged))
    if len(merged) != sum(len(p) for p in present) or len(present) > 1:
        out = codes if codes.dtype == narrow else np.empty(len(codes), narrow)  # in place when it can
        codes = _remap(codes, d.chunk_rows, per_chunk, merged, out)
    else:
        codes = codes.astype(narrow, copy=False)
    return pd.Categorical.from_codes(codes, categories=merged, ordered=ordered, validate=False)


def codes_dtype(n_categories: int):
    """The codes dtype pandas gives ``n_categories`` categories (so from_codes keeps ours)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _arrow_categorical(d, ctype, ordered):
    """Codes mode under dtype_backend='pyarrow': a dictionary array, each chunk with its own dictionary."""
    if ctype.dictionary is None:  # categorical by pandas metadata or ``categories=``: int32 indices
        ctype = ColumnType(ctype.type, ArrowDictionary(0, 32, True, ordered), ctype.extension)
    value_type = ColumnType(ctype.type, None, ctype.extension)
    dictionaries = [None if v is None else to_arrow.decoded_to_arrow(v, value_type).combine_chunks()
                    for v in d.dictionaries]
    valid = d.valid if d.has_nulls else None
    arrow = to_arrow.codes_to_arrow(d.values, d.chunk_rows, dictionaries, valid, ctype)
    return pd.arrays.ArrowExtensionArray(arrow)


def _remap(codes, chunk_rows, per_chunk, merged, out):
    """Each chunk's codes (into its own dictionary) onto ``merged``, into ``out``; -1 stays -1."""
    pos = 0
    for n, cats in zip(chunk_rows, per_chunk):
        if cats is None:  # a chunk of nulls only
            out[pos:pos + n] = codes[pos:pos + n]
        else:
            mapping = merged.get_indexer(pd.Index(cats)).astype(out.dtype)
            check(dictionary.remap_codes(codes, pos, n, mapping, out), "categorical codes")
        pos += n
    return out


def categorize(array, ordered=False, dtype_backend=None, ctype=None, leaf=None):
    """Values -> categorical (for categoricals whose pages were not all dictionary-encoded).

    Categories come in order of first appearance, as pyarrow's dictionary
    builder makes them when it reads such a column.
    """
    if dtype_backend == "pyarrow":
        ctype = ctype or inferred_type(leaf)
        if ctype.dictionary is None:
            ctype = ColumnType(ctype.type, ArrowDictionary(0, 32, True, ordered), ctype.extension)
        return pd.arrays.ArrowExtensionArray(to_arrow.dictionary_encode(array, ctype))
    codes, uniques = pd.factorize(array, sort=False, use_na_sentinel=True)
    categories = pd.Index(uniques)
    if not len(categories):  # only nulls: pandas gives empty object categories
        categories = pd.Index([], dtype=object)
    elif isinstance(array, pd.arrays.ArrowStringArray) or getattr(array, "dtype", None) == STR_DTYPE:
        categories = categories.astype(STR_DTYPE)
    return pd.Categorical.from_codes(codes, categories=categories, ordered=ordered, validate=False)


def _durations(values, mask, unit):
    """INT64 stored from an Arrow duration -> timedelta64[unit], NaT at nulls (written in place)."""
    return with_nulls(values, mask, np.iinfo(np.int64).min).view(f"m8[{unit}]")
