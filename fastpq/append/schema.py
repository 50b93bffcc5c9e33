"""What an append checks and rewrites: the file's write plan, the DataFrame against it
(the rules themselves are ``fastpq.frame.write.check``'s), the spliced footer and the
updated key-value metadata (used by ``fastpq.append.appender`` and by dataset appends)."""
from __future__ import annotations

import json

from ..errors import CorruptFileError, UnsupportedFeatureError
from .._thrift import Type
from ..format import thrift_io
from ..format.footer import RowGroupList, parse_file_metadata
from ..format.schema import Logical, Schema


# ---------------------------------------------------------------- the old footer, spliced

_ROW_GROUPS, _LIST, _STRUCT = 4, 9, 12


def footer_for_append(footer: bytes, path=None):
    """The FileMetaData of ``footer`` for re-encoding with more row groups: every field
    decoded but ``row_groups``, which keeps the old list's bytes as one span.

    ``parse_file_metadata`` also finds where each row group starts (a second pass
    over the list) and re-encoding then joins one slice per row group; an append
    needs neither. Measured on a 4.8 MB footer of 10,000 row groups (best of 7):
    57 ms -> 29 ms to parse, 17 ms -> 9 ms to encode, the same bytes out.
    """
    import numpy as np

    from .._thrift import FileMetaData
    from ..kernels import compact, varint

    arr = np.frombuffer(footer, np.uint8)
    fids, types = np.zeros(64, np.int64), np.zeros(64, np.int8)
    starts, ends = np.zeros(64, np.int64), np.zeros(64, np.int64)
    count = compact.struct_fields(arr, 0, len(footer), fids, types, starts, ends)
    found = [i for i in range(max(count, 0)) if fids[i] == _ROW_GROUPS and types[i] == _LIST]
    if not found:                               # malformed (raises) or no row group list
        return parse_file_metadata(footer, path)
    start, end = int(starts[found[-1]]), int(ends[found[-1]])
    header = int(arr[start])
    n, pos = header >> 4, start + 1
    if n == 15:
        n, pos = varint.read_uleb128(arr, pos, end)
        n, pos = int(n), int(pos)
    if pos < 0 or (n and header & 0x0F != _STRUCT):
        return parse_file_metadata(footer, path)
    try:
        fmd, _ = thrift_io.decode(FileMetaData, footer[:start] + bytes([_STRUCT]) + footer[end:], "FileMetaData")
    except CorruptFileError as exc:
        raise exc.located(path=path) from None
    fmd.row_groups = SplicedRowGroups(footer[pos:end], n)
    return fmd


class SplicedRowGroups(RowGroupList):
    """Old row groups as one span of compact bytes, then new RowGroup objects: what
    ``encode_file_metadata`` needs (``len`` and ``encoded(i)`` in order), nothing more."""

    def __init__(self, raw: bytes, count: int):
        self._raw, self._count, self._new = raw, count, []

    def __len__(self) -> int:
        return self._count + len(self._new)

    def encoded(self, i: int) -> bytes:
        if i < self._count:
            return self._raw if i == 0 else b""
        return thrift_io.encode(self._new[i - self._count])

    def append(self, row_group) -> None:
        self._new.append(row_group)

    def __getitem__(self, i):
        raise TypeError("the old row groups of an append are kept as bytes")


# ---------------------------------------------------------------- plan, checks, metadata

def check_names(df, fmd) -> None:
    """SchemaMismatchError unless ``df``'s columns are the file's data columns, in order:
    checked first, so that a wrong frame is told so even when the file has a column
    type fastpq cannot write."""
    from ..frame.pandas_meta import column_name_to_string
    from ..frame.write.check import check_columns

    raw = {kv.key: kv.value for kv in fmd.key_value_metadata or []}.get("pandas")
    try:
        index = {x for x in json.loads(raw).get("index_columns", []) if isinstance(x, str)} if raw else set()
    except (ValueError, TypeError, AttributeError, RecursionError):    # malformed: readers ignore it too
        index = set()
    expected = [f.name for f in Schema(fmd.schema).fields if f.name not in index]
    check_columns([column_name_to_string(x) for x in df.columns], expected)


def plan_for(fmd, path):
    """The WritePlan that writes row groups like the file's (UnsupportedFeatureError when
    fastpq cannot reproduce its column types)."""
    from ..frame.pandas_meta import parse_pandas_metadata
    from ..frame.write.from_file import plan_from_file

    schema = Schema(fmd.schema, path)
    raw = {kv.key: kv.value for kv in fmd.key_value_metadata or []}.get("pandas")
    meta = None
    if raw:
        try:
            meta = parse_pandas_metadata(json.loads(raw))
        except (ValueError, TypeError, AttributeError, RecursionError):   # malformed: ignored, as readers do
            meta = None
    try:
        plan = plan_from_file(schema, meta, _arrow_types(fmd))
    except ValueError as exc:
        raise UnsupportedFeatureError(f"cannot append to {path}: {_unwritable(schema, meta) or exc}") from None
    mine = Schema(plan.schema).columns
    if len(mine) != len(schema.columns):
        raise UnsupportedFeatureError(f"cannot append to {path}: its schema cannot be reproduced")
    for a, b in zip(mine, schema.columns):
        if not same_leaf(a, b):
            raise UnsupportedFeatureError(
                f"cannot append to {path}: column {'.'.join(b.path)!r} is stored as "
                f"{describe_leaf(b)}, fastpq would write {describe_leaf(a)}")
    return plan


