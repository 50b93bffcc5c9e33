"""pandas Series -> ``FieldType`` (once per column) and -> ``ColumnData`` per leaf (per row group).

Which dtype becomes what (see ``write_types`` for the Parquet side):

* numpy ints / uints / bools: REQUIRED (they cannot hold a null);
* numpy floats: OPTIONAL, NaN written as null (pandas' missing value; what
  pyarrow writes from pandas, and what duckdb / polars then read as null);
* nullable ``Int*`` / ``UInt*`` / ``Float*`` / ``boolean``: OPTIONAL, NA as null;
* ``datetime64[s|ms|us|ns]`` (tz-aware or not) and ``timedelta64``: OPTIONAL,
  NaT as null; values kept exactly in their unit (seconds are stored x1000
  as MILLIS, refusing values that would overflow);
* ``str`` / ``string``: read straight from the Arrow buffers when pyarrow
  stores them (offsets + data + validity, any chunking and slice offset), else
  encoded from the Python strings;
* categoricals: codes as dictionary indices, categories as the dictionary;
* ``ArrowDtype``: primitive types through their buffers' numpy equivalents,
  others through Python objects;
* object: ``write_objects.infer_object_type`` (or ``object_encoding``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..column.writer import ColumnData
from . import write_objects as wo
from .pandas_meta import tz_to_string
from .write_types import NESTED, FieldType

_MASKED = (pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype, pd.UInt8Dtype, pd.UInt16Dtype,
           pd.UInt32Dtype, pd.UInt64Dtype, pd.Float32Dtype, pd.Float64Dtype, pd.BooleanDtype)
_NAT = np.iinfo(np.int64).min


def _numeric_type(dtype: np.dtype, nullable: bool) -> FieldType:
    kind = {"i": "int", "u": "uint", "f": "float", "b": "bool"}[dtype.kind]
    return FieldType(kind, nullable=nullable, bits=dtype.itemsize * 8)


def _timestamp_type(unit: str, tz, times: str) -> FieldType:
    tz = tz_to_string(tz) if tz is not None else None
    if times == "int96":
        return FieldType("int96", unit="ns", pandas_unit=unit, tz=tz)
    return FieldType("timestamp", unit="ms" if unit == "s" else unit, pandas_unit=unit, tz=tz)


def field_type_of(s: pd.Series, name, requested=None, times: str = "int64") -> FieldType:
    """The FieldType of a column from its dtype (and, for object columns, its values)."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = field_type_of(pd.Series(dtype.categories), f"{name}.categories", None, times)
        bits = s.cat.codes.dtype.itemsize * 8
        return FieldType("category", bits=bits, ordered=bool(dtype.ordered),
                         children=(("values", values.with_nullable(False)),))
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _timestamp_type(dtype.unit, dtype.tz, times)
    if isinstance(dtype, pd.StringDtype):
        return FieldType("str", large=dtype.storage == "pyarrow")
    if isinstance(dtype, _MASKED):
        return _numeric_type(dtype.numpy_dtype, True)
    if isinstance(dtype, pd.ArrowDtype):
        return _arrow_field_type(s, name, requested, times)
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iub":
            return _numeric_type(dtype, False)
        if dtype.kind == "f":
            return _numeric_type(dtype, True)
        if dtype.kind == "M":
            return _timestamp_type(np.datetime_data(dtype)[0], None, times)
        if dtype.kind == "m":
            return FieldType("duration", unit=np.datetime_data(dtype)[0])
        if dtype == object:
            return _object_field_type(s, name, requested, times)
    raise TypeError(f"column {name!r}: cannot write dtype {dtype}")


def _object_field_type(s, name, requested, times) -> FieldType:
    values = s.to_numpy(dtype=object)
    dense = wo.non_null(values)
    if requested is None and len(dense):
        kind = pd.api.types.infer_dtype(dense, skipna=True)
        if kind in ("datetime", "datetime64"):
            idx = pd.DatetimeIndex(dense)
            return _timestamp_type(idx.unit, idx.tz, times)
        if kind in ("timedelta", "timedelta64"):
            return FieldType("duration", unit=pd.TimedeltaIndex(dense).unit)
    return wo.infer_object_type(values, name, requested)


def _arrow_field_type(s, name, requested, times) -> FieldType:
    import pyarrow as pa

    t = s.dtype.pyarrow_dtype
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        np_dtype = np.dtype(t.to_pandas_dtype())
        return _numeric_type(np_dtype, True)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return FieldType("str", large=pa.types.is_large_string(t))
    if pa.types.is_timestamp(t):
        return _timestamp_type(t.unit, t.tz, times)
    if pa.types.is_duration(t):
        return FieldType("duration", unit=t.unit)
    return _object_field_type(s.astype(object), name, requested, times)


