"""BYTE_STREAM_SPLIT (Encodings.md, "Byte Stream Split: (BYTE_STREAM_SPLIT = 9)").

K byte streams of N bytes each: byte k of value i sits at ``k * N + i``. K is
the value width in bytes: 4 for FLOAT and INT32, 8 for DOUBLE and INT64, the
type length for FIXED_LEN_BYTE_ARRAY (2 for FLOAT16). The kernels work on raw
bytes: decode into ``typed_out.view(np.uint8)`` (or a flat FIXED_LEN_BYTE_ARRAY
buffer); encode from ``values.view(np.uint8)``.

The streams have no header: N comes from the page (number of non-null values),
and the encoded data must end where the page ends, which the caller checks
(``new_pos == len(page)``).
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .plain import span_fits
from .status import OUTPUT_OVERFLOW, TRUNCATED


@kernel
def byte_stream_split_decode(src, pos, count, width, out, out_pos):
    """Decode ``count`` values of ``width`` bytes from the streams at ``src[pos]``
    into the uint8 array ``out`` at value ``out_pos``. Returns ``pos + count * width``.
    """
    if not span_fits(pos, count, width, len(src)):
        return TRUNCATED
    if out_pos > len(out) or not span_fits(out_pos * width, count, width, len(out)):
        return OUTPUT_OVERFLOW
    base = out_pos * width
    if width == 4:                   # constant widths: LLVM unrolls the inner loop
        _gather(src, pos, count, 4, out, base)
    elif width == 8:
        _gather(src, pos, count, 8, out, base)
    elif width == 2:
        _gather(src, pos, count, 2, out, base)
    else:
        _gather(src, pos, count, width, out, base)
    return pos + count * width


@kernel(inline="always")
def _gather(src, pos, n, width, out, base):
    """``out[base + i*width + k] = src[pos + k*n + i]``: value by value, the K
    streams read in step (unsigned indices: no negative-index checks, 3-8x faster)."""
    w = np.uint64(width)
    un = np.uint64(n)
    p = np.uint64(pos)
    for i in range(n):
        ui = np.uint64(i)
        d = np.uint64(base) + ui * w
        for k in range(width):
            uk = np.uint64(k)
            out[d + uk] = src[p + uk * un + ui]


@kernel
def _scatter_any(values, width, out):
    if width == 4:
        _scatter(values, 4, out)
    elif width == 8:
        _scatter(values, 8, out)
    elif width == 2:
        _scatter(values, 2, out)
    else:
        _scatter(values, width, out)


@kernel(inline="always")
def _scatter(values, width, out):
    """``out[k*n + i] = values[i*width + k]``: the inverse of :func:`_gather`."""
    n = len(values) // width
    w = np.uint64(width)
    un = np.uint64(n)
    for i in range(n):
        ui = np.uint64(i)
        s = ui * w
        for k in range(width):
            uk = np.uint64(k)
            out[uk * un + ui] = values[s + uk]


def byte_stream_split_encode(values, width=None):
    """BYTE_STREAM_SPLIT bytes (new uint8 array) of ``values``: a numeric array
    (``width`` defaults to its itemsize) or uint8 bytes of ``width``-byte values
    (flat or shaped (n, width))."""
    values = np.ascontiguousarray(values)
    if width is None:
        width = values.shape[-1] if values.dtype == np.uint8 and values.ndim == 2 \
            else values.dtype.itemsize
    raw = values.reshape(-1).view(np.uint8)
    if width <= 0 or len(raw) % width:
        raise ValueError("values are not a whole number of width-byte values")
    out = np.empty(len(raw), np.uint8)
    _scatter_any(raw, width, out)
    return out
