"""PLAIN encoding (Encodings.md, "Plain: (PLAIN = 0)") for every physical type but BOOLEAN.

Owns: fixed-width values (INT32, INT64, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY) as
raw little-endian bytes, INT96 timestamps (8-byte little-endian nanoseconds of
the day, then a 4-byte little-endian Julian day) converted to int64 in a chosen
unit, and BYTE_ARRAY (a 4-byte little-endian length followed by the bytes).
BOOLEAN (bit-packed) lives with the RLE/bit-packing hybrid in ``rle.py``.

Conventions: ``src`` is a uint8 array that ends where the page's values end
(pass a slice of the page); ``pos`` is where the values start. Decoders write
into preallocated outputs at ``out_pos`` (counted in values) and return the new
``src`` position, or a negative code from :mod:`fastpq.kernels.status`.
Byte arrays decode into ``offsets`` (int64, ``offsets[out_pos]`` already holds
the data position of the first value; the kernel fills ``offsets[out_pos+1 :
out_pos+count+1]``) plus ``data`` (uint8). The kernels assume a little-endian
machine, like the rest of fastpq.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .bitpack import _ld_le_python, _st_le_python
from .status import BAD_LENGTH, BAD_VALUE, OUTPUT_OVERFLOW, TRUNCATED

# INT96 timestamp units; a kernel takes the code, callers may look it up by name.
UNIT_NS, UNIT_US, UNIT_MS, UNIT_S = 0, 1, 2, 3
UNIT_CODES = {"ns": UNIT_NS, "us": UNIT_US, "ms": UNIT_MS, "s": UNIT_S}
JULIAN_DAY_OF_EPOCH = 2440588          # Julian day number of 1970-01-01
NANOS_PER_DAY = 86_400_000_000_000
_INT64_MAX = 9223372036854775807
_INT64_MIN = -9223372036854775807 - 1
_MAX_BYTE_ARRAY_LENGTH = 0x7FFFFFFF    # a BYTE_ARRAY length is a non-negative int32


@kernel(inline="always")
def span_fits(pos, count, width, size):
    """True if ``count`` values of ``width`` bytes from ``pos`` fit in ``size`` bytes
    (computed without multiplying, so hostile counts cannot overflow)."""
    return 0 <= pos <= size and count >= 0 and width > 0 and count <= (size - pos) // width


# ----------------------------------------------------------------------------------
# fixed width: INT32, INT64, FLOAT, DOUBLE, FIXED_LEN_BYTE_ARRAY
# ----------------------------------------------------------------------------------
def plain_view(src, pos, count, dtype):
    """Zero-copy view of ``count`` PLAIN values of ``dtype`` at ``src[pos:]``.

    Returns ``(values, new_pos)``; ``(None, TRUNCATED)`` when ``src`` is too short.
    The view may be unaligned and shares memory with ``src``.
    """
    dtype = np.dtype(dtype).newbyteorder("<")
    if not (0 <= pos <= len(src) and 0 <= count <= (len(src) - pos) // dtype.itemsize):
        return None, TRUNCATED
    end = pos + count * dtype.itemsize
    return src[pos:end].view(dtype), end


def _copy_block_python(src, pos, out, start, nbytes):
    """copy_block's stand-in while kernels run interpreted (see fastpq.kernels._jit)."""
    out[start:start + nbytes] = src[pos:pos + nbytes]


@kernel(inline="always", python=_copy_block_python)
def copy_block(src, pos, out, start, nbytes):
    """``out[start:start + nbytes] = src[pos:pos + nbytes]`` for one large block (caller checks
    bounds), as 8-byte words: numba compiles a uint8 slice assignment to a byte loop, ~2.6x slower than memcpy
    (36 vs 14 ms for 80 MB), where the word loop runs at memcpy speed."""
    n8 = nbytes // 8
    if n8 > 0:
        words_in = src[pos:pos + n8 * 8].view(np.uint64)
        words_out = out[start:start + n8 * 8].view(np.uint64)
        for i in range(n8):
            words_out[i] = words_in[i]
    for k in range(n8 * 8, nbytes):
        out[start + k] = src[pos + k]


