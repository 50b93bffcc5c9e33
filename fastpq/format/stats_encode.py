"""Encoding statistics values for the writer (the inverse of ``statistics.py``).

Statistics bounds are PLAIN-encoded values without a length prefix
(parquet.thrift ``Statistics``): little-endian ints and floats, one byte for
BOOLEAN, the raw bytes for BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY. Long byte-array
bounds are truncated, as parquet-mr and Arrow do for page indexes: the minimum
to a prefix (still a lower bound), the maximum to a prefix whose last byte (or,
for UTF-8, last character) is incremented (still an upper bound); a truncated
bound is flagged inexact (``is_min_value_exact`` / ``is_max_value_exact``).
Strings are cut on character boundaries, so bounds stay valid UTF-8.

Float bounds follow the ColumnOrder notes for TYPE_ORDER: NaN never appears in
a bound (the caller skips NaNs), a zero minimum is written as -0.0 and a zero
maximum as +0.0, and ``nan_count`` is always set for FLOAT / DOUBLE / FLOAT16.
"""
from __future__ import annotations

import struct

import numpy as np

from .._thrift import Statistics

TRUNCATE_LENGTH = 64   # bytes kept of a byte-array bound (parquet-mr's column index default)


def encode_scalar(value, dtype) -> bytes:
    """PLAIN bytes of one numeric value stored as ``dtype`` (numpy dtype or string)."""
    return np.asarray(value).astype(np.dtype(dtype).newbyteorder("<")).tobytes()


def encode_float(value: float, dtype) -> bytes:
    """PLAIN bytes of a float bound (FLOAT, DOUBLE or FLOAT16 as 2 raw bytes)."""
    dtype = np.dtype(dtype)
    if dtype.itemsize == 8:
        return struct.pack("<d", value)
    if dtype.itemsize == 4:
        return struct.pack("<f", value)
    return np.float16(value).astype("<f2").tobytes()


def truncate_min(value: bytes, utf8: bool, limit: int = TRUNCATE_LENGTH) -> tuple[bytes, bool]:
    """(lower bound of at most ~``limit`` bytes, exact?) for a byte-array minimum."""
    if len(value) <= limit:
        return value, True
    cut = _char_boundary(value, limit) if utf8 else limit
    return value[:cut], False


def truncate_max(value: bytes, utf8: bool, limit: int = TRUNCATE_LENGTH) -> tuple[bytes, bool]:
    """(upper bound of at most ~``limit`` bytes, exact?) for a byte-array maximum.

    When no shorter upper bound exists (a prefix of 0xFF bytes, or characters
    at U+10FFFF), the value is kept whole and exact.
    """
    if len(value) <= limit:
        return value, True
    bound = _increment_utf8(value, limit) if utf8 else _increment_bytes(value[:limit])
    if bound is None:
        return value, True
    return bound, False


def _char_boundary(value: bytes, limit: int) -> int:
    cut = limit
    while cut > 0 and (value[cut] & 0xC0) == 0x80:   # a continuation byte
        cut -= 1
    return cut


def _increment_bytes(prefix: bytes) -> bytes | None:
    out = bytearray(prefix)
    while out and out[-1] == 0xFF:
        out.pop()
    if not out:
        return None
    out[-1] += 1
    return bytes(out)


def _increment_utf8(value: bytes, limit: int) -> bytes | None:
    text = value[:_char_boundary(value, limit)].decode("utf-8", errors="strict")
    chars = list(text)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars).encode("utf-8")
        chars.pop()
    return None


def make_statistics(null_count: int | None, min_value: bytes | None = None,
                    max_value: bytes | None = None, *, min_exact: bool = True,
                    max_exact: bool = True, nan_count: int | None = None,
                    signed_legacy: bool = False) -> Statistics:
    """A thrift ``Statistics``: ``min_value``/``max_value`` with their exactness,
    ``null_count`` (always, when known) and ``nan_count`` (floats). With
    ``signed_legacy`` (the column's order is signed, so the deprecated fields
    mean the same thing) the bounds are also put in ``min``/``max`` for old
    readers, as Arrow and parquet-mr do."""
    stats = Statistics(null_count=null_count, nan_count=nan_count)
    if min_value is not None and max_value is not None:
        stats.min_value, stats.max_value = min_value, max_value
        stats.is_min_value_exact, stats.is_max_value_exact = bool(min_exact), bool(max_exact)
        if signed_legacy and min_exact and max_exact:
            stats.min, stats.max = min_value, max_value
    return stats
