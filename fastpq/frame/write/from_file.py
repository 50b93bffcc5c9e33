"""Rebuilding a ``WritePlan`` from an existing file: its schema plus its pandas metadata.

Appending to a file must write new row groups exactly as the first ones were
written: same Parquet schema, same per-column ``FieldType`` (hence the same
conversion of new DataFrames), same pandas metadata. ``plan_from_file`` derives
all of it from what the file stores: each top-level field's Parquet types give
the ``FieldType`` (``field_type_from_node``), the pandas metadata restores what
Parquet cannot say (categoricals, durations, pandas' seconds unit, time zones,
original labels, the index).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..._thrift import Type
from ...format.schema import Schema, SchemaNode
from .plan import PlannedColumn, WritePlan
from ..pandas_meta import ColumnInfo, PandasMetadata, RangeIndexInfo
from .types import JSON_EXTENSION, FieldType, compatible, decimal_physical
from .extension_types import extension_field_type


def _unit_of(numpy_type: str | None) -> str | None:
    if numpy_type and "[" in numpy_type:
        return numpy_type[numpy_type.index("[") + 1:].split(",")[0].rstrip("]").strip()
    return None


def field_type_from_node(node: SchemaNode, info: ColumnInfo | None = None) -> FieldType:
    """The FieldType that writes values the way ``node`` (a top-level field) stores them."""
    ft = _node_type(node, info)
    if info is not None and info.is_categorical:
        if ft.kind == "str":
            ft = FieldType("str", ft.nullable, large=True)   # pandas 3 categories are pyarrow-backed str
        ft = FieldType("category", nullable=ft.nullable, bits=_code_bits(info), ordered=bool(info.categorical_ordered),
                       children=(("values", ft.with_nullable(False)),))
    return ft


def _code_bits(info: ColumnInfo) -> int:
    unit = (info.numpy_type or "int8").replace("int", "")
    return int(unit) if unit.isdigit() else 8


def _node_type(node: SchemaNode, info) -> FieldType:
    nullable = not (node.repetition == 0)
    lg = node.logical
    if not node.is_leaf:
        return _group_type(node, nullable)
    p = node.physical_type
    numpy_type = info.numpy_type if info is not None else None
    if lg.kind == "string" or lg.kind in ("enum", "json"):
        return FieldType("str", nullable, large=numpy_type == "str", extension=JSON_EXTENSION if lg.kind == "json" else ())
    if lg.kind == "timestamp":
        unit = _unit_of(numpy_type) if numpy_type and numpy_type.startswith("datetime64") else None
        tz = (info.timezone if info is not None and info.timezone else "UTC") if lg.utc else None
        return FieldType("timestamp", nullable, unit=lg.unit, pandas_unit=unit or lg.unit, tz=tz)
    if lg.kind == "int":
        return FieldType("int" if lg.signed else "uint", nullable, bits=lg.bit_width)
    if lg.kind == "decimal":
        width = node.type_length if p == Type.FIXED_LEN_BYTE_ARRAY else None
        own = (p, width) != decimal_physical(lg.precision)            # not what fastpq would choose
        return FieldType("decimal", nullable, precision=lg.precision, scale=lg.scale,
                         physical=p if own else None, width=width if own else None)
    if lg.kind == "time":
        return FieldType("time", nullable, unit=None if lg.unit == "us" else lg.unit, tz="UTC" if lg.utc else None)
    if lg.kind in ("date", "uuid", "null"):
        return FieldType(lg.kind, nullable)
    if lg.kind == "float16":
        return FieldType("float", nullable, bits=16)
    if p == Type.INT96:
        tz = info.timezone if info is not None else None
        return FieldType("int96", nullable, unit="ns", pandas_unit=_unit_of(numpy_type) or "ns", tz=tz)
    if p == Type.INT64 and numpy_type and numpy_type.startswith("timedelta64"):
        return FieldType("duration", nullable, unit=_unit_of(numpy_type))
    simple = {Type.BOOLEAN: ("bool", 8), Type.INT32: ("int", 32), Type.INT64: ("int", 64),
              Type.FLOAT: ("float", 32), Type.DOUBLE: ("float", 64)}
    if p in simple:
        kind, bits = simple[p]
        return FieldType(kind, nullable, bits=bits)
    if p == Type.BYTE_ARRAY:
        return FieldType("bytes", nullable)
    if p == Type.FIXED_LEN_BYTE_ARRAY and (lg.kind is None or lg.kind == "interval" and node.type_length == 12):
        return FieldType("fixed_bytes", nullable, width=node.type_length, interval=lg.kind == "interval")
    raise ValueError(f"cannot append to column {'.'.join(node.path)!r}: unsupported type {node.logical or p}")


def _group_type(node: SchemaNode, nullable: bool) -> FieldType:
    if node.logical.kind == "list" and len(node.children) == 1 and node.children[0].repeated:
        inner = node.children[0]
        element = inner.children[0] if len(inner.children) == 1 else inner
        return FieldType("list", nullable, children=((element.name, _node_type(element, None)),),
                         layout=() if inner.name == "list" else (inner.name,))
    if node.logical.kind == "map" and len(node.children) == 1:
        kv = node.children[0]
        key, value = kv.children
        return FieldType("map", nullable, children=((key.name, _node_type(key, None)),
                                                    (value.name, _node_type(value, None))),
                         layout=() if kv.name == "key_value" else (kv.name,))
    return FieldType("struct", nullable, children=tuple((c.name, _node_type(c, None)) for c in node.children))


def _with_arrow_type(ft: FieldType, info, arrow) -> FieldType:
    if arrow is None or info is not None and info.numpy_type not in (None, "object"):
        return ft                                               # pandas metadata decides
    if ft.kind == "timestamp" and ft.tz == "UTC" and arrow.kind == "timestamp" and arrow.timezone:
        return replace(ft, tz=arrow.timezone)
    if (ft.kind, ft.bits) == ("int", 64) and not ft.extension and arrow.kind == "duration" and arrow.unit:
        return FieldType("duration", ft.nullable, unit=arrow.unit)
    if ft.kind == "list" and arrow.kind == "large_list":       # as the file's other row groups
        return replace(ft, large=True)
    return ft


def _interval_type(ft: FieldType, dtype: pd.IntervalDtype) -> FieldType:
    """The file's struct<left, right> as an ``interval[S, C]`` column when its bounds are S."""
    try:
        ext = extension_field_type(dtype)
    except TypeError:
        return ft
    alike = compatible(replace(ext, extension=()), ft)
    return replace(ext, nullable=ft.nullable) if alike else ft


