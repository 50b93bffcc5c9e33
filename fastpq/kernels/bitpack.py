"""Bit packing: fixed-width unsigned integers packed back to back (Encodings.md).

Owns the two bit orders of the spec:

* LSB first, as in the RLE / bit-packing hybrid (Encodings.md "Run Length
  Encoding / Bit-Packing Hybrid", note 1) and PLAIN BOOLEAN: value ``i`` takes
  bits ``[i*bit_width, (i+1)*bit_width)`` of the stream, where stream bit ``k``
  is bit ``k % 8`` (counting from the least significant) of byte ``k // 8``.
  :func:`unpack_bits` / :func:`pack_bits`, every ``bit_width`` in 0..64.
* MSB first, the deprecated BIT_PACKED encoding (Encodings.md "Bit-packed
  (Deprecated)"): stream bit ``k`` is bit ``7 - k % 8`` of byte ``k // 8`` and
  each value is written most significant bit first.
  :func:`bit_packed_legacy_decode`.

Values come out as ``uint64`` and are stored with ``out.dtype.type(v)``, i.e.
wrapping into narrower or signed outputs; callers pick an ``out`` wide enough
(the public kernels reject ``bit_width`` wider than ``out``'s item).

Speed: 10M values of bit-packed runs (504 values each) through
``rle_hybrid_decode`` on the dev VM (Xeon SPR, 2.1 GHz, quiet machine), values/s:
bit_width 1 -> uint8 6.1 G, -> int32 2.1-3.9 G; 3 -> uint8 2.5 G, -> int32 1.5-1.7 G;
8 -> uint8 2.5 G, -> int32 1.5 G; 17 -> int32 1.4-1.7 G, -> int64 0.9-1.1 G;
32 -> uint32 1.0-1.2 G, -> int64 0.8 G (about half of that when the VM is busy).
The fast paths index with uint64 (no negative-index fix-ups), which lets LLVM merge
the eight byte loads of :func:`_ld64` into one unaligned load: that alone took the
generic path from 0.37 to 1.5-2 G values/s (a byte-wise bit accumulator managed
0.1-0.9 G/s). Re-measure with ``python tests/kernels/test_rle.py``.
"""
from __future__ import annotations

import numpy as np

from fastpq.kernels._jit import kernel
from fastpq.kernels.status import BAD_BIT_WIDTH, OUTPUT_OVERFLOW, TRUNCATED

_U = np.uint64
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_B = np.uint64(0xFF)


@kernel
def _mask(bit_width):
    """The low ``bit_width`` bits set, as uint64 (0 for bit_width 0)."""
    if bit_width <= 0:
        return _U(0)
    return _ALL >> _U(64 - bit_width)


def _ld_le_python(src, i, nbytes=8):
    """_ld64's and _ld_le's stand-in while kernels run interpreted (see fastpq.kernels._jit)."""
    return _U(int.from_bytes(src[i:i + nbytes].tobytes(), "little"))


