"""The ``ARROW:schema`` key: a strict, bounds-checked reader of an Arrow IPC Schema message.

pyarrow, polars and fastpq store the Arrow schema of the written table in the
file's key-value metadata: base64 of an *encapsulated IPC message* (Arrow
Columnar Format, "Encapsulated message format"): the continuation marker
``0xFFFFFFFF``, a little-endian int32 length, then that many bytes holding a
flatbuffer ``Message`` (Message.fbs) whose header is a ``Schema`` (Schema.fbs).
Writers before Arrow 0.15 omitted the marker (length first); both are read.

Flatbuffers in brief (what this reader relies on): a buffer starts with a
uint32 offset to the root table; a table starts with an int32 ``soffset`` and
its vtable lies at ``table - soffset``; a vtable is uint16 ``vtable size``,
uint16 ``table size``, then one uint16 offset per field (0 = absent, the
default applies); references (tables, strings, vectors) hold a uint32 offset
relative to where it is stored; a string or vector is a uint32 count followed
by its bytes or elements; a union takes two field slots, its uint8 type and
the reference to its table.

Everything read is checked against the buffer (and each field against its
table's size) before use. References are unsigned, so every referenced object
lies after the reference: no cycles. Nesting depth and the total number of
fields are capped so that shared sub-tables (a DAG) cannot blow up. Any violation raises
``ArrowSchemaError``; callers treat the key as absent (with an
``ArrowSchemaWarning``, fastpq.format.keyvalue).
Only the facts a Parquet reader needs are kept: names, types with their
parameters, dictionary encoding, children and custom metadata.
"""
from __future__ import annotations

import base64
import binascii
import functools
import struct
from dataclasses import dataclass, field

from ..errors import CorruptFileError

MAX_DEPTH = 64
# A field (and a custom_metadata entry) takes at least this many bytes of the message: its
# table, a type reference, its vector slot (pyarrow writes 40-50). More fields than the bytes
# allow means sub-tables shared by several references (a DAG): refused, so the work is linear
# in the stored bytes, for a genuine schema of any width (300,000 columns: ~12 MB).
BYTES_PER_FIELD = 16


class ArrowSchemaError(CorruptFileError):
    """The ``ARROW:schema`` value is not a well-formed Arrow IPC Schema message."""


# Schema.fbs: the Type union, in declaration order (0 is NONE)
TYPE_KINDS = (None, "null", "int", "float", "binary", "utf8", "bool", "decimal", "date", "time", "timestamp",
              "interval", "list", "struct", "union", "fixed_size_binary", "fixed_size_list", "map", "duration",
              "large_binary", "large_utf8", "large_list", "run_end_encoded", "binary_view", "utf8_view",
              "list_view", "large_list_view")
TIME_UNITS = ("s", "ms", "us", "ns")            # TimeUnit: SECOND, MILLISECOND, MICROSECOND, NANOSECOND
DATE_UNITS = ("day", "ms")                      # DateUnit: DAY, MILLISECOND
INTERVAL_UNITS = ("year_month", "day_time", "month_day_nano")
FLOAT_BITS = (16, 32, 64)                       # Precision: HALF, SINGLE, DOUBLE
MESSAGE_HEADER_SCHEMA = 1                       # Message.fbs MessageHeader union: Schema = 1


@dataclass(frozen=True)
class ArrowType:
    """One Arrow data type (without children): ``kind`` plus the parameters of that kind."""

    kind: str                       # a TYPE_KINDS name, or "unknown" for a type id from the future
    bit_width: int | None = None    # int, float, decimal, time
    signed: bool | None = None      # int
    precision: int | None = None    # decimal
    scale: int | None = None        # decimal
    unit: str | None = None         # time, timestamp, duration (s/ms/us/ns); date (day/ms); interval
    timezone: str | None = None     # timestamp ("" or None: naive)
    byte_width: int | None = None   # fixed_size_binary
    list_size: int | None = None    # fixed_size_list

    def __str__(self) -> str:
        k = self.kind
        if k == "int":
            return f"{'' if self.signed else 'u'}int{self.bit_width}"
        if k == "float":
            return {16: "halffloat", 32: "float", 64: "double"}.get(self.bit_width, "float?")
        if k == "timestamp":
            return f"timestamp[{self.unit}{', tz=' + self.timezone if self.timezone else ''}]"
        if k in ("time", "duration", "date", "interval"):
            return f"{k}[{self.unit}]"
        if k == "decimal":
            return f"decimal{self.bit_width}({self.precision}, {self.scale})"
        if k == "fixed_size_binary":
            return f"fixed_size_binary[{self.byte_width}]"
        return k


