"""The ARROW:schema reader: agrees with pyarrow on every stored schema; hostile bytes raise ArrowSchemaError only."""
from __future__ import annotations

import base64
import random
import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastpq.format.arrow_schema import ArrowSchemaError, parse_arrow_schema, parse_ipc_schema
from tests.conftest import committed_files, corpus_files, relative


def _pyarrow_name(f) -> str:
    """Our parsed field rendered the way pyarrow prints its type (children included)."""
    t = f.type
    k = t.kind
    names = {"utf8": "string", "large_utf8": "large_string", "utf8_view": "string_view", "bool": "bool",
             "binary": "binary", "large_binary": "large_binary", "binary_view": "binary_view", "null": "null"}
    if k in names:
        base = names[k]
    elif k == "int":
        base = f"{'' if t.signed else 'u'}int{t.bit_width}"
    elif k == "float":
        base = {16: "halffloat", 32: "float", 64: "double"}[t.bit_width]
    elif k == "timestamp":
        base = f"timestamp[{t.unit}{', tz=' + t.timezone if t.timezone else ''}]"
    elif k in ("duration", "time"):
        base = f"{k}{t.bit_width if k == 'time' else ''}[{t.unit}]"
    elif k == "date":
        base = "date32[day]" if t.unit == "day" else "date64[ms]"
    elif k == "decimal":
        base = f"decimal{t.bit_width}({t.precision}, {t.scale})"
    elif k == "fixed_size_binary":
        base = f"fixed_size_binary[{t.byte_width}]"
    elif k == "interval":
        base = {"month_day_nano": "month_day_nano_interval", "day_time": "day_time_interval",
                "year_month": "month_interval"}[t.unit]
    elif k in ("list", "large_list", "list_view", "large_list_view"):
        child = f.children[0]
        base = f"{k}<{child.name}: {_pyarrow_name(child)}{'' if child.nullable else ' not null'}>"
    elif k == "fixed_size_list":
        child = f.children[0]
        base = f"fixed_size_list<{child.name}: {_pyarrow_name(child)}>[{t.list_size}]"
    elif k == "struct":
        base = "struct<" + ", ".join(f"{c.name}: {_pyarrow_name(c)}{'' if c.nullable else ' not null'}"
                                     for c in f.children) + ">"
    elif k == "map":
        entries = f.children[0]
        key, value = entries.children
        base = f"map<{_pyarrow_name(key)}, {_pyarrow_name(value)}{'' if value.nullable else ' not null'}>"
    else:
        base = k
    if f.dictionary is not None:
        d = f.dictionary
        index = f"{'' if d.index_signed else 'u'}int{d.index_bit_width}"
        return f"dictionary<values={base}, indices={index}, ordered={int(d.ordered)}>"
    return base


def _pyarrow_str(typ) -> str:
    if isinstance(typ, pa.BaseExtensionType):
        return str(typ.storage_type)
    return str(typ)


def _check_same(ours, theirs: pa.Schema) -> None:
    assert [f.name for f in ours.fields] == theirs.names
    for f, g in zip(ours.fields, theirs):
        assert _pyarrow_name(f) == _pyarrow_str(g.type), f.name
        assert f.nullable == g.nullable, f.name
        expected_md = {k.decode(): v.decode() for k, v in (g.metadata or {}).items()}
        if isinstance(g.type, pa.BaseExtensionType):
            expected_md.setdefault("ARROW:extension:name", g.type.extension_name)
        assert {k: v for k, v in f.metadata.items() if k in expected_md} == expected_md, f.name


def _files_with_arrow_schema():
    out = []
    for p in corpus_files() + committed_files():
        try:
            md = pq.ParquetFile(p).metadata.metadata or {}
        except Exception:  # noqa: BLE001 - pyarrow cannot open it
            continue
        if b"ARROW:schema" in md:
            out.append(p)
    return out


@pytest.mark.parametrize("path", _files_with_arrow_schema(), ids=relative)
def test_stored_schemas_match_pyarrow(path):
    raw = pq.ParquetFile(path).metadata.metadata[b"ARROW:schema"]
    expected = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(raw)))
    _check_same(parse_arrow_schema(raw), expected)


