"""pandas Series -> ``FieldType`` (once per column) and -> ``ColumnData`` per leaf (per row group).

Which dtype becomes what (see ``types`` for the Parquet side):

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
* ``ArrowDtype``: typed one to one from the Arrow type, values from the Arrow
  buffers, nested columns shredded from the Arrow structure (``arrow``);
* object: ``infer.object_field_type`` (or ``object_encoding``).

Every leaf's values reach its storage through an exact conversion
(``exact``, ``objects``, ``arrow``): a value that would not
read back the same raises ``ValueError`` naming it, before anything is written.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...column.write.chunk import ColumnData
from ...column.write.stats import gather_byte_arrays
from . import objects as wo
from .arrow import arrow_field_type, arrow_values, as_categorical, shred_arrow
from .exact import exact_numbers, exact_scalars, rescale
from .infer import object_field_type
from .shred import leaf_levels, shred
from .types import NESTED, FieldType, timestamp_type

_MASKED = (pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype, pd.UInt8Dtype, pd.UInt16Dtype,
           pd.UInt32Dtype, pd.UInt64Dtype, pd.Float32Dtype, pd.Float64Dtype, pd.BooleanDtype)
_NAT = np.iinfo(np.int64).min


def _numeric_type(dtype: np.dtype, nullable: bool) -> FieldType:
    kind = {"i": "int", "u": "uint", "f": "float", "b": "bool"}[dtype.kind]
    return FieldType(kind, nullable=nullable, bits=dtype.itemsize * 8)


def field_type_of(s: pd.Series, name, requested=None, times: str = "int64") -> FieldType:
    """The FieldType of a column from its dtype (and, for object columns, its values)."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = field_type_of(pd.Series(dtype.categories), f"{name}.categories", None, times)
        bits = s.cat.codes.dtype.itemsize * 8
        return FieldType("category", bits=bits, ordered=bool(dtype.ordered),
                         children=(("values", values.with_nullable(False)),))
    if isinstance(dtype, pd.DatetimeTZDtype):
        return timestamp_type(dtype.unit, dtype.tz, times)
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
            return timestamp_type(np.datetime_data(dtype)[0], None, times)
        if dtype.kind == "m":
            return FieldType("duration", unit=np.datetime_data(dtype)[0])
        if dtype.kind == "S":                       # numpy fixed-width bytes: their width
            return FieldType("fixed_bytes", nullable=False, width=dtype.itemsize)
        if dtype == object:
            return _object_field_type(s, name, requested, times)
    raise TypeError(f"column {name!r}: cannot write dtype {dtype}")


def _object_field_type(s, name, requested, times) -> FieldType:
    values = s.to_numpy(dtype=object)
    if requested == "decimal":
        wo.check_decimal_inputs(values, name)
    try:
        ft = object_field_type(values, name, requested, times)
    except ArithmeticError:                         # decimal.InvalidOperation: pd.isna of Decimal('sNaN')
        raise wo.odd_decimal_error(values, name) from None
    width = wo.fixed_width(values) if requested is None and ft.kind == "bytes" else None
    return ft if width is None else FieldType("fixed_bytes", width=width)


def _arrow_field_type(s, name, requested, times) -> FieldType:
    ft = arrow_field_type(s.dtype.pyarrow_dtype, name, times)
    return ft if ft is not None else _object_field_type(s.astype(object), name, requested, times)


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
    if not isinstance(s.dtype, pd.CategoricalDtype):     # plain or Arrow dictionary values, same logical column
        s = pd.Series(as_categorical(s, ft.ordered), copy=False)
    codes = s.array.codes                            # the Categorical's own codes, no Series around them
    valid = codes >= 0
    categories = pd.Series(s.cat.categories)
    dictionary = leaf_data(categories, ft.children[0][1], f"{name}.categories")[0]
    dense = codes.astype(np.int32) if len(codes) == 0 or codes.min() >= 0 else codes[valid].astype(np.int32)
    column = _column(len(s), dense, valid, ft, name)
    column.dictionary = dictionary
    return column


def _nested(s, ft, name) -> list:
    if isinstance(s.dtype, pd.ArrowDtype):
        leaves = shred_arrow(s, ft, name)
    else:
        leaves = shred(s.to_numpy(dtype=object), ft, name)
    out = []
    for leaf in leaves:
        def_levels, rep_levels, take = leaf_levels(leaf, len(s))
        if isinstance(leaf.values, tuple):
            values = _arrow_leaf_values(leaf, take, name)
        else:
            dense = pd.Series(leaf.values[take.view(bool)], dtype=object)
            values, _ = flat_values(dense, leaf.ft.with_nullable(False), name)
        col = _column(len(s), values, None, leaf.ft.with_nullable(True), name)
        col.def_levels, col.rep_levels = def_levels, rep_levels
        out.append(col)
    return out


def _arrow_leaf_values(leaf, take: np.ndarray, name):
    """The values of the Arrow leaf slots ``take`` selects, converted as ``leaf.ft``: the
    whole leaf array through ``flat_values``, then the selected slots' dense values."""
    arr, sel = leaf.values
    values, valid = flat_values(pd.Series(pd.arrays.ArrowExtensionArray(arr)), leaf.ft.with_nullable(True), name)
    slots = sel[take.view(bool)]
    if valid is None:
        dense = slots
    else:
        if not valid[slots].all():
            raise ValueError(f"column {name!r}: a value the levels say is present is null")
        dense = (np.cumsum(valid) - 1)[slots]
    if isinstance(values, tuple):
        return gather_byte_arrays(values[0], values[1], dense)
    return values[dense]