@dataclass(frozen=True)
class ArrowDictionary:
    """DictionaryEncoding: the index type and whether the dictionary's order is meaningful."""

    id: int
    index_bit_width: int
    index_signed: bool
    ordered: bool


@dataclass
class ArrowField:
    name: str | None
    nullable: bool
    type: ArrowType                 # for a dictionary-encoded field: the type of the dictionary values
    dictionary: ArrowDictionary | None = None
    children: list = field(default_factory=list)
    metadata: dict = field(default_factory=dict)


@dataclass
class ArrowSchema:
    fields: list
    metadata: dict
    big_endian: bool = False

    def field(self, name: str) -> ArrowField | None:
        found = [f for f in self.fields if f.name == name]
        return found[0] if len(found) == 1 else None


# ---------------------------------------------------------------------------- entry points
@functools.lru_cache(maxsize=64)
def parse_arrow_schema(value) -> ArrowSchema:
    """An ``ArrowSchema`` from the ``ARROW:schema`` value (base64 text or bytes).

    Cached by value: the files of a dataset usually share one schema. The
    result is shared, so treat it as read-only.
    """
    if isinstance(value, str):
        value = value.encode("ascii", "replace")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ArrowSchemaError(f"ARROW:schema is not valid base64: {exc}") from None
    return parse_ipc_schema(raw)


def parse_ipc_schema(raw: bytes) -> ArrowSchema:
    """An ``ArrowSchema`` from the bytes of an encapsulated IPC Schema message."""
    if len(raw) < 8:
        raise ArrowSchemaError(f"ARROW:schema holds {len(raw)} bytes, too few for an IPC message")
    start = 8 if raw[:4] == b"\xff\xff\xff\xff" else 4   # without the marker: a pre-0.15 writer
    length = struct.unpack_from("<i", raw, start - 4)[0]
    if length <= 0 or length > len(raw) - start:
        raise ArrowSchemaError(f"IPC message length {length} does not fit the {len(raw) - start} bytes that follow")
    reader = _Reader(raw[start:start + length])
    message = reader.root()
    header_type = message.scalar(1, "B", 0)
    if header_type != MESSAGE_HEADER_SCHEMA:
        raise ArrowSchemaError(f"IPC message header is of type {header_type}, expected a Schema (1)")
    schema = message.table(2)
    if schema is None:
        raise ArrowSchemaError("IPC Schema message has no schema table")
    return _schema(reader, schema)


# ---------------------------------------------------------------------------- flatbuffer access
_STRUCTS = {fmt: struct.Struct("<" + fmt) for fmt in "BhHiIq"}
_READS = {fmt: (s.size, s.unpack_from) for fmt, s in _STRUCTS.items()}
_VT_HEAD = struct.Struct("<HH").unpack_from   # a vtable's size and its table's size