@kernel
def plain_decode_fixed(src, pos, count, width, out, out_pos):
    """Copy ``count`` values of ``width`` bytes into the uint8 array ``out``.

    ``out`` is the raw byte view of the output (``typed.view(np.uint8)``, or a
    flat FIXED_LEN_BYTE_ARRAY buffer); ``out_pos`` counts values, not bytes.
    """
    if not span_fits(pos, count, width, len(src)):
        return TRUNCATED
    if out_pos > len(out) or not span_fits(out_pos * width, count, width, len(out)):
        return OUTPUT_OVERFLOW
    nbytes = count * width
    start = out_pos * width
    copy_block(src, pos, out, start, nbytes)
    return pos + nbytes


def plain_encode_fixed(values):
    """PLAIN bytes of a numeric array (little-endian), as a uint8 array (no copy if possible)."""
    values = np.ascontiguousarray(values)
    return values.astype(values.dtype.newbyteorder("<"), copy=False).reshape(-1).view(np.uint8)


# ----------------------------------------------------------------------------------
# INT96 timestamps
# ----------------------------------------------------------------------------------
def _load_le_python(src, p, nbytes):
    """load_le's stand-in while kernels run interpreted (see fastpq.kernels._jit): bitpack's
    unsigned load, as int64 bits."""
    return _ld_le_python(src, p, nbytes).astype(np.int64)


@kernel(inline="always", python=_load_le_python)
def load_le(src, p, nbytes):
    """Little-endian integer of ``nbytes`` (<= 8) bytes at ``src[p]`` (``p >= 0``,
    caller checks bounds), as int64 bits. Indexing with unsigned ints spares
    numba's negative-index check, which lets LLVM merge the bytes into one load
    (7x faster)."""
    q = np.uint64(p)
    v = np.int64(0)
    for k in range(nbytes):
        v |= np.int64(src[q + np.uint64(k)]) << (8 * k)
    return v


@kernel(inline="always")
def _unit_scale(unit):
    """(units per day, nanoseconds per unit) for a unit code."""
    if unit == UNIT_NS:
        return NANOS_PER_DAY, 1
    if unit == UNIT_US:
        return NANOS_PER_DAY // 1000, 1000
    if unit == UNIT_MS:
        return NANOS_PER_DAY // 1000_000, 1000_000
    return NANOS_PER_DAY // 1000_000_000, 1000_000_000


@kernel(inline="always")
def _int96_value(src, p, per_day, nanos_per_unit):
    """(timestamp, fits) for the INT96 at ``src[p]``; ``fits`` is False when the
    value does not fit int64 or equals int64 min (pandas' NaT)."""
    nanos = load_le(src, p, 8)
    julian = ((load_le(src, p + 8, 4) ^ 0x80000000) - 0x80000000)
    sub = nanos // nanos_per_unit            # the nanoseconds may exceed a day: carry
    carry = sub // per_day
    days = julian - JULIAN_DAY_OF_EPOCH + carry
    rem = sub - carry * per_day              # 0 <= rem < per_day
    hi = _INT64_MAX // per_day               # days * per_day fits for |days| <= hi
    if days > hi or days < -hi - 1:
        return np.int64(0), False
    if days < -hi:                           # -hi - 1: keep the product in range
        days += 1
        rem -= per_day
    a = days * per_day
    if (rem > 0 and a > _INT64_MAX - rem) or (rem < 0 and a < _INT64_MIN - rem):
        return np.int64(0), False
    v = a + rem
    if v == _INT64_MIN:
        return np.int64(0), False
    return v, True


@kernel
def plain_decode_int96(src, pos, count, unit, out, overflow, out_pos):
    """Decode ``count`` INT96 timestamps into int64 ``out`` in ``unit`` (UNIT_*).

    ``overflow`` (bool, same length as ``out``) gets True where the timestamp
    does not fit int64 in that unit (the value written is then 0): such values
    never wrap. Sub-unit nanoseconds are floored. See :func:`int96_finest_unit`.
    """
    if not span_fits(pos, count, 12, len(src)):
        return TRUNCATED
    if not (span_fits(out_pos, count, 1, len(out)) and span_fits(out_pos, count, 1, len(overflow))):
        return OUTPUT_OVERFLOW
    per_day, nanos_per_unit = _unit_scale(unit)
    for i in range(count):
        v, fits = _int96_value(src, pos + 12 * i, per_day, nanos_per_unit)
        out[out_pos + i] = v
        overflow[out_pos + i] = not fits
    return pos + 12 * count


