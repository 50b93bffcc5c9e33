"""BYTE_STREAM_SPLIT kernels against a pure-Python reference of Encodings.md
"Byte Stream Split", the spec's example, pyarrow's pages and short input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpq.kernels import status
from fastpq.kernels.bss import byte_stream_split_decode, byte_stream_split_encode

SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def u8(b):
    return np.frombuffer(bytes(b), np.uint8)


def ref_encode(raw, width):
    """Byte k of value i goes to stream k; streams concatenated in order."""
    n = len(raw) // width
    return bytes(raw[i * width + k] for k in range(width) for i in range(n))


def ref_decode(encoded, width):
    n = len(encoded) // width
    return bytes(encoded[k * n + i] for i in range(n) for k in range(width))


def test_spec_example():
    raw = bytes.fromhex("AABBCCDD 00112233 A3B4C5D6")
    expected = bytes.fromhex("AA00A3 BB11B4 CC22C5 DD33D6")
    assert ref_encode(raw, 4) == expected
    values = u8(raw).view(np.float32)
    assert bytes(byte_stream_split_encode(values)) == expected
    out = np.zeros(3, np.float32)
    assert byte_stream_split_decode(u8(expected), 0, 3, 4, out.view(np.uint8), 0) == 12
    assert out.tobytes() == raw


@SETTINGS
@given(width=st.integers(1, 17), data=st.data(), pad=st.integers(0, 3), out_pos=st.integers(0, 3))
def test_round_trip_any_width(width, data, pad, out_pos):
    n = data.draw(st.integers(0, 150))
    raw = data.draw(st.binary(min_size=n * width, max_size=n * width))
    encoded = u8(byte_stream_split_encode(u8(raw).copy(), width))
    assert bytes(encoded) == ref_encode(raw, width)
    src = u8(b"\x55" * pad + bytes(encoded))
    out = np.zeros((out_pos + n + 1) * width, np.uint8)
    assert byte_stream_split_decode(src, pad, n, width, out, out_pos) == len(src)
    assert bytes(out[out_pos * width:(out_pos + n) * width]) == raw == ref_decode(bytes(encoded), width)
    assert not out[:out_pos * width].any() and not out[(out_pos + n) * width:].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.float16])
def test_typed_values(dtype):
    width = np.dtype(dtype).itemsize
    rng = np.random.default_rng(width)
    bits = rng.integers(0, 256, 1001 * width, dtype=np.uint8)
    specials = {2: [0x7E01, 0x8000, 0xFC00], 4: [0x7FC00001, 0x80000000, 0x7FFFFFFF, 0x80000000],
                8: [0x7FF8000000000001, 0x8000000000000000, 2**63 - 1]}[width]
    utype = {2: np.uint16, 4: np.uint32, 8: np.uint64}[width]
    values = np.concatenate([bits.view(dtype), np.array(specials, utype).view(dtype)])
    encoded = u8(byte_stream_split_encode(values))
    out = np.zeros(len(values), dtype)
    assert byte_stream_split_decode(encoded, 0, len(values), width, out.view(np.uint8), 0) == len(encoded)
    assert out.tobytes() == values.tobytes()
    # FIXED_LEN_BYTE_ARRAY(2) for FLOAT16 given as (n, 2) bytes
    if width == 2:
        as_fixed = values.view(np.uint8).reshape(-1, 2)
        assert bytes(byte_stream_split_encode(as_fixed)) == bytes(encoded)


def test_short_input_and_output():
    encoded = u8(bytes(range(24)))
    out = np.zeros(24, np.uint8)
    assert byte_stream_split_decode(encoded, 0, 7, 4, out, 0) == status.TRUNCATED
    assert byte_stream_split_decode(encoded, 1, 6, 4, out, 0) == status.TRUNCATED
    assert byte_stream_split_decode(encoded, 0, 6, 4, out, 1) == status.OUTPUT_OVERFLOW
    assert byte_stream_split_decode(encoded, 0, 6, 4, out, -1) == status.OUTPUT_OVERFLOW
    assert byte_stream_split_decode(encoded, 0, 2**62, 4, out, 0) == status.TRUNCATED
    assert byte_stream_split_decode(encoded, 0, 1, 0, out, 0) == status.TRUNCATED
    assert byte_stream_split_decode(encoded, -1, 1, 4, out, 0) == status.TRUNCATED
    assert byte_stream_split_decode(encoded, 0, 6, 4, out, 2**61) == status.OUTPUT_OVERFLOW
    with pytest.raises(ValueError):
        byte_stream_split_encode(u8(b"abc"), 2)


@pytest.mark.parametrize("kind", ["float32", "float64", "int32", "int64", "fixed5", "float16"])
def test_pyarrow_pages(kind):
    pa = pytest.importorskip("pyarrow")
    try:
        from ._pyarrow_pages import data_pages
    except ImportError:
        from _pyarrow_pages import data_pages
    rng = np.random.default_rng(3)
    if kind == "fixed5":
        raw = rng.integers(0, 256, 5 * 3000, dtype=np.uint8)
        array, width = pa.array([bytes(raw[i:i + 5]) for i in range(0, len(raw), 5)], pa.binary(5)), 5
    elif kind == "float16":
        raw = rng.integers(0, 256, 2 * 3000, dtype=np.uint8)
        array, width = pa.array(raw.view(np.float16)), 2
    else:
        raw = rng.integers(0, 256, np.dtype(kind).itemsize * 3000, dtype=np.uint8)
        array, width = pa.array(raw.view(kind)), np.dtype(kind).itemsize
    try:
        pages = data_pages(array, column_encoding={"x": "BYTE_STREAM_SPLIT"})
    except Exception as exc:  # older pyarrow: BYTE_STREAM_SPLIT only for floats
        pytest.skip(f"pyarrow cannot write BYTE_STREAM_SPLIT for {kind}: {exc}")
    out = np.zeros(len(raw), np.uint8)
    pos = 0
    for encoding, n, body in pages:
        assert encoding == 9
        assert byte_stream_split_decode(body, 0, n, width, out, pos) == len(body)
        assert bytes(byte_stream_split_encode(out[pos * width:(pos + n) * width].copy(), width)) \
            == bytes(body)                                      # and our encoder agrees
        pos += n
    assert pos * width == len(raw)
    got = out.view(np.float16) if kind == "float16" else out
    expected = raw.view(np.float16) if kind == "float16" else raw
    assert got.tobytes() == expected.tobytes()
