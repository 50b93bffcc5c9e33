"""``FieldType``: what a DataFrame column becomes in Parquet, and its schema elements.

A ``FieldType`` is decided once per column (from the first DataFrame, or from
an existing file's schema and pandas metadata when appending) and drives both
the schema (``schema_elements``) and the conversion of every later DataFrame.

Kinds and their Parquet types (LogicalTypes.md):

=========== ====================================================================
int         INT32 (8, 16, 32 bits; INTEGER(bits, true) for 8 / 16) or INT64
uint        INT32 (8, 16, 32) or INT64 (64) with INTEGER(bits, false)
float       FLOAT / DOUBLE; 16 bits: FIXED_LEN_BYTE_ARRAY(2) + FLOAT16
bool        BOOLEAN
str         BYTE_ARRAY + STRING
bytes       BYTE_ARRAY
timestamp   INT64 + TIMESTAMP(unit, isAdjustedToUTC = tz is not None); pandas
            seconds are stored as MILLIS (Parquet has no seconds)
int96       INT96 (legacy timestamps, ``times='int96'``)
duration    INT64 without annotation (as Arrow writes durations)
date        INT32 + DATE
time        TIME(unit): INT32 for MILLIS, INT64 for MICROS (the default) and NANOS;
            isAdjustedToUTC when ``tz`` is set (only when appending to such a file)
decimal     INT32 (precision <= 9), INT64 (<= 18), else FIXED_LEN_BYTE_ARRAY of
            the fewest bytes, + DECIMAL(precision, scale); when appending, the
            file's own choice (``physical``: INT32, INT64, FIXED_LEN_BYTE_ARRAY of
            ``width`` bytes, or BYTE_ARRAY)
uuid        FIXED_LEN_BYTE_ARRAY(16) + UUID
fixed_bytes FIXED_LEN_BYTE_ARRAY(width), no annotation (bytes values of that length;
            chosen only when appending to such a column: pandas has no dtype for it)
null        INT32 + UNKNOWN (every value null)
category    the type of the categories (children[0]), dictionary-encoded
list        3-level LIST: ``<name> (LIST) { repeated group list { element } }``
map         ``<name> (MAP) { repeated group key_value { required key; value } }``
struct      a group of the fields in ``children``
=========== ====================================================================
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..._thrift import (
    ConvertedType,
    DateType,
    DecimalType,
    FieldRepetitionType,
    Float16Type,
    IntType,
    JsonType,
    ListType,
    LogicalType,
    MapType,
    MicroSeconds,
    MilliSeconds,
    NanoSeconds,
    NullType,
    SchemaElement,
    StringType,
    TimestampType,
    TimeType,
    TimeUnit,
    Type,
    UUIDType,
)
from ...column.write import stats as write_stats
from ..pandas_meta import tz_to_string

OPTIONAL = FieldRepetitionType.OPTIONAL
REQUIRED = FieldRepetitionType.REQUIRED
REPEATED = FieldRepetitionType.REPEATED

NESTED = ("list", "map", "struct")


@dataclass(frozen=True)
class FieldType:
    """How one column (or nested field) is stored; see the module docstring."""

    kind: str
    nullable: bool = True
    bits: int = 64                 # int, uint, float
    unit: str | None = None        # timestamp (stored unit), duration, time (None: 'us')
    pandas_unit: str | None = None # timestamp: the pandas unit ('s' is stored as 'ms')
    tz: str | None = None          # timestamp: time zone name; timestamp, time: set => isAdjustedToUTC
    precision: int | None = None   # decimal
    scale: int | None = None       # decimal
    children: tuple = ()           # ((name, FieldType), ...) for list/map/struct/category
    ordered: bool = False          # category
    large: bool = False            # str / bytes / list: Arrow large_string, large_binary, large_list
    width: int | None = None       # fixed_bytes, decimal stored as FIXED_LEN_BYTE_ARRAY: its length
    physical: int | None = None    # decimal: the stored physical Type (None: by precision)
    extension: tuple = ()          # (name, metadata): an Arrow extension type over this storage
    index_type: tuple = ()         # category from an Arrow dictionary dtype: (bits, signed) of its indices
    interval: bool = False         # fixed_bytes(12): the file's INTERVAL annotation, kept when appending
    layout: tuple = ()             # list / map: the file's repeated group name when not 'list' / 'key_value'

    def with_nullable(self, nullable: bool) -> "FieldType":
        return replace(self, nullable=nullable)

    @property
    def values_type(self) -> "FieldType":
        """The stored type: a category's categories type, else itself."""
        return self.children[0][1] if self.kind == "category" else self

    def describe(self) -> str:
        """A short human description, for error messages."""
        if self.kind in ("int", "uint", "float"):
            return f"{self.kind}{self.bits}"
        if self.kind == "timestamp":
            return f"timestamp[{self.pandas_unit or self.unit}{', ' + self.tz if self.tz else ''}]"
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind == "time":
            return f"time[{self.unit or 'us'}]"
        if self.kind == "fixed_bytes":
            return f"fixed_len_byte_array({self.width})"
        if self.kind in NESTED or self.kind == "category":
            inner = ", ".join(f"{n}: {t.describe()}" for n, t in self.children)
            return f"{self.kind}<{inner}>"
        return self.kind