class _Reader:
    """Bounds-checked reads from one flatbuffer."""

    def __init__(self, buf: bytes):
        self.buf = buf
        self.size = len(buf)
        self.fields_seen = 0   # fields and custom_metadata entries (key-value tables)
        self.max_fields = 16 + len(buf) // BYTES_PER_FIELD

    def read(self, fmt: str, pos: int):
        size, unpack = _READS[fmt]
        if pos < 0 or pos + size > self.size:
            raise ArrowSchemaError(f"flatbuffer read of {size} bytes at {pos} is outside its {self.size} bytes")
        return unpack(self.buf, pos)[0]

    def root(self) -> "_Table":
        return self.table_at(self.read("I", 0))

    def table_at(self, pos: int) -> "_Table":
        vtable = pos - self.read("i", pos)
        if vtable < 0 or vtable + 4 > self.size:
            raise ArrowSchemaError(f"flatbuffer vtable at {vtable} is outside its {self.size} bytes")
        vt_size, obj_size = _VT_HEAD(self.buf, vtable)
        if vt_size < 4 or vt_size % 2 or obj_size < 4:
            raise ArrowSchemaError(f"flatbuffer vtable at {vtable} is malformed (sizes {vt_size}, {obj_size})")
        if vtable + vt_size > self.size or pos + obj_size > self.size:
            raise ArrowSchemaError(f"flatbuffer table at {pos} runs past the buffer")
        slots = struct.unpack_from(f"<{(vt_size - 4) // 2}H", self.buf, vtable + 4)  # inside the checked vtable
        return _Table(self, pos, slots, obj_size)

    def reference(self, pos: int) -> int:
        """The target of the uint32 offset stored at ``pos``."""
        return pos + self.read("I", pos)

    def string_at(self, pos: int) -> str:
        n = self.read("I", pos)
        if pos + 4 + n > self.size:
            raise ArrowSchemaError(f"flatbuffer string at {pos} of {n} bytes runs past the buffer")
        try:
            return self.buf[pos + 4:pos + 4 + n].decode("utf-8")
        except UnicodeDecodeError:
            raise ArrowSchemaError(f"flatbuffer string at {pos} is not UTF-8") from None

    def vector_at(self, pos: int, elem_size: int) -> tuple:
        """(first element position, count) of the vector at ``pos``."""
        n = self.read("I", pos)
        if pos + 4 + n * elem_size > self.size:
            raise ArrowSchemaError(f"flatbuffer vector at {pos} of {n} elements runs past the buffer")
        return pos + 4, n


class _Table:
    __slots__ = ("r", "pos", "slots", "obj_size")

    def __init__(self, reader: _Reader, pos: int, slots: tuple, obj_size: int):
        self.r = reader
        self.pos = pos
        self.slots = slots  # the vtable's field offsets (0: absent)
        self.obj_size = obj_size

    def _where(self, slot: int, size: int) -> int | None:
        off = self.slots[slot] if slot < len(self.slots) else 0
        if off == 0:
            return None
        if off < 4 or off + size > self.obj_size:
            raise ArrowSchemaError(f"flatbuffer field {slot} of the table at {self.pos} lies outside the table")
        return self.pos + off

    def scalar(self, slot: int, fmt: str, default):
        at = self._where(slot, _STRUCTS[fmt].size)
        return default if at is None else self.r.read(fmt, at)

    def table(self, slot: int) -> "_Table | None":
        at = self._where(slot, 4)
        return None if at is None else self.r.table_at(self.r.reference(at))

    def string(self, slot: int) -> str | None:
        at = self._where(slot, 4)
        return None if at is None else self.r.string_at(self.r.reference(at))

    def tables(self, slot: int) -> list:
        at = self._where(slot, 4)
        if at is None:
            return []
        r = self.r
        first, n = r.vector_at(r.reference(at), 4)   # checked: its n references lie in the buffer
        table_at = r.table_at
        return [table_at(first + 4 * i + ref)
                for i, ref in enumerate(struct.unpack_from(f"<{n}I", r.buf, first))]


# ---------------------------------------------------------------------------- Schema.fbs tables
def _schema(r: _Reader, t: _Table) -> ArrowSchema:
    # Schema: endianness (short), fields ([Field]), custom_metadata ([KeyValue]), features ([long])
    big_endian = t.scalar(0, "h", 0) == 1
    fields = [_field(r, f, 1) for f in t.tables(1)]
    return ArrowSchema(fields, _key_values(t, 2), big_endian)


