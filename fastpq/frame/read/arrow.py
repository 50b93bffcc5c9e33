"""Decoded column buffers -> pyarrow arrays, for ``dtype_backend='pyarrow'`` (``pd.ArrowDtype`` columns).

Each array is assembled from fastpq's own buffers with ``pa.Array.from_buffers``:
the values array as decoded (ints, floats, timestamps, dates, times,
durations: no copy; narrower logical ints, booleans and decimals need one
vectorised pass), a validity bitmap packed from the uint8 mask, and for byte
arrays each column chunk's offsets and data (one arrow chunk per column
chunk). No Python object is made per value, except for BYTE_ARRAY decimals.

The Arrow type is the one ``fastpq.format.arrow_types.column_type`` resolves,
which is the type pyarrow gives the same column, so the resulting
``pd.ArrowDtype`` is what ``pandas.read_parquet(dtype_backend='pyarrow')`` gives.
pyarrow is imported here only, on use.
"""
from __future__ import annotations

import numpy as np

from ..._thrift import Type
from ...errors import CorruptFileError, UnsupportedFeatureError

_INT32_OFFSETS_LIMIT = (1 << 31) - 1
_DECIMAL_BYTES = {128: 16, 256: 32}


def _pa():
    try:
        import pyarrow
    except ImportError:
        raise UnsupportedFeatureError("dtype_backend='pyarrow' needs pyarrow installed") from None
    return pyarrow


def arrow_type(ctype):
    """The pyarrow DataType of a ``ColumnType`` (dictionary and extension included)."""
    pa = _pa()
    value = _value_type(pa, ctype.type)
    if ctype.extension == "arrow.uuid" and hasattr(pa, "uuid"):
        value = pa.uuid()
    elif ctype.extension == "arrow.json" and hasattr(pa, "json_"):
        value = pa.json_(value)
    if ctype.dictionary is not None:
        d = ctype.dictionary
        return pa.dictionary(_int_type(pa, d.index_bit_width, d.index_signed), value, d.ordered)
    return value


def _int_type(pa, bits, signed):
    return getattr(pa, f"{'' if signed else 'u'}int{bits}")()


def _value_type(pa, t):
    k = t.kind
    simple = {"null": pa.null, "bool": pa.bool_, "utf8": pa.string, "binary": pa.binary,
              "large_utf8": pa.large_string, "large_binary": pa.large_binary,
              "utf8_view": pa.string_view, "binary_view": pa.binary_view}
    if k in simple:
        return simple[k]()
    if k == "int":
        return _int_type(pa, t.bit_width, t.signed)
    if k == "float":
        return {16: pa.float16, 32: pa.float32, 64: pa.float64}[t.bit_width]()
    if k == "timestamp":
        return pa.timestamp(t.unit, t.timezone)
    if k == "duration":
        return pa.duration(t.unit)
    if k == "date":
        return pa.date32()
    if k == "time":
        return pa.time32(t.unit) if t.bit_width == 32 else pa.time64(t.unit)
    if k == "decimal":
        if not 1 <= (t.precision or 0) <= 76:
            raise UnsupportedFeatureError(f"DECIMAL with precision {t.precision} has no Arrow type (1 to 76 digits)")
        return (pa.decimal128 if t.bit_width == 128 else pa.decimal256)(t.precision, t.scale)
    if k == "fixed_size_binary":
        return pa.binary(t.byte_width)
    raise UnsupportedFeatureError(f"no pyarrow type for {t}")


def _bitmap(pa, valid, start=0, n=None):
    if valid is None:
        return None
    v = valid[start:] if n is None else valid[start:start + n]
    return pa.py_buffer(np.packbits(v.view(bool), bitorder="little"))


