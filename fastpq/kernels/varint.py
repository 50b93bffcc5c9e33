"""ULEB128 varints and zigzag: the one copy every encoding uses.

The format writes unsigned LEB128 ("ULEB128": 7 bits a byte, least significant group
first, high bit set on every byte but the last) in three places:

* Encodings.md, "Run Length Encoding / Bit-Packing Hybrid": each run header,
  ``varint(n_groups << 1 | 1)`` or ``varint(run_len << 1)`` (:mod:`.rle`);
* Encodings.md, "Delta Encoding (DELTA_BINARY_PACKED = 5)": the header's block size,
  miniblock count and total count, and (zigzag ULEB128) the first value and each
  block's min delta (:mod:`.delta`);
* the Thrift compact protocol (Thrift's TCompactProtocol specification) that encodes
  the footer and page headers: i16/i32/i64 values (zigzag), lengths, long-form field
  ids and list sizes (:mod:`.compact`, :mod:`fastpq.format.footer`).

Values are uint64; zigzag maps int64 to uint64 (``0, -1, 1, -2`` -> ``0, 1, 2, 3``).
A varint is at most 10 bytes: a 10th byte above 1 (more than 64 bits) is BAD_HEADER,
input that ends inside a varint is TRUNCATED.

These kernels are ``inline='always'``: they sit in the innermost loops of the footer,
page-header and RLE decoders. Callers in other kernel modules call them through their
module globals (``from .varint import read_uleb128``), which ``_jit.compile_all``
maps to the compiled dispatchers in the globals numba compiles against, like every other kernel.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .status import BAD_HEADER, TRUNCATED

__all__ = ["read_uleb128", "write_uleb128", "uleb128_size", "zigzag_decode",
           "zigzag_encode", "uleb128_bytes", "MAX_BYTES"]

MAX_BYTES = 10    # ceil(64 / 7)


@kernel(inline="always")
def read_uleb128(src, pos, end):
    """The ULEB128 at ``src[pos:end]`` -> ``(value as uint64, new_pos)``; a negative
    new_pos is a status (TRUNCATED, or BAD_HEADER past 64 bits).

    Unsigned arithmetic and indexing throughout: 1.4 ns per varint against 8 ns
    with signed indices (numba's negative-index checks block LLVM's optimisations).
    """
    if pos < 0:
        return np.uint64(0), np.int64(TRUNCATED)
    result = np.uint64(0)
    shift = np.uint64(0)
    p = np.uint64(pos)
    e = np.uint64(end)
    while p < e:
        b = np.uint64(src[p])
        p += np.uint64(1)
        if shift == np.uint64(63) and b > np.uint64(1):
            return np.uint64(0), np.int64(BAD_HEADER)  # more than 64 bits
        result |= (b & np.uint64(0x7F)) << shift
        if b < np.uint64(0x80):
            return result, np.int64(p)
        shift += np.uint64(7)
    return np.uint64(0), np.int64(TRUNCATED)


@kernel(inline="always")
def write_uleb128(dst, pos, v):
    """Write uint64 ``v`` as ULEB128 at ``dst[pos:]`` (room for :func:`uleb128_size`
    bytes is the caller's); returns the position after it."""
    u = np.uint64(v)
    while u >= np.uint64(0x80):
        dst[pos] = (u & np.uint64(0x7F)) | np.uint64(0x80)
        u >>= np.uint64(7)
        pos += 1
    dst[pos] = u
    return pos + 1


@kernel(inline="always")
def uleb128_size(v):
    """Bytes that :func:`write_uleb128` writes for uint64 ``v`` (1..10)."""
    u = np.uint64(v)
    size = 1
    while u >= np.uint64(0x80):
        u >>= np.uint64(7)
        size += 1
    return size


@kernel(inline="always")
def zigzag_decode(u):
    """uint64 ``u`` (as read) -> the int64 it zigzag-encodes."""
    return np.int64(u >> np.uint64(1)) ^ -np.int64(u & np.uint64(1))


@kernel(inline="always")
def zigzag_encode(v):
    """int64 ``v`` -> its zigzag uint64 (``(v << 1) ^ (v >> 63)``)."""
    s = np.int64(v)
    return np.uint64((s << np.int64(1)) ^ (s >> np.int64(63)))


_write_python = write_uleb128.py_func


def uleb128_bytes(n: int) -> bytes:
    """ULEB128 of a non-negative int as ``bytes``, for encoders written in Python (the
    Thrift footer writer, tests): :func:`write_uleb128`'s own body, run by CPython, so
    that numba is neither loaded nor needed for a few bytes."""
    buf = np.empty(MAX_BYTES, np.uint8)
    return buf[:_write_python(buf, 0, np.uint64(n))].tobytes()
