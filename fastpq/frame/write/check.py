"""A DataFrame against a write plan: the one ``check_frame``, raising ``SchemaMismatchError``.

* ``check_columns``: the stored data columns' names, in order (missing, unexpected);
* ``check_frame(df, plan)``: what every slice written with a plan must satisfy
  (``ParquetWriter.write``, each row group): its columns, its number of index
  levels, and each column's dtype of a type ``compatible`` with the plan's
  (object columns: their values are checked when converted);
* ``check_frame(df, plan, append=True)``: what an append to an existing file
  also checks, once, before anything is written: categoricals with the file's
  ordered flag, no nulls in REQUIRED columns, and the index (a RangeIndex file
  takes a RangeIndex of the same name; stored index levels take levels of the
  same names and types);
* ``plan_series``: a slice's stored columns as Series, once checked.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import SchemaMismatchError
from ..pandas_meta import column_name_to_string, range_index_entry
from .convert import field_type_of
from .extension_types import extension_field_type, is_extension_dtype
from .plan import build_plan, index_levels
from .types import compatible


def check_columns(names: list, expected: list) -> None:
    """SchemaMismatchError unless the DataFrame's column ``names`` (Parquet field names)
    are ``expected``, in that order."""
    if names != expected:
        if sorted(map(str, names)) == sorted(map(str, expected)) and len(set(names)) == len(names):
            raise SchemaMismatchError(f"the DataFrame has the file's columns in another order: {names}, expected "
                                      f"{expected} (appends keep the file's order: pass df[{expected}])")
        missing = [n for n in expected if n not in names]
        extra = [str(n) for n in names if n not in expected]
        raise SchemaMismatchError(f"the DataFrame's columns differ from the file's: missing {missing}, "
                                  f"unexpected {extra} (expected {expected}, in that order)")


def check_frame(df: pd.DataFrame, plan, append: bool = False) -> None:
    """SchemaMismatchError unless ``df`` can be written with ``plan`` (see the module
    docstring; ``append``: the stricter checks of an append). One pass over the columns."""
    data = plan.data_columns
    check_columns([column_name_to_string(x) for x in df.columns], [c.field_name for c in data])
    n_index = sum(c.is_index for c in plan.columns)
    if n_index and n_index != df.index.nlevels:
        raise SchemaMismatchError(f"the file stores {n_index} index levels, the DataFrame has {df.index.nlevels}")
    for i, col in enumerate(data):
        s = df.iloc[:, i]
        found = _check_type(col, s)
        if append:
            _check_append(col, s, found)
    if append:
        _check_index(df, plan)


def plan_series(df: pd.DataFrame, plan):
    """(PlannedColumn, Series) of every stored column of ``df`` (checked against ``plan``)."""
    check_frame(df, plan)
    levels = index_levels(df.index)
    position = {c.field_name: i for i, c in enumerate(plan.data_columns)}
    for col in plan.columns:
        s = pd.Series(levels[col.index_level]) if col.is_index else df.iloc[:, position[col.field_name]]
        yield col, s


def _check_type(col, s):
    """The FieldType of column ``s``'s dtype, refused unless compatible with the plan's
    (None for object columns and the plan's all-null columns: checked when converted)."""
    if s.dtype == object or col.ft.kind == "null":
        return None
    times = "int96" if col.ft.kind == "int96" else "int64"
    try:
        found = extension_field_type(s.dtype) if is_extension_dtype(s.dtype) else \
            field_type_of(s.iloc[:0], col.field_name, None, times)
    except TypeError:
        found = None
    if found is None or not compatible(col.ft, found):
        what = found.describe() if found is not None else "a type fastpq cannot write"
        raise SchemaMismatchError(f"column {col.field_name!r}: the file has {col.ft.describe()}, "
                                  f"the DataFrame has {what} (dtype {s.dtype})")
    return found


def _check_append(col, s, found) -> None:
    if found is not None and col.ft.kind == "category" and bool(found.ordered) != bool(col.ft.ordered):
        raise SchemaMismatchError(
            f"column {col.field_name!r}: the file has {'an ordered' if col.ft.ordered else 'an unordered'} "
            f"categorical, the DataFrame has dtype {s.dtype} (ordered={bool(found.ordered)})")
    if not col.ft.nullable and not _nan_is_value(col, s):
        nulls = int(s.isna().sum())
        if nulls:
            raise SchemaMismatchError(f"column {col.field_name!r}: the file has {col.ft.describe()} "
                                      f"(REQUIRED: no nulls), the DataFrame has dtype {s.dtype} with {nulls} nulls")


def _nan_is_value(col, s) -> bool:
    """A numpy or pandas Float column written to a REQUIRED float leaf: its NaN (which pandas'
    Float dtypes hold as NA) are values, stored as the float NaN, as the numpy backends read them."""
    if col.ft.kind != "float":
        return False
    dtype = s.dtype
    return (isinstance(dtype, np.dtype) and dtype.kind == "f") or isinstance(dtype, (pd.Float32Dtype, pd.Float64Dtype))


def _check_index(df: pd.DataFrame, plan) -> None:
    stored = [c for c in plan.columns if c.is_index]
    if plan.range_index is not None:
        mine = range_index_entry(df.index) if isinstance(df.index, pd.RangeIndex) else None
        name = plan.range_index.get("name")
        if mine is None or mine.get("name") != name:
            found = f"a RangeIndex named {mine.get('name')!r}" if mine else f"an index of dtype {df.index.dtype}"
            fix = (f"rename it: df.rename_axis({name!r})" if mine else
                   "a filtered or sorted frame keeps its row labels: append df.reset_index(drop=True) to continue "
                   "the file's RangeIndex; a file written with write_index=False stores no index and takes any, "
                   "one written with write_index=True stores the labels")
            raise SchemaMismatchError(f"index: the file has a RangeIndex named {name!r}, the DataFrame has {found} "
                                      f"({fix})")
        return
    if not stored:
        return
    mine = [c for c in build_plan(df.iloc[:, :0], write_index=True).columns if c.is_index]
    theirs = sorted(stored, key=lambda c: c.index_level)
    if [c.field_name for c in mine] != [c.field_name for c in theirs]:
        raise SchemaMismatchError(f"index: the file stores index levels {[c.field_name for c in theirs]}, "
                                  f"the DataFrame has {[c.field_name for c in mine]}")
    for new, old in zip(mine, theirs):
        level = df.index.get_level_values(old.index_level)
        if not old.ft.nullable and level.isna().any():
            raise SchemaMismatchError(f"index level {old.field_name!r}: the file has {old.ft.describe()} "
                                      f"(REQUIRED: no nulls), the DataFrame's index holds nulls")
        if new.ft.kind in ("null", "bytes") or new.source_dtype == object:
            continue              # object levels: checked value by value when converted
        if not compatible(old.ft, new.ft):
            raise SchemaMismatchError(f"index level {old.field_name!r}: the file has {old.ft.describe()}, "
                                      f"the DataFrame has dtype {new.source_dtype}")