# ---------------------------------------------------------------- values

def leaf_data(s: pd.Series, ft: FieldType, name) -> list:
    """The ColumnData of each leaf of column ``s`` written as ``ft``."""
    if ft.kind == "category":
        return [_categorical(s, ft, name)]
    if ft.kind in NESTED:
        return _nested(s, ft, name)
    values, valid = flat_values(s, ft, name)
    return [_column(len(s), values, valid, ft, name)]


def _column(n: int, values, valid, ft: FieldType, name) -> ColumnData:
    if valid is not None and valid.all():
        valid = None
    if valid is not None and not ft.nullable:
        raise ValueError(f"column {name!r} holds nulls but is written as REQUIRED")
    levels = None if valid is None else valid.view(np.uint8)
    if isinstance(values, tuple):
        return ColumnData(n, offsets=values[0], data=values[1], def_levels=levels)
    return ColumnData(n, values=values, def_levels=levels)


def _categorical(s, ft, name) -> ColumnData:
    codes = s.array.codes                            # the Categorical's own codes, no Series around them
    valid = codes >= 0
    categories = pd.Series(s.cat.categories)
    dictionary = leaf_data(categories, ft.children[0][1], f"{name}.categories")[0]
    dense = codes.astype(np.int32) if len(codes) == 0 or codes.min() >= 0 else codes[valid].astype(np.int32)
    column = _column(len(s), dense, valid, ft, name)
    column.dictionary = dictionary
    return column


def _nested(s, ft, name) -> list:
    from .write_nested import leaf_levels, shred

    values = s.to_numpy(dtype=object)
    out = []
    for leaf in shred(values, ft, name):
        def_levels, rep_levels, dense = leaf_levels(leaf, len(values))
        leaf_values, _ = flat_values(pd.Series(dense, dtype=object), leaf.ft.with_nullable(False), name)
        col = _column(len(values), leaf_values, None, leaf.ft.with_nullable(True), name)
        col.def_levels, col.rep_levels = def_levels, rep_levels
        out.append(col)
    return out


def flat_values(s: pd.Series, ft: FieldType, name):
    """(dense values or (offsets, data), validity bool array or None) of a flat column."""
    dtype = s.dtype
    k = ft.kind
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and k == "str":
        return arrow_string_buffers(s)
    if isinstance(dtype, pd.ArrowDtype) and k in ("int", "uint", "float", "bool", "str"):
        return _arrow_values(s, ft, name)
    if k in ("int", "uint", "float", "bool") and not (isinstance(dtype, np.dtype) and dtype == object):
        return _numeric_values(s, ft)
    if k in ("timestamp", "int96", "duration") and dtype != object:
        return _time_values(s, ft, name)
    values = s.to_numpy(dtype=object)
    valid = ~pd.isna(values)
    dense = values[valid]
    return _object_values(dense, ft, name), valid


def _physical(values: np.ndarray, ft: FieldType) -> np.ndarray:
    """ints narrower than 32 bits widen to int32 (INT32 storage); uint32 / uint64 keep their
    unsigned dtype so statistics compare them unsigned."""
    if ft.kind in ("int", "uint") and ft.bits < 32:
        return values.astype(np.int32)
    return values


def _numeric_values(s, ft: FieldType):
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        values = s.to_numpy()
        if dtype.kind == "f":
            nan = np.isnan(values)
            if nan.any():
                return _physical(values[~nan], ft), ~nan
        return _physical(values, ft), None
    mask = s.isna().to_numpy()
    np_dtype = dtype.numpy_dtype
    values = s.to_numpy(dtype=np_dtype, na_value=np_dtype.type(0))
    if mask.any():
        return _physical(values[~mask], ft), ~mask
    return _physical(values, ft), None


def _time_values(s, ft: FieldType, name):
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(None)
    elif isinstance(s.dtype, pd.ArrowDtype):
        s = s.astype(s.dtype.pyarrow_dtype.to_pandas_dtype()) if s.dtype.pyarrow_dtype.tz is None \
            else s.astype(f"datetime64[{s.dtype.pyarrow_dtype.unit}, UTC]").dt.tz_convert(None)
    ints = s.to_numpy().view(np.int64)
    valid = ints != _NAT
    dense = ints[valid] if not valid.all() else ints
    return scale_times(dense, ft, name), valid


