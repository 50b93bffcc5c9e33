"""Arrow-backed columns in (``pd.ArrowDtype``, pandas' pyarrow strings): their FieldType, their
values read from the Arrow buffers, nested ones shredded from the Arrow structure.

Nothing here asks pyarrow to convert a value: types are mapped one to one
(``arrow_field_type``), numbers go through ``exact`` from their numpy
view, strings and binaries are offsets + data from their buffers, dates and
times are the integers of their buffers rescaled exactly (``time64[ns]`` into
a MICROS leaf keeps only whole microseconds, anything else is refused: the
Python objects pandas gives for those would drop the nanoseconds silently).
Decimals and fixed-size binaries go through their (exact) Python objects.

Shredding (``shred_arrow``) walks offsets, validity bitmaps and child arrays
with numpy index arithmetic, so the leaves come out as the same ``LeafShred``
records ``shred.shred`` makes from Python objects, except that a leaf's
values are ``(leaf Arrow array, slot indices into it)``. Items under a null
list are skipped even when Arrow keeps some behind it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .exact import exact_numbers, refuse, rescale
from .shred import LeafShred, enter_field
from .types import JSON_EXTENSION, NESTED, FieldType, timestamp_type


def _pa():
    import pyarrow as pa

    return pa


def arrow_field_type(t, name, times: str) -> FieldType | None:
    """The FieldType of Arrow type ``t``; None for types read through Python objects
    (dictionaries, views, extension types)."""
    pa = _pa()
    pt = pa.types
    if pt.is_integer(t) or pt.is_floating(t) or pt.is_boolean(t):
        kind = "bool" if pt.is_boolean(t) else "float" if pt.is_floating(t) else \
            "int" if pt.is_signed_integer(t) else "uint"
        return FieldType(kind, bits=8 if kind == "bool" else t.bit_width)
    if pt.is_string(t) or pt.is_large_string(t):
        return FieldType("str", large=pt.is_large_string(t))
    if pt.is_binary(t) or pt.is_large_binary(t):
        return FieldType("bytes", large=pt.is_large_binary(t))
    if pt.is_fixed_size_binary(t) and not pt.is_decimal(t):
        return FieldType("fixed_bytes", width=t.byte_width)
    if pt.is_timestamp(t):
        return timestamp_type(t.unit, t.tz, times)
    if pt.is_duration(t):
        return FieldType("duration", unit=t.unit)
    if pt.is_date(t):
        return FieldType("date")
    if pt.is_time(t):
        return FieldType("time", unit="ms" if t.unit == "s" else t.unit)
    if pt.is_decimal(t):
        return FieldType("decimal", precision=t.precision, scale=t.scale)
    if pt.is_null(t):
        return FieldType("null")
    if getattr(t, "extension_name", None) == "arrow.uuid":
        return FieldType("uuid")
    if getattr(t, "extension_name", None) == "arrow.json":
        return FieldType("str", extension=JSON_EXTENSION)
    if pt.is_dictionary(t):
        values = arrow_field_type(t.value_type, f"{name}.categories", times)
        return None if values is None or values.kind in NESTED else FieldType(
            "category", bits=t.index_type.bit_width, ordered=bool(t.ordered),
            index_type=(t.index_type.bit_width, pt.is_signed_integer(t.index_type)),
            children=(("values", values.with_nullable(False)),))
    return _nested_type(t, name, times)


def _nested_type(t, name, times) -> FieldType | None:
    pt = _pa().types

    def child(field, path, nullable=None):
        ft = arrow_field_type(field.type, path, times)
        return None if ft is None else ft.with_nullable(field.nullable if nullable is None else nullable)

    if pt.is_map(t):
        key, value = child(t.key_field, f"{name}.key", False), child(t.item_field, f"{name}.value")
        return None if key is None or value is None else FieldType("map", children=(("key", key), ("value", value)))
    if pt.is_list(t) or pt.is_large_list(t) or pt.is_fixed_size_list(t):
        element = child(t.value_field, f"{name}.element")
        return None if element is None else FieldType("list", children=(("element", element),),
                                                      large=pt.is_large_list(t))
    if pt.is_struct(t) and t.num_fields:
        fields = [(t.field(i).name, child(t.field(i), f"{name}.{t.field(i).name}")) for i in range(t.num_fields)]
        return None if any(ft is None for _, ft in fields) else FieldType("struct", children=tuple(fields))
    return None


def as_categorical(s: pd.Series, ordered: bool) -> pd.Categorical:
    """A plain or Arrow dictionary column as a pandas Categorical of the same values (an
    Arrow dictionary's own indices and values when its values are unique)."""
    pa = _pa()
    if isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_dictionary(s.dtype.pyarrow_dtype):
        chunked = s.array.__arrow_array__().unify_dictionaries()
        if chunked.num_chunks:
            arr = chunked.chunk(0) if chunked.num_chunks == 1 else pa.concat_arrays(chunked.chunks)
            categories = pd.Index(pd.arrays.ArrowExtensionArray(arr.dictionary))
            if categories.is_unique and not categories.hasnans:
                codes = arr.indices.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False)
                return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories, ordered))
        s = pd.Series(pd.arrays.ArrowExtensionArray(chunked.cast(s.dtype.pyarrow_dtype.value_type)))
    return pd.Categorical(s, ordered=ordered)