@kernel
def int96_finest_unit(src, pos, count):
    """Finest unit code (UNIT_NS..UNIT_S) in which all ``count`` INT96 values fit.

    Every INT96 fits in seconds, so the answer is always a unit unless the
    input is short (TRUNCATED).
    """
    if not span_fits(pos, count, 12, len(src)):
        return TRUNCATED
    unit = UNIT_NS
    for i in range(count):
        while unit < UNIT_S:
            per_day, nanos_per_unit = _unit_scale(unit)
            v, fits = _int96_value(src, pos + 12 * i, per_day, nanos_per_unit)
            if fits:
                break
            unit += 1
    return unit


@kernel
def plain_encode_int96(values, unit, out):
    """Write int64 timestamps in ``unit`` as INT96 into uint8 ``out`` (12 bytes each).

    Returns the bytes written, OUTPUT_OVERFLOW if ``out`` is short, or BAD_VALUE
    if a Julian day does not fit the 4-byte field (only possible for ms and s).
    """
    n = len(values)
    if len(out) < 12 * n:
        return OUTPUT_OVERFLOW
    per_day, nanos_per_unit = _unit_scale(unit)
    for i in range(n):
        v = values[i]
        days = v // per_day
        nanos = (v - days * per_day) * nanos_per_unit
        julian = days + JULIAN_DAY_OF_EPOCH
        if julian > 0x7FFFFFFF or julian < -0x80000000:
            return BAD_VALUE
        p = 12 * i
        for k in range(8):
            out[p + k] = (nanos >> (8 * k)) & 0xFF
        for k in range(4):
            out[p + 8 + k] = (julian >> (8 * k)) & 0xFF
    return 12 * n


# ----------------------------------------------------------------------------------
# BYTE_ARRAY
# ----------------------------------------------------------------------------------
@kernel
def plain_byte_array_scan(src, pos, count):
    """Validate ``count`` PLAIN byte arrays at ``src[pos:]``; return their total
    data bytes (the encoded size is then ``4 * count + total``).

    BAD_LENGTH for a length above 2**31 - 1, TRUNCATED when the values run past
    the end of ``src``.
    """
    n = len(src)
    if count < 0 or pos < 0:
        return TRUNCATED
    p = pos
    for i in range(count):
        if p + 4 > n:
            return TRUNCATED
        length = load_le(src, p, 4)
        if length > _MAX_BYTE_ARRAY_LENGTH:
            return BAD_LENGTH
        p += 4
        if length > n - p:
            return TRUNCATED
        p += length
    return p - pos - 4 * count


@kernel(work=lambda src, pos, count, *rest: count)   # interpreted, a value is one slice copy
def plain_byte_array_decode(src, pos, count, offsets, out_pos, data):
    """Decode ``count`` PLAIN byte arrays into ``offsets`` + ``data``.

    Value ``i`` goes to ``data[offsets[out_pos+i] : offsets[out_pos+i+1]]``;
    ``offsets[out_pos]`` must hold the current end of ``data`` (0 for the first
    page). Returns the new ``src`` position, or (with the outputs partly written)
    TRUNCATED when the values run past the end of ``src``, BAD_LENGTH for a length
    above 2**31 - 1, OUTPUT_OVERFLOW if ``offsets`` or ``data`` is too small (``data``
    never needs more than ``len(src) - pos`` bytes). One pass, each length checked as
    it is read: 11 -> 6 ns per 19-byte value against validating all lengths first.
    """
    if out_pos < 0 or count < 0 or pos < 0 or out_pos + count + 1 > len(offsets):
        return OUTPUT_OVERFLOW
    n = len(src)
    d = offsets[out_pos]
    data_len = len(data)
    if d < 0 or d > data_len:
        return OUTPUT_OVERFLOW
    p = pos
    for i in range(count):
        if p + 4 > n:
            return TRUNCATED
        length = load_le(src, p, 4)
        p += 4
        if length > n - p:
            return BAD_LENGTH if length > _MAX_BYTE_ARRAY_LENGTH else TRUNCATED
        if length > data_len - d:
            return OUTPUT_OVERFLOW
        copy_bytes(src, p, data, d, length, data_len)
        p += length
        d += length
        offsets[out_pos + i + 1] = d
    return p