def timestamp_type(unit: str, tz, times: str) -> FieldType:
    """The FieldType of pandas / Arrow timestamps in ``unit`` with time zone ``tz`` (None:
    naive): INT96 when ``times='int96'``, else TIMESTAMP (seconds stored as MILLIS)."""
    tz = tz_to_string(tz) if tz is not None else None
    if times == "int96":
        return FieldType("int96", unit="ns", pandas_unit=unit, tz=tz)
    return FieldType("timestamp", unit="ms" if unit == "s" else unit, pandas_unit=unit, tz=tz)


def decimal_physical(precision: int, ft: "FieldType | None" = None) -> tuple[int, int | None]:
    """(physical type, type_length) storing a DECIMAL of ``precision`` digits (``ft``'s own
    ``physical`` and ``width`` when it has them)."""
    if ft is not None and ft.physical is not None:
        return ft.physical, ft.width if ft.physical == Type.FIXED_LEN_BYTE_ARRAY else None
    if precision <= 9:
        return Type.INT32, None
    if precision <= 18:
        return Type.INT64, None
    return Type.FIXED_LEN_BYTE_ARRAY, decimal_bytes(precision)


def decimal_bytes(precision: int) -> int:
    """Fewest bytes of a two's complement integer holding ``precision`` decimal digits."""
    n = 1
    while 2 ** (8 * n - 1) - 1 < 10 ** precision - 1:
        n += 1
    return n


_UNIT = {"ms": lambda: TimeUnit(MILLIS=MilliSeconds()), "us": lambda: TimeUnit(MICROS=MicroSeconds()),
         "ns": lambda: TimeUnit(NANOS=NanoSeconds())}
_INT_CONVERTED = {(8, True): ConvertedType.INT_8, (16, True): ConvertedType.INT_16,
                  (32, True): ConvertedType.INT_32, (64, True): ConvertedType.INT_64,
                  (8, False): ConvertedType.UINT_8, (16, False): ConvertedType.UINT_16,
                  (32, False): ConvertedType.UINT_32, (64, False): ConvertedType.UINT_64}


JSON_EXTENSION = ("arrow.json", "")   # a str leaf annotated JSON (Arrow's arrow.json extension over utf8)


def _leaf(name, rep, ptype, **kw) -> SchemaElement:
    return SchemaElement(name=name, repetition_type=rep, type=ptype, **kw)


