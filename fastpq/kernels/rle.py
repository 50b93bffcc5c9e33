"""RLE / bit-packing hybrid and BOOLEAN values (Encodings.md "Run Length Encoding /
Bit-Packing Hybrid (RLE = 3)" and "Plain" for BOOLEAN).

Owns: the run headers (ULEB128 varints, read and written by :mod:`.varint`),
:func:`rle_hybrid_decode` / :func:`rle_hybrid_encode`
(levels, dictionary indices, RLE booleans), the 4-byte length prefix
(:func:`read_length_prefix`), and PLAIN / RLE booleans.

Grammar (spec): ``<run>*`` where a run is either
``varint(n_groups << 1 | 1)`` followed by ``n_groups * bit_width`` bytes of
8*n_groups values bit-packed LSB first, or ``varint(run_len << 1)`` followed by the
repeated value in ``ceil(bit_width / 8)`` little-endian bytes.

Decoding rules chosen here (the spec leaves them to readers):

* exactly ``count`` values are produced; a run reaching past ``count`` is cut
  there; the final bit-packed run only needs the bytes of the values used, so
  its zero padding (or a header announcing more groups than bytes remain) is fine;
* ``bit_width == 0``: ``count`` zeros, nothing is read, the position is unchanged;
* zero-length runs are skipped; run lengths above 2**31-1 are accepted;
* an RLE value must be ``< 2**bit_width`` and fit ``out``'s dtype (else BAD_VALUE);
  ``bit_width`` wider than ``out``'s item is BAD_BIT_WIDTH; bit-packed values of a
  signed ``out`` of exactly ``bit_width`` bits wrap (two's complement) - callers
  range-check dictionary indices anyway.

The returned position is the end of the last run used (as its header declares,
clamped to ``end``); callers that know the stream length (v1 length prefix, v2
level byte lengths, end of page) need not use it.
"""
from __future__ import annotations

import numpy as np

from fastpq.kernels._jit import kernel
from fastpq.kernels.bitpack import (_U, _check_out, _ld_le, _mask, _pack_unchecked, _st_le,
                                    _unpack_unchecked, bit_width_for, unpack_bits)
from fastpq.kernels.status import BAD_BIT_WIDTH, BAD_VALUE, OUTPUT_OVERFLOW, TRUNCATED, describe
from fastpq.kernels.varint import read_uleb128, write_uleb128

__all__ = ["read_length_prefix", "rle_hybrid_decode", "rle_hybrid_encode",
           "rle_hybrid_encode_into", "rle_hybrid_max_size", "bit_width_for",
           "plain_bool_decode", "plain_bool_encode", "rle_bool_decode", "rle_bool_encode"]

_MAX_RUN = 2**31 - 1          # spec: run lengths are in [1, 2**31 - 1]
_MAX_GROUPS = 63              # bit-packed runs written with a one-byte header (504 values)


@kernel
def read_length_prefix(src, pos, end):
    """The 4-byte little-endian length at ``src[pos:pos+4]``; the data is then
    ``src[pos+4 : pos+4+length]``. Returns length >= 0, or TRUNCATED if the prefix or
    the data it announces does not fit before ``end`` (or ``pos``/``end`` are out of src).
    """
    if pos < 0 or end > src.size or pos > end - 4:
        return TRUNCATED
    n = np.int64(_ld_le(src, pos, 4))
    if n > end - pos - 4:
        return TRUNCATED
    return n


@kernel
def _next_run(src, pos, end, bit_width, remaining):
    """Parse the run at ``pos`` (bit_width 1..64, remaining >= 1).

    Returns ``(kind, n, value, data_pos, run_end)``: kind 0 = RLE of ``value``,
    1 = bit-packed at ``data_pos`` (its ``ceil(n*bit_width/8)`` bytes are checked to be
    there), < 0 = status. ``n = min(run length, remaining)``.
    """
    header, p = read_uleb128(src, pos, end)
    if p < 0:
        return p, 0, _U(0), 0, 0
    half = header >> _U(1)
    if header & _U(1):
        avail = end - p
        n = remaining if half >= _U((remaining + 7) >> 3) else np.int64(half) * 8
        if (n * bit_width + 7) >> 3 > avail:
            return TRUNCATED, 0, _U(0), 0, 0
        if half > _U(avail):                         # declared bytes >= groups > avail
            return 1, n, _U(0), p, end
        return 1, n, _U(0), p, min(p + np.int64(half) * bit_width, end)
    n = remaining if half >= _U(remaining) else np.int64(half)
    nb = (bit_width + 7) >> 3
    if nb > end - p:
        return TRUNCATED, 0, _U(0), 0, 0
    v = _ld_le(src, p, nb)
    if v > _mask(bit_width):
        return BAD_VALUE, 0, _U(0), 0, 0
    return 0, n, v, p, p + nb


