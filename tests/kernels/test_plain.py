"""PLAIN kernels against a pure-Python reference written from Encodings.md
("Plain"), pyarrow's pages, and hostile input."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpq.kernels import status
from fastpq.kernels.plain import (
    JULIAN_DAY_OF_EPOCH, NANOS_PER_DAY, UNIT_CODES, UNIT_MS, UNIT_NS, UNIT_S, UNIT_US,
    check_offsets, int96_finest_unit, plain_byte_array_decode, plain_byte_array_scan,
    plain_decode_fixed, plain_decode_int96, plain_encode_byte_array, plain_encode_fixed,
    plain_encode_int96, plain_view,
)

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1


def u8(b):
    return np.frombuffer(bytes(b), np.uint8)


# ----------------------------------------------------------------------------------
# reference, from the spec
# ----------------------------------------------------------------------------------
FORMATS = {np.int32: "<i", np.int64: "<q", np.float32: "<f", np.float64: "<d"}


def ref_plain_fixed(values, fmt):
    return b"".join(struct.pack(fmt, v) for v in values)


def ref_plain_byte_array(values):
    return b"".join(struct.pack("<I", len(v)) + v for v in values)


def ref_int96(nanos, julian):
    return struct.pack("<qi", nanos, julian)


def ref_int96_to_unit(nanos, julian, unit):
    """Exact timestamp in ``unit``, or None when it does not fit int64 (or is int64 min)."""
    per_second = {UNIT_NS: 10**9, UNIT_US: 10**6, UNIT_MS: 10**3, UNIT_S: 1}[unit]
    total_ns = (julian - JULIAN_DAY_OF_EPOCH) * NANOS_PER_DAY + nanos
    v = total_ns // (10**9 // per_second)
    return v if INT64_MIN < v <= INT64_MAX else None


# ----------------------------------------------------------------------------------
# fixed width
# ----------------------------------------------------------------------------------
def bit_patterns(dtype):
    """Values of ``dtype`` built from arbitrary bits: every NaN payload, -0.0, extremes."""
    width = np.dtype(dtype).itemsize
    extremes = {4: [0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x7FC00001, 0xFF800000, 0x7F800001],
                8: [0, 2**63 - 1, 2**63, 2**64 - 1, 0x7FF8000000000001, 0xFFF0000000000000,
                    0x7FF0000000000001]}[width]
    bits = st.one_of(st.integers(0, 2 ** (8 * width) - 1), st.sampled_from(extremes))
    utype = np.uint32 if width == 4 else np.uint64
    return st.lists(bits, max_size=200).map(lambda b: np.array(b, utype).view(dtype))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
@SETTINGS
@given(data=st.data(), pad=st.integers(0, 9), out_pos=st.integers(0, 5))
def test_fixed_round_trip(dtype, data, pad, out_pos):
    values = data.draw(bit_patterns(dtype))
    expected = ref_plain_fixed(values.tolist(), FORMATS[dtype])
    if dtype in (np.float32, np.float64):      # struct may quiet NaNs: compare bits instead
        expected = values.astype(values.dtype.newbyteorder("<")).tobytes()
    assert bytes(plain_encode_fixed(values)) == expected
    src = u8(b"\xAA" * pad + expected)
    out = np.zeros(out_pos + len(values) + 2, dtype)
    new_pos = plain_decode_fixed(src, pad, len(values), values.itemsize, out.view(np.uint8), out_pos)
    assert new_pos == len(src)
    assert out[out_pos:out_pos + len(values)].tobytes() == values.tobytes()
    assert not out[:out_pos].any() and not out[out_pos + len(values):].any()
    view, end = plain_view(src, pad, len(values), dtype)
    assert end == len(src) and view.tobytes() == values.tobytes()
    if len(values):
        assert struct.unpack(FORMATS[dtype], expected[:values.itemsize])[0] == values[0] or \
            np.isnan(values[0])


def test_fixed_len_byte_array_and_bad_input():
    values = u8(range(5 * 3))                                 # FIXED_LEN_BYTE_ARRAY(3)
    out = np.zeros((7, 3), np.uint8)
    assert plain_decode_fixed(values, 0, 5, 3, out.reshape(-1), 2) == 15
    assert out[2:].tobytes() == values.tobytes() and not out[:2].any()
    assert plain_decode_fixed(values, 1, 5, 3, out.reshape(-1), 0) == status.TRUNCATED
    assert plain_decode_fixed(values, 0, 5, 3, out.reshape(-1), 3) == status.OUTPUT_OVERFLOW
    assert plain_decode_fixed(values, 0, -1, 3, out.reshape(-1), 0) == status.TRUNCATED
    assert plain_decode_fixed(values, -4, 1, 3, out.reshape(-1), 0) == status.TRUNCATED
    assert plain_decode_fixed(values, 0, 1, 3, out.reshape(-1), -1) == status.OUTPUT_OVERFLOW
    assert plain_decode_fixed(values, 0, 2**60, 8, out.reshape(-1), 0) == status.TRUNCATED
    assert plain_view(values, 0, 4, np.int32) == (None, status.TRUNCATED)


# ----------------------------------------------------------------------------------
# INT96
# ----------------------------------------------------------------------------------
int96_values = st.lists(st.tuples(
    st.one_of(st.integers(0, NANOS_PER_DAY - 1), st.integers(INT64_MIN, INT64_MAX),
              st.sampled_from([0, NANOS_PER_DAY - 1, INT64_MIN, INT64_MAX])),
    st.one_of(st.integers(-2**31, 2**31 - 1),
              st.integers(JULIAN_DAY_OF_EPOCH - 110_000, JULIAN_DAY_OF_EPOCH + 110_000),
              st.sampled_from([0, JULIAN_DAY_OF_EPOCH, -2**31, 2**31 - 1, 2440588 + 106751,
                               2440588 - 106752]))), max_size=60)


@SETTINGS
@given(values=int96_values, out_pos=st.integers(0, 3))
def test_int96_decode_matches_reference(values, out_pos):
    src = u8(b"\x01" + b"".join(ref_int96(n, j) for n, j in values))
    finest = None
    for unit in (UNIT_NS, UNIT_US, UNIT_MS, UNIT_S):
        out = np.full(out_pos + len(values), 7, np.int64)
        overflow = np.zeros(len(out), bool)
        assert plain_decode_int96(src, 1, len(values), unit, out, overflow, out_pos) == len(src)
        expected = [ref_int96_to_unit(n, j, unit) for n, j in values]
        assert overflow[out_pos:].tolist() == [e is None for e in expected]
        assert out[out_pos:].tolist() == [0 if e is None else e for e in expected]
        assert out[:out_pos].tolist() == [7] * out_pos
        if finest is None and None not in expected:
            finest = unit
    assert finest is not None                       # everything fits in seconds
    assert int96_finest_unit(src, 1, len(values)) == finest


@pytest.mark.parametrize("unit", ["ns", "us", "ms", "s"])
@SETTINGS
@given(values=st.lists(st.one_of(st.integers(INT64_MIN + 1, INT64_MAX),
                                 st.sampled_from([INT64_MIN + 1, INT64_MAX, 0, -1, 1])),
                       max_size=60))
def test_int96_encode_round_trip(unit, values):
    code = UNIT_CODES[unit]
    per_second = {"ns": 10**9, "us": 10**6, "ms": 10**3, "s": 1}[unit]
    per_day = 86400 * per_second
    # only timestamps whose Julian day fits the 4-byte field are representable
    values = [v for v in values if -2**31 <= v // per_day + JULIAN_DAY_OF_EPOCH < 2**31]
    array = np.array(values, np.int64)
    out = np.zeros(12 * len(values), np.uint8)
    assert plain_encode_int96(array, code, out) == len(out)
    expected = b"".join(ref_int96(v % per_day * (10**9 // per_second), v // per_day + JULIAN_DAY_OF_EPOCH)
                        for v in values)
    assert bytes(out) == expected
    back, overflow = np.zeros(len(values), np.int64), np.zeros(len(values), bool)
    assert plain_decode_int96(u8(out), 0, len(values), code, back, overflow, 0) == len(out)
    assert back.tolist() == values and not overflow.any()


def test_int96_edges():
    # 1970-01-01T00:00:00 and the last nanosecond of pandas' range
    src = u8(ref_int96(0, JULIAN_DAY_OF_EPOCH) + ref_int96(NANOS_PER_DAY - 1, JULIAN_DAY_OF_EPOCH - 1))
    out, overflow = np.zeros(2, np.int64), np.zeros(2, bool)
    assert plain_decode_int96(src, 0, 2, UNIT_NS, out, overflow, 0) == 24
    assert out.tolist() == [0, -1] and not overflow.any()
    # year 1 and year 9999 overflow ns but fit us: the caller can fall back
    far = u8(ref_int96(0, 1721426) + ref_int96(0, 5373484))
    assert int96_finest_unit(far, 0, 2) == UNIT_US
    assert plain_decode_int96(far, 0, 2, UNIT_NS, out, overflow, 0) == 24 and overflow.all()
    assert plain_decode_int96(far, 0, 2, UNIT_US, out, overflow, 0) == 24 and not overflow.any()
    assert out.tolist() == [-62135596800000000, 253402214400000000]
    # int64 min itself is NaT to pandas: reported as overflow, never passed through
    nat = INT64_MIN
    days, nanos = divmod(nat, NANOS_PER_DAY)
    src = u8(ref_int96(nanos, days + JULIAN_DAY_OF_EPOCH))
    assert plain_decode_int96(src, 0, 1, UNIT_NS, out, overflow, 0) == 12 and overflow[0]
    # short input and short output
    assert plain_decode_int96(src[:11], 0, 1, UNIT_NS, out, overflow, 0) == status.TRUNCATED
    assert plain_decode_int96(src, 0, 1, UNIT_NS, out, overflow[:0], 0) == status.OUTPUT_OVERFLOW
    assert int96_finest_unit(src[:11], 0, 1) == status.TRUNCATED
    assert plain_encode_int96(np.array([INT64_MAX]), UNIT_S, np.zeros(12, np.uint8)) == status.BAD_VALUE
    assert plain_encode_int96(np.array([0, 1]), UNIT_S, np.zeros(12, np.uint8)) == status.OUTPUT_OVERFLOW


def test_int96_pyarrow_oracle():
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import io
    stamps = np.array([0, -1, 1, 86_400 * 10**9 - 1, -(2**62), 2**62, 10**18 + 12345], "datetime64[ns]")
    sink = io.BytesIO()
    pq.write_table(pa.table({"x": stamps}), sink, use_deprecated_int96_timestamps=True,
                   use_dictionary=False, compression="NONE", data_page_version="1.0")
    sink.seek(0)
    raw = bytes(u8(sink.getvalue()))
    # the values are the last 12 * n bytes before the first page ends: find them by search
    packed = np.zeros(12 * len(stamps), np.uint8)
    assert plain_encode_int96(stamps.view(np.int64), UNIT_NS, packed) == len(packed)
    assert bytes(packed) in raw
    assert pq.read_table(sink).column("x").to_numpy().view(np.int64).tolist() == \
        stamps.view(np.int64).tolist()


# ----------------------------------------------------------------------------------
# BYTE_ARRAY
# ----------------------------------------------------------------------------------
byte_lists = st.lists(st.one_of(st.binary(max_size=40), st.binary(min_size=100, max_size=300)),
                      max_size=100)


@SETTINGS
@given(first=byte_lists, second=byte_lists, pad=st.integers(0, 5))
def test_byte_array_round_trip(first, second, pad):
    for values in (first, second):
        offsets = np.concatenate([[0], np.cumsum([len(v) for v in values])]).astype(np.int64)
        data = u8(b"".join(values))
        assert bytes(plain_encode_byte_array(offsets, data)) == ref_plain_byte_array(values)
        # offsets that do not start at 0 (a slice of a column)
        shifted = u8(b"zz" + b"".join(values))
        assert bytes(plain_encode_byte_array(offsets + 2, shifted)) == ref_plain_byte_array(values)
    pages = [u8(b"\x00" * pad + ref_plain_byte_array(v)) for v in (first, second)]
    offsets = np.zeros(len(first) + len(second) + 1, np.int64)
    data = np.zeros(sum(len(p) for p in pages), np.uint8)
    out_pos = 0
    for page, values in zip(pages, (first, second)):
        total = plain_byte_array_scan(page, pad, len(values))
        assert total == sum(map(len, values))
        assert plain_byte_array_decode(page, pad, len(values), offsets, out_pos, data) == len(page)
        out_pos += len(values)
    got = [bytes(data[offsets[i]:offsets[i + 1]]) for i in range(len(offsets) - 1)]
    assert got == first + second


def test_byte_array_hostile():
    values = [b"abc", b"", b"x" * 50, b"de"] * 10
    page = u8(ref_plain_byte_array(values))
    offsets, data = np.zeros(len(values) + 1, np.int64), np.zeros(len(page), np.uint8)
    for cut in range(len(page)):
        assert plain_byte_array_scan(page[:cut], 0, len(values)) == status.TRUNCATED
        assert plain_byte_array_decode(page[:cut], 0, len(values), offsets, 0, data) == status.TRUNCATED
    for bad_length in (2**31, 2**32 - 1):
        bad = u8(struct.pack("<I", 3) + b"abc" + struct.pack("<I", bad_length) + b"x" * 64)
        assert plain_byte_array_scan(bad, 0, 2) == status.BAD_LENGTH
        assert plain_byte_array_decode(bad, 0, 2, offsets, 0, data) == status.BAD_LENGTH
    long_claim = u8(struct.pack("<I", 1000) + b"abc")
    assert plain_byte_array_scan(long_claim, 0, 1) == status.TRUNCATED
    assert plain_byte_array_decode(page, 0, len(values), offsets, 0, data[:10]) == status.OUTPUT_OVERFLOW
    assert plain_byte_array_decode(page, 0, len(values), offsets[:3], 0, data) == status.OUTPUT_OVERFLOW
    offsets[0] = -1
    assert plain_byte_array_decode(page, 0, 1, offsets, 0, data) == status.OUTPUT_OVERFLOW
    offsets[0] = 0
    assert plain_byte_array_scan(page, 0, 2**40) == status.TRUNCATED
    assert plain_byte_array_scan(page, -1, 1) == status.TRUNCATED


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=64), st.integers(0, 10))
def test_byte_array_fuzz(raw, count):
    src = u8(raw)
    offsets, data = np.zeros(count + 1, np.int64), np.zeros(len(raw), np.uint8)
    total = plain_byte_array_scan(src, 0, count)
    end = plain_byte_array_decode(src, 0, count, offsets, 0, data)
    assert (total < 0) == (end < 0)
    if end >= 0:
        assert offsets[count] == total and end == 4 * count + total


def test_byte_array_encoder_rejects_bad_offsets():
    data = u8(b"abcdef")
    assert check_offsets(np.array([0, 3, 6]), 6) == 0
    for bad in ([0, 4, 3], [0, 7], [-1, 2], []):
        assert check_offsets(np.array(bad, np.int64), 6) == status.BAD_LENGTH
        with pytest.raises(ValueError):
            plain_encode_byte_array(np.array(bad, np.int64), data)


def test_pyarrow_plain_pages():
    pa = pytest.importorskip("pyarrow")
    try:
        from ._pyarrow_pages import data_pages
    except ImportError:
        from _pyarrow_pages import data_pages
    words = [f"v{i}".encode() * (i % 7) for i in range(3000)] + [b"\xff" * 300]
    decoded = []
    for encoding, n, body in data_pages(pa.array(words, pa.binary())):
        assert encoding == 0
        offsets = np.zeros(n + 1, np.int64)
        data = np.zeros(plain_byte_array_scan(body, 0, n), np.uint8)
        assert plain_byte_array_decode(body, 0, n, offsets, 0, data) == len(body)
        assert bytes(plain_encode_byte_array(offsets, data)) == bytes(body)
        decoded += [bytes(data[offsets[i]:offsets[i + 1]]) for i in range(n)]
    assert decoded == words
    values = np.array([np.nan, -0.0, 1.5, np.inf, -np.inf, 3e300])
    for encoding, n, body in data_pages(pa.array(values)):
        got, end = plain_view(body, 0, n, np.float64)
        assert end == len(body) and got.tobytes() == values.tobytes()