def _leaf_element(name: str, ft: FieldType, rep: int) -> SchemaElement:
    k = ft.kind
    if k == "int":
        if ft.bits in (8, 16):
            return _leaf(name, rep, Type.INT32, logicalType=LogicalType(INTEGER=IntType(bitWidth=ft.bits, isSigned=True)),
                         converted_type=_INT_CONVERTED[(ft.bits, True)])
        return _leaf(name, rep, Type.INT32 if ft.bits == 32 else Type.INT64)
    if k == "uint":
        return _leaf(name, rep, Type.INT64 if ft.bits == 64 else Type.INT32,
                     logicalType=LogicalType(INTEGER=IntType(bitWidth=ft.bits, isSigned=False)),
                     converted_type=_INT_CONVERTED[(ft.bits, False)])
    if k == "float":
        if ft.bits == 16:
            return _leaf(name, rep, Type.FIXED_LEN_BYTE_ARRAY, type_length=2, logicalType=LogicalType(FLOAT16=Float16Type()))
        return _leaf(name, rep, Type.FLOAT if ft.bits == 32 else Type.DOUBLE)
    if k == "bool":
        return _leaf(name, rep, Type.BOOLEAN)
    if k == "str" and ft.extension == JSON_EXTENSION:
        return _leaf(name, rep, Type.BYTE_ARRAY, logicalType=LogicalType(JSON=JsonType()),
                     converted_type=ConvertedType.JSON)
    if k == "str":
        return _leaf(name, rep, Type.BYTE_ARRAY, logicalType=LogicalType(STRING=StringType()),
                     converted_type=ConvertedType.UTF8)
    if k == "bytes":
        return _leaf(name, rep, Type.BYTE_ARRAY)
    if k == "timestamp":
        conv = {"ms": ConvertedType.TIMESTAMP_MILLIS, "us": ConvertedType.TIMESTAMP_MICROS}.get(ft.unit) if ft.tz else None
        return _leaf(name, rep, Type.INT64, converted_type=conv, logicalType=LogicalType(
            TIMESTAMP=TimestampType(isAdjustedToUTC=ft.tz is not None, unit=_UNIT[ft.unit]())))
    if k == "int96":
        return _leaf(name, rep, Type.INT96)
    if k == "duration":
        return _leaf(name, rep, Type.INT64)
    if k == "date":
        return _leaf(name, rep, Type.INT32, logicalType=LogicalType(DATE=DateType()), converted_type=ConvertedType.DATE)
    if k == "time":
        return _time_element(name, ft, rep)
    if k == "decimal":
        ptype, length = decimal_physical(ft.precision, ft)
        return _leaf(name, rep, ptype, type_length=length, converted_type=ConvertedType.DECIMAL,
                     precision=ft.precision, scale=ft.scale,
                     logicalType=LogicalType(DECIMAL=DecimalType(precision=ft.precision, scale=ft.scale)))
    if k == "uuid":
        return _leaf(name, rep, Type.FIXED_LEN_BYTE_ARRAY, type_length=16, logicalType=LogicalType(UUID=UUIDType()))
    if k == "fixed_bytes":
        return _leaf(name, rep, Type.FIXED_LEN_BYTE_ARRAY, type_length=ft.width,
                     converted_type=ConvertedType.INTERVAL if ft.interval else None)
    if k == "null":
        return _leaf(name, rep, Type.INT32, logicalType=LogicalType(UNKNOWN=NullType()))
    raise ValueError(f"no Parquet type for {ft.kind!r}")


def _time_element(name: str, ft: FieldType, rep: int) -> SchemaElement:
    unit = ft.unit or "us"
    # TIME_MICROS as fastpq always wrote it; TIME_MILLIS (the legacy annotation) only where it
    # says the same as the logical type, as pyarrow does; NANOS has none
    conv = {"us": ConvertedType.TIME_MICROS, "ms": ConvertedType.TIME_MILLIS if ft.tz else None}.get(unit)
    return _leaf(name, rep, Type.INT32 if unit == "ms" else Type.INT64, converted_type=conv, logicalType=LogicalType(
        TIME=TimeType(isAdjustedToUTC=ft.tz is not None, unit=_UNIT[unit]())))


def schema_elements(name: str, ft: FieldType) -> list:
    """The depth-first SchemaElements of one field."""
    rep = OPTIONAL if ft.nullable else REQUIRED
    if ft.kind == "category":
        return schema_elements(name, ft.children[0][1].with_nullable(ft.nullable))
    if ft.kind == "list":
        (element_name, element), = ft.children        # 'element', or the file's own name ('item', 'array')
        inner = SchemaElement(name=ft.layout[0] if ft.layout else "list", repetition_type=REPEATED, num_children=1)
        return [SchemaElement(name=name, repetition_type=rep, num_children=1, converted_type=ConvertedType.LIST,
                              logicalType=LogicalType(LIST=ListType())), inner] + schema_elements(element_name, element)
    if ft.kind == "map":
        (key_name, key), (value_name, value) = ft.children
        head = SchemaElement(name=name, repetition_type=rep, num_children=1, converted_type=ConvertedType.MAP,
                             logicalType=LogicalType(MAP=MapType()))
        kv = SchemaElement(name=ft.layout[0] if ft.layout else "key_value", repetition_type=REPEATED, num_children=2)
        return [head, kv] + schema_elements(key_name, key.with_nullable(False)) + schema_elements(value_name, value)
    if ft.kind == "struct":
        out = [SchemaElement(name=name, repetition_type=rep, num_children=len(ft.children))]
        for child_name, child in ft.children:
            out += schema_elements(child_name, child)
        return out
    return [_leaf_element(name, ft, rep)]


