"""The ``ARROW:schema`` key: an Arrow IPC schema message, serialised without pyarrow.

Why: pyarrow reads the Parquet types by themselves into the wrong pandas
dtypes for some columns, and only this key tells it better. Without it a
categorical comes back as strings, a timedelta as int64, a ``datetime64[s]``
column as ``[ms]``, and a pandas ``str`` column's Arrow type is unknown.
pandas metadata alone does not fix those (measured with pyarrow 26).

Format: base64 of an encapsulated IPC message (Arrow "IPC format":
``0xFFFFFFFF``, int32 length, a flatbuffer ``Message`` whose header is a
``Schema`` (Schema.fbs / Message.fbs, metadata version V5), padded to 8 bytes).
The flatbuffer is laid out front to back here: every table is preceded by its
vtable and followed by the objects it points to, so all offsets are forward
(flatbuffers' uoffset_t is unsigned) and every scalar is aligned to its size.
"""
from __future__ import annotations

import base64
import struct

from .types import FieldType

# Arrow's Type union and enums (Schema.fbs)
_T = {"null": 1, "int": 2, "float": 3, "binary": 4, "utf8": 5, "bool": 6, "decimal": 7, "date": 8,
      "time": 9, "timestamp": 10, "list": 12, "struct": 13, "fixed_binary": 15, "map": 17,
      "duration": 18, "large_binary": 19, "large_utf8": 20,
      "large_list": 21}
_TIME_UNIT = {"s": 0, "ms": 1, "us": 2, "ns": 3}
_PRECISION = {16: 0, 32: 1, 64: 2}
_SIZES = {"bool": 1, "u8": 1, "i16": 2, "i32": 4, "i64": 8}
_FORMATS = {"bool": "<B", "u8": "<B", "i16": "<h", "i32": "<i", "i64": "<q"}
_METADATA_V5 = 4
_HEADER_SCHEMA = 1


class Table:
    """A flatbuffer table: ``fields`` maps slot number -> (kind, value); kinds are the
    scalar kinds of ``_SIZES``, 'table' (a Table), 'str' (str), 'tables' (list of Table)."""

    def __init__(self, **slots):
        self.fields = slots  # {'s0': (kind, value), ...}


def _t(*fields) -> Table:
    """A Table from positional (kind, value) fields; None entries are absent slots."""
    table = Table()
    table.fields = {i: f for i, f in enumerate(fields) if f is not None}
    return table


class _Builder:
    def __init__(self):
        self.buf = bytearray()

    def align(self, n: int, extra: int = 0) -> None:
        while (len(self.buf) + extra) % n:
            self.buf.append(0)

    def table(self, table: Table) -> int:
        fields = sorted(table.fields.items(), key=lambda kv: -_size(kv[1][0]))
        layout, pos = {}, 4
        for slot, (kind, _) in fields:
            size = _size(kind)
            pos = (pos + size - 1) // size * size
            layout[slot] = pos
            pos += size
        inline = (pos + 3) // 4 * 4
        n_slots = max(table.fields, default=-1) + 1
        self.align(2)
        vtable = len(self.buf)
        self.buf += struct.pack("<HH", 4 + 2 * n_slots, inline)
        self.buf += b"".join(struct.pack("<H", layout.get(i, 0)) for i in range(n_slots))
        self.align(8)
        start = len(self.buf)
        self.buf += struct.pack("<i", start - vtable) + bytes(inline - 4)
        pending = []
        for slot, (kind, value) in fields:
            at = start + layout[slot]
            if kind in _FORMATS:
                struct.pack_into(_FORMATS[kind], self.buf, at, int(value))
            else:
                pending.append((at, kind, value))
        for at, kind, value in pending:
            self._patch(at, self._object(kind, value))
        return start

    def _object(self, kind, value) -> int:
        if kind == "table":
            return self.table(value)
        if kind == "str":
            raw = value if isinstance(value, bytes) else value.encode("utf-8")
            self.align(4)
            start = len(self.buf)
            self.buf += struct.pack("<I", len(raw)) + raw + b"\x00"
            return start
        self.align(4)                         # 'tables': a vector of tables
        start = len(self.buf)
        self.buf += struct.pack("<I", len(value)) + bytes(4 * len(value))
        for i, item in enumerate(value):
            self._patch(start + 4 + 4 * i, self.table(item))
        return start

    def _patch(self, at: int, target: int) -> None:
        struct.pack_into("<I", self.buf, at, target - at)

    def finish(self, root: Table) -> bytes:
        self.buf += bytes(4)
        self._patch(0, self.table(root))
        self.align(8)
        return bytes(self.buf)


