"""One schema for many files: which columns a dataset has and whether their types combine.

Each top-level field of each file gets a type signature from its Arrow type
(fastpq.format.arrow_types: the Parquet types refined by ``ARROW:schema``, what
pyarrow reads) or, for nested fields, its structure. Signatures combine as
``pyarrow.unify_schemas(promote_options='permissive')`` combines types
(measured with pyarrow 26):

* null with anything gives the other; required and optional combine;
* integers widen (int8 + uint8 -> int16, uint32 + int32 -> int64, and, as in
  pyarrow, uint64 + int64 -> int64); integers and floats give float64; floats
  widen; integers and decimals give a decimal; decimals take the larger scale
  and integer digits;
* string + large_string (and views) give string; string + binary give binary;
* timestamps with the same time zone (or both naive) take the finer unit; so do
  times and durations;
* anything else (int + string, bool + int, naive + zoned timestamps, date +
  timestamp, different nested structures) is an error: ``SchemaMismatchError``
  naming the column and two files that disagree.

Whether a column was dictionary-encoded (a categorical) does not enter the
signature: the pandas layer unifies categories. Columns are ordered by first
appearance over the files in order, as unify_schemas orders them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SchemaMismatchError
from ..format.arrow_types import column_type, match_fields

_STRINGS = {"utf8", "large_utf8", "utf8_view"}
_BINARIES = {"binary", "large_binary", "binary_view"}
_UNITS = ["s", "ms", "us", "ns"]


@dataclass
class DatasetField:
    """One column of the dataset."""

    name: str          # the stored (Parquet) field name
    label: object      # the pandas column label (pandas metadata may restore a non-string one)
    sig: tuple         # the combined type signature
    node: object       # the SchemaNode in the first file that has it
    ctype: object      # its ColumnType there (None for nested fields)
    first: str         # the first file that has it
    index: bool = False  # an index column per pandas metadata


def signature(node, ctype) -> tuple:
    """A hashable description of a field's type (module docstring)."""
    if ctype is None:
        return ("nested", _structure(node))
    t = ctype.type
    if ctype.extension == "arrow.uuid":
        return ("uuid",)
    k = t.kind
    if k in _STRINGS:
        return ("string",)
    if k in _BINARIES:
        return ("binary",)
    if k == "fixed_size_binary":
        return ("fixed", t.byte_width)
    if k == "int":
        return ("int", t.bit_width, bool(t.signed))
    if k == "float":
        return ("float", t.bit_width)
    if k == "decimal":
        return ("decimal", t.precision, t.scale)
    if k == "timestamp":
        return ("timestamp", t.unit, t.timezone or None)
    if k in ("time", "duration"):
        return (k, t.unit)
    if k in ("bool", "date", "null"):
        return (k,)
    return ("other", k)


def _structure(node) -> tuple:
    if node.is_leaf:
        return (node.name, node.repeated, node.physical_type, node.logical.kind, node.logical.unit,
                node.logical.utc, node.logical.precision, node.logical.scale, node.logical.bit_width,
                node.logical.signed, node.type_length)
    return (node.name, node.repeated, node.logical.kind, tuple(_structure(c) for c in node.children))


def combine(a: tuple, b: tuple):
    """The signature both combine to, or None when they do not."""
    if a == b:
        return a
    if a[0] == "null":
        return b
    if b[0] == "null":
        return a
    ka, kb = a[0], b[0]
    if ka == kb == "int":
        return ("int",) + _ints(a[1], a[2], b[1], b[2])
    if {ka, kb} == {"int", "float"} or ka == kb == "float":
        return ("float", 64) if ka != kb else ("float", max(a[1], b[1]))
    if {ka, kb} <= {"int", "decimal"}:
        da = a if ka == "decimal" else ("decimal", {8: 3, 16: 5, 32: 10, 64: 19}[a[1]], 0)
        db = b if kb == "decimal" else ("decimal", {8: 3, 16: 5, 32: 10, 64: 19}[b[1]], 0)
        scale = max(da[2], db[2])
        return ("decimal", max(da[1] - da[2], db[1] - db[2]) + scale, scale)
    if {ka, kb} <= {"string", "binary", "fixed"}:
        return ("binary",)
    if ka == kb == "timestamp" and a[2] == b[2]:
        return ("timestamp", _finer(a[1], b[1]), a[2])
    if ka == kb and ka in ("time", "duration"):
        return (ka, _finer(a[1], b[1]))
    return None


def _ints(bits_a, signed_a, bits_b, signed_b) -> tuple:
    if signed_a == signed_b:
        return max(bits_a, bits_b), signed_a
    s_bits, u_bits = (bits_a, bits_b) if signed_a else (bits_b, bits_a)
    if u_bits < s_bits:
        return s_bits, True
    return min(64, 2 * u_bits), True


def _finer(u: str, v: str) -> str:
    return u if _UNITS.index(u) >= _UNITS.index(v) else v


def describe(sig: tuple) -> str:
    k = sig[0]
    if k == "int":
        return f"{'' if sig[2] else 'u'}int{sig[1]}"
    if k == "float":
        return f"float{sig[1]}"
    if k == "decimal":
        return f"decimal({sig[1]}, {sig[2]})"
    if k == "timestamp":
        return f"timestamp[{sig[1]}{', ' + sig[2] if sig[2] else ''}]"
    if k in ("time", "duration"):
        return f"{k}[{sig[1]}]"
    if k == "fixed":
        return f"fixed_size_binary({sig[1]})"
    if k == "nested":
        return "nested " + repr(sig[1][:1] + sig[1][2:3])
    return k if k != "other" else sig[1]


def file_fields(pf) -> list:
    """[(name, node, ctype, label, is_index)] of a ParquetFile's top-level fields."""
    from ..frame.read.assemble import PandasMeta

    origins = match_fields(pf.arrow_schema, pf.schema.names)
    meta = PandasMeta(pf.pandas_metadata)
    index = set(meta.index_columns)
    out = []
    for name in pf.schema.keys:  # fields sharing a name: one each, by position (as a single file reads)
        node = pf.schema.field(name)
        flat = node.is_leaf and node.max_rep == 0
        ctype = column_type(node, origins.get(name)) if flat else None
        out.append((name, node, ctype, meta.original_name(node.name), name in index))
    return out


def _schema_key(pf):
    """Equal for files whose schema and key-value metadata are equal (most of a dataset's)."""
    md = pf.metadata
    kv = tuple((k.key, k.value) for k in md.key_value_metadata or [])
    elements = tuple((e.name, e.type, e.type_length, e.repetition_type, e.num_children, e.converted_type, e.scale,
                      e.precision, repr(e.logicalType)) for e in md.schema)
    return kv, elements


def unify(files) -> dict:
    """{name: DatasetField} over ``files`` ([(display name, ParquetFile)]), in first-appearance order."""
    fields: dict = {}
    seen: dict = {}   # schema key -> file_fields(): described once per distinct schema
    for where, pf in files:
        key = _schema_key(pf)
        if key not in seen:
            seen[key] = file_fields(pf)
        for name, node, ctype, label, is_index in seen[key]:
            sig = signature(node, ctype)
            known = fields.get(name)
            if known is None:
                fields[name] = DatasetField(name, label, sig, node, ctype, where, is_index)
                continue
            combined = combine(known.sig, sig)
            if combined is None:
                raise SchemaMismatchError(
                    f"column {name!r} has incompatible types across the dataset's files: "
                    f"{describe(known.sig)} in {known.first}, {describe(sig)} in {where}")
            known.sig = combined
    return fields