def _field(r: _Reader, t: _Table, depth: int) -> ArrowField:
    # Field: name, nullable, type_type (uint8), type (table), dictionary, children, custom_metadata
    r.fields_seen += 1
    if depth > MAX_DEPTH or r.fields_seen > r.max_fields:
        raise ArrowSchemaError(f"Arrow schema nests deeper than {MAX_DEPTH} or holds more than {r.max_fields} fields "
                               f"(and metadata entries) for its {r.size} bytes")
    type_id = t.scalar(2, "B", 0)
    arrow_type = _type(type_id, t.table(3))
    dictionary = _dictionary(t.table(4))
    children = [_field(r, c, depth + 1) for c in t.tables(5)]
    return ArrowField(t.string(0), bool(t.scalar(1, "B", 0)), arrow_type, dictionary, children, _key_values(t, 6))


def _key_values(t: _Table, slot: int) -> dict:
    out = {}
    tables = t.tables(slot)
    r = t.r
    r.fields_seen += len(tables)   # a shared metadata vector counts at each use, as shared fields do
    if r.fields_seen > r.max_fields:
        raise ArrowSchemaError(f"Arrow schema holds more than {r.max_fields} fields (and metadata entries) "
                               f"for its {r.size} bytes")
    for kv in tables:
        key = kv.string(0)
        if key is not None:
            out[key] = kv.string(1)
    return out


def _dictionary(t: _Table | None) -> ArrowDictionary | None:
    # DictionaryEncoding: id (long), indexType (Int; absent = int32), isOrdered (bool), dictionaryKind (short)
    if t is None:
        return None
    index = t.table(1)
    bits, signed = (32, True) if index is None else (index.scalar(0, "i", 0), bool(index.scalar(1, "B", 0)))
    if bits not in (8, 16, 32, 64):
        raise ArrowSchemaError(f"dictionary index type has bit width {bits}")
    return ArrowDictionary(t.scalar(0, "q", 0), bits, signed, bool(t.scalar(2, "B", 0)))


def _enum(values: tuple, index: int, what: str):
    if not 0 <= index < len(values):
        raise ArrowSchemaError(f"{what} {index} is not one Schema.fbs defines")
    return values[index]


def _type(type_id: int, t: _Table | None) -> ArrowType:
    if type_id == 0:
        raise ArrowSchemaError("Arrow field has no type")
    if type_id >= len(TYPE_KINDS):
        return ArrowType("unknown")
    kind = TYPE_KINDS[type_id]
    if t is None:
        raise ArrowSchemaError(f"Arrow field of type {kind} lacks its type table")
    if kind == "int":
        bits = t.scalar(0, "i", 0)
        if bits not in (8, 16, 32, 64):
            raise ArrowSchemaError(f"Arrow Int type has bit width {bits}")
        return ArrowType(kind, bit_width=bits, signed=bool(t.scalar(1, "B", 0)))
    if kind == "float":
        return ArrowType(kind, bit_width=_enum(FLOAT_BITS, t.scalar(0, "h", 0), "float precision"))
    if kind == "decimal":
        return ArrowType(kind, precision=t.scalar(0, "i", 0), scale=t.scalar(1, "i", 0), bit_width=t.scalar(2, "i", 128))
    if kind == "date":
        return ArrowType(kind, unit=_enum(DATE_UNITS, t.scalar(0, "h", 1), "date unit"))
    if kind == "time":
        return ArrowType(kind, unit=_enum(TIME_UNITS, t.scalar(0, "h", 1), "time unit"), bit_width=t.scalar(1, "i", 32))
    if kind == "timestamp":
        return ArrowType(kind, unit=_enum(TIME_UNITS, t.scalar(0, "h", 0), "time unit"), timezone=t.string(1) or None)
    if kind == "duration":
        return ArrowType(kind, unit=_enum(TIME_UNITS, t.scalar(0, "h", 1), "time unit"))
    if kind == "interval":
        return ArrowType(kind, unit=_enum(INTERVAL_UNITS, t.scalar(0, "h", 0), "interval unit"))
    if kind == "fixed_size_binary":
        return ArrowType(kind, byte_width=t.scalar(0, "i", 0))
    if kind == "fixed_size_list":
        return ArrowType(kind, list_size=t.scalar(0, "i", 0))
    return ArrowType(kind)