def _size(kind: str) -> int:
    return _SIZES.get(kind, 4)


# ---------------------------------------------------------------- Arrow types

def _arrow_type(ft: FieldType, ids):
    """(type union tag, type Table, children Fields) of a FieldType."""
    k = ft.kind
    if k in ("int", "uint"):
        return _T["int"], _t(("i32", ft.bits), ("bool", k == "int")), []
    if k == "float":
        return _T["float"], _t(("i16", _PRECISION[ft.bits])), []
    if k == "bool":
        return _T["bool"], _t(), []
    if k == "str":
        return (_T["large_utf8"] if ft.large else _T["utf8"]), _t(), []
    if k == "bytes":
        return (_T["large_binary"] if ft.large else _T["binary"]), _t(), []
    if k in ("timestamp", "int96"):
        unit = ft.pandas_unit or ft.unit or "ns"
        tz = ("str", ft.tz) if ft.tz else None
        return _T["timestamp"], _t(("i16", _TIME_UNIT[unit]), tz), []
    if k == "duration":
        return _T["duration"], _t(("i16", _TIME_UNIT[ft.unit])), []
    if k == "date":
        return _T["date"], _t(("i16", 0)), []
    if k == "time":
        unit = ft.unit or "us"
        return _T["time"], _t(("i16", _TIME_UNIT[unit]), ("i32", 32 if unit in ("s", "ms") else 64)), []
    if k == "decimal":
        bits = 128 if ft.precision <= 38 else 256
        return _T["decimal"], _t(("i32", ft.precision), ("i32", ft.scale), ("i32", bits)), []
    if k == "uuid":
        return _T["fixed_binary"], _t(("i32", 16)), []
    if k == "fixed_bytes":
        return _T["fixed_binary"], _t(("i32", ft.width)), []
    if k == "null":
        return _T["null"], _t(), []
    if k == "list":
        (name, element), = ft.children
        return _T["large_list" if ft.large else "list"], _t(), [_field(name, element, ids)]
    if k == "map":
        (_, key), (_, value) = ft.children
        entries = FieldType("struct", nullable=False, children=(("key", key.with_nullable(False)), ("value", value)))
        return _T["map"], _t(("bool", False)), [_field("key_value", entries, ids)]
    if k == "struct":
        return _T["struct"], _t(), [_field(n, c, ids) for n, c in ft.children]
    raise ValueError(f"no Arrow type for {k!r}")


def _field(name: str, ft: FieldType, ids) -> Table:
    dictionary = None
    if ft.kind == "category":
        values = ft.children[0][1]
        # int32 at least: a ParquetWriter or an append may bring more categories later, and
        # readers that unify row groups' dictionaries (pyarrow) overflow a narrower index
        # (an Arrow dictionary dtype keeps its own index type: the frame says which)
        index_bits, signed = ft.index_type or (ft.bits if ft.bits == 64 else 32, True)
        encoding = _t(("i64", next(ids)), ("table", _t(("i32", index_bits), ("bool", signed))),
                      ("bool", ft.ordered))
        dictionary = ("table", encoding)
        ft = values.with_nullable(ft.nullable)
    tag, type_table, children = _arrow_type(ft, ids)
    extension = None
    if ft.extension:  # Field.custom_metadata: Arrow's extension type keys (pandas' period, ...)
        ext_name, ext_meta = ft.extension
        extension = ("tables", [_t(("str", "ARROW:extension:name"), ("str", ext_name)),
                                _t(("str", "ARROW:extension:metadata"), ("str", ext_meta))])
    return _t(("str", name), ("bool", ft.nullable), ("u8", tag), ("table", type_table), dictionary,
              ("tables", children), extension)


def arrow_schema(fields: list, metadata: dict | None = None) -> str:
    """The base64 value of ``ARROW:schema`` for top-level ``(name, FieldType)`` pairs.

    ``metadata`` becomes the schema's custom metadata: pyarrow takes the schema
    metadata (the 'pandas' key) from here, not from the file's key-value
    metadata, whenever ARROW:schema is present.
    """
    kv = [_t(("str", k), ("str", v)) for k, v in (metadata or {}).items()]
    ids = iter(range(1 << 62))           # dictionary ids, numbered per schema
    schema = _t(("i16", 0), ("tables", [_field(name, ft, ids) for name, ft in fields]), ("tables", kv) if kv else None)
    message = _t(("i16", _METADATA_V5), ("u8", _HEADER_SCHEMA), ("table", schema), ("i64", 0))
    body = _Builder().finish(message)
    framed = struct.pack("<Ii", 0xFFFFFFFF, len(body)) + body
    return base64.b64encode(framed).decode("ascii")