# ------------------------------------------------------------------------ flat values
def decoded_to_arrow(d, ctype, int96_unit="ns"):
    """A pyarrow ChunkedArray of the ``Decoded`` values of one flat leaf, typed as ``ctype`` says."""
    pa = _pa()
    typ = arrow_type(ctype)
    leaf = d.leaf
    if leaf.physical_type == Type.INT96 and pa.types.is_timestamp(typ) and typ.unit != int96_unit:
        typ = pa.timestamp(int96_unit, typ.tz)  # values beyond datetime64[ns]: the unit that holds them
    storage = typ.storage_type if isinstance(typ, pa.BaseExtensionType) else typ
    valid = d.valid if d.has_nulls else None
    if pa.types.is_null(storage):
        arrays = [pa.nulls(d.n)]
    elif leaf.physical_type == Type.BYTE_ARRAY:
        arrays = _byte_array_chunks(pa, d, storage, valid)
    else:
        arrays = [_fixed(pa, d, storage, valid)]
    if storage is not typ:
        arrays = [pa.ExtensionArray.from_storage(typ, a) for a in arrays]
    return pa.chunked_array(arrays, typ)


def _fixed(pa, d, typ, valid):
    n = d.n
    bitmap = _bitmap(pa, valid)
    values = d.values
    if pa.types.is_boolean(typ):
        data = pa.py_buffer(np.packbits(values.view(bool), bitorder="little"))
    elif pa.types.is_decimal(typ):
        data = pa.py_buffer(_decimal_bytes(values, d.leaf, _DECIMAL_BYTES[typ.bit_width]))
    elif pa.types.is_integer(typ):
        data = pa.py_buffer(np.ascontiguousarray(values.astype(typ.to_pandas_dtype(), copy=False)))
    else:  # floats, float16 (FLBA rows), timestamps, dates, times, durations, fixed-size binary
        data = pa.py_buffer(np.ascontiguousarray(values))
    return pa.Array.from_buffers(typ, n, [bitmap, data])