def scale_times(ints: np.ndarray, ft: FieldType, name) -> np.ndarray:
    """int64 times in the pandas unit -> the stored representation of ``ft``."""
    unit = ft.pandas_unit or ft.unit
    if ft.kind == "int96":
        from ..kernels.plain import UNIT_MS, UNIT_NS, UNIT_S, UNIT_US, plain_encode_int96

        code = {"ns": UNIT_NS, "us": UNIT_US, "ms": UNIT_MS, "s": UNIT_S}[unit]
        out = np.empty(len(ints) * 12, np.uint8)
        if plain_encode_int96(np.ascontiguousarray(ints), code, out) < 0:
            raise ValueError(f"column {name!r}: a timestamp does not fit INT96")
        return out.reshape(-1, 12)
    if ft.kind == "timestamp" and unit == "s":
        limit = np.iinfo(np.int64).max // 1000
        if len(ints) and (ints.max() > limit or ints.min() < -limit):
            raise ValueError(f"column {name!r}: a datetime64[s] value does not fit TIMESTAMP(MILLIS)")
        return ints * 1000
    return ints


def _object_values(dense, ft: FieldType, name):
    k = ft.kind
    if k == "str":
        return wo.string_buffers(dense, name)
    if k == "bytes":
        return wo.bytes_buffers(dense, name)
    if k == "decimal":
        return wo.decimal_buffers(dense, ft, name)
    if k == "date":
        return wo.date_values(dense, name)
    if k == "time":
        return wo.time_values(dense, name)
    if k == "uuid":
        return wo.uuid_values(dense, name)
    if k == "fixed_bytes":
        return wo.fixed_bytes_values(dense, ft.width, name)
    if k == "null":
        if len(dense):
            raise TypeError(f"column {name!r}: values in a column of all-null type")
        return np.zeros(0, np.int32)
    if k in ("timestamp", "int96"):
        idx = pd.DatetimeIndex(list(dense)).as_unit(ft.pandas_unit or ft.unit)
        idx = idx.tz_convert(None) if idx.tz is not None else idx
        return scale_times(idx.asi8, ft, name)
    if k == "duration":
        return pd.TimedeltaIndex(list(dense)).as_unit(ft.unit).asi8
    if k in ("int", "uint", "float", "bool"):
        return _physical(wo.scalar_values(dense, ft, name), ft)
    raise TypeError(f"column {name!r}: cannot write {ft.describe()} values from objects")


# ---------------------------------------------------------------- Arrow buffers

def arrow_string_buffers(s: pd.Series):
    """(offsets, data) of the non-null strings and the validity, from the Arrow buffers."""
    chunked = s.array.__arrow_array__()
    parts = [_arrow_chunk(chunk) for chunk in chunked.chunks if len(chunk)]
    if not parts:
        return (np.zeros(1, np.int64), np.zeros(0, np.uint8)), None
    if len(parts) == 1:
        (offsets, data), valid = parts[0]
        return (offsets, data), valid
    pieces, datas, total = [np.zeros(1, np.int64)], [], 0
    for (offsets, data), _ in parts:
        datas.append(data[offsets[0]:offsets[-1]])
        pieces.append(offsets[1:] - offsets[0] + total)
        total += len(datas[-1])
    valids = [v if v is not None else np.ones(len(o) - 1, bool) for (o, _), v in parts]
    return (np.concatenate(pieces), np.concatenate(datas)), np.concatenate(valids)


def _arrow_chunk(chunk):
    """((dense offsets, data), validity or None) of one string / large_string Arrow array."""
    from ..column.write_stats import gather_byte_arrays

    validity_buf, offsets_buf, data_buf = chunk.buffers()[:3]
    n, start = len(chunk), chunk.offset
    width = np.int64 if chunk.type.id == _large_string_id() else np.int32
    offsets = np.frombuffer(offsets_buf, width)[start:start + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    if validity_buf is None or chunk.null_count == 0:
        return (offsets, data), None
    bits = np.unpackbits(np.frombuffer(validity_buf, np.uint8), bitorder="little")
    valid = bits[start:start + n].astype(bool)
    starts, ends = offsets[:-1][valid], offsets[1:][valid]
    if len(starts) and np.array_equal(starts[1:], ends[:-1]):
        return (np.append(starts, ends[-1]), data), valid
    return gather_byte_arrays(offsets, data, np.flatnonzero(valid)), valid


def _large_string_id():
    import pyarrow as pa

    return pa.large_string().id


def _arrow_values(s, ft: FieldType, name):
    if ft.kind == "str":
        return arrow_string_buffers(s)
    mask = s.isna().to_numpy()
    np_dtype = np.dtype(s.dtype.pyarrow_dtype.to_pandas_dtype())
    values = s.to_numpy(dtype=np_dtype, na_value=np_dtype.type(0))
    if mask.any():
        return _physical(values[~mask], ft), ~mask
    return _physical(values, ft), None