def _every_type_schema() -> pa.Schema:
    return pa.schema([
        pa.field("i8", pa.int8(), nullable=False), pa.field("u64", pa.uint64()), pa.field("f16", pa.float16()),
        pa.field("f64", pa.float64()), pa.field("b", pa.bool_()), pa.field("n", pa.null()),
        pa.field("s", pa.string()), pa.field("ls", pa.large_string()), pa.field("sv", pa.string_view()),
        pa.field("bin", pa.binary()), pa.field("lb", pa.large_binary()), pa.field("bv", pa.binary_view()),
        pa.field("fsb", pa.binary(7)), pa.field("d128", pa.decimal128(20, 4)), pa.field("d256", pa.decimal256(60, 9)),
        pa.field("d32", pa.date32()), pa.field("d64", pa.date64()), pa.field("t32", pa.time32("s")),
        pa.field("t64", pa.time64("ns")), pa.field("ts", pa.timestamp("s")),
        pa.field("tsz", pa.timestamp("us", tz="America/New_York")), pa.field("tso", pa.timestamp("ns", tz="+07:30")),
        pa.field("dur", pa.duration("ns")), pa.field("mdn", pa.month_day_nano_interval()),
        pa.field("dict", pa.dictionary(pa.uint8(), pa.large_string(), ordered=True)),
        pa.field("dict_default", pa.dictionary(pa.int32(), pa.binary())),
        pa.field("list", pa.list_(pa.field("item", pa.int32(), nullable=False))),
        pa.field("llist", pa.large_list(pa.string())), pa.field("fsl", pa.list_(pa.int16(), 3)),
        pa.field("struct", pa.struct([("x", pa.int64()), ("y", pa.list_(pa.float32()))])),
        pa.field("map", pa.map_(pa.string(), pa.int64())),
        pa.field("meta", pa.int32(), metadata={"k": "v", "empty": ""}),
    ], metadata={"schema-level": "yes"})


def test_every_type_matches_pyarrow():
    schema = _every_type_schema()
    ours = parse_ipc_schema(schema.serialize().to_pybytes())
    _check_same(ours, schema)
    assert ours.metadata == {"schema-level": "yes"}
    assert ours.field("dict").dictionary.ordered and ours.field("dict").dictionary.index_bit_width == 8
    assert ours.field("dict_default").dictionary.index_bit_width == 32


def test_legacy_encapsulation_without_continuation_marker():
    raw = _every_type_schema().serialize().to_pybytes()
    assert raw[:4] == b"\xff\xff\xff\xff"
    legacy = raw[4:]  # pre-0.15 writers: int32 length, then the flatbuffer
    assert [f.name for f in parse_ipc_schema(legacy).fields] == _every_type_schema().names


@pytest.mark.parametrize("value", [b"", b"!!!not base64!!!", base64.b64encode(b"\xff\xff\xff\xff"),
                                   base64.b64encode(b"\xff\xff\xff\xff\x00\x00\x00\x00"),
                                   base64.b64encode(b"\xff\xff\xff\xff\xff\xff\xff\x7f" + b"\0" * 16),
                                   base64.b64encode(b"\xff\xff\xff\xff\x10\x00\x00\x00" + b"\xff" * 16),
                                   "ünïcode"])
def test_garbage_raises_arrow_schema_error(value):
    with pytest.raises(ArrowSchemaError):
        parse_arrow_schema(value)