# ---------------------------------------------------------------- buffers

def arrow_array(s: pd.Series):
    """The column's Arrow data as one Array (chunks joined only when there are several)."""
    chunked = s.array.__arrow_array__()
    if chunked.num_chunks == 1:
        return chunked.chunk(0)
    return _pa().concat_arrays(chunked.chunks) if chunked.num_chunks else _pa().array([], chunked.type)


def validity(arr) -> np.ndarray | None:
    """Which of the array's slots are valid (bool array), None when all are."""
    if arr.null_count == 0:
        return None
    if arr.null_count == len(arr):
        return np.zeros(len(arr), bool)
    bits = np.unpackbits(np.frombuffer(arr.buffers()[0], np.uint8), bitorder="little")
    return bits[arr.offset:arr.offset + len(arr)].astype(bool)


def byte_array_buffers(s: pd.Series):
    """((offsets, data) of the non-null strings / binaries, validity or None), from the buffers."""
    chunked = s.array.__arrow_array__()
    parts = [_byte_array_chunk(chunk) for chunk in chunked.chunks if len(chunk)]
    if not parts:
        return (np.zeros(1, np.int64), np.zeros(0, np.uint8)), None
    if len(parts) == 1:
        return parts[0]
    pieces, datas, total = [np.zeros(1, np.int64)], [], 0
    for (offsets, data), _ in parts:
        datas.append(data[offsets[0]:offsets[-1]])
        pieces.append(offsets[1:] - offsets[0] + total)
        total += len(datas[-1])
    valids = [v if v is not None else np.ones(len(o) - 1, bool) for (o, _), v in parts]
    return (np.concatenate(pieces), np.concatenate(datas)), np.concatenate(valids)


def _byte_array_chunk(chunk):
    """((dense offsets, data), validity or None) of one string / binary Array (either width)."""
    from ...column.write.stats import gather_byte_arrays

    pt = _pa().types
    _, offsets_buf, data_buf = chunk.buffers()[:3]
    n, start = len(chunk), chunk.offset
    width = np.int64 if pt.is_large_string(chunk.type) or pt.is_large_binary(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buf, width)[start:start + n + 1].astype(np.int64)
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    valid = validity(chunk)
    if valid is None:
        return (offsets, data), None
    starts, ends = offsets[:-1][valid], offsets[1:][valid]
    if len(starts) and np.array_equal(starts[1:], ends[:-1]):
        return (np.append(starts, ends[-1]), data), valid
    return gather_byte_arrays(offsets, data, np.flatnonzero(valid)), valid


def _fixed_ints(arr) -> np.ndarray:
    """The integers behind every slot of a date / time Array (int64)."""
    width = arr.type.bit_width // 8
    values = np.frombuffer(arr.buffers()[1], f"<i{width}")
    return values[arr.offset:arr.offset + len(arr)].astype(np.int64)


_DAY_MS = 86_400_000


def arrow_values(s: pd.Series, ft: FieldType, name):
    """(dense values or (offsets, data), validity or None) of an Arrow-backed column written
    as ``ft``; None when its values go through Python objects."""
    pa = _pa()
    t = s.dtype.pyarrow_dtype if isinstance(s.dtype, pd.ArrowDtype) else pa.large_string()
    k = ft.kind
    if k in ("str", "bytes") and (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
                                  or pa.types.is_large_binary(t)):
        return byte_array_buffers(s)
    if k in ("int", "uint", "float", "bool") and (pa.types.is_integer(t) or pa.types.is_floating(t)
                                                    or pa.types.is_boolean(t)):
        valid = ~s.isna().to_numpy()
        np_dtype = np.dtype(t.to_pandas_dtype())
        values = s.to_numpy(dtype=np_dtype, na_value=np_dtype.type(0))
        if valid.all():
            return exact_numbers(values, ft, name), None
        return exact_numbers(values[valid], ft, name), valid
    if k == "uuid" and getattr(t, "extension_name", None) == "arrow.uuid":
        return _uuid_bytes(arrow_array(s))
    if (k == "date" and pa.types.is_date(t)) or (k == "time" and pa.types.is_time(t)):
        arr = arrow_array(s)
        valid = validity(arr)
        ints = _fixed_ints(arr)
        ints = ints if valid is None else ints[valid]
        if k == "date":
            return _days(ints, t, ft, name), valid
        stored = rescale(ints, t.unit, ft.unit or "us", ft, name)
        return (stored.astype(np.int32) if ft.unit == "ms" else stored), valid
    return None


