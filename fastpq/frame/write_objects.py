"""Object columns: inferring their Parquet type and turning Python values into buffers.

``infer_object_type`` looks at the values of an object column (with pandas'
C-level ``infer_dtype`` first, then the set of Python types where that says
'mixed') and returns a ``FieldType``: str, bytes, Decimal, date, time, UUID,
Python ints / floats / bools, lists (LIST), dicts (struct), lists of 2-tuples
(MAP) - or raises ``TypeError`` naming the column and the types it mixes.
``parse_object_encoding`` reads an explicit per-column request ('utf8',
'bytes', 'decimal(10,2)', 'date', 'uuid', 'map', ...).

The ``*_buffers`` functions take a 1-D object array of non-null values and
return dense buffers. They necessarily touch each Python object, and do so
through C-level loops where one exists (``str.join``, ``bytes.join``,
``np.fromiter``, numpy's date parsing).
"""
from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal

import numpy as np
import pandas as pd

from .write_types import FieldType

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
        from .write_nested import infer_nested

        return infer_nested(dense, kind, name)
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


def _looks_like_map(dense) -> bool:
    """Lists whose every item is a 2-tuple: the (key, value) shape pandas reads MAPs into."""
    seen = False
    for value in dense:
        for item in value:
            if not (isinstance(item, tuple) and len(item) == 2):
                return False
            seen = True
    return seen


# ---------------------------------------------------------------- decimals

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


def _unscaled(d: Decimal, scale: int, name) -> int:
    sign, digits, exp = d.as_tuple()
    if not isinstance(exp, int):
        raise ValueError(f"column {name!r}: cannot store {d} as a Parquet DECIMAL")
    n = int("".join(map(str, digits)) or "0")
    shift = exp + scale
    if shift >= 0:
        n *= 10 ** shift
    else:
        n, rest = divmod(n, 10 ** -shift)
        if rest:
            raise ValueError(f"column {name!r}: {d} has more than {scale} decimal places")
    return -n if sign else n


def decimal_buffers(dense, ft: FieldType, name) -> np.ndarray:
    """Unscaled values: int32 / int64 array, or (n, L) uint8 big-endian two's complement."""
    from .write_types import decimal_bytes

    if not all(isinstance(d, Decimal) for d in dense):
        dense = np.array([Decimal(str(d)) if not isinstance(d, Decimal) else d for d in dense], object)
    ints = [_unscaled(d, ft.scale, name) for d in dense]
    limit = 10 ** ft.precision
    if any(not -limit < i < limit for i in ints):
        raise ValueError(f"column {name!r}: a value does not fit DECIMAL({ft.precision},{ft.scale})")
    if ft.precision <= 9:
        return np.array(ints, np.int32)
    if ft.precision <= 18:
        return np.array(ints, np.int64)
    width = decimal_bytes(ft.precision)
    raw = b"".join(i.to_bytes(width, "big", signed=True) for i in ints)
    return np.frombuffer(raw, np.uint8).reshape(len(ints), width)


# ---------------------------------------------------------------- strings and bytes

def string_buffers(dense, name) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, UTF-8 data) of str values; all-ASCII data skips per-value encoding."""
    n = len(dense)
    try:
        joined = "".join(dense)
    except TypeError:
        raise TypeError(f"column {name!r}: expected str values, found "
                        f"{sorted({type(v).__name__ for v in dense})}") from None
    if joined.isascii():
        data = np.frombuffer(joined.encode("ascii"), np.uint8)
        lengths = np.fromiter(map(len, dense), np.int64, n)
    else:
        try:
            encoded = [s.encode("utf-8") for s in dense]
        except UnicodeEncodeError as exc:
            raise ValueError(f"column {name!r}: a string is not encodable as UTF-8 ({exc})") from None
        data = np.frombuffer(b"".join(encoded), np.uint8)
        lengths = np.fromiter(map(len, encoded), np.int64, n)
    return _offsets(lengths), data


def bytes_buffers(dense, name) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, data) of bytes-like values."""
    try:
        data = np.frombuffer(b"".join(dense), np.uint8)
    except TypeError:
        raise TypeError(f"column {name!r}: expected bytes values, found "
                        f"{sorted({type(v).__name__ for v in dense})}") from None
    lengths = np.fromiter(map(len, dense), np.int64, len(dense))
    return _offsets(lengths), data


def _offsets(lengths: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def json_buffers(dense, name):
    import json

    return string_buffers(np.array([json.dumps(v) for v in dense], object), name)


# ---------------------------------------------------------------- dates, times, UUIDs

def date_values(dense, name) -> np.ndarray:
    """Days since 1970-01-01 (int32) of datetime.date values."""
    try:
        days = np.array(list(dense), dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"column {name!r}: expected datetime.date values ({exc})") from None
    return days.astype(np.int64).astype(np.int32)


def time_values(dense, name) -> np.ndarray:
    """Microseconds since midnight (int64) of datetime.time values."""
    def micros(t):
        if not isinstance(t, datetime.time):
            raise TypeError(f"column {name!r}: expected datetime.time values, found {type(t).__name__}")
        return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
    return np.fromiter(map(micros, dense), np.int64, len(dense))


def uuid_values(dense, name) -> np.ndarray:
    """(n, 16) uint8 of uuid.UUID values (their big-endian bytes)."""
    try:
        raw = b"".join(u.bytes for u in dense)
    except AttributeError:
        raise TypeError(f"column {name!r}: expected uuid.UUID values") from None
    return np.frombuffer(raw, np.uint8).reshape(len(dense), 16)


def fixed_bytes_values(dense, width: int, name) -> np.ndarray:
    """(n, width) uint8 of bytes values that all have length ``width``."""
    try:
        raw = b"".join(bytes(v) for v in dense)
    except TypeError:
        raise TypeError(f"column {name!r}: expected bytes values") from None
    if len(raw) != width * len(dense) or any(len(v) != width for v in dense):
        raise TypeError(f"column {name!r}: values must be bytes of length {width} (FIXED_LEN_BYTE_ARRAY({width}))")
    return np.frombuffer(raw, np.uint8).reshape(len(dense), width)


def scalar_values(dense, ft: FieldType, name) -> np.ndarray:
    """Python ints / floats / bools as a numpy array of the field's dtype."""
    dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}[ft.kind]
    try:
        return np.array(list(dense), dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"column {name!r}: cannot store values as {ft.describe()} ({exc})") from None
