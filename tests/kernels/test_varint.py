"""ULEB128 and zigzag (fastpq.kernels.varint) against a Python reference written from
Encodings.md / the Thrift compact protocol, at the 7-bit boundaries and on hostile input.

Run also with FASTPQ_KERNELS=python and NUMBA_DISABLE_JIT=1.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastpq.kernels import status
from fastpq.kernels.varint import (MAX_BYTES, read_uleb128, uleb128_bytes, uleb128_size,
                                   write_uleb128, zigzag_decode, zigzag_encode)


def ref_uleb(v):
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def ref_zigzag(v):
    return (v << 1) if v >= 0 else (-v << 1) - 1


def u8(data):
    return np.frombuffer(bytes(data), np.uint8).copy()


BOUNDARIES = sorted({0, 1, 2**64 - 1, 2**63, 2**63 - 1}
                    | {(1 << (7 * k)) + d for k in range(1, 10) for d in (-1, 0)})


@pytest.mark.parametrize("v", BOUNDARIES)
def test_uleb128_boundaries(v):
    buf = np.zeros(MAX_BYTES + 2, np.uint8)
    end = write_uleb128(buf, 1, np.uint64(v))
    value, pos = read_uleb128(buf, 1, end)
    size = uleb128_size(np.uint64(v))
    assert bytes(buf[1:end]) == ref_uleb(v) == uleb128_bytes(v)
    assert (value, pos, end, size) == (v, end, 1 + len(ref_uleb(v)), len(ref_uleb(v)))


@settings(deadline=None, max_examples=100)
@given(st.integers(0, 2**64 - 1))
def test_uleb128_roundtrip(v):
    assert read_uleb128(u8(uleb128_bytes(v) + b"\xff"), 0, 11) == (v, len(ref_uleb(v)))


def test_uleb128_hostile():
    assert read_uleb128(u8(ref_uleb(2**64 - 1)), 0, 10) == (2**64 - 1, 10)
    assert read_uleb128(u8(ref_uleb(300) + b"\x00"), 0, 3) == (300, 2)
    assert read_uleb128(u8(b"\xff" * 9 + b"\x02"), 0, 10)[1] == status.BAD_HEADER   # overflow
    assert read_uleb128(u8(b"\x80" * 10 + b"\x00"), 0, 11)[1] == status.BAD_HEADER   # 11 bytes
    assert read_uleb128(u8(b"\x80\x80"), 0, 2)[1] == status.TRUNCATED
    assert read_uleb128(u8(b"\x80\x00"), 0, 1)[1] == status.TRUNCATED
    assert read_uleb128(u8(b"\x01"), -1, 1)[1] == status.TRUNCATED
    assert read_uleb128(u8(b"\x01"), 1, 1)[1] == status.TRUNCATED


@pytest.mark.parametrize("v", [0, -1, 1, -2, 2, 2**31 - 1, -2**31, 2**63 - 1, -2**63])
def test_zigzag(v):
    u = zigzag_encode(np.int64(v))
    assert u == ref_zigzag(v)
    assert zigzag_decode(np.uint64(u)) == v
