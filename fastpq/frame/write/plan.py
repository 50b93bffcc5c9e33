"""The write plan: what a DataFrame becomes in Parquet, decided once, applied per row group.

``build_plan(df, ...)`` looks at the first DataFrame and fixes, for every
stored column (data columns, then index levels stored as columns): its
Parquet field name, its ``FieldType`` (hence schema elements and leaf specs)
and its pandas metadata entry. ``check.plan_series(df_slice, plan)`` then gives
any later DataFrame's stored columns (checked against the plan: ``SchemaMismatchError``
when a column is missing, extra or of another type) and ``column_leaves`` their
``[ColumnData per leaf]``. ``WritePlan.from_parts`` rebuilds a plan from FieldTypes (how
appending to an existing file reuses this module).

Index (``write_index``): None stores a RangeIndex in the metadata only and any
other index as columns (pyarrow's behaviour); True stores every index as
columns; False drops it. Column labels of any type are stringified for the
Parquet field names (``str(label)``, tuples as ``str(tuple)``) and restored
from the metadata; duplicate labels (or field names) raise ``ValueError``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..._thrift import KeyValue, SchemaElement
from ...column.write.chunk import LeafSpec
from ...errors import ParquetError, SchemaMismatchError
from ...format.keyvalue import custom_metadata_items
from ...format.schema import Schema
from .. import pandas_meta
from .arrow_schema import arrow_schema
from .convert import field_type_of, leaf_data
from .extension_types import extension_field_type, is_extension_dtype, storage_series
from .infer import parse_object_encoding
from .objects import odd_decimal_error
from .options import column_option
from .types import FieldType, leaf_types, schema_elements, sort_order


@dataclass
class PlannedColumn:
    """One stored top-level column."""

    label: object                 # DataFrame column label, or index level name
    field_name: str
    ft: FieldType
    index_level: int | None = None   # level of the index it stores, None for data columns
    source_dtype: object = None      # the dtype seen when planning (pandas metadata, errors)
    num_categories: int | None = None  # categoricals rebuilt from a file's metadata
    leaves: list = field(default_factory=list)   # LeafSpec per leaf

    @property
    def is_index(self) -> bool:
        return self.index_level is not None


@dataclass
class WritePlan:
    """Schema, per-column types and pandas metadata of a file being written."""

    columns: list
    range_index: dict | None = None      # RangeIndex entry (metadata only), or None
    column_index: pd.Index = None        # df.columns, for the metadata's column_indexes
    attrs: dict = field(default_factory=dict)
    schema: list = field(default_factory=list)   # SchemaElements, root first

    @classmethod
    def from_parts(cls, columns: list, range_index=None, column_index=None, attrs=None) -> "WritePlan":
        plan = cls(columns, range_index, column_index if column_index is not None else pd.Index([]), attrs or {})
        plan._finish()
        return plan

    def _finish(self) -> None:
        names = [c.field_name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"Duplicate column names found: {dupes} (Parquet field names must be unique)")
        elements = [SchemaElement(name="schema", num_children=len(self.columns))]
        for col in self.columns:
            elements += schema_elements(col.field_name, col.ft)
        self.schema = elements
        leaves = Schema(elements).columns
        i = 0
        for col in self.columns:
            col.leaves = []
            for ft in leaf_types(col.ft):
                node = leaves[i]
                order, utf8 = sort_order(ft)
                col.leaves.append(LeafSpec(node.path, node.physical_type, node.type_length, node.max_def,
                                           node.max_rep, order, utf8))
                i += 1

    @property
    def data_columns(self) -> list:
        return [c for c in self.columns if not c.is_index]

    def pandas_metadata(self, num_rows: int) -> bytes:
        entries = [_pandas_entry(c) for c in self.data_columns] + \
                  [_pandas_entry(c) for c in self.columns if c.is_index]
        index_cols = [c.field_name for c in sorted((c for c in self.columns if c.is_index),
                                                    key=lambda c: c.index_level)]
        if self.range_index is not None:
            ri = dict(self.range_index)
            ri["stop"] = ri["start"] + ri["step"] * num_rows
            index_cols = [ri]
        return pandas_meta.build(entries, index_cols, self.column_index, self.attrs)

    def key_value_metadata(self, num_rows: int, custom: dict | None = None) -> list:
        kv = {"pandas": self.pandas_metadata(num_rows).decode("utf-8")}
        kv.update(custom_metadata_items(custom))     # str/bytes only; the api checks it before any write
        text = {k: v for k, v in kv.items() if isinstance(v, str)}  # flatbuffer strings are UTF-8 only
        kv["ARROW:schema"] = arrow_schema([(c.field_name, c.ft) for c in self.columns], text)
        return [KeyValue(key=k, value=v) for k, v in kv.items()]


def as_frame(df) -> pd.DataFrame:
    """``df`` itself, or an empty DataFrame from a {column: dtype} dict."""
    if isinstance(df, dict):
        return pd.DataFrame({k: pd.Series(dtype=v) for k, v in df.items()})
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, not {type(df).__name__}")
    return df


def require_frame(df, caller: str = "fastpq.write") -> None:
    """TypeError unless ``df`` is a pandas DataFrame (a dict, Series, list, array or None is not)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{caller}() writes a pandas DataFrame, not {type(df).__name__}; "
                        f"build one first (pandas.DataFrame(...), Series.to_frame())")