def flat_values(s: pd.Series, ft: FieldType, name):
    """(dense values or (offsets, data), validity bool array or None) of a flat column."""
    dtype = s.dtype
    k = ft.kind
    if isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        found = arrow_values(s, ft, name)
        if found is not None:
            return found
    if k in ("int", "uint", "float", "bool") and dtype != object and not isinstance(dtype, pd.ArrowDtype):
        return _numeric_values(s, ft, name)
    if k in ("timestamp", "int96", "duration") and dtype != object:
        return _time_values(s, ft, name)
    if k == "time" and isinstance(dtype, np.dtype) and dtype.kind == "m":
        return _time_of_day_values(s, ft, name)
    if k == "fixed_bytes" and isinstance(dtype, np.dtype) and dtype.kind == "S":
        return wo.numpy_fixed_bytes(s.to_numpy(), ft.width, name), None
    values = s.to_numpy(dtype=object)
    valid = ~pd.isna(values)
    dense = values[valid]
    return _object_values(dense, ft, name), valid


def _numeric_values(s, ft: FieldType, name):
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        values = s.to_numpy()
        if dtype.kind == "f" and ft.nullable:       # REQUIRED float: NaN is a value, stored as NaN
            nan = np.isnan(values)
            if nan.any():
                return exact_numbers(values[~nan], ft, name), ~nan
        return exact_numbers(values, ft, name), None
    np_dtype = dtype.numpy_dtype
    if np_dtype.kind == "f" and not ft.nullable:    # pandas' Float dtypes hold NaN as NA: NaN in REQUIRED
        return exact_numbers(s.array.to_numpy(dtype=np_dtype, na_value=np.nan), ft, name), None
    mask = s.isna().to_numpy()
    if mask.any():
        # the valid entries, then to numpy: one gather instead of a filled copy and a gather
        # (10M Int64, 10 % NA: 78 -> 58 ms CPU); without NA, to_numpy copies nothing
        valid = ~mask
        return exact_numbers(s.array[valid].to_numpy(dtype=np_dtype), ft, name), valid
    return exact_numbers(s.array.to_numpy(dtype=np_dtype), ft, name), None


def _time_values(s, ft: FieldType, name):
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(None)
    elif isinstance(s.dtype, pd.ArrowDtype):
        t = s.dtype.pyarrow_dtype
        s = s.astype(f"datetime64[{t.unit}, UTC]").dt.tz_convert(None) if getattr(t, "tz", None) is not None \
            else s.astype(t.to_pandas_dtype())
    values = s.to_numpy()
    ints = values.view(np.int64)
    valid = ints != _NAT
    dense = ints[valid] if not valid.all() else ints
    have = np.datetime_data(values.dtype)[0]
    if ft.kind == "duration":
        return rescale(dense, have, ft.unit, ft, name), valid
    return scale_times(rescale(dense, have, ft.pandas_unit or ft.unit, ft, name), ft, name), valid


_DAY_NS = 86_400 * 10**9


def _time_of_day_values(s, ft: FieldType, name):
    """timedelta64 values (how the numpy backends read TIME(NANOS)) as a TIME leaf: each within
    [0, 24 h) and exact in the leaf's unit, else refused."""
    values = s.to_numpy()
    ints = values.view(np.int64)
    valid = ints != _NAT
    dense = ints[valid] if not valid.all() else ints
    have = np.datetime_data(values.dtype)[0]
    as_ns = rescale(dense, have, "ns", ft, name)
    if len(as_ns) and (as_ns.min() < 0 or as_ns.max() >= _DAY_NS):
        bad = pd.Timedelta(int(as_ns[(as_ns < 0) | (as_ns >= _DAY_NS)][0]), "ns")
        raise ValueError(f"column {name!r}: {bad} is not a time of day (0 <= t < 24 h) for {ft.describe()}")
    stored = rescale(dense, have, ft.unit or "us", ft, name)
    return (stored.astype(np.int32) if ft.unit == "ms" else stored), valid


def scale_times(ints: np.ndarray, ft: FieldType, name) -> np.ndarray:
    """int64 times in the pandas unit -> the stored representation of ``ft``."""
    unit = ft.pandas_unit or ft.unit
    if ft.kind == "int96":
        from ...kernels.plain import UNIT_MS, UNIT_NS, UNIT_S, UNIT_US, plain_encode_int96

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
        return wo.date_values(dense, ft, name)
    if k == "time":
        return wo.time_values(dense, ft, name)
    if k == "uuid":
        return wo.uuid_values(dense, name)
    if k == "fixed_bytes":
        return wo.fixed_bytes_values(dense, ft.width, name)
    if k == "null":
        if len(dense):
            raise TypeError(f"column {name!r}: values in a column of all-null type")
        return np.zeros(0, np.int32)
    if k in ("timestamp", "int96"):
        return scale_times(wo.datetime_values(dense, ft, name), ft, name)
    if k == "duration":
        return wo.timedelta_values(dense, ft, name)
    if k in ("int", "uint", "float", "bool"):
        return exact_scalars(dense, ft, name)
    raise TypeError(f"column {name!r}: cannot write {ft.describe()} values from objects")