def leaf_types(ft: FieldType) -> list:
    """The leaf FieldTypes of a field, in schema (column) order."""
    if ft.kind == "category":
        return [ft]
    if ft.kind in NESTED:
        out = []
        for _, child in ft.children:
            out += leaf_types(child)
        return out
    return [ft]


def sort_order(ft: FieldType) -> tuple[str, bool]:
    """(write_stats sort order, byte arrays are UTF-8) of a leaf."""
    ft = ft.values_type
    k = ft.kind
    if k == "float":
        return write_stats.FLOAT, False
    if k == "bool":
        return write_stats.BOOL, False
    if k in ("str", "bytes"):
        return write_stats.BYTES, k == "str"
    if k in ("uuid", "fixed_bytes"):
        return write_stats.FIXED, False
    if k == "decimal":
        ptype, _ = decimal_physical(ft.precision, ft)
        # BYTE_ARRAY decimals order as signed integers of any length: no bounds rather than wrong ones
        order = {Type.INT32: write_stats.NUMERIC, Type.INT64: write_stats.NUMERIC,
                 Type.FIXED_LEN_BYTE_ARRAY: write_stats.SIGNED_FIXED}.get(ptype, write_stats.NONE)
        return order, False
    if k in ("int96", "null") or k in NESTED:
        return write_stats.NONE, False
    return write_stats.NUMERIC, False


def compatible(planned: FieldType, found: FieldType, nested: bool = False) -> bool:
    """A typed column whose dtype gives ``found`` may be written as ``planned``: the same type
    up to nullability, a categorical's code width, Arrow's string / binary width and the
    file's choice of decimal storage; a categorical as a plain column of its categories'
    type and back (Parquet dictionary-encodes per column chunk); a float column as an
    OPTIONAL integer one (pandas' default reading of it: NaN is null, the rest must be
    whole); inside nested types, timestamps up to the time zone's name and pandas' unit
    (Parquet keeps only the stored unit and UTC adjustment there), times up to UTC
    adjustment. The values are still converted exactly (``write_exact``)."""
    if found.kind == "category" and found.values_type.kind == "null":
        return True                    # no categories (pandas' empty or all-NaN categorical): only nulls
    if planned.kind == "category" or found.kind == "category":   # one logical column, encoded either way
        return compatible(planned.values_type, found.values_type, nested)
    if planned.kind in ("int", "uint") and planned.nullable and found.kind == "float" and not nested:
        return True                    # pandas' float64 + NaN for an optional integer column
    if planned.kind == found.kind == "str" and JSON_EXTENSION in (planned.extension, found.extension) and \
            {planned.extension, found.extension} <= {JSON_EXTENSION, ()}:
        return True                    # JSON is text: str values append to a JSON column and back
    if planned.kind == "time" and found.kind == "duration" and not nested:
        return True                    # pandas' timedelta64 for TIME(NANOS); each value checked as a time of day
    if planned.kind != found.kind or planned.extension != found.extension:  # period[D] is not period[M]
        return False
    if planned.kind in ("str", "bytes"):
        return True
    if planned.kind == "decimal":
        return (planned.precision, planned.scale) == (found.precision, found.scale)
    if planned.kind == "time":
        return (planned.unit or "us") == (found.unit or "us")
    if planned.kind in NESTED:
        return len(planned.children) == len(found.children) and all(
            (planned.kind != "struct" or p_name == f_name) and compatible(p, f, True)
            for (p_name, p), (f_name, f) in zip(planned.children, found.children))
    if planned.kind == "int96":                # always nanoseconds: pandas' unit is the reader's choice
        return planned.tz == found.tz
    if nested and planned.kind == "timestamp":
        return (planned.unit, planned.tz is None) == (found.unit, found.tz is None)
    return replace(planned, nullable=True, interval=False) == replace(found, nullable=True, interval=False)