def _period_dtype(numpy_type: str):
    try:
        return pd.PeriodDtype(numpy_type[len("period["):-1])
    except (TypeError, ValueError):
        return None


def plan_from_file(schema: Schema, meta: PandasMetadata | None, arrow_types: dict | None = None) -> WritePlan:
    """The WritePlan that appends to a file with ``schema`` and pandas metadata ``meta``;
    ``arrow_types``: ARROW:schema's top-level types, for what pandas metadata does not say
    (a UTC-adjusted timestamp's zone, an INT64 that is a duration), as readers take them."""
    by_field = meta.by_field if meta is not None else {}
    index_fields = {}
    range_index = None
    if meta is not None:
        for level, entry in enumerate(meta.index):
            if isinstance(entry, RangeIndexInfo):
                range_index = {"kind": "range", "name": entry.name, "start": entry.start,
                               "stop": entry.stop, "step": entry.step}
            else:
                index_fields[entry.field_name] = level
    columns = []
    for node in schema.fields:
        info = by_field.get(node.name)
        label = info.name if info is not None else node.name
        ft = _with_arrow_type(field_type_from_node(node, info), info, (arrow_types or {}).get(node.name))
        dtype = _dtype_of(info)
        if ft.kind == "int" and ft.bits == 64 and info is not None and (info.numpy_type or "").startswith("period["):
            dtype = _period_dtype(info.numpy_type)                 # a period[F] column (extension_types)
            ft = extension_field_type(dtype) if dtype is not None else ft
        elif ft.kind == "struct" and isinstance(dtype, pd.IntervalDtype):
            ft = _interval_type(ft, dtype)
        columns.append(PlannedColumn(label, node.name, ft, index_fields.get(node.name), dtype,
                                     num_categories=info.num_categories if info is not None else None))
    labels = [c.label for c in columns if not c.is_index]
    column_index = _column_index(labels, meta)
    plan = WritePlan.from_parts(columns, range_index, column_index, meta.attributes if meta else None)
    return plan


def _dtype_of(info: ColumnInfo | None):
    if info is None or info.dtype is None:
        return np.dtype(object) if info is not None and info.numpy_type == "object" else None
    if info.is_categorical:
        return pd.CategoricalDtype()
    try:
        return pd.api.types.pandas_dtype(info.dtype)
    except (TypeError, ValueError, NotImplementedError):   # e.g. 'decimal128(9, 2)[pyarrow]': no alias
        return None


def _column_index(labels: list, meta: PandasMetadata | None) -> pd.Index:
    names = meta.column_index_names if meta is not None else [None]
    if labels and all(isinstance(x, tuple) for x in labels) and len(names) > 1:
        return pd.MultiIndex.from_tuples(labels, names=names)
    return pd.Index(labels, name=names[0] if names else None)
