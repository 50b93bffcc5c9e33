"""The values section of one data page: dense non-null values -> encoded bytes.

One function per encoding (Encodings.md), all with the signature
``(col, v0, v1) -> uint8 array`` over the dense values ``v0 <= i < v1`` of a
``ColumnData``; ``VALUE_ENCODERS`` maps ``Encoding`` to them (no if/elif chains
over encodings). ``ENCODINGS_FOR`` says which encodings each physical type
accepts, so a request for e.g. DELTA_BINARY_PACKED on a DOUBLE column fails
early with a clear message.
"""
from __future__ import annotations

import numpy as np

from ..._thrift import Encoding, Type
from ...errors import UnsupportedFeatureError


def _flat(values: np.ndarray) -> np.ndarray:
    """Raw little-endian bytes of fixed-width values (1-D numeric or (n, L) uint8)."""
    from ...kernels.plain import plain_encode_fixed

    return plain_encode_fixed(values)


def plain(col, v0: int, v1: int) -> np.ndarray:
    """PLAIN (Encodings.md "Plain"): raw values, booleans bit-packed, byte arrays length-prefixed."""
    if col.offsets is not None:
        from ...kernels.plain import plain_encode_byte_array

        return plain_encode_byte_array(col.offsets[v0:v1 + 1], col.data)
    if col.is_bool:
        from ...kernels.rle import plain_bool_encode

        return plain_bool_encode(col.values[v0:v1])
    return _flat(col.values[v0:v1])


def rle_bool(col, v0: int, v1: int) -> np.ndarray:
    """RLE booleans: 4-byte length, then the hybrid at bit width 1 (data pages v1 and v2)."""
    from ...kernels.rle import rle_bool_encode

    return rle_bool_encode(col.values[v0:v1])


def delta_binary_packed(col, v0: int, v1: int) -> np.ndarray:
    """DELTA_BINARY_PACKED of INT32 / INT64 values (unsigned values by their bits)."""
    from ...kernels.delta import delta_binary_packed_encode

    values = col.values[v0:v1]
    return delta_binary_packed_encode(values, is32=values.dtype.itemsize == 4)


def _byte_array_view(col, v0, v1):
    if col.offsets is not None:
        return col.offsets[v0:v1 + 1], col.data
    width = col.type_length
    flat = np.ascontiguousarray(col.values[v0:v1]).reshape(-1).view(np.uint8)
    return np.arange(0, (v1 - v0) * width + 1, width, dtype=np.int64), flat


def delta_length_byte_array(col, v0: int, v1: int) -> np.ndarray:
    """DELTA_LENGTH_BYTE_ARRAY: delta-packed lengths, then the bytes back to back."""
    from ...kernels.delta import delta_length_byte_array_encode

    return delta_length_byte_array_encode(*_byte_array_view(col, v0, v1))


def delta_byte_array(col, v0: int, v1: int) -> np.ndarray:
    """DELTA_BYTE_ARRAY (incremental / front coding) of byte arrays or fixed-length ones."""
    from ...kernels.delta import delta_byte_array_encode

    return delta_byte_array_encode(*_byte_array_view(col, v0, v1))


def byte_stream_split(col, v0: int, v1: int) -> np.ndarray:
    """BYTE_STREAM_SPLIT: byte k of every value, for k in 0..width-1."""
    from ...kernels.bss import byte_stream_split_encode

    values = col.values[v0:v1]
    if values.ndim == 2:
        return byte_stream_split_encode(values, values.shape[1])
    return byte_stream_split_encode(values)


def dictionary_indices(indices: np.ndarray, bit_width: int) -> np.ndarray:
    """RLE_DICTIONARY data: one byte of bit width, then the hybrid (no length prefix)."""
    from ...kernels.rle import rle_hybrid_encode

    body = rle_hybrid_encode(indices, len(indices), bit_width)
    out = np.empty(body.size + 1, np.uint8)
    out[0] = bit_width
    out[1:] = body
    return out