@kernel(work=lambda src, pos, end, bit_width, count, *rest: max(count, end - pos))
def rle_hybrid_decode(src, pos, end, bit_width, count, out, out_pos):
    """Decode exactly ``count`` values of the hybrid at ``src[pos:end]`` into
    ``out[out_pos:out_pos+count]`` (any integer dtype; bool via ``.view(np.uint8)``).

    Returns the position after the last run used, or TRUNCATED, BAD_HEADER,
    BAD_BIT_WIDTH (outside 0..64 or wider than out's item), BAD_VALUE, OUTPUT_OVERFLOW.
    """
    bit_width = np.int64(bit_width)          # e.g. a uint8 read from the page
    st = _check_out(src, pos, end, count, out, out_pos)
    if st < 0:
        return st
    if bit_width < 0 or bit_width > 64 or bit_width > out.itemsize * 8:
        return BAD_BIT_WIDTH
    if bit_width == 0:
        out[out_pos:out_pos + count] = 0
        return pos
    vmax = _U(np.iinfo(out.dtype).max)
    t = out.dtype.type
    done = 0
    while done < count:
        kind, n, v, data_pos, run_end = _next_run(src, pos, end, bit_width, count - done)
        if kind < 0:
            return kind
        o = out_pos + done
        if kind == 0:
            if v > vmax:
                return BAD_VALUE
            out[o:o + n] = t(v)
        else:
            _unpack_unchecked(src, data_pos, bit_width, n, out, o)
        done += n
        pos = run_end
    return pos


@kernel
def rle_hybrid_skip(src, pos, end, bit_width, count):
    """Position just past the runs at ``src[pos:end]`` that hold ``count`` values of
    ``bit_width`` (0..64) bits, nothing decoded; or TRUNCATED, BAD_HEADER, BAD_VALUE,
    BAD_BIT_WIDTH. For width 0, where ``rle_hybrid_decode`` need not read the runs at all,
    it tells where they end (and that they are there)."""
    if bit_width < 0 or bit_width > 64:
        return BAD_BIT_WIDTH
    done = 0
    while done < count:
        kind, n, v, data_pos, run_end = _next_run(src, pos, end, bit_width, count - done)
        if kind < 0:
            return kind
        done += n
        pos = run_end
    return pos


# ---------------------------------------------------------------- encoding
@kernel
def _emit_packed(values, start, n, bit_width, dst, q):
    """``values[start:start+n]`` as bit-packed runs of <= 63 groups (last group zero-padded)."""
    while n > 0:
        take = min(n, _MAX_GROUPS * 8)
        groups = (take + 7) >> 3
        q = write_uleb128(dst, q, _U(groups * 2 + 1))
        e = _pack_unchecked(values, start, take, bit_width, dst, q)
        q += groups * bit_width
        dst[e:q] = 0
        start += take
        n -= take
    return q


@kernel
def _emit_rle(value, n, bit_width, dst, q):
    """``n`` copies of uint64 ``value`` as RLE runs of <= 2**31-1 values."""
    nb = (bit_width + 7) >> 3
    while n > 0:
        take = min(n, _MAX_RUN)
        q = write_uleb128(dst, q, _U(take) << _U(1))
        _st_le(dst, q, value, nb)
        q += nb
        n -= take
    return q


@kernel
def _find_run8(values, i, count):
    """Start of the first run of >= 8 equal values in ``values[i:count]``, or count.
    Branch-free but for the (rarely taken) exit."""
    c = np.int64(0)                              # equal neighbours so far (0 after a change)
    prev = values[i]
    for k in range(i + 1, count):
        x = values[k]
        c = (c + 1) & -np.int64(x == prev)
        prev = x
        if c >= 7:
            return k - 7
    return count


@kernel
def _rle_pays(n, bit_width):
    """Whether ``n >= 8`` equal values are shorter as an RLE run than bit-packed, counting
    the header of the bit-packed run that must restart after it."""
    if bit_width == 0:
        return True
    cost = 2 + ((bit_width + 7) >> 3)            # RLE header + value + next literal header
    m = min(n, _MAX_RUN) >> 7
    while m > 0:                                 # longer RLE headers
        cost += 1
        m >>= 7
    return (n * bit_width + 7) >> 3 > cost


