"""The Arrow type of each flat column: what the Parquet types give, refined by ``ARROW:schema``.

``pandas.read_parquet`` reads through pyarrow, so a column's pandas dtype
follows from its Arrow type. That type is first inferred from the Parquet
physical and logical types (``inferred_type``), then refined by the stored
Arrow schema where Parquet cannot say it (``column_type``). The refinements
pyarrow applies (measured with pyarrow 26 and checked by tests/read) are:

* timestamps adjusted to UTC get the stored time zone back (the Parquet unit
  stays: a ``timestamp[s]`` column reads as ``[ms]``, the unit it was stored in);
* INT64 without a logical type becomes ``duration[unit]``;
* BYTE_ARRAY columns stored from a dictionary type read as dictionaries
  (categoricals) with the stored index type and ordering; the values keep the
  inferred ``string``/``binary`` type;
* ``string``/``binary`` become ``large_string``/``large_binary`` or the
  ``string_view``/``binary_view`` types they were written from.

Nothing else is taken from the stored schema (no ``date64``, ``time32[s]``,
``uint32`` from a Parquet 1.0 INT64, no dictionary for non-binary values):
pyarrow does not either. Extension types other than the UUID and JSON that
Parquet itself names are not restored.
"""
from __future__ import annotations

from dataclasses import dataclass

from .._thrift import Type
from .arrow_schema import ArrowDictionary, ArrowField, ArrowSchema, ArrowType

_BINARY_LIKE = {"utf8": ("large_utf8", "utf8_view"), "binary": ("large_binary", "binary_view")}


@dataclass(frozen=True)
class ColumnType:
    """The Arrow type a flat column reads as: value type, optional dictionary, extension name."""

    type: ArrowType
    dictionary: ArrowDictionary | None = None
    extension: str | None = None    # 'arrow.uuid' / 'arrow.json': pyarrow's extension over ``type``


def inferred_type(leaf) -> ColumnType:
    """The Arrow type pyarrow gives a Parquet leaf without a stored Arrow schema."""
    ptype = leaf.physical_type
    logical = leaf.logical
    kind = logical.kind
    if kind == "decimal" and ptype in (Type.INT32, Type.INT64, Type.FIXED_LEN_BYTE_ARRAY, Type.BYTE_ARRAY):
        precision = logical.precision or 0
        return ColumnType(ArrowType("decimal", precision=precision, scale=logical.scale or 0,
                                    bit_width=128 if precision <= 38 else 256))
    if ptype == Type.BOOLEAN:
        return ColumnType(ArrowType("bool"))
    if ptype in (Type.INT32, Type.INT64):
        return ColumnType(_integer_type(ptype, logical))
    if ptype == Type.INT96:
        return ColumnType(ArrowType("timestamp", unit="ns"))
    if ptype == Type.FLOAT:
        return ColumnType(ArrowType("float", bit_width=32))
    if ptype == Type.DOUBLE:
        return ColumnType(ArrowType("float", bit_width=64))
    if ptype == Type.BYTE_ARRAY:
        if kind in ("string", "enum"):
            return ColumnType(ArrowType("utf8"))
        if kind == "json":
            return ColumnType(ArrowType("utf8"), extension="arrow.json")
        return ColumnType(ArrowType("binary"))
    if ptype == Type.FIXED_LEN_BYTE_ARRAY:
        width = leaf.type_length or 0
        if kind == "float16" and width == 2:
            return ColumnType(ArrowType("float", bit_width=16))
        if kind == "uuid" and width == 16:
            return ColumnType(ArrowType("fixed_size_binary", byte_width=16), extension="arrow.uuid")
        return ColumnType(ArrowType("fixed_size_binary", byte_width=width))
    return ColumnType(ArrowType("binary"))


def _integer_type(ptype, logical) -> ArrowType:
    kind = logical.kind
    if kind == "int" and logical.bit_width in (8, 16, 32, 64):
        return ArrowType("int", bit_width=logical.bit_width, signed=bool(logical.signed))
    if kind == "date" and ptype == Type.INT32:
        return ArrowType("date", unit="day")
    if kind == "time" and (ptype, logical.unit) in ((Type.INT32, "ms"), (Type.INT64, "us"), (Type.INT64, "ns")):
        return ArrowType("time", unit=logical.unit, bit_width=32 if ptype == Type.INT32 else 64)
    if kind == "timestamp" and logical.unit and ptype == Type.INT64:
        return ArrowType("timestamp", unit=logical.unit, timezone="UTC" if logical.utc else None)
    if kind == "null":
        return ArrowType("null")
    return ArrowType("int", bit_width=32 if ptype == Type.INT32 else 64, signed=True)


def column_type(leaf, origin: ArrowField | None) -> ColumnType:
    """The Arrow type of a flat column: ``inferred_type`` refined by its stored Arrow field."""
    inferred = inferred_type(leaf)
    if origin is None or origin.type.kind == "unknown":
        return inferred
    t = inferred.type
    o = origin.type
    if origin.dictionary is not None and leaf.physical_type == Type.BYTE_ARRAY and t.kind in _BINARY_LIKE \
            and inferred.extension is None:
        return ColumnType(t, origin.dictionary)
    if origin.dictionary is not None:
        return inferred
    if t.kind == "timestamp" and o.kind == "timestamp" and t.timezone == "UTC" and o.timezone:
        return ColumnType(ArrowType("timestamp", unit=t.unit, timezone=o.timezone))
    if o.kind == "duration" and t.kind == "int" and t.bit_width == 64 and t.signed and leaf.logical.kind is None:
        return ColumnType(ArrowType("duration", unit=o.unit))
    if t.kind in _BINARY_LIKE and o.kind in _BINARY_LIKE[t.kind] and inferred.extension is None:
        return ColumnType(o)
    return inferred


def match_fields(schema: ArrowSchema | None, names: list) -> dict:
    """{top-level Parquet field name: its stored Arrow field}, for the fields that can be paired.

    Fields pair by position when both schemas have the same number of fields
    (names must agree too), by unique name otherwise.
    """
    if schema is None:
        return {}
    if len(schema.fields) == len(names):
        return {n: f for n, f in zip(names, schema.fields) if f.name == n}
    out = {}
    for n in names:
        f = schema.field(n)
        if f is not None:
            out[n] = f
    return out