def _arrow_types(fmd) -> dict:
    """{top-level field: ArrowType} from ARROW:schema (polars records time zones and durations only
    there); {} when ARROW:schema is absent or unreadable (readers ignore it then too)."""
    from ..format.arrow_schema import parse_arrow_schema

    raw = {kv.key: kv.value for kv in fmd.key_value_metadata or []}.get("ARROW:schema")
    try:
        fields = parse_arrow_schema(raw).fields if raw else []
    except (ValueError, TypeError):
        return {}
    return {f.name: f.type for f in fields if f.dictionary is None}


def _unwritable(schema, meta) -> str | None:
    """Which column fastpq's writer has no type for (as the file stores it)."""
    from ..frame.write.from_file import field_type_from_node

    for node in schema.fields:
        try:
            field_type_from_node(node, meta.by_field.get(node.name) if meta is not None else None)
        except ValueError:
            leaf = next(node.leaves(), node)
            return f"fastpq cannot write column {node.name!r} as the file stores it ({describe_leaf(leaf)})"
    return None


_TEXT = ("string", "enum", "json")


def same_leaf(a, b) -> bool:
    """Two leaves store values alike: path, physical type (and FIXED_LEN_BYTE_ARRAY's length),
    levels, logical type (STRING, ENUM and JSON alike; INT(32|64, signed) on INT32|INT64 alike
    with no annotation)."""
    if (a.path, a.physical_type, a.max_def, a.max_rep) != (b.path, b.physical_type, b.max_def, b.max_rep):
        return False
    if a.physical_type == Type.FIXED_LEN_BYTE_ARRAY and a.type_length != b.type_length:
        return False                       # elsewhere type_length means nothing (old fastparquet sets it)
    la, lb = _plain_logical(a), _plain_logical(b)
    return la == lb or (la.kind in _TEXT and lb.kind in _TEXT)


def _plain_logical(node):
    lg = node.logical
    if lg.kind == "int" and lg.signed and (node.physical_type, lg.bit_width) in ((Type.INT32, 32), (Type.INT64, 64)):
        return Logical()
    return lg


def describe_leaf(node) -> str:
    from ..format.schema import TYPE_NAMES

    rep = {0: "required", 1: "optional", 2: "repeated"}.get(node.repetition, "?")
    return f"{rep} {TYPE_NAMES.get(node.physical_type, node.physical_type)} {node.logical}".strip()


def check_frame(df, plan) -> None:
    """SchemaMismatchError unless ``df`` can be appended with ``plan``
    (``fastpq.frame.write.check.check_frame`` with ``append=True``)."""
    from ..frame.write.check import check_frame as check

    check(df, plan, append=True)


def updated_key_value(fmd, plan, df, custom_metadata=None) -> list:
    """The file's key-value metadata after appending ``df``: the pandas metadata's
    RangeIndex extended and categorical entries merged, custom keys updated, and
    ARROW:schema (which embeds the pandas metadata) re-serialised. Other keys stay."""
    from .._thrift import KeyValue
    from ..format.keyvalue import custom_metadata_items
    from ..frame.write.arrow_schema import arrow_schema

    kv = {item.key: item.value for item in fmd.key_value_metadata or []}
    if kv.get("pandas"):
        kv["pandas"] = _updated_pandas(kv["pandas"], plan, df)
    kv.update(custom_metadata_items(custom_metadata))   # str/bytes only (fastpq.format.keyvalue)
    categorical = any(c.ft.kind == "category" for c in plan.columns)
    if "ARROW:schema" in kv and (kv.get("pandas") or categorical):
        embedded = {k: v for k, v in kv.items() if k != "ARROW:schema" and isinstance(v, str)}
        kv["ARROW:schema"] = arrow_schema([(c.field_name, c.ft) for c in plan.columns], embedded)
        kv["ARROW:schema"] = kv.pop("ARROW:schema")          # last, as writers put it
    return [KeyValue(key=k, value=v) for k, v in kv.items()]


def _updated_pandas(raw: str, plan, df) -> str:
    """``raw`` updated for the appended rows; as it is when malformed (readers ignore it)."""
    try:
        return _updated_pandas_json(raw, plan, df)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return raw


def _updated_pandas_json(raw: str, plan, df) -> str:
    meta = json.loads(raw)
    if not isinstance(meta, dict):
        return raw
    n = len(df)
    for entry in meta.get("index_columns") or []:
        if isinstance(entry, dict) and entry.get("kind") == "range":
            step = int(entry.get("step", 1))
            entry["stop"] = int(entry.get("stop", 0)) + step * n
    entries = {e.get("field_name"): e for e in meta.get("columns") or [] if isinstance(e, dict)}
    for i, col in enumerate(plan.data_columns):
        entry = entries.get(col.field_name)
        if col.ft.kind != "category" or entry is None or not hasattr(df.iloc[:, i], "cat"):
            continue
        s = df.iloc[:, i]
        md = entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}
        md["num_categories"] = max(int(md.get("num_categories") or 0), len(s.cat.categories))
        entry["metadata"] = md
        old_bits = str(entry.get("numpy_type") or "int8").removeprefix("int")
        bits = max(int(old_bits) if old_bits.isdigit() else 8, s.cat.codes.dtype.itemsize * 8)
        entry["numpy_type"] = f"int{bits}"
    return json.dumps(meta)
