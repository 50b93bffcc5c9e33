"""Object columns: which ``FieldType`` their Python values become, recursively.

``object_field_type`` looks at the values of an object column: datetimes and
timedeltas by their pandas index, everything else through ``infer_object_type``,
which asks pandas' C-level ``infer_dtype`` first, then the set of Python types
where that says 'mixed', and returns str, bytes, Decimal, date, time, UUID,
Python ints / floats / bools, or a nested type - or raises ``TypeError`` naming
the column and the types it mixes. Nested types recurse over the values below:

* lists (LIST): the element type is inferred from all items of all lists;
* lists of (key, value) 2-tuples (MAP, the shape pandas reads MAPs into): the
  key and value types from the pairs (``is_pair`` is the one test of an entry);
* dicts (struct): the fields are the union of the dicts' keys (first-seen
  order), each inferred from its values.

``parse_object_encoding`` reads an explicit per-column request ('utf8',
'bytes', 'decimal(10,2)', 'date', 'uuid', 'map', ...), which replaces the
inferred kind of the column's top level.
"""
from __future__ import annotations

import re
import uuid
from itertools import chain

import numpy as np
import pandas as pd

from .types import FieldType, timestamp_type

_SIMPLE = {"string": "str", "bytes": "bytes", "date": "date", "time": "time", "empty": "null",
           "integer": "int", "floating": "float", "mixed-integer-float": "float", "boolean": "bool"}
_EXPLICIT = {"utf8": "str", "str": "str", "string": "str", "unicode": "str", "bytes": "bytes",
             "binary": "bytes", "date": "date", "time": "time", "uuid": "uuid", "int": "int",
             "int64": "int", "float": "float", "float64": "float", "bool": "bool", "null": "null",
             "list": "list", "struct": "struct", "map": "map", "decimal": "decimal", "json": "json"}
_DECIMAL_RE = re.compile(r"^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$", re.I)


def parse_object_encoding(spec, name) -> str | tuple | None:
    """'infer' -> None; 'decimal(p,s)' -> ('decimal', p, s); a known name -> its kind."""
    if spec is None or spec == "infer":
        return None
    text = str(spec).strip().lower()
    m = _DECIMAL_RE.match(text)
    if m:
        return ("decimal", int(m.group(1)), int(m.group(2)))
    if text not in _EXPLICIT:
        raise ValueError(f"column {name!r}: unknown object_encoding {spec!r}; expected one of "
                         f"{sorted(_EXPLICIT)} or 'decimal(precision,scale)'")
    return _EXPLICIT[text]


def non_null(values: np.ndarray) -> np.ndarray:
    """The non-null entries of an object array (None, NaN, NaT and pd.NA are null)."""
    return values[~pd.isna(values)]


def object_field_type(values: np.ndarray, name, requested=None, times: str = "int64") -> FieldType:
    """The FieldType of a top-level object column: datetime-likes as timestamps (``times``
    says which), timedelta-likes as durations, anything else by ``infer_object_type``."""
    dense = non_null(values)
    if requested is None and len(dense):
        kind = pd.api.types.infer_dtype(dense, skipna=True)
        if kind in ("datetime", "datetime64"):
            idx = pd.DatetimeIndex(dense)
            return timestamp_type(idx.unit, idx.tz, times)
        if kind in ("timedelta", "timedelta64"):
            return FieldType("duration", unit=pd.TimedeltaIndex(dense).unit)
    return infer_object_type(values, name, requested)


def infer_object_type(values: np.ndarray, name, requested=None) -> FieldType:
    """The FieldType of an object array's values (see the module docstring)."""
    dense = non_null(values)
    kind = requested if requested is not None else _infer_kind(dense, name)
    if isinstance(kind, tuple):                     # ('decimal', p, s)
        return FieldType("decimal", precision=kind[1], scale=kind[2])
    if kind == "decimal":
        precision, scale = infer_decimal(dense, name)
        return FieldType("decimal", precision=precision, scale=scale)
    if kind in ("list", "map", "struct"):
        return _infer_nested(dense, kind, name)
    if kind == "int":
        return FieldType("int", bits=64)
    if kind == "float":
        return FieldType("float", bits=64)
    if kind == "json":
        return FieldType("str")
    return FieldType(kind)