@kernel(inline="always", python=_st_le_python)   # interpreted: bitpack's 8-byte store
def store_le8(dst, d, v):
    """The 8 bytes of ``v`` (int64 bits) little-endian at ``dst[d]`` (``d >= 0``, caller checks
    bounds); like load_le, unsigned indices let LLVM merge the byte stores into one."""
    q = np.uint64(d)
    u = np.uint64(v)
    for k in range(8):
        dst[q + np.uint64(k)] = np.uint8((u >> np.uint64(8 * k)) & np.uint64(255))


def _copy_bytes_python(src, s, dst, d, length, dst_end):
    """copy_bytes' stand-in while kernels run interpreted (copies exactly ``length``)."""
    dst[d:d + length] = src[s:s + length]


@kernel(inline="always", python=_copy_bytes_python)
def copy_bytes(src, s, dst, d, length, dst_end):
    """``dst[d:d+length] = src[s:s+length]`` (``s, d >= 0``), in 16 then 8-byte
    steps while that stays before ``dst_end`` (the end of what the caller
    writes: bytes past ``d+length`` may be overwritten up to there) and inside
    ``src``. The unconditional first 16 bytes spare short values a mispredicted
    loop exit; 8-byte loads and stores (load_le / store_le8): 20 -> 13 ns per
    19-byte value in plain_byte_array_decode, against byte moves LLVM did not merge."""
    if s + length + 16 <= len(src) and d + length + 16 <= dst_end:
        store_le8(dst, d, load_le(src, s, 8))
        store_le8(dst, d + 8, load_le(src, s + 8, 8))
        for k in range(16, length, 8):
            store_le8(dst, d + k, load_le(src, s + k, 8))
    else:
        for k in range(length):
            dst[d + k] = src[s + k]


@kernel
def check_offsets(offsets, data_len):
    """OK (0) if ``offsets`` is non-decreasing and within ``[0, data_len]``, else BAD_LENGTH."""
    n = len(offsets)
    if n == 0:
        return BAD_LENGTH
    if offsets[0] < 0 or offsets[n - 1] > data_len:
        return BAD_LENGTH
    for i in range(n - 1):
        if offsets[i + 1] < offsets[i]:
            return BAD_LENGTH
    return 0


@kernel
def _plain_byte_array_encode(offsets, data, out):
    p = 0
    for i in range(len(offsets) - 1):
        s = offsets[i]
        length = offsets[i + 1] - s
        if length > _MAX_BYTE_ARRAY_LENGTH:
            return BAD_LENGTH
        if p + 8 <= len(out):
            store_le8(out, p, length)  # one store; its upper 4 bytes are the value's, written next
        else:
            for k in range(4):
                out[p + k] = (length >> (8 * k)) & 0xFF
        p += 4
        copy_bytes(data, s, out, p, length, len(out))
        p += length
    return p


def plain_encode_byte_array(offsets, data):
    """PLAIN bytes of the byte arrays ``data[offsets[i]:offsets[i+1]]`` (new uint8 array).

    ``offsets`` (int64, n+1 entries, need not start at 0) must be
    non-decreasing within ``data`` and each value shorter than 2**31 bytes;
    otherwise ValueError (a caller bug, not corrupt input).
    """
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    data = np.ascontiguousarray(data, dtype=np.uint8)
    if check_offsets(offsets, len(data)) != 0:
        raise ValueError("offsets are not non-decreasing within data")
    n = len(offsets) - 1
    out = np.empty(4 * n + int(offsets[-1] - offsets[0]), dtype=np.uint8)
    if _plain_byte_array_encode(offsets, data, out) < 0:
        raise ValueError("a byte array is longer than 2**31 - 1 bytes")
    return out