def _uuid_bytes(arr):
    """((n, 16) uint8 of the valid UUIDs, validity or None) from an arrow.uuid array's storage."""
    valid = validity(arr)
    storage = arr.storage
    if len(storage) == 0:
        return np.zeros((0, 16), np.uint8), valid
    raw = np.frombuffer(storage.buffers()[1], np.uint8)
    raw = raw[storage.offset * 16:(storage.offset + len(storage)) * 16].reshape(-1, 16)
    return (raw if valid is None else raw[valid]), valid


def _days(ints, t, ft, name) -> np.ndarray:
    if t.bit_width == 64:                                    # date64: milliseconds, whole days only
        bad = ints % _DAY_MS != 0
        if bad.any():
            raise refuse(name, f"{int(ints[np.argmax(bad)])} ms (date64)", ft)
        ints = ints // _DAY_MS
    info = np.iinfo(np.int32)
    bad = (ints < info.min) | (ints > info.max)
    if bad.any():
        raise refuse(name, f"{int(ints[np.argmax(bad)])} days", ft)
    return ints.astype(np.int32)


# ---------------------------------------------------------------- nested

def shred_arrow(s: pd.Series, ft: FieldType, name) -> list:
    """LeafShreds of a nested Arrow-backed column (see the module docstring)."""
    arr = arrow_array(s)
    out: list = []
    _walk(arr, np.arange(len(arr), dtype=np.int64), None, ft, [], [], [], out, name)
    return out


def _walk(arr, sel, present, ft, reps, offsets, masks, out, name):
    """Shred the slots ``sel`` of ``arr``; ``present``: which of them have every ancestor
    valid (None: all), the only ones where a REQUIRED field may not be null."""
    pt = _pa().types
    valid_all = validity(arr)
    reps, masks, here = enter_field(None if valid_all is None else valid_all[sel], present, ft, reps, masks, name)
    if ft.kind in ("list", "map"):
        starts, lengths = _list_spans(arr, sel)
        if here is not None:
            lengths = np.where(here, lengths, 0)                # no items under a null (or hidden) list
        off = np.zeros(len(sel) + 1, np.int64)
        np.cumsum(lengths, out=off[1:])
        item_sel = np.repeat(starts - off[:-1], lengths) + np.arange(off[-1], dtype=np.int64)
        reps, offsets = reps + ["repeated"], offsets + [off]
        if ft.kind == "list":
            _walk(arr.values, item_sel, None, ft.children[0][1], reps, offsets, masks, out, f"{name}.element")
            return
        entries = arr.values
        for i, (child_name, child) in enumerate(ft.children):
            _walk(entries.field(i), item_sel, None, child, reps, offsets, masks, out, f"{name}.{child_name}")
        return
    if ft.kind == "struct" and pt.is_struct(arr.type):
        for child_name, child in ft.children:
            index = arr.type.get_field_index(child_name)
            if index < 0:
                raise ValueError(f"column {name!r}: the struct has no field {child_name!r}")
            _walk(arr.field(index), sel, here, child, reps, offsets, masks, out, f"{name}.{child_name}")
        return
    if ft.kind in ("list", "map", "struct"):
        raise ValueError(f"column {name!r}: cannot write Arrow {arr.type} as {ft.describe()}")
    out.append(LeafShred(ft, reps, offsets, masks, (arr, sel)))


def _list_spans(arr, sel) -> tuple[np.ndarray, np.ndarray]:
    """(start in ``arr.values``, length) of the lists at slots ``sel``."""
    pt = _pa().types
    if pt.is_fixed_size_list(arr.type):
        size = arr.type.list_size
        return (arr.offset + sel) * size, np.full(len(sel), size, np.int64)
    if not (pt.is_list(arr.type) or pt.is_large_list(arr.type) or pt.is_map(arr.type)):
        raise ValueError(f"cannot write Arrow {arr.type} as a list")
    offsets = arr.offsets.to_numpy().astype(np.int64)       # len(arr) + 1 entries into arr.values
    return offsets[sel], offsets[sel + 1] - offsets[sel]