def column_names(df: pd.DataFrame) -> set:
    """What an option may name a stored column by: each column label and index level name,
    and their Parquet field names (``str`` of the label)."""
    labels = list(df.columns) + [name for name in df.index.names if name is not None]
    names = {_hashable(x) for x in labels}
    names.update(pandas_meta.column_name_to_string(x) for x in labels)
    return names


def build_plan(df: pd.DataFrame, write_index=None, object_encoding="infer", times="int64",
               nullable=None) -> WritePlan:
    """Decide the plan from the first DataFrame (see the module docstring)."""
    if times not in ("int64", "int96"):
        raise ValueError(f"times must be 'int64' or 'int96', not {times!r}")
    labels = list(df.columns)
    if len(set(map(_hashable, labels))) != len(labels):
        dupes = sorted({str(x) for x in labels if labels.count(x) > 1})
        raise ValueError(f"Duplicate column names found: {dupes} (Parquet field names must be unique)")
    columns = []
    for i, label in enumerate(labels):
        s = df.iloc[:, i]
        name = pandas_meta.column_name_to_string(label)
        name = "None" if name is None else name
        columns.append(_plan_column(s, label, name, None, object_encoding, times, nullable))
    range_index = None
    store_index = write_index is True or (write_index is None and not isinstance(df.index, pd.RangeIndex))
    if write_index is None and isinstance(df.index, pd.RangeIndex):
        range_index = pandas_meta.range_index_entry(df.index)
    if store_index:
        names = {c.field_name for c in columns}
        for level, idx in enumerate(index_levels(df.index)):
            name = pandas_meta.column_name_to_string(idx.name)
            if name is None or name in names:
                name = f"__index_level_{level}__"
            columns.append(_plan_column(pd.Series(idx), idx.name, name, level, object_encoding, times, nullable))
    return WritePlan.from_parts(columns, range_index, df.columns, dict(df.attrs))


def _hashable(x):
    try:
        hash(x)
        return x
    except TypeError:
        return repr(x)


def index_levels(index: pd.Index) -> list:
    """The index's levels, each as an Index."""
    if isinstance(index, pd.MultiIndex):
        return [index.get_level_values(i) for i in range(index.nlevels)]
    return [index]


def _plan_column(s, label, name, level, object_encoding, times, nullable) -> PlannedColumn:
    requested = parse_object_encoding(column_option(object_encoding, label, name, "infer"), name)
    ft = extension_field_type(s.dtype) if is_extension_dtype(s.dtype) else field_type_of(s, name, requested, times)
    forced = column_option(nullable, label, name) if isinstance(nullable, dict) else (
        True if isinstance(nullable, (list, tuple)) and (label in nullable or name in nullable) else None)
    if forced is not None:
        ft = ft.with_nullable(bool(forced))
    _check_precision(ft, name)
    return PlannedColumn(label, name, ft, level, s.dtype)