def test_record_batch_message_is_not_a_schema():
    batch = pa.record_batch({"a": [1, 2]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as w:
        w.write_batch(batch)
    stream = sink.getvalue().to_pybytes()
    schema_len = 8 + struct.unpack_from("<i", stream, 4)[0]
    with pytest.raises(ArrowSchemaError, match="Schema"):
        parse_ipc_schema(stream[schema_len:])


def test_every_truncation_raises_or_parses():
    raw = _every_type_schema().serialize().to_pybytes()
    for n in range(len(raw)):
        try:
            parse_ipc_schema(raw[:n])
        except ArrowSchemaError:
            pass


def test_seeded_byte_flips_raise_only_arrow_schema_error():
    raw = bytearray(_every_type_schema().serialize().to_pybytes())
    rnd = random.Random(20251126)
    for _ in range(3000):
        bad = bytearray(raw)
        for _ in range(rnd.randint(1, 4)):
            bad[rnd.randrange(len(bad))] = rnd.randrange(256)
        try:
            parse_ipc_schema(bytes(bad))
        except ArrowSchemaError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_arrow_schema_error(data):
    for candidate in (data, b"\xff\xff\xff\xff" + struct.pack("<i", len(data)) + data):
        try:
            parse_ipc_schema(candidate)
        except ArrowSchemaError:
            pass


def _flatbuffer_with_shared_children(width: int, depth: int, metadata_entries: int = 0) -> bytes:
    """A Message whose Schema has one field with ``width`` children that all point to the same
    Field table, itself with ``width`` children pointing to the next shared table, ``depth``
    levels down: a DAG whose tree expansion is width**depth fields. Laid out top-down, so
    every reference points forward as flatbuffers require. With ``metadata_entries``, the
    deepest field's custom_metadata is a vector of that many references to one KeyValue."""
    buf = bytearray(4)  # the root offset, patched at the end
    labels, patches = {}, []

    def table(name, fields):
        """fields: [(slot, bytes or ('ref', label))]; the table lands at labels[name]."""
        n_slots = max(slot for slot, _ in fields) + 1 if fields else 0
        inline = [(slot, b"\0\0\0\0" if isinstance(v, tuple) else v) for slot, v in fields]
        where, pos = {}, 4
        for slot, b in inline:
            where[slot] = pos
            pos += len(b)
        vt_pos = len(buf)
        buf.extend(struct.pack("<HH", 4 + 2 * n_slots, pos))
        buf.extend(b"".join(struct.pack("<H", where.get(i, 0)) for i in range(n_slots)))
        while len(buf) % 4:
            buf.append(0)
        labels[name] = len(buf)
        buf.extend(struct.pack("<i", labels[name] - vt_pos))
        for (slot, v), (_, b) in zip(fields, inline):
            if isinstance(v, tuple):
                patches.append((len(buf), v[1]))
            buf.extend(b)

    def vector(name, targets):
        labels[name] = len(buf)
        buf.extend(struct.pack("<I", len(targets)))
        for t in targets:
            patches.append((len(buf), t))
            buf.extend(b"\0\0\0\0")

    table("message", [(0, struct.pack("<h", 4) + b"\0\0"), (1, b"\x01\0\0\0"), (2, ("ref", "schema"))])
    table("schema", [(1, ("ref", "top"))])
    vector("top", ["field0"])
    for level in range(depth):
        fields = [(2, b"\x01\0\0\0"), (3, ("ref", "null"))]
        if level + 1 < depth:
            fields.append((5, ("ref", f"children{level}")))
        elif metadata_entries:
            fields.append((6, ("ref", "metadata")))
        table(f"field{level}", fields)
        if level + 1 < depth:
            vector(f"children{level}", [f"field{level + 1}"] * width)
    if metadata_entries:
        vector("metadata", ["kv"] * metadata_entries)
        table("kv", [(0, ("ref", "key"))])
        labels["key"] = len(buf)
        buf.extend(struct.pack("<I", 1) + b"k\0\0\0")
    table("null", [])
    for at, target in patches:
        buf[at:at + 4] = struct.pack("<I", labels[target] - at)
    buf[0:4] = struct.pack("<I", labels["message"])
    return bytes(buf)


def test_shared_subtables_cannot_blow_up(monkeypatch):
    from fastpq.format import arrow_schema

    small = _flatbuffer_with_shared_children(width=2, depth=3)  # 7 fields: well-formed, parses
    top = parse_ipc_schema(b"\xff\xff\xff\xff" + struct.pack("<i", len(small)) + small).fields[0]
    assert len(top.children) == 2 and len(top.children[0].children) == 2 and top.children[0].type.kind == "null"
    fb = _flatbuffer_with_shared_children(width=64, depth=8)  # 64**7 fields if expanded
    calls = []
    real = arrow_schema._field
    monkeypatch.setattr(arrow_schema, "_field", lambda r, t, depth: calls.append(depth) or real(r, t, depth))
    with pytest.raises(ArrowSchemaError, match="fields"):
        parse_ipc_schema(b"\xff\xff\xff\xff" + struct.pack("<i", len(fb)) + fb)
    # the work is bounded by the field cap (16 + bytes / 16), not by the 64**7 expanded fields
    assert len(calls) <= 16 + (len(fb) + 8) // 16 + 2


def test_shared_metadata_cannot_blow_up(monkeypatch):
    """A custom_metadata vector shared by many fields counts at each use, as shared fields do."""
    from fastpq.format import arrow_schema

    small = _flatbuffer_with_shared_children(width=2, depth=2, metadata_entries=3)
    child = parse_ipc_schema(b"\xff\xff\xff\xff" + struct.pack("<i", len(small)) + small).fields[0].children[0]
    assert child.metadata == {"k": None}
    fb = _flatbuffer_with_shared_children(width=2000, depth=2, metadata_entries=2000)  # 4M entries if expanded
    calls = []
    real = arrow_schema._Table.string
    monkeypatch.setattr(arrow_schema._Table, "string", lambda t, slot: calls.append(slot) or real(t, slot))
    with pytest.raises(ArrowSchemaError, match="fields"):
        parse_ipc_schema(b"\xff\xff\xff\xff" + struct.pack("<i", len(fb)) + fb)
    assert len(calls) <= 4 * (16 + (len(fb) + 8) // 16)


@pytest.mark.parametrize("n", [1, 1_000, 101_000])
def test_wide_schema_parses(n):
    """The field cap scales with the stored bytes: a genuine schema of any width parses (the
    cap was 100,000 fields), in work linear in its bytes."""
    schema = pa.schema([pa.field(f"c{i}", pa.int64() if i % 2 else pa.string()) for i in range(n)])
    parsed = parse_ipc_schema(schema.serialize().to_pybytes())
    assert len(parsed.fields) == n
    assert [f.name for f in parsed.fields[-3:]] == schema.names[-3:]
    assert [f.type.kind for f in parsed.fields[-2:]] == (["utf8", "int"] if n > 1 else ["utf8"])


def test_deep_nesting_is_refused():
    fb = _flatbuffer_with_shared_children(width=1, depth=200)
    with pytest.raises(ArrowSchemaError, match="deeper"):
        parse_ipc_schema(b"\xff\xff\xff\xff" + struct.pack("<i", len(fb)) + fb)
