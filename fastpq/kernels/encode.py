"""Kernels the writer needs besides the encodings themselves: statistics and page cuts.

Owns:

* min / max for statistics (parquet.thrift "ColumnOrder", TYPE_ORDER):
  :func:`numeric_min_max` (ints, signed or unsigned by dtype),
  :func:`float_min_max` (NaN skipped and counted), :func:`byte_array_min_max`
  (unsigned byte-wise order, the order of BYTE_ARRAY and of strings) and
  :func:`fixed_len_min_max` (FIXED_LEN_BYTE_ARRAY rows: unsigned byte-wise, or
  signed big-endian two's complement for DECIMAL);
* :func:`constant_run` - a level stream of one repeated value (one RLE run);
* :func:`row_starts` - the level entries that start a row (rep_level == 0).

All return indices or scalars; nothing here allocates unless its name says so.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel


@kernel
def numeric_min_max(values, start, stop):
    """(index of min, index of max) of ``values[start:stop]`` (first occurrence);
    (-1, -1) when the slice is empty. Order is that of the dtype (unsigned
    dtypes compare unsigned)."""
    if stop <= start:
        return -1, -1
    lo = start
    hi = start
    vlo = values[start]
    vhi = values[start]
    for i in range(start + 1, stop):
        v = values[i]
        if v < vlo:
            vlo = v
            lo = i
        if v > vhi:
            vhi = v
            hi = i
    return lo, hi


@kernel
def float_min_max(values, start, stop):
    """(min, max, nan_count, n_non_nan) of floats ``values[start:stop]``.

    NaNs are skipped (and counted). A zero minimum comes back as -0.0 and a
    zero maximum as +0.0, as parquet.thrift's ColumnOrder notes ask writers to
    store them. ``n_non_nan == 0`` means min and max are meaningless.
    """
    vlo = np.inf
    vhi = -np.inf
    nan = 0
    for i in range(start, stop):
        v = np.float64(values[i])
        if v != v:
            nan += 1
            continue
        vlo = min(vlo, v)
        vhi = max(vhi, v)
    if vlo == 0.0:
        vlo = -0.0
    if vhi == 0.0:
        vhi = 0.0
    return vlo, vhi, nan, (stop - start) - nan


@kernel(inline="always")
def _less(data, a, la, b, lb, first_xor):
    """data[a:a+la] < data[b:b+lb] byte-wise unsigned; the first byte is XORed
    with ``first_xor`` (0x80 turns it into a signed comparison)."""
    n = min(la, lb)
    for k in range(n):
        x = data[a + k]
        y = data[b + k]
        if k == 0:
            x ^= first_xor
            y ^= first_xor
        if x != y:
            return x < y
    return la < lb


@kernel(inline="always")
def _prefix(data, a, la):
    """The first 8 bytes of ``data[a:a+la]`` as a big-endian uint64, zero-padded past ``la``:
    where two values' prefixes differ, they order the values as byte-wise comparison does
    (a zero pad sorts below any byte, as the shorter of two values sharing a start does)."""
    v = np.uint64(0)
    q = np.uint64(a)
    if la >= 8:
        for k in range(8):                       # LLVM merges these into one load and a bswap
            v = (v << np.uint64(8)) | np.uint64(data[q + np.uint64(k)])
        return v
    for k in range(8):
        v <<= np.uint64(8)
        if k < la:
            v |= np.uint64(data[q + np.uint64(k)])
    return v


@kernel
def byte_array_page_end(offsets, v, page_size):
    """The first value ``u`` (at least ``v + 1``, at most ``len(offsets) - 1``) at which the
    PLAIN bytes of byte arrays ``v .. u - 1`` (4 + length each) reach ``page_size``: a
    binary search over ``offsets[u] + 4 u``, which only grows."""
    n = len(offsets) - 1
    target = offsets[v] + 4 * v + page_size
    lo = v + 1
    hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if offsets[mid] + 4 * mid >= target:
            hi = mid
        else:
            lo = mid + 1
    return min(lo, n) if v < n else n


@kernel
def byte_array_min_max(offsets, data, start, stop):
    """(index of min, index of max) of the byte arrays ``data[offsets[i]:offsets[i+1]]``
    for ``start <= i < stop`` in unsigned byte-wise order; (-1, -1) if empty.

    Values are compared by their 8-byte prefixes first, bytes only where those tie
    (10 -> ~2 ns per value on distinct strings)."""
    if stop <= start:
        return -1, -1
    lo = start
    hi = start
    a = offsets[start]
    p_lo = p_hi = _prefix(data, a, offsets[start + 1] - a)
    for i in range(start + 1, stop):
        a = offsets[i]
        la = offsets[i + 1] - a
        p = _prefix(data, a, la)
        if p < p_lo or (p == p_lo and _less(data, a, la, offsets[lo], offsets[lo + 1] - offsets[lo], np.uint8(0))):
            lo = i
            p_lo = p
        if p > p_hi or (p == p_hi and _less(data, offsets[hi], offsets[hi + 1] - offsets[hi], a, la, np.uint8(0))):
            hi = i
            p_hi = p
    return lo, hi


@kernel
def fixed_len_min_max(flat, width, start, stop, signed):
    """(index of min, index of max) of FIXED_LEN_BYTE_ARRAY values (flat uint8,
    ``width`` bytes each) ``start <= i < stop``: unsigned byte-wise, or, when
    ``signed``, as big-endian two's complement integers (DECIMAL)."""
    if stop <= start:
        return -1, -1
    x = np.uint8(0x80) if signed else np.uint8(0)
    lo = start
    hi = start
    for i in range(start + 1, stop):
        if _less(flat, i * width, width, lo * width, width, x):
            lo = i
        if _less(flat, hi * width, width, i * width, width, x):
            hi = i
    return lo, hi


@kernel
def bool_min_max(values, start, stop):
    """(min, max) of booleans (uint8 0/1) ``values[start:stop]``; (-1, -1) if empty."""
    if stop <= start:
        return -1, -1
    ones = 0
    for i in range(start, stop):
        ones += values[i] != 0
    n = stop - start
    return (1 if ones == n else 0), (1 if ones > 0 else 0)


def constant_run(count: int, value: int, bit_width: int) -> bytes:
    """The RLE / bit-packing hybrid of ``count`` copies of ``value`` (Encodings.md
    "Run Length Encoding"): one RLE run (or nothing for count 0 or bit_width 0)."""
    if count <= 0 or bit_width == 0:
        return b""
    out = bytearray()
    header = count << 1
    while header >= 0x80:
        out.append((header & 0x7F) | 0x80)
        header >>= 7
    out.append(header)
    out += int(value).to_bytes((bit_width + 7) // 8, "little")
    return bytes(out)


@kernel
def _count_row_starts(rep_levels):
    n = 0
    for i in range(len(rep_levels)):
        n += rep_levels[i] == 0
    return n


@kernel
def _fill_row_starts(rep_levels, out):
    k = 0
    for i in range(len(rep_levels)):
        if rep_levels[i] == 0:
            out[k] = i
            k += 1
    out[k] = len(rep_levels)


def row_starts(rep_levels) -> np.ndarray:
    """int64 positions of the level entries with rep_level 0 (each starts a row),
    followed by the number of entries (allocates the result)."""
    rep_levels = np.ascontiguousarray(rep_levels)
    out = np.empty(_count_row_starts(rep_levels) + 1, np.int64)
    _fill_row_starts(rep_levels, out)
    return out