VALUE_ENCODERS = {
    Encoding.PLAIN: plain,
    Encoding.RLE: rle_bool,
    Encoding.DELTA_BINARY_PACKED: delta_binary_packed,
    Encoding.DELTA_LENGTH_BYTE_ARRAY: delta_length_byte_array,
    Encoding.DELTA_BYTE_ARRAY: delta_byte_array,
    Encoding.BYTE_STREAM_SPLIT: byte_stream_split,
}

ENCODINGS_FOR = {
    Type.BOOLEAN: {Encoding.PLAIN, Encoding.RLE},
    Type.INT32: {Encoding.PLAIN, Encoding.DELTA_BINARY_PACKED, Encoding.BYTE_STREAM_SPLIT,
                 Encoding.RLE_DICTIONARY},
    Type.INT64: {Encoding.PLAIN, Encoding.DELTA_BINARY_PACKED, Encoding.BYTE_STREAM_SPLIT,
                 Encoding.RLE_DICTIONARY},
    Type.INT96: {Encoding.PLAIN, Encoding.RLE_DICTIONARY},
    Type.FLOAT: {Encoding.PLAIN, Encoding.BYTE_STREAM_SPLIT, Encoding.RLE_DICTIONARY},
    Type.DOUBLE: {Encoding.PLAIN, Encoding.BYTE_STREAM_SPLIT, Encoding.RLE_DICTIONARY},
    Type.BYTE_ARRAY: {Encoding.PLAIN, Encoding.DELTA_LENGTH_BYTE_ARRAY, Encoding.DELTA_BYTE_ARRAY,
                      Encoding.RLE_DICTIONARY},
    Type.FIXED_LEN_BYTE_ARRAY: {Encoding.PLAIN, Encoding.DELTA_BYTE_ARRAY,
                                Encoding.BYTE_STREAM_SPLIT, Encoding.RLE_DICTIONARY},
}


def check_encoding(encoding: int, physical_type: int, column: str) -> None:
    """Raise if ``encoding`` cannot encode values of ``physical_type``."""
    if encoding not in ENCODINGS_FOR.get(physical_type, ()):
        enc = Encoding._VALUES_TO_NAMES.get(encoding, encoding)
        ptype = Type._VALUES_TO_NAMES.get(physical_type, physical_type)
        raise UnsupportedFeatureError(f"column {column!r}: encoding {enc} cannot encode {ptype} values")


# what each physical type's dense values must be: (numpy kinds, item size); FIXED_LEN_BYTE_ARRAY
# and INT96 take (n, type_length) uint8 rows or 1-D values of that size, BYTE_ARRAY offsets + data
_STORAGE = {Type.BOOLEAN: ("b", 1), Type.INT32: ("iu", 4), Type.INT64: ("iu", 8), Type.FLOAT: ("f", 4),
            Type.DOUBLE: ("f", 8)}


def check_storage(spec, col) -> None:
    """Raise ``ParquetError`` unless ``col``'s dense values have exactly the layout of
    ``spec``'s physical type: the last guard against writing a value in the wrong width
    (8-byte values into a 4-byte leaf read back as garbage, not as an error)."""
    from ...errors import ParquetError

    if col.dictionary is not None:
        if col.values is None or col.values.dtype != np.int32:
            raise ParquetError(f"column {'.'.join(spec.path)!r}: dictionary indices must be int32")
        col = col.dictionary
    ptype = spec.physical_type
    if ptype == Type.BYTE_ARRAY:
        ok = col.offsets is not None and col.data is not None
    elif col.values is None:
        ok = False
    elif ptype in _STORAGE:
        kinds, size = _STORAGE[ptype]
        ok = col.values.ndim == 1 and col.values.dtype.kind in kinds and col.values.dtype.itemsize == size
    else:
        width = 12 if ptype == Type.INT96 else spec.type_length
        v = col.values
        ok = (v.ndim == 2 and v.dtype == np.uint8 and v.shape[1] == width) or (v.ndim == 1 and v.dtype.itemsize == width)
    if not ok:
        found = "byte arrays" if col.offsets is not None else f"{col.values.dtype}{list(col.values.shape[1:])}"
        raise ParquetError(f"column {'.'.join(spec.path)!r}: {Type._VALUES_TO_NAMES.get(ptype, ptype)} "
                           f"values cannot be written from {found} (a conversion bug: nothing was written)")
