"""Column-chunk statistics: which fields to trust, and their values as Python objects.

Statistics values are PLAIN-encoded (byte arrays without a length prefix), and
are decoded here through the column's logical type: ints (signed or unsigned),
floats, bool, str, bytes, ``decimal.Decimal``, ``datetime.date``, ``uuid.UUID``,
and ``numpy.datetime64`` / ``numpy.timedelta64`` for timestamps and times (the
pandas layer turns those into Timestamps). Trust rules follow parquet.thrift's
ColumnOrder notes: ``min_value``/``max_value`` are preferred; the deprecated
``min``/``max`` are used only where the sort order is signed (and never for byte
arrays, whose deprecated order was signed bytes); NaN bounds are dropped; INT96
bounds are used only under INT96_TIMESTAMP_ORDER; types with an undefined order
(INTERVAL, nested) give no bounds.
"""
from __future__ import annotations

import datetime
import struct
import uuid
from decimal import Decimal

import numpy as np

from .._thrift import Type
from .schema import Logical

_UNDEFINED_ORDER = {"interval", "list", "map", "variant", "geometry", "geography", "file", "bson"}
_SIGNED_PHYSICAL = {Type.BOOLEAN, Type.INT32, Type.INT64, Type.FLOAT, Type.DOUBLE}
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_JULIAN_EPOCH = 2440588
_NS_PER_DAY = 86_400_000_000_000


def chunk_statistics(stats, leaf, column_order=None) -> dict:
    """min, max, null_count, distinct_count, nan_count and exactness of one column chunk."""
    out = {"min": None, "max": None, "null_count": None, "distinct_count": None,
           "nan_count": None, "min_exact": None, "max_exact": None}
    if stats is None:
        return out
    out["null_count"] = stats.null_count
    out["distinct_count"] = stats.distinct_count
    out["nan_count"] = stats.nan_count
    lo_raw, hi_raw = bounds_raw(stats, leaf, column_order)
    lo = decode_value(lo_raw, leaf) if lo_raw is not None else None
    hi = decode_value(hi_raw, leaf) if hi_raw is not None else None
    if _is_nan(lo) or _is_nan(hi):
        lo = hi = None
    out["min"], out["max"] = lo, hi
    if lo is not None and stats.min_value is not None:
        out["min_exact"] = stats.is_min_value_exact
    if hi is not None and stats.max_value is not None:
        out["max_exact"] = stats.is_max_value_exact
    return out


def bounds_raw(stats, leaf, column_order=None):
    """The (min, max) bytes that may be trusted for this column, or (None, None)."""
    logical: Logical = leaf.logical
    if logical.kind in _UNDEFINED_ORDER:
        return None, None
    ptype = leaf.physical_type
    if ptype == Type.INT96:
        if column_order is None or getattr(column_order, "INT96_TIMESTAMP_ORDER", None) is None:
            return None, None
    if stats.min_value is not None or stats.max_value is not None:
        return stats.min_value, stats.max_value
    signed = ptype in _SIGNED_PHYSICAL and not (logical.kind == "int" and logical.signed is False)
    if signed and logical.kind != "float16":
        return stats.min, stats.max
    return None, None


def _is_nan(v) -> bool:
    return isinstance(v, float) and v != v


def decode_value(raw: bytes, leaf):
    """One PLAIN-encoded value (no length prefix) as a Python object, or None if malformed."""
    try:
        return _decode(bytes(raw), leaf.physical_type, leaf.logical, leaf.type_length)
    except (struct.error, ValueError, OverflowError, IndexError):
        return None


def _decode(raw: bytes, ptype, logical: Logical, type_length):
    kind = logical.kind
    if ptype == Type.BOOLEAN:
        return bool(raw[0]) if len(raw) == 1 else None
    if ptype == Type.INT32 or ptype == Type.INT64:
        width = 4 if ptype == Type.INT32 else 8
        if len(raw) != width:
            return None
        signed = not (kind == "int" and logical.signed is False)
        return _logical_int(int.from_bytes(raw, "little", signed=signed), logical, width)
    if ptype == Type.INT96:
        if len(raw) != 12:
            return None
        nanos, day = struct.unpack("<qi", raw)
        return np.datetime64((day - _JULIAN_EPOCH) * _NS_PER_DAY + nanos, "ns")
    if ptype == Type.FLOAT:
        return struct.unpack("<f", raw)[0] if len(raw) == 4 else None
    if ptype == Type.DOUBLE:
        return struct.unpack("<d", raw)[0] if len(raw) == 8 else None
    if ptype == Type.FIXED_LEN_BYTE_ARRAY and type_length is not None and len(raw) != type_length:
        return None
    return _logical_bytes(raw, logical)


def _logical_int(v: int, logical: Logical, width: int):
    kind = logical.kind
    if kind == "decimal":
        return exact_decimal(v, logical.scale or 0)
    if kind == "date":
        return _date(v)
    if kind == "timestamp":
        return np.datetime64(v, logical.unit)
    if kind == "time":
        return np.timedelta64(v, logical.unit or ("ms" if width == 4 else "us"))
    return v


def exact_decimal(unscaled: int, scale: int) -> Decimal:
    """``unscaled * 10**-scale`` exactly (Decimal arithmetic would round past 28 digits)."""
    return Decimal(f"{unscaled}E{-scale}")


def _date(days: int):
    ordinal = _EPOCH_ORDINAL + days
    if 1 <= ordinal <= datetime.date.max.toordinal():
        return datetime.date.fromordinal(ordinal)
    return np.datetime64(days, "D")


def _logical_bytes(raw: bytes, logical: Logical):
    kind = logical.kind
    if kind in ("string", "enum", "json"):
        return raw.decode("utf-8", errors="replace")
    if kind == "decimal":
        return exact_decimal(int.from_bytes(raw, "big", signed=True), logical.scale or 0)
    if kind == "float16":
        return float(np.frombuffer(raw, "<f2")[0]) if len(raw) == 2 else None
    if kind == "uuid":
        return uuid.UUID(bytes=raw) if len(raw) == 16 else None
    return raw
