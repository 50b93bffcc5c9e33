"""Parts of a dataset read -> one DataFrame: what pyarrow's unified table gives through pandas.

Every pandas object a dataset read builds is built here (``fastpq.dataset.read`` and
``fastpq.file.page_read`` hold them, never construct them): columns, the stored index,
column labels and the frame.

Each part is one file's rows (or one row-group run's), read by the file reader
with that file's dtypes. Combining them column by column:

* a column a file lacks becomes nulls of the column's dtype in the other parts
  (ints and bools turn float64 / object, as pandas gives nulls in them);
* categoricals (pandas metadata, dictionary-encoded Arrow columns, partition
  columns) are combined with ``union_categoricals``: categories in order of
  first appearance, as pyarrow unifies dictionaries;
* other columns concatenate with pandas' common dtype (int32 + int64 ->
  int64, datetime64[ms] + [ns] -> [ns], ...);
* a column whose dtype only widened because of nulls that filtering or other
  files took away gets its null-free dtype back (an int column with nulls in
  rows the filter dropped is int64 again, as pyarrow converts the filtered
  table).

Partition columns are categoricals whose categories are all of the dataset's
values for that key (not only those left after filtering): pandas.read_parquet
gives pyarrow's partition dictionary the same way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

_NUMPY_INT = {(8, True): "int8", (16, True): "int16", (32, True): "int32", (64, True): "int64",
              (8, False): "uint8", (16, False): "uint16", (32, False): "uint32", (64, False): "uint64"}


def null_column(dtype, n: int):
    """``n`` nulls in the dtype a column takes when it holds nulls."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(np.full(n, -1, np.int32), dtype=dtype)
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iub":
            return np.full(n, np.nan) if dtype.kind != "b" else np.full(n, None, dtype=object)
        if dtype.kind == "f":
            return np.full(n, np.nan, dtype=dtype)
        if dtype.kind in "mM":
            return np.full(n, np.array("NaT", dtype=dtype))
        return np.full(n, None, dtype=object)
    try:
        return pd.array([None] * n, dtype=dtype)
    except (TypeError, ValueError):
        return np.full(n, None, dtype=object)


def partition_array(codes: np.ndarray, categories: list, kind: str, dtype_backend=None):
    """A partition column: categorical codes over the dataset's values of one key (an explicit
    type, kind 'as:<dtype>': a plain column of that dtype, fastpq.dataset.partitions)."""
    if kind.startswith("as:"):
        return _typed_partition(codes, categories, kind[3:], dtype_backend)
    cats = pd.Index(categories, dtype="int32" if kind == "int32" else "str" if categories else object)
    cat = pd.Categorical.from_codes(codes.astype(np.int32, copy=False), categories=cats)
    if dtype_backend != "pyarrow":
        return cat
    import pyarrow as pa

    values = pa.array(categories, type=pa.int32() if kind == "int32" else pa.string())
    indices = pa.array(codes.astype(np.int32), mask=codes < 0, type=pa.int32())
    return pd.array(pa.DictionaryArray.from_arrays(indices, values), dtype=pd.ArrowDtype(
        pa.dictionary(pa.int32(), values.type)))


_NULLABLE = {"bool": "boolean", "str": "string"}