def _infer_kind(dense: np.ndarray, name):
    kind = pd.api.types.infer_dtype(dense, skipna=True)
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "decimal":
        return "decimal"
    types = {type(v) for v in dense}
    if types <= {uuid.UUID} or all(issubclass(t, uuid.UUID) for t in types):
        return "uuid"
    if all(issubclass(t, dict) for t in types):
        return "struct"
    if all(issubclass(t, (list, tuple, np.ndarray)) for t in types):
        return "map" if _looks_like_map(dense) else "list"
    if all(issubclass(t, (bytes, bytearray, memoryview)) for t in types):
        return "bytes"
    names = ", ".join(sorted(t.__name__ for t in types))
    raise TypeError(f"column {name!r}: cannot write an object column mixing {names}; "
                    f"convert it or pass object_encoding={{{name!r}: ...}}")


def is_pair(item) -> bool:
    """A map entry as pandas holds it: a (key, value) 2-tuple."""
    return isinstance(item, tuple) and len(item) == 2


def _looks_like_map(dense) -> bool:
    """Lists whose every item is a pair (and at least one item)."""
    seen = False
    for value in dense:
        for item in value:
            if not is_pair(item):
                return False
            seen = True
    return seen


def infer_decimal(dense, name) -> tuple[int, int]:
    """(precision, scale) that hold every Decimal exactly."""
    scale = 0
    int_digits = 1
    for d in dense:
        sign, digits, exp = d.as_tuple()
        if not isinstance(exp, int):
            raise ValueError(f"column {name!r}: cannot store {d} as a Parquet DECIMAL")
        scale = max(scale, -exp)
        int_digits = max(int_digits, len(digits) + exp)
    return max(int_digits + scale, 1), scale


def _infer_nested(dense: np.ndarray, kind: str, name) -> FieldType:
    if kind == "list":
        element = _array_element_type(dense)
        if element is not None:
            return FieldType("list", children=(("element", element),))
        items = object_array(list(chain.from_iterable(dense)))
        return FieldType("list", children=(("element", infer_object_type(items, f"{name}.element")),))
    if kind == "map":
        pairs = list(chain.from_iterable(entries(v) for v in dense))
        keys = object_array([k for k, _ in pairs])
        values = object_array([v for _, v in pairs])
        key = infer_object_type(keys, f"{name}.key").with_nullable(False)
        return FieldType("map", children=(("key", key), ("value", infer_object_type(values, f"{name}.value"))))
    return _infer_struct(dense, name)


def _array_element_type(dense: np.ndarray) -> FieldType | None:
    """The element type of lists that are all numpy arrays of one numeric / bool dtype (as fastpq
    and pyarrow read list columns): that dtype, not one inferred from the values (int16 stays int16)."""
    if not len(dense) or not all(isinstance(v, np.ndarray) and v.ndim == 1 for v in dense):
        return None
    dtypes = {v.dtype for v in dense}
    if len(dtypes) != 1:
        return None
    dtype = dtypes.pop()
    kind = {"i": "int", "u": "uint", "f": "float", "b": "bool"}.get(dtype.kind)
    return None if kind is None else FieldType(kind, bits=8 if kind == "bool" else dtype.itemsize * 8)


def _infer_struct(dense: np.ndarray, name) -> FieldType:
    fields = {}
    for d in dense:
        for key in d:
            fields.setdefault(key, None)
    children = []
    for key in fields:
        if not isinstance(key, str):
            raise TypeError(f"column {name!r}: struct field names must be str, found {key!r}")
        values = object_array([d.get(key) for d in dense])
        children.append((key, infer_object_type(values, f"{name}.{key}")))
    if not children:
        raise TypeError(f"column {name!r}: cannot write a struct column without fields (empty dicts)")
    return FieldType("struct", children=tuple(children))


def entries(value):
    """A map value's entries: a dict's items, or the value itself (a list of pairs)."""
    return value.items() if isinstance(value, dict) else value


def object_array(items: list) -> np.ndarray:
    """A 1-D object array of ``items`` (never a 2-D array of equal-length sequences)."""
    out = np.empty(len(items), object)
    out[:] = items
    return out
