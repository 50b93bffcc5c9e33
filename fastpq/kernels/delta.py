"""Delta encodings (Encodings.md): "Delta Encoding (DELTA_BINARY_PACKED = 5)" for
INT32 and INT64, "Delta-length byte array: (DELTA_LENGTH_BYTE_ARRAY = 6)" and
"Delta Strings: (DELTA_BYTE_ARRAY = 7)".

DELTA_BINARY_PACKED layout: a header ``<block size in values> <number of
miniblocks in a block> <total value count> <first value>`` (ULEB128, the first
value zigzag ULEB128), then blocks of ``<min delta> <list of bitwidths of
miniblocks> <miniblocks>``. All arithmetic is done on int64 bit patterns and
wraps in 2's complement; INT32 columns wrap in 32 bits (``is32``).

Conventions as in ``plain.py``: ``src`` is uint8 and ends where the page's
values end, decoders return the position just past the encoded data (also when
asked for fewer values than the stream holds: the rest is skipped, not
decoded) or a negative status. Byte arrays decode into int64 ``offsets``
(``offsets[out_pos]`` holds the current end of ``data``) plus uint8 ``data``.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .plain import check_offsets, copy_block, copy_bytes, load_le
from .status import (BAD_BIT_WIDTH, BAD_HEADER, BAD_LENGTH, BAD_VALUE, OUTPUT_OVERFLOW,
                     TRUNCATED)
from .varint import read_uleb128, uleb128_size, write_uleb128, zigzag_decode, zigzag_encode

BLOCK_SIZE = 128                # the encoder default (parquet-java; arrow for INT32)
MINIBLOCKS_PER_BLOCK = 4
_MAX_BLOCK_SIZE = 1 << 28       # bounds header arithmetic; real files use 128..1024
_MAX_COUNT = (1 << 62) - 1


# ----------------------------------------------------------------------------------
# bits (ULEB128 and zigzag: .varint)
# ----------------------------------------------------------------------------------
@kernel(inline="always")
def _lsr(v, k):
    """Logical shift right of the int64 bit pattern ``v`` by ``k`` (0..63)."""
    if k == 0:
        return v
    return (v >> k) & ~(np.int64(-1) << (64 - k))


@kernel(inline="always")
def _read_int64(src, p):
    """A header ULEB128 as an int64 bit pattern (a count above 2**63 turns negative,
    which the header checks refuse), and the new position or a status."""
    v, p = read_uleb128(src, p, len(src))
    return np.int64(v), p


@kernel(inline="always")
def _wrap(v, sign_shift):
    """``v`` wrapped to int32 when ``sign_shift`` is 32, unchanged when it is 0."""
    return (v << sign_shift) >> sign_shift


@kernel(inline="always")
def _bits_at(src, p, bit, width):
    """``width`` (1..64) bits starting ``bit`` bits after ``src[p]``, LSB first."""
    j = p + (bit >> 3)
    s = bit & 7
    v = np.int64(src[j]) >> s
    got = 8 - s
    while got < width:
        j += 1
        v |= np.int64(src[j]) << got
        got += 8
    if width < 64:
        v &= ~(np.int64(-1) << width)
    return v


# ----------------------------------------------------------------------------------
# DELTA_BINARY_PACKED decoding
# ----------------------------------------------------------------------------------
@kernel
def delta_binary_packed_header(src, pos):
    """Parse and validate the header at ``src[pos]``.

    Returns ``(block_size, miniblocks, total_count, first_value, p)`` where ``p``
    is the position of the first block, or a negative status (then the other
    fields are meaningless). Checks: block size a positive multiple of 128, the
    miniblock count divides it into multiples of 32, counts in range.
    """
    if pos < 0:
        return 0, 0, 0, np.int64(0), TRUNCATED
    block_size, p = _read_int64(src, pos)
    if p < 0:
        return 0, 0, 0, np.int64(0), p
    miniblocks, p = _read_int64(src, p)
    if p < 0:
        return 0, 0, 0, np.int64(0), p
    total, p = _read_int64(src, p)
    if p < 0:
        return 0, 0, 0, np.int64(0), p
    first, p = read_uleb128(src, p, len(src))
    if p < 0:
        return 0, 0, 0, np.int64(0), p
    if (block_size <= 0 or block_size > _MAX_BLOCK_SIZE or block_size % 128 != 0
            or miniblocks <= 0 or block_size % miniblocks != 0
            or (block_size // miniblocks) % 32 != 0
            or total < 0 or total > _MAX_COUNT):
        return 0, 0, 0, np.int64(0), BAD_HEADER
    return block_size, miniblocks, total, zigzag_decode(first), p


@kernel
def delta_binary_packed_count(src, pos):
    """Total value count announced by the header at ``src[pos]``, or a status."""
    block_size, miniblocks, total, first, p = delta_binary_packed_header(src, pos)
    return total if p >= 0 else p


@kernel(inline="always")
def _unpack_miniblock(src, p, width, k, last, min_delta, out, o, sign_shift):
    """Add ``k`` bit-packed deltas of ``width`` bits at ``src[p]`` to ``last``,
    writing each running value to ``out[o:o+k]``; returns the last value."""
    if width == 0:
        for i in range(k):
            last += min_delta
            out[o + i] = _wrap(last, sign_shift)
    elif width <= 56 and p + (((k - 1) * width) >> 3) + 8 <= len(src):
        mask = ~(np.int64(-1) << width)
        for i in range(k):
            bit = i * width
            last += min_delta + ((load_le(src, p + (bit >> 3), 8) >> (bit & 7)) & mask)
            out[o + i] = _wrap(last, sign_shift)
    elif p + (((k - 1) * width) >> 3) + 9 <= len(src):        # 57..64 bits: 9 bytes
        mask = ~(np.int64(-1) << width) if width < 64 else np.int64(-1)
        for i in range(k):
            bit = i * width
            j = p + (bit >> 3)
            s = bit & 7
            v = load_le(src, j, 8)
            if s > 0:
                v = _lsr(v, s) | (np.int64(src[j + 8]) << (64 - s))
            last += min_delta + (v & mask)
            out[o + i] = _wrap(last, sign_shift)
    else:
        for i in range(k):
            last += min_delta + _bits_at(src, p, i * width, width)
            out[o + i] = _wrap(last, sign_shift)
    return last


@kernel
def _decode(src, pos, count, out, out_pos, is32):
    """Core of the decoders; ``is32`` selects INT32 semantics (widths <= 32, 32-bit wrap)."""
    block_size, miniblocks, total, last, p = delta_binary_packed_header(src, pos)
    if p < 0:
        return p
    if count < 0 or count > total:
        return TRUNCATED
    if out_pos < 0 or out_pos + count > len(out):
        return OUTPUT_OVERFLOW
    sign_shift = 32 if is32 else 0
    max_width = 32 if is32 else 64
    per_mini = block_size // miniblocks
    if count > 0:
        out[out_pos] = _wrap(last, sign_shift)
    done = 1                                     # values produced by the stream so far
    while done < total:
        raw, p = read_uleb128(src, p, len(src))
        if p < 0:
            return p
        min_delta = zigzag_decode(raw)
        if p + miniblocks > len(src):
            return TRUNCATED
        widths = p
        p += miniblocks
        for m in range(miniblocks):
            if done >= total:
                break                            # unneeded miniblocks: no body
            width = np.int64(src[widths + m])
            if width > max_width:
                return BAD_BIT_WIDTH
            nbytes = per_mini * width // 8
            if p + nbytes > len(src):
                return TRUNCATED
            k = min(per_mini, total - done)
            want = min(k, count - done)
            if want > 0:
                last = _unpack_miniblock(src, p, width, want, last, min_delta,
                                         out, out_pos + done, sign_shift)
            p += nbytes
            done += k
    return p


@kernel
def delta_binary_packed_decode(src, pos, count, out, out_pos):
    """Decode the first ``count`` values of the DELTA_BINARY_PACKED stream at
    ``src[pos]`` into ``out[out_pos:out_pos+count]`` (int32 out = INT32 column,
    int64 out = INT64 column).

    Returns the position just past the whole encoded stream (so ``count`` may be
    less than the header's total), TRUNCATED if the stream holds fewer than
    ``count`` values or ends early, BAD_HEADER, BAD_BIT_WIDTH or OUTPUT_OVERFLOW.
    """
    return _decode(src, pos, count, out, out_pos, out.itemsize == 4)


@kernel
def delta_binary_packed_skip(src, pos):
    """Position just past the DELTA_BINARY_PACKED stream at ``src[pos]`` (validated,
    nothing decoded), or a negative status."""
    # np.int64 / np.bool_ rather than literals, which numba would compile _decode for again
    return _decode(src, pos, np.int64(0), np.empty(0, np.int64), np.int64(0), np.bool_(False))


def delta_binary_packed_decode_alloc(src, pos, dtype=np.int64):
    """Decode a whole stream into a new ``dtype`` (int32/int64) array.

    Returns ``(values, new_pos)``, or ``(None, status)``; the stream is validated
    before anything is allocated. Width-0 miniblocks cost no bytes, so a valid
    stream of a few bytes may announce 2**40 values: prefer decoding a count
    the page header vouches for.
    """
    end = delta_binary_packed_skip(src, pos)
    if end < 0:
        return None, end
    out = np.empty(int(delta_binary_packed_count(src, pos)), dtype)
    return out, delta_binary_packed_decode(src, pos, len(out), out, 0)


# ----------------------------------------------------------------------------------
# DELTA_BINARY_PACKED encoding
# ----------------------------------------------------------------------------------
@kernel(inline="always")
def _bit_width(v):
    """Bits needed for the unsigned value whose int64 bit pattern is ``v``."""
    if v < 0:
        return 64
    w = 0
    while v > 0:
        v >>= 1
        w += 1
    return w


@kernel(inline="always")
def _delta(values, i, sign_shift):
    return _wrap(np.int64(values[i]) - np.int64(values[i - 1]), sign_shift)


@kernel
def _plan_blocks(values, sign_shift, block_size, miniblocks, mins, widths):
    """Min delta of every block and bit width of every miniblock; returns the
    encoded size of the blocks in bytes."""
    n = len(values)
    per_mini = block_size // miniblocks
    size = 0
    for b in range(len(mins)):
        start = 1 + b * block_size
        stop = min(start + block_size, n)
        lo = _delta(values, start, sign_shift)
        for i in range(start, stop):
            lo = min(lo, _delta(values, i, sign_shift))
        mins[b] = lo
        size += uleb128_size(zigzag_encode(lo)) + miniblocks
        for m in range(miniblocks):
            acc = np.int64(0)
            for i in range(start + m * per_mini, min(start + (m + 1) * per_mini, stop)):
                acc |= _delta(values, i, sign_shift) - lo
            widths[b * miniblocks + m] = _bit_width(acc)
            size += per_mini * _bit_width(acc) // 8
    return size


@kernel(inline="always")
def _store_le(out, p, v, nbytes):
    """Write the low ``nbytes`` bytes of ``v`` at ``out[p]``, little-endian."""
    q = np.uint64(p)
    for t in range(nbytes):
        out[q + np.uint64(t)] = (v >> (8 * t)) & 0xFF


@kernel(inline="always")
def _pack_miniblock(values, start, stop, min_delta, sign_shift, width, out, p):
    """Bit-pack the deltas of ``values[start:stop]`` minus ``min_delta`` in
    ``width`` bits, LSB first, at ``out[p]`` (zeroed: padding stays 0)."""
    buf = np.int64(0)
    nbits = 0
    for i in range(start, stop):
        v = _delta(values, i, sign_shift) - min_delta
        buf |= v << nbits
        if nbits + width >= 64:
            _store_le(out, p, buf, 8)
            p += 8
            buf = _lsr(v, 64 - nbits) if nbits > 0 else np.int64(0)
            nbits += width - 64
        else:
            nbits += width
    for t in range((nbits + 7) // 8):
        out[p + t] = (buf >> (8 * t)) & 0xFF


@kernel
def _encode(values, is32, block_size, miniblocks):
    n = len(values)
    sign_shift = 32 if is32 else 0
    per_mini = block_size // miniblocks
    nblocks = (n - 1 + block_size - 1) // block_size if n > 1 else 0
    mins = np.empty(nblocks, np.int64)
    widths = np.empty(nblocks * miniblocks, np.int64)
    first = zigzag_encode(_wrap(np.int64(values[0]), sign_shift) if n > 0 else np.int64(0))
    size = uleb128_size(block_size) + uleb128_size(miniblocks)
    size += uleb128_size(n) + uleb128_size(first)
    size += _plan_blocks(values, sign_shift, block_size, miniblocks, mins, widths)
    out = np.zeros(size, np.uint8)
    p = write_uleb128(out, 0, block_size)
    p = write_uleb128(out, p, miniblocks)
    p = write_uleb128(out, p, n)
    p = write_uleb128(out, p, first)
    for b in range(nblocks):
        p = write_uleb128(out, p, zigzag_encode(mins[b]))
        for m in range(miniblocks):
            out[p + m] = widths[b * miniblocks + m]
        p += miniblocks
        for m in range(miniblocks):
            width = widths[b * miniblocks + m]
            s0 = 1 + b * block_size + m * per_mini
            if width > 0:
                _pack_miniblock(values, s0, min(s0 + per_mini, n), mins[b], sign_shift,
                                width, out, p)
            p += per_mini * width // 8
    return out


def delta_binary_packed_encode(values, is32=None, block_size=BLOCK_SIZE,
                               miniblocks=MINIBLOCKS_PER_BLOCK):
    """DELTA_BINARY_PACKED bytes (new uint8 array) of an integer array.

    ``is32`` (default: input of at most 4 bytes) selects INT32 semantics: deltas
    wrap in 32 bits, widths never exceed 32. Block size 128 with 4 miniblocks
    is what parquet-java writes (and arrow for INT32; arrow uses 256 for INT64).
    """
    values = np.ascontiguousarray(values)
    if values.dtype.kind not in "iu" or values.dtype.itemsize > 8:
        raise TypeError(f"DELTA_BINARY_PACKED encodes integers, not {values.dtype}")
    if not (0 < block_size <= _MAX_BLOCK_SIZE and block_size % 128 == 0 and miniblocks > 0
            and block_size % miniblocks == 0 and block_size // miniblocks % 32 == 0):
        raise ValueError(f"invalid block size {block_size} / {miniblocks} miniblocks")
    if is32 is None:
        is32 = values.dtype.itemsize <= 4
    if values.dtype.kind == "u":
        values = values.view(values.dtype.str.replace("u", "i"))
    return _encode(values, bool(is32), np.int64(block_size), np.int64(miniblocks))


# ----------------------------------------------------------------------------------
# DELTA_LENGTH_BYTE_ARRAY
# ----------------------------------------------------------------------------------
@kernel(inline="always")
def _lengths_to_offsets(offsets, out_pos, count, available):
    """Turn the lengths in ``offsets[out_pos+1 : out_pos+count+1]`` into running
    ends from ``offsets[out_pos]``; BAD_LENGTH for a negative length, TRUNCATED
    when they add up to more than ``available``. Returns the total length."""
    total = np.int64(0)
    for i in range(out_pos + 1, out_pos + count + 1):
        length = offsets[i]
        if length < 0:
            return BAD_LENGTH
        if length > available - total:
            return TRUNCATED
        total += length
        offsets[i] = offsets[out_pos] + total
    return total


@kernel(work=lambda src, pos, count, *rest: 2 * count)   # interpreted: a slice copy per value
def delta_length_byte_array_decode(src, pos, count, offsets, out_pos, data):
    """Decode ``count`` DELTA_LENGTH_BYTE_ARRAY values at ``src[pos]`` into
    ``offsets`` + ``data`` (``data`` never needs more than ``len(src) - pos``
    bytes). Returns the position just past the data, or a status."""
    if out_pos < 0 or out_pos + count + 1 > len(offsets):
        return OUTPUT_OVERFLOW
    start = offsets[out_pos]
    if start < 0 or start > len(data):
        return OUTPUT_OVERFLOW
    p = _decode(src, pos, count, offsets, out_pos + 1, np.bool_(True))
    if p < 0:
        return p
    total = _lengths_to_offsets(offsets, out_pos, count, len(src) - p)
    if total < 0:
        return total
    if start + total > len(data):
        return OUTPUT_OVERFLOW
    copy_block(src, p, data, start, total)
    return p + total


def delta_length_byte_array_encode(offsets, data):
    """DELTA_LENGTH_BYTE_ARRAY bytes (new uint8 array) of ``data[offsets[i]:offsets[i+1]]``.

    ``offsets`` must be non-decreasing within ``data`` (ValueError otherwise).
    """
    offsets, data = _check_byte_arrays(offsets, data)
    lengths = np.diff(offsets)
    head = delta_binary_packed_encode(lengths, is32=True)
    return np.concatenate([head, data[offsets[0]:offsets[-1]]])


def _check_byte_arrays(offsets, data):
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    data = np.ascontiguousarray(data, dtype=np.uint8)
    if check_offsets(offsets, len(data)) != 0:
        raise ValueError("offsets are not non-decreasing within data")
    if len(offsets) > 1 and np.max(np.diff(offsets)) > 0x7FFFFFFF:
        raise ValueError("a byte array is longer than 2**31 - 1 bytes")
    return offsets, data


# ----------------------------------------------------------------------------------
# DELTA_BYTE_ARRAY
# ----------------------------------------------------------------------------------
@kernel
def delta_byte_array_lengths(src, pos, count, prefix_lengths, suffix_lengths):
    """First step of DELTA_BYTE_ARRAY decoding: decode the prefix lengths and the
    suffix lengths of ``count`` values into int64 scratch arrays and validate
    them (each prefix at most the previous value's length, the suffixes within
    ``src``). Returns the position of the suffix data, or a status.

    The decoded page then needs ``prefix_lengths[:count].sum() +
    suffix_lengths[:count].sum()`` bytes of ``data``.
    """
    if count < 0 or len(prefix_lengths) < count or len(suffix_lengths) < count:
        return OUTPUT_OVERFLOW
    p = _decode(src, pos, count, prefix_lengths, np.int64(0), np.bool_(True))
    if p < 0:
        return p
    p = _decode(src, p, count, suffix_lengths, np.int64(0), np.bool_(True))
    if p < 0:
        return p
    total = _check_prefixes(prefix_lengths, suffix_lengths, count, len(src) - p)
    return total if total < 0 else p


@kernel(inline="always")
def _check_prefixes(prefix_lengths, suffix_lengths, count, available):
    """Total bytes of the ``count`` values, or a status: BAD_VALUE for a prefix
    longer than the previous value, BAD_LENGTH for a negative suffix length,
    TRUNCATED for suffixes longer than the ``available`` bytes."""
    previous = 0
    total = 0
    for i in range(count):
        prefix = prefix_lengths[i]
        suffix = suffix_lengths[i]
        if prefix < 0 or prefix > previous:
            return BAD_VALUE
        if suffix < 0:
            return BAD_LENGTH
        if suffix > available:
            return TRUNCATED
        available -= suffix
        previous = prefix + suffix
        total += previous
    return total


def _build_value_python(data, d, previous, prefix, src, p, suffix):
    """_build_value's stand-in while kernels run interpreted (see fastpq.kernels._jit): the
    prefix comes from the previous value, which ends at or before ``d``, so no overlap."""
    data[d:d + prefix] = data[previous:previous + prefix]
    data[d + prefix:d + prefix + suffix] = src[p:p + suffix]


@kernel(inline="always", python=_build_value_python)
def _build_value(data, d, previous, prefix, src, p, suffix):
    """One value at ``data[d]``: ``prefix`` bytes of the previous value, then ``suffix`` from src."""
    for k in range(prefix):      # bytes just written: wide loads would stall
        data[d + k] = data[previous + k]
    for k in range(suffix):
        data[d + prefix + k] = src[p + k]


@kernel(work=lambda src, pos, count, *rest: 2 * count)   # interpreted: two slice copies a value
def delta_byte_array_decode(src, pos, count, prefix_lengths, suffix_lengths,
                            offsets, out_pos, data):
    """Second step: build ``count`` values from the lengths of
    :func:`delta_byte_array_lengths` and the suffix data at ``src[pos]`` (the
    position it returned) into ``offsets`` + ``data``. Returns the position
    just past the suffix data, or a status (the lengths are checked again, so
    hostile ones cannot make it read or write out of bounds)."""
    if (count < 0 or len(prefix_lengths) < count or len(suffix_lengths) < count
            or out_pos < 0 or out_pos + count + 1 > len(offsets)):
        return OUTPUT_OVERFLOW
    if pos < 0 or pos > len(src):
        return TRUNCATED
    total = _check_prefixes(prefix_lengths, suffix_lengths, count, len(src) - pos)
    if total < 0:
        return total
    d = offsets[out_pos]
    if d < 0 or d > len(data) or total > len(data) - d:
        return OUTPUT_OVERFLOW
    p = pos
    previous = d                     # start of the previous value in data
    for i in range(count):
        prefix = prefix_lengths[i]
        suffix = suffix_lengths[i]
        _build_value(data, d, previous, prefix, src, p, suffix)
        previous = d
        d += prefix + suffix
        p += suffix
        offsets[out_pos + i + 1] = d
    return p


def delta_byte_array_decode_alloc(src, pos, count, max_total=None):
    """Both steps with new arrays: returns ``(offsets, data, new_pos)`` (offsets
    from 0), or ``(None, None, status)`` (the status is the third item). Prefixes
    repeat bytes, so ``data`` may be much larger than ``src`` (quadratically: each
    value may repeat all of the one before); with ``max_total``, a page whose values
    total more bytes gives OUTPUT_OVERFLOW before anything that size is allocated."""
    total = delta_binary_packed_count(src, pos)
    if total < 0:
        return None, None, total
    if count > total:
        return None, None, TRUNCATED
    prefix = np.empty(count, np.int64)
    suffix = np.empty(count, np.int64)
    p = delta_byte_array_lengths(src, pos, count, prefix, suffix)
    if p < 0:
        return None, None, p
    total = int(prefix.sum() + suffix.sum())
    if max_total is not None and total > max_total:
        return None, None, OUTPUT_OVERFLOW
    offsets = np.zeros(count + 1, np.int64)
    data = np.empty(total, np.uint8)
    p = delta_byte_array_decode(src, p, count, prefix, suffix, offsets, 0, data)
    return (offsets, data, p) if p >= 0 else (None, None, p)


@kernel
def _common_prefixes(offsets, data, prefix_lengths):
    """Length of the prefix each value shares with the one before it."""
    for i in range(len(offsets) - 1):
        a = offsets[i - 1] if i > 0 else offsets[0]
        b = offsets[i]
        limit = min(b - a, offsets[i + 1] - b)
        k = 0
        while k < limit and data[a + k] == data[b + k]:
            k += 1
        prefix_lengths[i] = k


@kernel
def _gather_suffixes(offsets, data, prefix_lengths, out):
    d = 0
    for i in range(len(offsets) - 1):
        s = offsets[i] + prefix_lengths[i]
        length = offsets[i + 1] - s
        copy_bytes(data, s, out, d, length, len(out))
        d += length


def delta_byte_array_encode(offsets, data):
    """DELTA_BYTE_ARRAY bytes (new uint8 array) of ``data[offsets[i]:offsets[i+1]]``:
    prefix lengths, then the suffixes as DELTA_LENGTH_BYTE_ARRAY."""
    offsets, data = _check_byte_arrays(offsets, data)
    n = len(offsets) - 1
    prefix_lengths = np.empty(n, np.int64)
    _common_prefixes(offsets, data, prefix_lengths)
    suffix_lengths = np.diff(offsets) - prefix_lengths
    suffixes = np.empty(int(suffix_lengths.sum()), np.uint8)
    _gather_suffixes(offsets, data, prefix_lengths, suffixes)
    return np.concatenate([delta_binary_packed_encode(prefix_lengths, is32=True),
                           delta_binary_packed_encode(suffix_lengths, is32=True),
                           suffixes])