def _st_le_python(dst, i, v, nbytes=8):
    """_st64's and _st_le's stand-in while kernels run interpreted."""
    dst[i:i + nbytes] = np.frombuffer((int(v) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")[:nbytes],
                                     np.uint8)


@kernel(python=_ld_le_python)
def _ld64(src, i):
    """Eight bytes at ``src[i:i+8]`` as a little-endian uint64 (caller checks bounds)."""
    i = _U(i)
    return (_U(src[i]) | (_U(src[i + _U(1)]) << _U(8)) | (_U(src[i + _U(2)]) << _U(16))
            | (_U(src[i + _U(3)]) << _U(24)) | (_U(src[i + _U(4)]) << _U(32))
            | (_U(src[i + _U(5)]) << _U(40)) | (_U(src[i + _U(6)]) << _U(48))
            | (_U(src[i + _U(7)]) << _U(56)))


@kernel(python=_ld_le_python)
def _ld_le(src, i, nbytes):
    """``nbytes`` (0..8) bytes at ``src[i:]`` as a little-endian uint64."""
    v = _U(0)
    for k in range(nbytes):
        v |= _U(src[i + k]) << _U(8 * k)
    return v


@kernel(python=_st_le_python)
def _st_le(dst, i, v, nbytes):
    """Store the low ``nbytes`` (0..8) bytes of uint64 ``v`` at ``dst[i:]``."""
    for k in range(nbytes):
        dst[i + k] = (v >> _U(8 * k)) & _B


@kernel(python=_st_le_python)
def _st64(dst, i, v):
    """Store uint64 ``v`` little-endian at ``dst[i:i+8]`` (unsigned index: one store)."""
    i = _U(i)
    for k in range(8):
        dst[i + _U(k)] = (v >> _U(8 * k)) & _B


@kernel
def bit_width_for(max_value):
    """Narrowest bit_width holding every value in ``0..max_value`` (0 for max_value <= 0)."""
    if max_value <= 0:
        return 0
    v = _U(max_value)
    w = 0
    while v != _U(0):
        v >>= _U(1)
        w += 1
    return w


# ---------------------------------------------------------------- LSB-first unpacking
@kernel
def _unpack1(src, pos, groups, out, o):
    """bit_width 1: one byte -> 8 values."""
    t = out.dtype.type
    q = _U(pos)
    k = _U(o)
    for _ in range(groups):
        b = _U(src[q])
        q += _U(1)
        for j in range(8):
            out[k] = t((b >> _U(j)) & _U(1))
            k += _U(1)


@kernel
def _unpack_small(src, pos, bit_width, groups, out, o):
    """bit_width 2..8: one 64-bit load holds a whole group of 8 values."""
    t = out.dtype.type
    mask = _mask(bit_width)
    uw = _U(bit_width)
    base = _U(pos)
    k = _U(o)
    for _ in range(groups):
        word = _ld64(src, base)
        sh = _U(0)
        for _j in range(8):
            out[k] = t((word >> sh) & mask)
            sh += uw
            k += _U(1)
        base += uw


@kernel
def _unpack_aligned(src, pos, bit_width, groups, out, o):
    """bit_width 8, 16, ..., 64: each value is whole bytes."""
    t = out.dtype.type
    mask = _mask(bit_width)
    step = _U(bit_width >> 3)
    q = _U(pos)
    k = _U(o)
    for _ in range(groups * 8):
        out[k] = t(_ld64(src, q) & mask)
        q += step
        k += _U(1)


@kernel
def _unpack_groups(src, pos, bit_width, groups, out, o):
    """bit_width 9..57: per value one unaligned 64-bit load, shift and mask."""
    t = out.dtype.type
    mask = _mask(bit_width)
    uw = _U(bit_width)
    base = _U(pos)
    k = _U(o)
    for _ in range(groups):
        bit = _U(0)
        for _j in range(8):
            out[k] = t((_ld64(src, base + (bit >> _U(3))) >> (bit & _U(7))) & mask)
            bit += uw
            k += _U(1)
        base += uw


@kernel
def _read_lsb(src, pos, bit, bit_width, mask):
    """Value at stream bit ``bit`` (from byte ``pos``), touching only the bytes it spans."""
    b = pos + (bit >> 3)
    s = bit & 7
    need = (s + bit_width + 7) >> 3
    v = _ld_le(src, b, min(need, 8)) >> _U(s)
    if need > 8:
        v |= _U(src[b + 8]) << _U(64 - s)
    return v & mask


@kernel
def _unpack_unchecked(src, pos, bit_width, n, out, o):
    """Unpack ``n`` LSB-first values at ``src[pos:]`` into ``out[o:o+n]``.

    Caller guarantees ``pos + ceil(n*bit_width/8) <= src.size``, ``0 <= bit_width <= 64``
    and ``o + n <= out.size``; the fast paths only run where an 8-byte load stays in src.
    """
    if bit_width == 0:
        out[o:o + n] = 0
        return
    fast = 0
    room = src.size - pos - 8 - bit_width      # group g is fast if pos + g*w + w + 8 <= size
    if room >= 0 and (bit_width <= 57 or bit_width & 7 == 0):
        fast = min(n >> 3, room // bit_width + 1)
    if fast > 0:
        if bit_width == 1:
            _unpack1(src, pos, fast, out, o)
        elif bit_width <= 8:
            _unpack_small(src, pos, bit_width, fast, out, o)
        elif bit_width & 7 == 0:
            _unpack_aligned(src, pos, bit_width, fast, out, o)
        else:
            _unpack_groups(src, pos, bit_width, fast, out, o)
    t = out.dtype.type
    mask = _mask(bit_width)
    for i in range(fast * 8, n):
        out[o + i] = t(_read_lsb(src, pos, i * bit_width, bit_width, mask))


@kernel
def _check_out(src, pos, end, count, out, out_pos):
    """Shared argument checks: 0 (fine), TRUNCATED or OUTPUT_OVERFLOW."""
    if pos < 0 or pos > end or end > src.size:
        return TRUNCATED
    if count < 0 or out_pos < 0 or out_pos > out.size - count:
        return OUTPUT_OVERFLOW
    return 0


@kernel
def unpack_bits(src, pos, end, bit_width, count, out, out_pos):
    """Unpack ``count`` LSB-first values of ``bit_width`` bits from ``src[pos:end]``.

    Writes ``out[out_pos:out_pos+count]``; returns ``pos + ceil(count*bit_width/8)``,
    or BAD_BIT_WIDTH (outside 0..64 or wider than out's item), TRUNCATED, OUTPUT_OVERFLOW.
    """
    bit_width = np.int64(bit_width)          # e.g. a uint8 read from the page
    st = _check_out(src, pos, end, count, out, out_pos)
    if st < 0:
        return st
    if bit_width < 0 or bit_width > 64 or bit_width > out.itemsize * 8:
        return BAD_BIT_WIDTH
    nbytes = (count * bit_width + 7) >> 3
    if nbytes > end - pos:
        return TRUNCATED
    _unpack_unchecked(src, pos, bit_width, count, out, out_pos)
    return pos + nbytes


# ---------------------------------------------------------------- LSB-first packing
@kernel
def _pack_unchecked(values, v_pos, n, bit_width, dst, q):
    """Pack ``values[v_pos:v_pos+n]`` (masked to bit_width) into ``dst[q:]``; returns end.

    Writes exactly ``ceil(n*bit_width/8)`` bytes (last byte zero-padded); caller checks room.
    One 8-byte store per 64 bits: ~0.7 G values/s at any width (quiet VM, int64 input).
    """
    if bit_width == 0:
        return q
    mask = _mask(bit_width)
    acc = _U(0)
    nb = 0                                       # pending bits in acc, 0..63
    for i in range(v_pos, v_pos + n):
        v = _U(values[i]) & mask
        acc |= v << _U(nb)
        nb += bit_width
        if nb >= 64:
            _st64(dst, q, acc)
            q += 8
            nb -= 64
            acc = v >> _U(bit_width - nb) if nb > 0 else _U(0)
    tail = (nb + 7) >> 3
    _st_le(dst, q, acc, tail)
    return q + tail


@kernel
def pack_bits(values, v_pos, count, bit_width, dst, d_pos):
    """Pack ``values[v_pos:v_pos+count]`` LSB first into ``dst[d_pos:]`` (bits above
    bit_width are dropped).

    Returns ``d_pos + ceil(count*bit_width/8)`` or BAD_BIT_WIDTH / OUTPUT_OVERFLOW / TRUNCATED
    (values too short).
    """
    bit_width = np.int64(bit_width)          # e.g. a uint8 read from the page
    if bit_width < 0 or bit_width > 64:
        return BAD_BIT_WIDTH
    if count < 0 or v_pos < 0 or v_pos > values.size - count:
        return TRUNCATED
    nbytes = (count * bit_width + 7) >> 3
    if d_pos < 0 or d_pos > dst.size - nbytes:
        return OUTPUT_OVERFLOW
    return _pack_unchecked(values, v_pos, count, bit_width, dst, d_pos)


# ---------------------------------------------------------------- MSB-first (BIT_PACKED)
@kernel
def _read_msb(src, pos, bit, bit_width):
    """Deprecated-order value at stream bit ``bit`` (from byte ``pos``), bit_width 1..64."""
    b = pos + (bit >> 3)
    have = 8 - (bit & 7)
    v = _U(src[b]) & (_B >> _U(bit & 7))
    if have >= bit_width:
        return v >> _U(have - bit_width)
    b += 1
    while have + 8 <= bit_width:
        v = (v << _U(8)) | _U(src[b])
        b += 1
        have += 8
    rest = bit_width - have
    if rest > 0:
        v = (v << _U(rest)) | (_U(src[b]) >> _U(8 - rest))
    return v


@kernel(work=lambda src, pos, end, bit_width, count, *rest: max(count, end - pos))
def bit_packed_legacy_decode(src, pos, end, bit_width, count, out, out_pos):
    """Decode ``count`` levels of the deprecated BIT_PACKED encoding (MSB first).

    No header, no length prefix: the run is ``ceil(count*bit_width/8)`` bytes and the
    returned position is just past it (where the next level stream of a v1 page starts).
    Status: BAD_BIT_WIDTH, TRUNCATED, OUTPUT_OVERFLOW as :func:`unpack_bits`.
    """
    bit_width = np.int64(bit_width)          # e.g. a uint8 read from the page
    st = _check_out(src, pos, end, count, out, out_pos)
    if st < 0:
        return st
    if bit_width < 0 or bit_width > 64 or bit_width > out.itemsize * 8:
        return BAD_BIT_WIDTH
    nbytes = (count * bit_width + 7) >> 3
    if nbytes > end - pos:
        return TRUNCATED
    t = out.dtype.type
    if bit_width == 0:
        out[out_pos:out_pos + count] = 0
        return pos
    for i in range(count):
        out[out_pos + i] = t(_read_msb(src, pos, i * bit_width, bit_width))
    return pos + nbytes
