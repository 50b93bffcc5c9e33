"""Columns -> DataFrame: index, column names and dtypes restored from pandas metadata.

pandas metadata (the 'pandas' key written by pandas/pyarrow/fastpq) says which
stored columns form the index (or describes a RangeIndex), the original column
names (non-string ones are stored as strings), the column-index names, and
per-column pandas dtypes: categoricals, time zones, nullable extension dtypes.
Without it, the frame gets a default RangeIndex and the stored names.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ...format.keyvalue import pandas_metadata_problem
from .labels import column_index


NULLABLE_NUMPY_TYPES = frozenset({"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                                  "Float32", "Float64", "boolean", "string"})


class PandasMeta:
    """The parts of pandas metadata the reader uses."""

    def __init__(self, raw: dict | None):
        raw = raw if isinstance(raw, dict) else {}
        self.raw = raw
        self.index_columns = [c for c in raw.get("index_columns", []) if isinstance(c, str)]
        self.range_index = next((c for c in raw.get("index_columns", []) if isinstance(c, dict)
                                 and c.get("kind") == "range"), None)
        self.columns = {c.get("field_name", c.get("name")): c for c in raw.get("columns", [])
                        if isinstance(c, dict) and isinstance(c.get("field_name", c.get("name")), str)}
        self.column_indexes = raw.get("column_indexes", [])

    def pandas_type(self, field: str) -> str | None:
        return (self.columns.get(field) or {}).get("pandas_type")

    def numpy_type(self, field: str) -> str | None:
        return (self.columns.get(field) or {}).get("numpy_type")

    def timezone(self, field: str) -> str | None:
        md = (self.columns.get(field) or {}).get("metadata") or {}
        return md.get("timezone") if isinstance(md, dict) else None

    def is_categorical(self, field: str) -> bool:
        return self.pandas_type(field) == "categorical"

    def num_categories(self, field: str) -> int | None:
        md = (self.columns.get(field) or {}).get("metadata") or {}
        n = md.get("num_categories") if isinstance(md, dict) else None
        return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None

    def ordered(self, field: str) -> bool:
        md = (self.columns.get(field) or {}).get("metadata") or {}
        return bool(md.get("ordered")) if isinstance(md, dict) else False

    def original_name(self, field: str):
        entry = self.columns.get(field)
        if entry is None or "name" not in entry:
            return field
        name = entry["name"]
        if name is None and field.startswith("__index_level_"):
            return None
        if isinstance(name, str) and len(self.column_indexes) == 1:
            return _typed_name(name, self.column_indexes[0])
        if isinstance(name, str) and len(self.column_indexes) > 1 and name.startswith("("):
            return _tuple_name(name)
        return name


def _typed_name(name: str, column_index: dict):
    kind = column_index.get("pandas_type") if isinstance(column_index, dict) else None
    try:
        if kind == "int64":
            return int(name)
        if kind == "float64":
            return float(name)
    except ValueError:
        pass
    return name


def _tuple_name(name: str):
    import ast

    if len(name) > 10_000:  # a hostile label: literal_eval's cost and recursion grow with it
        return name
    try:
        value = ast.literal_eval(name)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return name
    return value if isinstance(value, tuple) else name


def parse_pandas_metadata(text: str | None) -> PandasMeta:
    """PandasMeta from the JSON text (empty when absent or malformed; ParquetFile.pandas_metadata warns)."""
    try:
        raw = json.loads(text) if text else None
    except (ValueError, RecursionError):
        return PandasMeta(None)
    return PandasMeta(raw if pandas_metadata_problem(raw) is None else None)


def apply_column_dtype(array, field: str, meta: PandasMeta, dtype_backend=None):
    """Restore a pandas dtype that the Parquet type alone does not say (nullable ints, tz, ...)."""
    numpy_type = meta.numpy_type(field)
    if isinstance(getattr(array, "dtype", None), pd.StringDtype) and dtype_backend != "pyarrow":
        return _string_storage(array)
    if (numpy_type or "").startswith("period[") and dtype_backend != "pyarrow":
        return _periods(array, numpy_type)
    if (numpy_type or "").startswith("interval[") and dtype_backend != "pyarrow":
        return _intervals(array, numpy_type)
    if numpy_type and dtype_backend is None and isinstance(array, np.ndarray):
        if numpy_type in ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                          "Float32", "Float64", "boolean"):
            return pd.array(array, dtype=numpy_type)
    if (numpy_type or "").startswith("timedelta64") and isinstance(array, np.ndarray) and array.dtype.kind in "iu":
        try:
            target = np.dtype(numpy_type)
        except TypeError:  # metadata naming a unit numpy does not know
            return array
        return array.view(target) if target.kind == "m" and target.itemsize == array.dtype.itemsize else array
    return array


def _periods(array, numpy_type: str):
    """int64 ordinals (nullable: NaN / NA) -> ``period[F]`` as pandas metadata names it; anything
    that is not whole int64 ordinals, or a frequency pandas does not know, stays as it is."""
    try:
        dtype = pd.PeriodDtype(numpy_type[len("period["):-1])
        ints = pd.array(array, dtype="Int64")
    except (TypeError, ValueError, OverflowError):
        return array
    ordinals = ints.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).min)
    return pd.PeriodIndex.from_ordinals(ordinals, freq=dtype.freq).array


def _intervals(array, numpy_type: str):
    """struct<left, right> values (dicts, None for a missing interval) -> ``interval[S, C]`` as
    pandas metadata names it; anything else stays as it is."""
    try:
        dtype = pd.api.types.pandas_dtype(numpy_type)
        if not isinstance(dtype, pd.IntervalDtype) or len(array) and isinstance(array, np.ndarray) \
                and array.dtype != object:
            return array
        bounds = [(v["left"], v["right"]) if isinstance(v, dict) else (None, None) for v in array]
        subtype = dtype.subtype
        if subtype.kind in "iu" and any(b[0] is None for b in bounds):
            subtype = np.dtype(np.float64)                     # pandas' own dtype for int bounds with NaN
        left = pd.Index(pd.array([b[0] for b in bounds], dtype=subtype))
        right = pd.Index(pd.array([b[1] for b in bounds], dtype=subtype))
        intervals = pd.arrays.IntervalArray.from_arrays(left, right, closed=dtype.closed)
        return intervals.astype(dtype) if intervals.dtype != dtype else intervals
    except (TypeError, ValueError, KeyError, OverflowError):
        return array


def _string_storage(array):
    """String arrays (``str`` and nullable ``string``) in the storage ``pd.options.mode.string_storage``
    names (pandas.read_parquet's rule): 'python' makes them object-backed."""
    target = pd.StringDtype(na_value=array.dtype.na_value)
    return array if array.dtype == target else array.astype(target)


def build_frame(arrays: dict, names: list, meta: PandasMeta, index_fields: list, n_rows: int,
                from_start: bool = False, head: bool = False) -> pd.DataFrame:
    """A DataFrame from ``arrays`` (field name -> array), in ``names`` order, index from ``index_fields``.

    A RangeIndex described in pandas metadata applies when the rows are the file's
    first ones (``from_start``) and either all of them, as its length says (pyarrow's
    rule), or the first ``n_rows`` asked by ``head``; other frames get ``RangeIndex(n_rows)``.
    """
    data = {}
    labels = []
    for field in names:
        labels.append(meta.original_name(field))
        data[len(data)] = _keep_dtype(arrays[field])
    df = pd.DataFrame(data, copy=False) if data else pd.DataFrame(index=pd.RangeIndex(n_rows))
    df.columns = column_index(labels, meta.column_indexes)
    if index_fields:
        idx_arrays = [arrays[f] for f in index_fields]
        idx_names = [meta.original_name(f) for f in index_fields]
        if len(idx_arrays) == 1:
            df.index = pd.Index(idx_arrays[0], name=idx_names[0], copy=False)
        else:
            df.index = pd.MultiIndex.from_arrays(idx_arrays, names=idx_names)
    elif meta.range_index is not None and from_start:
        r = meta.range_index
        start, step = int(r.get("start", 0)), int(r.get("step", 1)) or 1
        stop = r.get("stop")
        try:
            if head or stop is None or len(range(start, int(stop), step)) == n_rows:
                df.index = pd.RangeIndex(start, start + step * n_rows, step, name=r.get("name"))
        except (OverflowError, ValueError):  # bounds beyond int64 (the metadata is wrong): default index
            pass
    attributes = meta.raw.get("attributes")
    if isinstance(attributes, dict) and attributes:  # df.attrs, as written (pyarrow restores them too)
        df.attrs = dict(attributes)
    return df


def _keep_dtype(array):
    """Object arrays stay object (pandas 3 would infer ``str`` from all-string object arrays)."""
    if isinstance(array, np.ndarray) and array.dtype == object:
        return pd.Series(array, dtype=object, copy=False)
    return array