MAX_DECIMAL_PRECISION = 76    # DECIMAL256's: the widest any reader (pyarrow, duckdb, polars) accepts


def _check_precision(ft: FieldType, name) -> None:
    """Refuse a decimal leaf no reader accepts (precision beyond 76, scale beyond precision)."""
    for leaf in leaf_types(ft):
        if leaf.kind == "decimal" and not (1 <= leaf.precision <= MAX_DECIMAL_PRECISION
                                           and 0 <= leaf.scale <= leaf.precision):
            raise ValueError(f"column {name!r}: its values need DECIMAL({leaf.precision},{leaf.scale}); "
                             f"Parquet readers take precision 1 to {MAX_DECIMAL_PRECISION} and 0 <= scale "
                             f"<= precision")


def column_leaves(col: PlannedColumn, s: pd.Series) -> list:
    """[ColumnData per leaf] of one stored column, each checked against its leaf's physical
    type; a value that cannot be stored exactly raises SchemaMismatchError naming it."""
    from ...column.write.values import check_storage

    try:
        leaves = leaf_data(storage_series(s) if is_extension_dtype(s.dtype) else s, col.ft, col.field_name)
    except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
        if isinstance(exc, ParquetError):
            raise
        if isinstance(exc, ArithmeticError) and not isinstance(exc, OverflowError):   # Decimal('sNaN')
            exc = odd_decimal_error(s.to_numpy(dtype=object), col.field_name)
        raise _mismatch(col, s, str(exc)) from exc
    for spec, data in zip(col.leaves, leaves):
        check_storage(spec, data)
    return leaves


def _mismatch(col: PlannedColumn, s, detail: str = "") -> SchemaMismatchError:
    extra = f" ({detail})" if detail else ""
    return SchemaMismatchError(f"column {col.field_name!r}: the file has {col.ft.describe()}, "
                               f"the DataFrame has dtype {s.dtype}{extra}")


def _pandas_entry(col: PlannedColumn) -> dict:
    name = pandas_meta.column_name_to_string(col.label)
    pandas_type, numpy_type, meta = _pandas_types(col)
    return pandas_meta.column_entry(name, col.field_name, pandas_type, numpy_type, meta)


_LOGICAL = {"bool": "bool", "str": "unicode", "bytes": "bytes", "decimal": "decimal", "date": "date",
            "time": "time", "null": "empty", "uuid": "object", "struct": "object", "map": "object",
            "fixed_bytes": "bytes"}


def logical_name(ft: FieldType) -> str:
    """pyarrow's ``pandas_type`` for a FieldType."""
    if ft.kind in ("int", "uint", "float"):
        return f"{ft.kind}{ft.bits}"
    if ft.kind == "str" and ft.large:
        return "object"
    if ft.kind in ("timestamp", "int96"):
        return "datetimetz" if ft.tz else "datetime"
    if ft.kind == "duration":
        return "object"
    if ft.kind == "list":
        return f"list[{logical_name(ft.children[0][1])}]"
    return _LOGICAL.get(ft.kind, "object")


def _pandas_types(col: PlannedColumn):
    ft, dtype = col.ft, col.source_dtype
    if ft.kind == "category":
        count = len(dtype.categories) if isinstance(dtype, pd.CategoricalDtype) and \
            dtype.categories is not None else col.num_categories
        return "categorical", f"int{ft.bits}", {"num_categories": count, "ordered": ft.ordered}
    numpy_type = pandas_meta.numpy_type_of(dtype) if dtype is not None else "object"
    if ft.extension:
        return "object", numpy_type, None          # what pyarrow writes for extension types
    meta = None
    if ft.kind in ("timestamp", "int96") and ft.tz:
        meta = {"timezone": ft.tz}
    elif ft.kind == "decimal":
        meta = {"precision": ft.precision, "scale": ft.scale}
    return logical_name(ft), numpy_type, meta
