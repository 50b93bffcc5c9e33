"""Value decoders: one registry from Encoding to a function with one signature.

``decode(page_values, count, out, out_pos, dictionary) -> end`` decodes the
``count`` non-null values of one data page (``page_values`` is the uint8
values section, ending where the page ends) densely into ``out`` starting at
slot ``out_pos``, and returns where the encoded values end in ``page_values``
(bytes after the last value are ignored: see ``check_consumed``).
``out`` is a ``ValueBuffer`` (fixed-width, byte arrays,
FIXED_LEN_BYTE_ARRAY rows, booleans, INT96 or dictionary codes). A negative
kernel status raises ``KernelError``, which the column reader turns into a
``CorruptFileError`` with file, row group, column and offset.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._thrift import Encoding
from ...kernels import bss, delta, dictionary, plain, rle, timestamps
from ...kernels.status import (BAD_BIT_WIDTH, BAD_INDEX, BAD_LENGTH, BAD_VALUE, OUTPUT_OVERFLOW,
                              TRUNCATED, describe)


INT96_UNITS = ("ns", "us", "ms", "s")  # Decoded.int96_unit codes (kernels.plain.UNIT_NS ...)
SLACK = 16  # spare bytes after byte-array data: lets kernels move 16 bytes unconditionally


class KernelError(Exception):
    """A kernel returned a negative status: carries the words for it."""

    def __init__(self, status: int, what: str):
        super().__init__(f"{what}: {describe(status)}")
        self.status = status


def check(status, what: str):
    if status < 0:
        raise KernelError(int(status), what)
    return status


# ------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class ByteArrays:
    """One column chunk's decoded byte arrays: int64 ``offsets`` (n + 1) into ``data``
    (exactly the bytes used)."""

    offsets: np.ndarray
    data: np.ndarray


@dataclass(frozen=True)
class Decoded:
    """What the pandas layer converts: one leaf's decoded values and validity.

    ``values``: an array (fixed-width kinds; FLBA as uint8 rows; categorical codes when
    ``as_codes``), or None for byte arrays, which are in ``chunks`` (one ``ByteArrays``
    per column chunk, None for a chunk not read).
    ``valid``: uint8 mask (1 = not null) or None; ``has_nulls``: whether it holds a 0.
    ``int96_unit``: the unit code INT96 values were decoded in (``INT96_UNITS``).
    Codes mode (``as_codes``): ``dictionaries`` holds each chunk's dictionary as a
    ``Decoded`` (None where a chunk had none), ``chunk_rows`` the rows of each chunk.
    """

    leaf: object
    n: int
    values: np.ndarray | None = None
    chunks: tuple | None = None
    valid: np.ndarray | None = None
    has_nulls: bool = False
    int96_unit: int = 0
    as_codes: bool = False
    dictionaries: tuple = ()
    chunk_rows: tuple = ()


class FixedBuffer:
    """Fixed-width values (ints, floats; FLBA rows as uint8 (n, width))."""

    kind = "fixed"

    def __init__(self, values: np.ndarray, width: int):
        self.values = values
        self.width = width
        self.raw = values.reshape(-1).view(np.uint8)


class BoolBuffer:
    kind = "bool"

    def __init__(self, values: np.ndarray):
        self.values = values  # uint8, 0/1


class Int96Buffer:
    kind = "int96"

    def __init__(self, values: np.ndarray, unit: int, check_exact: bool = False):
        self.values = values  # int64 in `unit`
        self.unit = unit
        self.overflow = np.zeros(len(values), np.bool_)
        self.check_exact = check_exact and unit != plain.UNIT_NS
        self.inexact = False  # a value had digits below `unit` (floored)

    def note_exactness(self, src, count) -> None:
        if self.check_exact and not self.inexact:
            nanos_per_unit = 10 ** (3 * self.unit)
            self.inexact = check(timestamps.int96_sub_unit_free(src, 0, count, nanos_per_unit), "INT96 values") == 0


class ByteArrayBuffer:
    """Byte arrays of one column chunk: int64 offsets (n + 1) and growable uint8 data.

    With a ``budget`` (``fastpq.options.Budget``), the data's capacity is charged to it before
    it is allocated, growth included: dictionary gathers and DELTA_BYTE_ARRAY prefixes expand a
    few stored bytes without bound, and only the read's budget says how far they may.
    """

    kind = "bytes"

    def __init__(self, n: int, capacity: int, budget=None):
        self.budget = budget
        self.offsets = np.zeros(n + 1, np.int64)
        capacity = max(capacity, 16)
        if budget is not None:
            budget.charge(capacity, "byte array data")
        self.data = np.empty(capacity, np.uint8)

    def room(self, pos: int) -> int | None:
        """Bytes the values from slot ``pos`` on may take (None: no bound): the spare capacity
        and what the budget has left."""
        if self.budget is None:
            return None
        return len(self.data) - SLACK - int(self.offsets[pos]) + self.budget.room

    def reserve(self, pos: int, extra: int, expected_total: int = 0) -> None:
        """Make room for ``extra`` more data bytes after the value at slot ``pos`` (plus
        16 bytes of slack for the kernels' unconditional 16-byte moves); grow to
        ``expected_total`` at once when the caller can estimate the chunk's size."""
        used = int(self.offsets[pos])
        need = used + extra + SLACK
        if need <= len(self.data):
            return
        size = max(need, 2 * len(self.data), expected_total + SLACK)
        if self.budget is not None:  # the doubling must not be what exceeds the budget
            size = max(need, min(size, len(self.data) + self.budget.room))
            self.budget.charge(size - len(self.data), f"byte arrays growing to {need - SLACK:,} bytes")
        grown = np.empty(size, np.uint8)
        grown[:used] = self.data[:used]
        self.data = grown

    @property
    def used(self) -> np.ndarray:
        return self.data[: self.offsets[-1]]

    def result(self) -> ByteArrays:
        """The decoded values, for ``Decoded.chunks``."""
        return ByteArrays(self.offsets, self.used)


class Dictionary:
    """A decoded dictionary page: ``values`` (array, or (offsets, data) for byte arrays) and its size."""

    def __init__(self, values, size: int):
        self.values = values
        self.size = size


class CodesBuffer:
    """Dictionary indices kept as categorical codes (int8, int16 or int32), -1 at nulls."""

    kind = "codes"

    def __init__(self, codes: np.ndarray):
        self.values = codes


# ------------------------------------------------------------------- PLAIN
def _plain(src, count, out, pos, dictionary_values):
    kind = out.kind
    if kind == "fixed":
        return check(plain.plain_decode_fixed(src, 0, count, out.width, out.raw, pos), "PLAIN values")
    if kind == "bool":
        return check(rle.plain_bool_decode(src, 0, len(src), count, out.values, pos), "PLAIN booleans")
    if kind == "int96":
        end = check(plain.plain_decode_int96(src, 0, count, out.unit, out.values, out.overflow, pos), "INT96 values")
        out.note_exactness(src, count)
        return end
    if kind == "bytes":
        out.reserve(pos, len(src))
        return check(plain.plain_byte_array_decode(src, 0, count, out.offsets, pos, out.data), "PLAIN byte arrays")
    raise KernelError(BAD_VALUE, "PLAIN page in a column read as dictionary codes")


# ------------------------------------------------------------------- dictionary
def _indices(src, count, indices=None, pos: int = 0) -> tuple:
    """(indices, end of the encoded indices in ``src``): decoded into ``indices[pos:pos + count]``
    (a new int32 array when not given)."""
    if indices is None:
        indices = np.empty(count, np.int32)
    if count == 0:
        return indices, len(src)
    if len(src) < 1:
        raise KernelError(TRUNCATED, "dictionary indices")
    bit_width = int(src[0])
    if bit_width > 32:
        raise KernelError(BAD_BIT_WIDTH, "dictionary indices")
    if bit_width > 8 * indices.itemsize:
        raise CodesTooNarrow()
    end = check(rle.rle_hybrid_decode(src, 1, len(src), bit_width, count, indices, pos), "dictionary indices")
    if bit_width == 0:  # the decoder need not read the runs: find where they end (and that they are there)
        end = check(rle.rle_hybrid_skip(src, 1, len(src), 0, count), "dictionary indices")
    return indices, end


class CodesTooNarrow(Exception):
    """A dictionary (or its indices' bit width) does not fit the codes' integer type: read again wider."""


def _codes(src, count, codes, pos, size) -> int:
    """Decode dictionary indices into ``codes[pos:pos + count]``; each must be below ``size``."""
    if size > np.iinfo(codes.dtype).max + 1:
        raise CodesTooNarrow()
    # int8/int16 codes decode through int32, so the index kernels have one signature
    # (a cold numba cache compiled rle_hybrid_decode again per width: 3.6 s each)
    narrow = codes.dtype != np.int32
    indices, end = _indices(src, count, None if narrow else codes, 0 if narrow else pos)
    got = indices if narrow else codes[pos:pos + count]
    if count and not dictionary.indices_in_range(got, size):
        raise KernelError(BAD_INDEX, "dictionary indices")
    if narrow:
        codes[pos:pos + count] = indices
    return end


def _dictionary(src, count, out, pos, dictionary_values):
    if dictionary_values is None:
        raise KernelError(BAD_VALUE, "dictionary-encoded page without a dictionary page")
    kind = out.kind
    size = dictionary_values.size
    if kind == "codes":  # straight into the codes, then a range check
        return _codes(src, count, out.values, pos, size)
    indices, end = _indices(src, count)
    dictionary_values = dictionary_values.values
    if kind == "bytes":
        dict_offsets, dict_data = dictionary_values
        nbytes = check(dictionary.dictionary_gather_byte_array_size(dict_offsets, indices), "dictionary indices")
        remaining = len(out.offsets) - 1 - pos
        out.reserve(pos, nbytes, int(out.offsets[pos]) + nbytes * remaining // max(count, 1))
        check(dictionary.dictionary_gather_byte_array(dict_offsets, dict_data, indices, out.offsets, pos, out.data),
              "dictionary gather")
    elif kind == "fixed" and out.values.ndim == 2:
        check(dictionary.dictionary_gather_fixed_len(dictionary_values, out.width, indices, out.raw, pos),
              "dictionary gather")
    else:
        check(dictionary.dictionary_gather(dictionary_values, indices, out.values, pos), "dictionary gather")
    return end


# ------------------------------------------------------------------- others
def _delta_binary_packed(src, count, out, pos, dictionary_values):
    if out.kind != "fixed" or out.values.dtype.kind != "i":
        raise KernelError(BAD_VALUE, "DELTA_BINARY_PACKED on a type other than INT32/INT64")
    return check(delta.delta_binary_packed_decode(src, 0, count, out.values, pos), "DELTA_BINARY_PACKED values")


def _delta_length(src, count, out, pos, dictionary_values):
    if out.kind != "bytes":
        raise KernelError(BAD_VALUE, "DELTA_LENGTH_BYTE_ARRAY on a non-byte-array column")
    out.reserve(pos, len(src))
    return check(delta.delta_length_byte_array_decode(src, 0, count, out.offsets, pos, out.data),
                 "DELTA_LENGTH_BYTE_ARRAY values")


def _delta_byte_array(src, count, out, pos, dictionary_values):
    if out.kind not in ("bytes", "fixed"):
        raise KernelError(BAD_VALUE, "DELTA_BYTE_ARRAY on an unsupported column type")
    room = out.room(pos) if out.kind == "bytes" else count * out.width  # FLBA: each value is width bytes
    offsets, data, status = delta.delta_byte_array_decode_alloc(src, 0, count, room)
    if offsets is None:
        if status == OUTPUT_OVERFLOW and out.kind == "bytes":
            out.budget.refuse(f"DELTA_BYTE_ARRAY values of more than the {room:,} bytes left")
        raise KernelError(int(status), "DELTA_BYTE_ARRAY values")
    if out.kind == "bytes":
        out.reserve(pos, int(offsets[-1]))
        start = int(out.offsets[pos])
        out.data[start: start + offsets[-1]] = data[: offsets[-1]]
        out.offsets[pos + 1: pos + count + 1] = offsets[1:] + start
    else:  # FIXED_LEN_BYTE_ARRAY: every value must have the type length
        if np.any(np.diff(offsets) != out.width):
            raise KernelError(BAD_LENGTH, "DELTA_BYTE_ARRAY value of the wrong length")
        out.raw[pos * out.width:(pos + count) * out.width] = data[: count * out.width]
    return int(status)


def _byte_stream_split(src, count, out, pos, dictionary_values):
    if out.kind != "fixed":
        raise KernelError(BAD_VALUE, "BYTE_STREAM_SPLIT on an unsupported column type")
    end = check(bss.byte_stream_split_decode(src, 0, count, out.width, out.raw, pos), "BYTE_STREAM_SPLIT values")
    if end != len(src):  # the streams' length is the section's: stray bytes would shift every stream
        raise KernelError(BAD_VALUE, f"BYTE_STREAM_SPLIT: {count} values of {out.width} bytes take "
                                      f"{count * out.width} bytes, the page holds {len(src)}")
    return end


def _rle(src, count, out, pos, dictionary_values):
    if out.kind != "bool":
        raise KernelError(BAD_VALUE, "RLE values on a non-boolean column")
    return check(rle.rle_bool_decode(src, 0, len(src), count, out.values, pos), "RLE booleans")


def check_consumed(end: int, src, count: int, what: str) -> None:
    """The values of a page need not fill its values section: the page header's counts are
    authoritative and bytes after the last value are ignored (another writer's BYTE_ARRAY page
    left 2 stray bytes after its 24 values; fastparquet 0.8 padded pages with 8 zeros; duckdb,
    polars and pyarrow read both). Every encoding but BYTE_STREAM_SPLIT (whose stream length is
    the section's length) marks where its values end, so the trailing bytes are unambiguous.
    A decoder that needed more than the section holds is a real truncation; a dictionary page
    that announces no values but holds non-zero bytes has a damaged header (its categories
    would be lost)."""
    if count == 0 and what == "dictionary page" and src[end:].any():
        raise KernelError(BAD_VALUE, f"{what}: announces 0 values but holds {len(src) - end} bytes")
    if end > len(src):
        raise KernelError(TRUNCATED, f"{what}: {count} values need {end} bytes, the page holds {len(src)}")


DECODERS = {
    Encoding.PLAIN: _plain,
    Encoding.PLAIN_DICTIONARY: _dictionary,
    Encoding.RLE_DICTIONARY: _dictionary,
    Encoding.DELTA_BINARY_PACKED: _delta_binary_packed,
    Encoding.DELTA_LENGTH_BYTE_ARRAY: _delta_length,
    Encoding.DELTA_BYTE_ARRAY: _delta_byte_array,
    Encoding.BYTE_STREAM_SPLIT: _byte_stream_split,
    Encoding.RLE: _rle,
}