def _typed_partition(codes: np.ndarray, values: list, dtype: str, dtype_backend):
    """Partition values of an explicit type (datetimes as nanoseconds) as pyarrow's typed
    partitioning reads them: ints with nulls as float64, bools with nulls as object."""
    codes = np.asarray(codes)
    nulls = codes < 0
    if dtype.startswith("datetime64"):
        per = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[dtype[11:-1]]
        base = np.array([v // per for v in values] or [0], np.int64).view(dtype)
        out = base[np.where(nulls, 0, codes)]
        out[nulls] = np.datetime64("NaT")
        return pd.array(out, dtype=pd.ArrowDtype(pa_type(dtype))) if dtype_backend == "pyarrow" else out
    objects = np.array(values + [None], dtype=object)[np.where(nulls, len(values), codes)]
    if dtype_backend == "pyarrow":
        return pd.array(objects, dtype=pd.ArrowDtype(pa_type(dtype)))
    if dtype_backend == "numpy_nullable":
        return pd.array(objects, dtype=_NULLABLE.get(dtype, dtype.capitalize().replace("Uint", "UInt")))
    if dtype == "str":
        return pd.array(objects, dtype="str")
    if not nulls.any():
        return objects.astype(dtype)
    if dtype == "bool":
        return objects
    floats = np.array([np.nan if v is None else v for v in values] + [np.nan], np.float64)
    return floats[np.where(nulls, len(values), codes)].astype("float32" if dtype == "float32" else "float64")


def pa_type(dtype: str):
    import pyarrow as pa

    if dtype.startswith("datetime64"):
        return pa.timestamp(dtype[11:-1])
    return pa.string() if dtype == "str" else pa.bool_() if dtype == "bool" else pa.from_numpy_dtype(np.dtype(dtype))


def concat_column(pieces: list, lengths: list):
    """One column from per-part pieces (arrays / Series, None where a part lacks the column)."""
    present = [p for p in pieces if p is not None]
    if not present:
        return np.full(sum(lengths), None, dtype=object)
    dtypes = [_dtype(p) for p in present]
    if any(isinstance(d, pd.CategoricalDtype) for d in dtypes):
        return _concat_categoricals(pieces, lengths, dtypes)
    if len(pieces) == 1:
        return unwrap(pieces[0])
    if len(present) == len(pieces) and all(isinstance(p, np.ndarray) for p in present) and \
            len({p.dtype for p in present}) == 1:
        return np.concatenate(present)
    base = next((d for d in dtypes if not (isinstance(d, np.dtype) and d == object)), dtypes[0])
    series = [pd.Series(p if p is not None else null_column(base, n), copy=False) for p, n in zip(pieces, lengths)]
    series = _aligned(series)
    non_empty = [s for s in series if len(s)] or series[:1]
    out = pd.concat(non_empty, ignore_index=True) if len(non_empty) > 1 else non_empty[0]
    return out.to_numpy() if isinstance(out.dtype, np.dtype) else out.array


def _dtype(p):
    return p.dtype


def _aligned(series: list) -> list:
    """Parts whose values decided different dtypes, given the one dtype that holds them all
    exactly: ints widened to float64 (|v| <= 2**53) beside a nullable Int: that Int; datetime64
    of different units: the finest that holds every value (pyarrow's finer unit; INT96 beyond
    datetime64[ns]: coarser), refused (PrecisionError) where none does."""
    from ...errors import PrecisionError

    masked = next((s.dtype for s in series if isinstance(s.dtype, pd.api.extensions.ExtensionDtype)
                   and s.dtype.kind in "iu" and hasattr(s.array, "_mask")), None)
    if masked is not None:
        try:
            return [s.astype(masked) if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiu" else s for s in series]
        except (TypeError, ValueError):   # true fractions beside it: pandas' concat decides
            return series
    units = {_unit(s.dtype) for s in series} - {None}
    if len(units) < 2:
        return series
    for unit in sorted(units, key=["ns", "us", "ms", "s"].index):   # the finest that holds them all
        try:
            out = [s.astype(_with_unit(s.dtype, unit)) if _unit(s.dtype) else s for s in series]
            if all(t.astype(s.dtype).equals(s) for s, t in zip(series, out)):
                return out
        except (ValueError, OverflowError):   # OutOfBoundsDatetime, ArrowInvalid
            continue
    raise PrecisionError(f"timestamps in {sorted(units)} across files: no one unit holds them all exactly")


def _unit(dtype):
    """The unit of a numpy or arrow timestamp dtype, else None."""
    if isinstance(dtype, np.dtype):
        return np.datetime_data(dtype)[0] if dtype.kind == "M" else None
    t = getattr(dtype, "pyarrow_dtype", None)
    return getattr(t, "unit", None) if getattr(t, "id", None) is not None and str(t).startswith("timestamp") else None


def _with_unit(dtype, unit):
    if isinstance(dtype, np.dtype):
        return np.dtype(f"M8[{unit}]")
    import pyarrow as pa

    return pd.ArrowDtype(pa.timestamp(unit, dtype.pyarrow_dtype.tz))


def unwrap(values):
    """numpy arrays for numpy dtypes (not pandas' NumpyExtensionArray), extension arrays as they are."""
    if isinstance(values.dtype, np.dtype):
        return np.asarray(values)
    if getattr(values.dtype, "numpy_dtype", None) is not None and values.dtype.__class__.__name__ == "NumpyEADtype":
        return values.to_numpy()
    return values.array if isinstance(values, pd.Series) else values


def _concat_categoricals(pieces, lengths, dtypes):
    cats = []
    template = next(d for d in dtypes if isinstance(d, pd.CategoricalDtype))
    for p, n in zip(pieces, lengths):
        if p is None:
            cats.append(pd.Categorical.from_codes(np.full(n, -1, np.int32),
                                                  categories=template.categories[:0], ordered=template.ordered))
        elif isinstance(p.dtype, pd.CategoricalDtype):
            cats.append(p if isinstance(p, pd.Categorical) else pd.Categorical(p))
        else:
            cats.append(pd.Categorical(p))
    if len(cats) == 1:
        return cats[0]
    try:
        out = union_categoricals(cats, ignore_order=True)
        # ordered when every file's categorical is (pyarrow's rule); categories in first-seen order
        return out.as_ordered() if all(c.ordered for c in cats) else out
    except TypeError:  # categories of different dtypes: plain values
        return pd.concat([pd.Series(c).astype(object) for c in cats], ignore_index=True).array


def natural_dtype(sig: tuple):
    """The numpy dtype a column of this signature has without nulls, where nulls change it."""
    if sig[0] == "int":
        return np.dtype(_NUMPY_INT[(sig[1], sig[2])])
    if sig[0] == "bool":
        return np.dtype(bool)
    return None


def restore(values, sig: tuple, nullable_meta: bool):
    """Undo a widening that nulls caused when no null is left (module docstring)."""
    natural = natural_dtype(sig)
    if natural is None or nullable_meta:
        return values
    dtype = values.dtype
    if dtype == natural:
        return values
    widened = (isinstance(dtype, np.dtype) and (dtype.kind == "f" or dtype == object)) or (
        dtype.__class__.__name__ in ("Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype", "UInt8Dtype",
                                     "UInt16Dtype", "UInt32Dtype", "UInt64Dtype", "BooleanDtype"))
    if not widened or len(values) == 0 and not isinstance(dtype, np.dtype):
        return values
    s = pd.Series(values, copy=False)
    if s.isna().any():
        return values
    if dtype == object and natural.kind == "b" and not all(isinstance(v, (bool, np.bool_)) for v in s):
        return values
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and natural.kind in "iu":
        arr = s.to_numpy()
        info = np.iinfo(natural)
        if len(arr) and (arr.min() < info.min or arr.max() > info.max or (np.abs(arr) > 2**53).any()):
            return values
    return s.astype(natural).to_numpy()


# ---------------------------------------------------------------- index, labels, frame

def stored_index(arrays: list, labels: list):
    """The index of the stored index fields' ``arrays`` (``labels``: their original names)."""
    if len(arrays) == 1:
        return pd.Index(arrays[0], name=labels[0])
    return pd.MultiIndex.from_arrays(arrays, names=labels)


def combined_index(indexes: list, frame_index, n: int, filtered: bool):
    """The index of ``n`` combined rows: the parts' stored ``indexes`` appended, else the one
    unfiltered part's ``frame_index`` (the file reader's), else a RangeIndex."""
    if any(index is not None for index in indexes):
        return indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]
    if len(indexes) == 1 and not filtered and frame_index is not None and len(frame_index) == n:
        return frame_index
    return pd.RangeIndex(n)


def column_labels(labels: list, levels: list):
    """Column labels as the file reader gives them (pandas metadata's column index ``levels``)."""
    if len(levels) > 1 and labels and all(isinstance(x, tuple) and len(x) == len(levels) for x in labels):
        return pd.MultiIndex.from_tuples(labels, names=[lv.get("name") if isinstance(lv, dict) else None
                                                        for lv in levels])
    name = levels[0].get("name") if len(levels) == 1 and isinstance(levels[0], dict) else None
    return pd.Index(labels, name=name, dtype=object if any(not isinstance(x, str) for x in labels) else None)


def frame_of(columns: list, n: int):
    """A DataFrame of ``columns`` (arrays or Series, in order; labels 0..k-1, no copy), or of
    ``n`` rows and no columns."""
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n))
    return pd.DataFrame({k: _keep(values) for k, values in enumerate(columns)}, copy=False)


def _keep(values):
    """Object arrays stay object (pandas 3 would infer ``str`` from all-string object arrays)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, dtype=object, copy=False)
    return values