def _decimal_bytes(values, leaf, width) -> np.ndarray:
    """Little-endian two's complement ``width``-byte rows for decimals stored as INT32/INT64/FLBA."""
    n = len(values)
    if leaf.physical_type in (Type.INT32, Type.INT64):
        v = values.astype(np.int64)
        out = np.empty((n, width // 8), np.int64)
        out[:, 0] = v
        out[:, 1:] = (v >> 63)[:, None]
        return out.view(np.uint8).reshape(n, width)
    rows = values  # FLBA: big-endian rows (n, w)
    w = rows.shape[1] if rows.ndim == 2 else 0
    out = np.zeros((n, width), np.uint8)
    take = min(w, width)
    if take:
        out[:, :take] = rows[:, w - take:][:, ::-1]
        out[rows[:, 0] >= 0x80, take:] = 0xFF
    if w > width:  # wider than Arrow's: the dropped bytes must be sign extension only
        sign = np.where(rows[:, w - width] >= 0x80, 0xFF, 0x00).astype(np.uint8)
        if not (rows[:, :w - width] == sign[:, None]).all():
            raise CorruptFileError(f"DECIMAL value of {w} bytes beyond the {width} bytes of its Arrow type",
                                   column=leaf.path)
    return out


def _byte_array_chunks(pa, d, typ, valid):
    decimal = pa.types.is_decimal(typ)
    # built with int32 offsets for string/binary, int64 otherwise; the view types are cast from large ones
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        build = pa.string() if pa.types.is_string(typ) else pa.large_string()
    else:
        build = pa.binary() if pa.types.is_binary(typ) else pa.large_binary()
    arrays = []
    pos = 0
    for chunk in (c for c in d.chunks if c is not None):
        n = len(chunk.offsets) - 1
        if decimal:
            arrays.append(_byte_array_decimals(pa, chunk, typ, valid, pos, d.leaf))
        else:
            for lo, hi in _pieces(chunk.offsets, build):
                arrays.append(_binary_piece(pa, chunk, lo, hi, build, valid, pos))
        pos += n
    if not arrays:
        arrays = [pa.array([], typ)]
    # STRING/ENUM bytes were checked for UTF-8 per page as decoded (column.reader); JSON's were not
    full = (pa.types.is_string(build) or pa.types.is_large_string(build)) and \
        d.leaf.logical.kind not in ("string", "enum")
    out = []
    for arr in arrays:
        try:
            arr.validate(full=full)
        except pa.ArrowInvalid as exc:
            raise CorruptFileError(f"values that do not form a valid Arrow {build}: {exc}", column=d.leaf.path) \
                from None
        out.append(arr if arr.type == typ else arr.cast(typ))
    return out


def _pieces(offsets, build):
    """[lo, hi) value ranges of one chunk whose bytes fit the offsets' width."""
    n = len(offsets) - 1
    large = build.id in (_pa().large_string().id, _pa().large_binary().id)
    if large or offsets[-1] <= _INT32_OFFSETS_LIMIT:
        return [(0, n)]
    pieces, lo = [], 0
    while lo < n:
        hi = int(np.searchsorted(offsets, offsets[lo] + _INT32_OFFSETS_LIMIT, side="right")) - 1
        hi = max(hi, lo + 1)
        pieces.append((lo, hi))
        lo = hi
    return pieces


def _binary_piece(pa, chunk, lo, hi, build, valid, pos):
    offsets = chunk.offsets[lo:hi + 1]
    base = int(offsets[0])
    large = build.id in (pa.large_string().id, pa.large_binary().id)
    if large and base == 0:
        off = offsets
    else:
        off = (offsets - base).astype(np.int64 if large else np.int32)
    data = chunk.data[base:int(offsets[-1])]
    return pa.Array.from_buffers(build, hi - lo, [_bitmap(pa, valid, pos + lo, hi - lo), pa.py_buffer(off),
                                                  pa.py_buffer(data)])


def _byte_array_decimals(pa, chunk, typ, valid, pos, leaf):
    n = len(chunk.offsets) - 1
    width = _DECIMAL_BYTES[typ.bit_width]
    data = chunk.data.tobytes()  # ByteArrays.data: exactly the bytes used
    offsets = chunk.offsets.tolist()
    out = bytearray()
    for i in range(n):
        value = int.from_bytes(data[offsets[i]:offsets[i + 1]], "big", signed=True) if offsets[i + 1] > offsets[i] else 0
        try:
            out += value.to_bytes(width, "little", signed=True)
        except OverflowError:  # (null slots hold no bytes: value 0)
            raise CorruptFileError(f"DECIMAL value of {offsets[i + 1] - offsets[i]} bytes beyond the {width} bytes "
                                   "of its Arrow type", column=leaf.path) from None
    return pa.Array.from_buffers(typ, n, [_bitmap(pa, valid, pos, n), pa.py_buffer(bytes(out))])


# ------------------------------------------------------------------------ dictionaries
def codes_to_arrow(codes, chunk_rows, dictionaries, valid, ctype):
    """A dictionary ChunkedArray: one chunk per column chunk, its codes into its own dictionary.

    ``dictionaries``: per chunk a pyarrow array of the dictionary values, or None
    (a chunk without a dictionary page holds only nulls).
    """
    pa = _pa()
    typ = arrow_type(ctype)
    arrays = []
    pos = 0
    for n, dictionary in zip(chunk_rows, dictionaries):
        if dictionary is None:
            dictionary = pa.array([], typ.value_type)
        index_type = typ.index_type if len(dictionary) <= _max_index(typ.index_type) else pa.int32()
        idx = np.where(codes[pos:pos + n] < 0, 0, codes[pos:pos + n]).astype(index_type.to_pandas_dtype())
        indices = pa.Array.from_buffers(index_type, n, [_bitmap(pa, valid, pos, n) if valid is not None else None,
                                                        pa.py_buffer(idx)])
        arr = pa.DictionaryArray.from_arrays(indices, dictionary, ordered=typ.ordered)
        arrays.append(arr if arr.type == typ else arr.cast(typ))
        pos += n
    if not arrays:
        arrays = [pa.DictionaryArray.from_arrays(pa.array([], typ.index_type), pa.array([], typ.value_type),
                                                 ordered=typ.ordered)]
    return pa.chunked_array(arrays, typ)


def _max_index(index_type) -> int:
    return np.iinfo(index_type.to_pandas_dtype()).max


def dictionary_encode(values, ctype):
    """Values (anything with ``__arrow_array__``) -> dictionary array, in first-seen order
    (for columns whose chunks are not entirely dictionary-encoded)."""
    pa = _pa()
    typ = arrow_type(ctype)
    arr = pa.array(values)
    encoded = (pa.chunked_array([arr]) if isinstance(arr, pa.Array) else arr).dictionary_encode()
    return encoded.cast(typ) if encoded.type != typ else encoded