@kernel
def rle_hybrid_max_size(count, bit_width):
    """Bytes that always suffice for :func:`rle_hybrid_encode_into` of ``count`` values."""
    return (np.int64(count) // 8 + 2) * (np.int64(bit_width) + 16) + 16


@kernel
def rle_hybrid_encode_into(values, count, bit_width, dst):
    """Encode ``values[:count]`` (integers in ``0 .. 2**bit_width-1``; any sign for 64)
    into ``dst`` (>= :func:`rle_hybrid_max_size` bytes). Returns bytes written or
    BAD_VALUE (a value does not fit bit_width) / BAD_BIT_WIDTH / OUTPUT_OVERFLOW.

    Runs of >= 8 equal values become RLE runs where that is shorter than bit-packing
    them (always for bit_width >= 8; from 25 values at bit_width 1); the rest is
    bit-packed in groups of 8, <= 504 values per run. A bit-packed stretch before a
    run borrows up to 7 values of the run to end on a group boundary (only the last
    group of the stream is padded).
    """
    bit_width = np.int64(bit_width)          # e.g. a uint8 read from the page
    if bit_width < 0 or bit_width > 64:
        return BAD_BIT_WIDTH
    if count < 0 or count > values.size or dst.size < rle_hybrid_max_size(count, bit_width):
        return OUTPUT_OVERFLOW
    mask = _mask(bit_width)
    bad = False
    for k in range(count):                       # vectorised range check
        bad |= _U(values[k]) > mask
    if bad:
        return BAD_VALUE
    q = 0
    lit = 0                                      # first value not yet written
    i = 0
    while i < count:
        s = _find_run8(values, i, count)
        if s >= count:
            break
        j = s + 8
        while j < count and values[j] == values[s]:
            j += 1
        pad = (lit - s) & 7                      # values to borrow so lit..s ends a group
        if j - s - pad >= 8 and _rle_pays(j - s - pad, bit_width):
            q = _emit_packed(values, lit, s + pad - lit, bit_width, dst, q)
            q = _emit_rle(_U(values[s]), j - s - pad, bit_width, dst, q)
            lit = j
        i = j
    return _emit_packed(values, lit, count - lit, bit_width, dst, q)


def _as_values(values, count):
    values = np.ascontiguousarray(values)
    if count is None:
        count = values.size
    if not 0 <= count <= values.size:
        raise ValueError(f"count {count} outside 0..{values.size}")
    return values, int(count)


def rle_hybrid_encode(values, count=None, bit_width=None) -> np.ndarray:
    """RLE / bit-packing hybrid of ``values[:count]`` as a new uint8 array (no length
    prefix). ``bit_width`` defaults to :func:`bit_width_for` of the maximum.
    Raises ValueError if a value is negative or needs more than ``bit_width`` bits.
    """
    values, count = _as_values(values, count)
    if values.dtype == np.bool_:
        values = values.view(np.uint8)
    if bit_width is None:
        bit_width = bit_width_for(int(values[:count].max())) if count else 0
    bit_width = int(bit_width)
    dst = np.empty(rle_hybrid_max_size(count, bit_width), np.uint8)
    n = rle_hybrid_encode_into(values, count, bit_width, dst)
    if n < 0:
        raise ValueError(f"rle_hybrid_encode(bit_width={bit_width}): {describe(n)}")
    return dst[:n].copy()


# ---------------------------------------------------------------- booleans
@kernel
def plain_bool_decode(src, pos, end, count, out, out_pos):
    """PLAIN BOOLEAN: ``count`` bits LSB first from ``src[pos:end]`` into
    ``out[out_pos:out_pos+count]`` (uint8 0/1 or bool). Returns ``pos + ceil(count/8)``
    or TRUNCATED / OUTPUT_OVERFLOW.
    """
    return unpack_bits(src, pos, end, 1, count, out, out_pos)


@kernel
def _pack_bools(values, count, dst):
    """Nonzero -> 1, LSB first, into zeroed ``dst`` of ceil(count/8) bytes."""
    for i in range(count):
        if values[i]:
            dst[i >> 3] |= np.uint8(1 << (i & 7))


def plain_bool_encode(values, count=None) -> np.ndarray:
    """PLAIN BOOLEAN of ``values[:count]`` (nonzero is true) as a new uint8 array."""
    values, count = _as_values(values, count)
    dst = np.zeros((count + 7) // 8, np.uint8)
    _pack_bools(values, count, dst)
    return dst


@kernel
def rle_bool_decode(src, pos, end, count, out, out_pos):
    """RLE BOOLEAN (4-byte length prefix, then the hybrid at bit_width 1), as in data
    pages v1 and v2. ``out`` is uint8 or bool (C-contiguous). Returns the position
    after the prefixed data, or a status (TRUNCATED, BAD_HEADER, BAD_VALUE, ...).
    """
    n = read_length_prefix(src, pos, end)
    if n < 0:
        return n
    st = rle_hybrid_decode(src, pos + 4, pos + 4 + n, 1, count, out.view(np.uint8), out_pos)
    if st < 0:
        return st
    return pos + 4 + n


def rle_bool_encode(values, count=None) -> np.ndarray:
    """RLE BOOLEAN of ``values[:count]`` (nonzero is true): 4-byte LE length + hybrid."""
    values, count = _as_values(values, count)
    body = rle_hybrid_encode((values[:count] != 0).view(np.uint8), count, 1)
    out = np.empty(4 + body.size, np.uint8)
    out[:4] = np.array([body.size], '<u4').view(np.uint8)
    out[4:] = body
    return out
