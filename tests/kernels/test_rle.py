"""Bit packing, the RLE / bit-packing hybrid, BIT_PACKED and booleans
(fastpq.kernels.bitpack, fastpq.kernels.rle) against a pure-Python reference written
from Encodings.md, pyarrow's pages, and hostile input.

Run also with NUMBA_DISABLE_JIT=1 and NUMBA_BOUNDSCHECK=1. ``python
tests/kernels/test_rle.py`` prints decode throughput (the figures quoted in bitpack.py).
"""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpq.kernels import status
from fastpq.kernels.bitpack import bit_packed_legacy_decode, bit_width_for, pack_bits, unpack_bits
from fastpq.kernels.rle import (
    plain_bool_decode, plain_bool_encode, read_length_prefix, rle_bool_decode,
    rle_bool_encode, rle_hybrid_decode, rle_hybrid_encode, rle_hybrid_encode_into,
    rle_hybrid_max_size,
)
from tests.kernels.test_varint import ref_uleb as uleb  # the spec-written ULEB128 reference

SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
STATUSES = {status.TRUNCATED, status.BAD_BIT_WIDTH, status.BAD_HEADER, status.BAD_VALUE,
            status.OUTPUT_OVERFLOW}


# ----------------------------------------------------------------------------------
# reference, straight from the spec (Python ints and lists of bits)
# ----------------------------------------------------------------------------------
def ref_pack_lsb(values, w):
    """Hybrid order: values fill each byte from its least significant bit."""
    bits = [(v >> b) & 1 for v in values for b in range(w)]
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(bits[k + j] << j for j in range(8)) for k in range(0, len(bits), 8))


def ref_unpack_lsb(data, w, n):
    bit = lambda k: (data[k // 8] >> (k % 8)) & 1  # noqa: E731
    return [sum(bit(i * w + b) << b for b in range(w)) for i in range(n)]


def ref_pack_msb(values, w):
    """Deprecated BIT_PACKED: each value MSB first, bytes filled from their MSB."""
    bits = [(v >> b) & 1 for v in values for b in reversed(range(w))]
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(bits[k + j] << (7 - j) for j in range(8)) for k in range(0, len(bits), 8))


def ref_unpack_msb(data, w, n):
    bit = lambda k: (data[k // 8] >> (7 - k % 8)) & 1  # noqa: E731
    return [sum(bit(i * w + b) << (w - 1 - b) for b in range(w)) for i in range(n)]


def ref_hybrid(runs, w):
    """Encode explicit runs: ("rle", value, length) or ("packed", values) (padded to 8)."""
    out = bytearray()
    for run in runs:
        if run[0] == "rle":
            out += uleb(run[2] << 1) + run[1].to_bytes((w + 7) // 8, "little")
        else:
            vals = list(run[1]) + [0] * (-len(run[1]) % 8)
            out += uleb((len(vals) // 8) << 1 | 1) + ref_pack_lsb(vals, w)
    return bytes(out)


def ref_hybrid_runs(data, w):
    """Parse a whole hybrid stream into [(kind, values)] (all values, padding included)."""
    pos, runs = 0, []
    while pos < len(data):
        header, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            header |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if header & 1:
            n = (header >> 1) * 8
            runs.append(("packed", ref_unpack_lsb(data[pos:], w, n)))
            pos += (header >> 1) * w
        else:
            nb = (w + 7) // 8
            runs.append(("rle", [int.from_bytes(data[pos:pos + nb], "little")] * (header >> 1)))
            pos += nb
    return runs


def ref_hybrid_decode(data, w, count):
    return [v for _, vals in ref_hybrid_runs(data, w) for v in vals][:count]


def u8(data):
    return np.frombuffer(bytes(data), np.uint8).copy()


def out_dtype_for(w, rnd):
    """A random output dtype that holds bit_width w."""
    choices = [d for d in (np.uint8, np.int16, np.int32, np.uint64)
               if np.dtype(d).itemsize * 8 >= w]
    return rnd.choice(choices)


def as_unsigned(out):
    return out.view(f"u{out.dtype.itemsize}").astype(np.uint64)


def values_st(w):
    return st.just(0) if w == 0 else st.integers(0, 2**w - 1)


RUN_LENGTHS = st.sampled_from([1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 300]) | st.integers(1, 40)


@st.composite
def hybrid_runs(draw, w):
    runs = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            runs.append(("rle", draw(values_st(w)), draw(RUN_LENGTHS)))
        else:
            n = 8 * draw(st.integers(1, 4))
            runs.append(("packed", draw(st.lists(values_st(w), min_size=n, max_size=n))))
    if draw(st.booleans()):                          # a final, padded bit-packed run
        runs.append(("packed", draw(st.lists(values_st(w), min_size=1, max_size=7))))
    return runs


# ----------------------------------------------------------------------------------
# spec examples and references agree
# ----------------------------------------------------------------------------------
def test_spec_examples():
    assert ref_pack_lsb(range(8), 3) == bytes([0b10001000, 0b11000110, 0b11111010])
    assert ref_pack_msb(range(8), 3) == bytes([0b00000101, 0b00111001, 0b01110111])
    out = np.zeros(8, np.int32)
    src = u8([0b10001000, 0b11000110, 0b11111010])
    assert unpack_bits(src, 0, 3, 3, 8, out, 0) == 3
    assert out.tolist() == list(range(8))
    src = u8([0b00000101, 0b00111001, 0b01110111])
    assert bit_packed_legacy_decode(src, 0, 3, 3, 8, out, 0) == 3
    assert out.tolist() == list(range(8))
    dst = np.zeros(3, np.uint8)
    assert pack_bits(np.arange(8), 0, 8, 3, dst, 0) == 3
    assert dst.tobytes() == ref_pack_lsb(range(8), 3)


def test_bit_width_for():
    got = [bit_width_for(v) for v in (0, 1, 2, 3, 4, 7, 8, 255, 256)]
    assert got == [0, 1, 2, 2, 3, 3, 4, 8, 9]
    assert bit_width_for(2**63 - 1) == 63 and bit_width_for(np.uint64(2**64 - 1)) == 64
    assert bit_width_for(-5) == 0


# ----------------------------------------------------------------------------------
# bit unpacking / packing, every width
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("w", range(65))
def test_unpack_pack_every_width(w):
    rnd = random.Random(w)
    n = 203                                           # 25 groups + 3: fast path, then tail
    vals = [rnd.getrandbits(w) if w else 0 for _ in range(n)]
    data = ref_pack_lsb(vals, w)
    for slack, lead in ((0, 0), (16, 3)):
        src = u8(b"\xaa" * lead + data + b"\x55" * slack)
        dt = np.uint64 if w > 32 else out_dtype_for(w, rnd)
        out = np.full(n + 4, 7, dt)
        assert unpack_bits(src, lead, lead + len(data), w, n, out, 2) == lead + len(data)
        assert as_unsigned(out[2:-2]).tolist() == vals
        assert out[:2].tolist() == [7, 7] and out[-2:].tolist() == [7, 7]
    packed = np.zeros(len(data) + 2, np.uint8)
    assert pack_bits(np.array(vals, np.uint64), 0, n, w, packed, 1) == 1 + len(data)
    assert packed[1:-1].tobytes() == data and packed[0] == 0 and packed[-1] == 0
    msb = ref_pack_msb(vals, w)
    out = np.zeros(n, np.uint64)
    assert bit_packed_legacy_decode(u8(msb), 0, len(msb), w, n, out, 0) == len(msb)
    assert out.tolist() == vals


@SETTINGS
@given(st.data(), st.integers(0, 64), st.integers(0, 70), st.booleans())
def test_unpack_random(data, w, n, slack):
    vals = data.draw(st.lists(values_st(w), min_size=n, max_size=n))
    packed = ref_pack_lsb(vals, w)
    src = u8(packed + (b"\xff" * 9 if slack else b""))
    out = np.zeros(n, out_dtype_for(w, random.Random(n)))
    assert unpack_bits(src, 0, len(packed), w, n, out, 0) == len(packed)
    assert as_unsigned(out).tolist() == vals
    if len(packed):
        assert unpack_bits(src, 0, len(packed) - 1, w, n, out, 0) == status.TRUNCATED
    dst = np.zeros(len(packed), np.uint8)
    assert pack_bits(np.array(vals, np.uint64), 0, n, w, dst, 0) == len(packed)
    assert dst.tobytes() == packed


def test_unpack_bad_args():
    src, out = np.zeros(16, np.uint8), np.zeros(8, np.uint8)
    assert unpack_bits(src, 0, 16, 9, 8, out, 0) == status.BAD_BIT_WIDTH   # wider than uint8
    assert unpack_bits(src, 0, 16, 65, 8, np.zeros(8, np.uint64), 0) == status.BAD_BIT_WIDTH
    assert unpack_bits(src, 0, 16, -1, 8, out, 0) == status.BAD_BIT_WIDTH
    assert unpack_bits(src, 0, 17, 1, 8, out, 0) == status.TRUNCATED       # end past src
    assert unpack_bits(src, 5, 4, 1, 1, out, 0) == status.TRUNCATED        # pos past end
    assert unpack_bits(src, 0, 16, 1, 8, out, 1) == status.OUTPUT_OVERFLOW
    assert unpack_bits(src, 0, 16, 1, 8, out, -1) == status.OUTPUT_OVERFLOW
    zeros = np.zeros(8, np.int64)
    assert pack_bits(zeros, 0, 8, 3, np.zeros(2, np.uint8), 0) == status.OUTPUT_OVERFLOW
    assert pack_bits(np.zeros(8, np.int64), 1, 8, 3, np.zeros(3, np.uint8), 0) == status.TRUNCATED
    assert bit_packed_legacy_decode(src, 0, 2, 3, 8, out, 0) == status.TRUNCATED
    assert bit_packed_legacy_decode(src, 3, 16, 0, 8, out, 0) == 3           # width 0: no bytes


# ----------------------------------------------------------------------------------
# the hybrid: decoding reference streams
# ----------------------------------------------------------------------------------
@SETTINGS
@given(st.data(), st.integers(0, 64))
def test_hybrid_decode_reference(data, w):
    runs = data.draw(hybrid_runs(w))
    stream = ref_hybrid(runs, w)
    total = [v for _, vals in ref_hybrid_runs(stream, w) for v in vals]
    count = data.draw(st.integers(0, len(total)))
    lead, slack = data.draw(st.integers(0, 3)), data.draw(st.sampled_from([0, 1, 9]))
    src = u8(b"\x01" * lead + stream + b"\xff" * slack)
    dt = out_dtype_for(w, random.Random(count))
    out = np.full(count + 3, 5, dt)
    pos = rle_hybrid_decode(src, lead, lead + len(stream), w, count, out, 1)
    assert pos >= lead, status.describe(pos)
    assert as_unsigned(out[1:1 + count]).tolist() == total[:count]
    assert out[0] == 5 and out[-2:].tolist() == [5, 5]
    if w == 0 or count == 0:
        assert pos == lead
    elif count == len(total):
        assert pos == lead + len(stream)


def test_hybrid_final_run_padding_and_short_bytes():
    # 10 values at width 5: one bit-packed run of 2 groups, only 7 of its 10 bytes present
    vals = list(range(10))
    full = ref_hybrid([("packed", vals)], 5)
    assert len(full) == 11
    cut = full[:1 + (10 * 5 + 7) // 8]                     # header + the bytes of 10 values
    out = np.zeros(10, np.int16)
    assert rle_hybrid_decode(u8(cut), 0, len(cut), 5, 10, out, 0) == len(cut)
    assert out.tolist() == vals
    assert rle_hybrid_decode(u8(cut[:-1]), 0, len(cut) - 1, 5, 10, out, 0) == status.TRUNCATED
    # a run reaching past count stops there
    stream = ref_hybrid([("rle", 3, 100), ("packed", [1] * 8)], 2)
    out = np.zeros(50, np.uint8)
    assert rle_hybrid_decode(u8(stream), 0, len(stream), 2, 50, out, 0) == len(uleb(200)) + 1
    assert (out == 3).all()


def test_hybrid_bit_width_zero_reads_nothing():
    out = np.full(5, 9, np.int32)
    assert rle_hybrid_decode(np.zeros(0, np.uint8), 0, 0, 0, 5, out, 0) == 0
    assert (out == 0).all()
    src = u8(b"\xff\xff")                                  # garbage is not even looked at
    assert rle_hybrid_decode(src, 1, 2, 0, 3, out, 2) == 1


# ----------------------------------------------------------------------------------
# the hybrid: encoding
# ----------------------------------------------------------------------------------
@st.composite
def run_values(draw, w):
    vals = []
    for _ in range(draw(st.integers(0, 8))):
        vals += [draw(values_st(w))] * draw(RUN_LENGTHS)
    return vals


def check_stream_shape(stream, w, count):
    """Only the last run may be padded (< 8 values past count); limits respected."""
    runs = ref_hybrid_runs(stream, w)
    lengths = [len(v) for _, v in runs]
    assert sum(lengths) >= count and sum(lengths[:-1]) < count or count == 0
    assert sum(lengths) - count < 8
    assert all(0 < n <= 504 for (k, v), n in zip(runs, lengths) if k == "packed")
    assert all(0 < n < 2**31 for (k, v), n in zip(runs, lengths) if k == "rle")
    return runs


@SETTINGS
@given(st.data(), st.integers(0, 64))
def test_hybrid_encode_roundtrip(data, w):
    vals = data.draw(run_values(w))
    w_enc = data.draw(st.integers(max(w, bit_width_for(np.uint64(max(vals, default=0)))), 64))
    arr = np.array(vals, np.uint64)
    stream = rle_hybrid_encode(arr, len(vals), w_enc)
    assert stream.dtype == np.uint8
    check_stream_shape(stream.tobytes(), w_enc, len(vals))
    assert ref_hybrid_decode(stream.tobytes(), w_enc, len(vals)) == vals
    out = np.zeros(len(vals), np.uint64)
    end = stream.size if w_enc and vals else 0      # width 0: headers are written, not read
    assert rle_hybrid_decode(stream, 0, stream.size, w_enc, len(vals), out, 0) == end
    assert out.tolist() == vals


def test_hybrid_encode_compression():
    n = 10_000
    assert rle_hybrid_encode(np.full(n, 5, np.int32), n, 3).size == len(uleb(n << 1)) + 1
    rnd = np.random.default_rng(1)
    for w in (1, 3, 8, 17, 32):
        vals = rnd.integers(0, 2**w, n, dtype=np.int64)
        size = rle_hybrid_encode(vals, n, w).size
        assert size <= n * w // 8 + n // 504 + 2, (w, size)
    # runs of 8 equal values between literals: RLE only once a run is long enough
    vals = np.array(([1, 2, 3] + [7] * 30) * 50, np.int16)
    runs = check_stream_shape(rle_hybrid_encode(vals, vals.size, 3).tobytes(), 3, vals.size)
    assert sum(k == "rle" for k, _ in runs) == 50
    # no shorter than an obvious greedy on a long mixed stream
    vals = np.repeat(rnd.integers(0, 4, 2000), rnd.integers(1, 20, 2000))
    assert rle_hybrid_encode(vals, vals.size, 2).size < vals.size * 2 // 8


def test_hybrid_encode_limits():
    vals = np.array([0, 1, 8, 2], np.int64)
    with pytest.raises(ValueError):
        rle_hybrid_encode(vals, 4, 3)
    with pytest.raises(ValueError):
        rle_hybrid_encode(np.array([-1, 0], np.int64), 2, 8)
    dst = np.zeros(rle_hybrid_max_size(4, 3), np.uint8)
    assert rle_hybrid_encode_into(vals, 4, 3, dst) == status.BAD_VALUE
    assert rle_hybrid_encode_into(vals, 4, 65, dst) == status.BAD_BIT_WIDTH
    assert rle_hybrid_encode_into(vals, 5, 4, dst) == status.OUTPUT_OVERFLOW
    assert rle_hybrid_encode_into(vals, 4, 4, dst[:5]) == status.OUTPUT_OVERFLOW
    # width 64 takes any bit pattern, signed or not
    for v in (np.array([-1, 2**62, -2**63] * 5, np.int64), np.array([2**64 - 1] * 9, np.uint64)):
        s = rle_hybrid_encode(v, v.size, 64)
        out = np.zeros(v.size, v.dtype)
        assert rle_hybrid_decode(s, 0, s.size, 64, v.size, out, 0) == s.size
        assert (out == v).all()
    assert rle_hybrid_encode(np.zeros(0, np.int32)).size == 0
    assert rle_hybrid_encode(np.array([3, 3, 1])).tobytes() == ref_hybrid([("packed", [3, 3, 1])],
                                                                          2)
    # a bit width read from a page byte (uint8) must not narrow the arithmetic
    vals = np.arange(1000) % 8
    s = rle_hybrid_encode(vals, vals.size, np.uint8(3))
    out = np.zeros(vals.size, np.int16)
    assert rle_hybrid_decode(s, 0, s.size, np.uint8(3), vals.size, out, 0) == s.size
    assert (out == vals).all()
    assert unpack_bits(s, 0, s.size, np.uint8(3), 100, out, 0) == 38


# ----------------------------------------------------------------------------------
# hostile input
# ----------------------------------------------------------------------------------
def decode(data, w, count, dt=np.int64, end=None):
    out = np.zeros(count, dt)
    src = u8(data)
    return rle_hybrid_decode(src, 0, len(data) if end is None else end, w, count, out, 0), out


def test_bad_run_headers():
    """Run headers are varints (tests/kernels/test_varint.py): overflow and truncation."""
    assert decode(b"\xff" * 11, 3, 4)[0] == status.BAD_HEADER
    assert decode(b"\xff" * 9 + b"\x03", 3, 4)[0] == status.BAD_HEADER
    assert decode(b"\x80\x80", 3, 4)[0] == status.TRUNCATED


def test_hostile_runs():
    # huge RLE run: only count values are produced
    st_, out = decode(uleb((2**62) << 1) + b"\x05", 3, 100)
    assert st_ > 0 and (out == 5).all()
    # huge bit-packed run, enough bytes for count values
    st_, out = decode(uleb((2**62) << 1 | 1) + b"\xff" * 3, 3, 8)
    assert st_ == 4 + len(uleb((2**62) << 1 | 1)) - 1 and (out == 7).all()
    assert decode(uleb((2**62) << 1 | 1) + b"\xff" * 2, 3, 8)[0] == status.TRUNCATED
    assert decode(uleb((2**63 - 1) << 1 | 1), 64, 1)[0] == status.TRUNCATED
    # data ends between runs, inside a value, or before any run
    assert decode(ref_hybrid([("rle", 1, 4)], 9), 9, 5)[0] == status.TRUNCATED
    assert decode(uleb(8) + b"\x01", 9, 4)[0] == status.TRUNCATED
    assert decode(b"", 1, 1)[0] == status.TRUNCATED
    assert decode(b"", 1, 0)[0] == 0
    # zero-length runs are skipped
    st_, out = decode(b"\x00\x01" + b"\x01" + ref_hybrid([("rle", 1, 3)], 1), 1, 3)
    assert st_ == 5 and out.tolist() == [1, 1, 1]
    # RLE values: above 2**bit_width, or above the output type
    assert decode(uleb(8) + b"\x08", 3, 4)[0] == status.BAD_VALUE
    assert decode(uleb(8) + b"\x00\x80", 16, 4, np.int16)[0] == status.BAD_VALUE
    assert decode(uleb(8) + b"\x00\x80", 16, 4, np.uint16)[0] == 3
    assert decode(uleb(8) + b"\xff" * 4, 32, 4, np.int32)[0] == status.BAD_VALUE
    # bit widths
    for w, dt in ((-1, np.int64), (65, np.uint64), (9, np.uint8), (33, np.int32), (64, np.int32)):
        assert decode(uleb(8) + b"\x00" * 9, w, 4, dt)[0] == status.BAD_BIT_WIDTH
    # output and position bounds
    out = np.zeros(4, np.int32)
    src = u8(ref_hybrid([("rle", 1, 8)], 1))
    assert rle_hybrid_decode(src, 0, src.size, 1, 5, out, 0) == status.OUTPUT_OVERFLOW
    assert rle_hybrid_decode(src, 0, src.size, 1, 4, out, 1) == status.OUTPUT_OVERFLOW
    assert rle_hybrid_decode(src, 0, src.size, 1, -1, out, 0) == status.OUTPUT_OVERFLOW
    assert rle_hybrid_decode(src, 0, src.size + 1, 1, 4, out, 0) == status.TRUNCATED
    assert rle_hybrid_decode(src, 2, 1, 1, 4, out, 0) == status.TRUNCATED
    assert rle_hybrid_decode(src, -1, 2, 1, 4, out, 0) == status.TRUNCATED


@SETTINGS
@given(st.data(), st.integers(-1, 66), st.integers(0, 40))
def test_hybrid_truncated_and_garbage(data, w, count):
    """Any prefix / random bytes: a status or a correct decode, never a write outside out."""
    wr = min(max(w, 0), 64)
    stream = ref_hybrid(data.draw(hybrid_runs(wr)), wr)
    cut = data.draw(st.integers(0, len(stream)))
    garbage = data.draw(st.binary(max_size=40))
    expected = ref_hybrid_decode(stream, wr, count)
    for chunk, ref in ((stream[:cut], expected if cut == len(stream) else None), (garbage, None)):
        src = u8(chunk + b"\xee" * 9)                  # bytes past end must not matter
        out = np.full(count + 4, 77, np.uint64)
        res = rle_hybrid_decode(src, 0, len(chunk), w, count, out, 2)
        assert res in STATUSES or 0 <= res <= len(chunk)
        assert out[:2].tolist() == [77, 77] and out[-2:].tolist() == [77, 77]
        if res >= 0 and ref is not None and len(ref) == count:
            assert out[2:-2].tolist() == ref
        if w < 0 or w > 64:
            assert res == status.BAD_BIT_WIDTH


# ----------------------------------------------------------------------------------
# length prefix and booleans
# ----------------------------------------------------------------------------------
def test_length_prefix():
    src = u8(b"\x00\x03\x00\x00\x00abc")
    assert read_length_prefix(src, 1, 8) == 3
    assert read_length_prefix(src, 1, 7) == status.TRUNCATED        # data cut
    assert read_length_prefix(src, 1, 4) == status.TRUNCATED        # prefix cut
    assert read_length_prefix(src, 0, 9) == status.TRUNCATED        # end past src
    assert read_length_prefix(u8(b"\xff\xff\xff\xff"), 0, 4) == status.TRUNCATED


@SETTINGS
@given(st.lists(st.booleans(), max_size=300), st.sampled_from([np.bool_, np.uint8]))
def test_plain_bools(bits, dt):
    n = len(bits)
    packed = ref_pack_lsb([int(b) for b in bits], 1)
    assert plain_bool_encode(np.array(bits, dt)).tobytes() == packed
    assert plain_bool_encode(np.array(bits, np.int32) * 3, n).tobytes() == packed  # nonzero = true
    out = np.zeros(n + 1, dt)
    assert plain_bool_decode(u8(packed), 0, len(packed), n, out, 1) == len(packed)
    assert out[1:].astype(bool).tolist() == bits and not out[0]
    if n:
        assert plain_bool_decode(u8(packed), 0, len(packed) - 1, n, out, 1) == status.TRUNCATED


@SETTINGS
@given(st.data(), st.sampled_from([np.bool_, np.uint8]))
def test_rle_bools(data, dt):
    vals = data.draw(run_values(1))
    n = len(vals)
    enc = rle_bool_encode(np.array(vals, np.uint8))
    assert int.from_bytes(enc[:4].tobytes(), "little") == enc.size - 4
    assert ref_hybrid_decode(enc[4:].tobytes(), 1, n) == vals
    ref = ref_hybrid(data.draw(hybrid_runs(1)), 1)
    for stream, expect in ((enc.tobytes(), vals), (len(ref).to_bytes(4, "little") + ref, None)):
        expect = expect if expect is not None else ref_hybrid_decode(stream[4:], 1, 10**6)
        out = np.zeros(len(expect), dt)
        src = u8(stream + b"\x01")
        assert rle_bool_decode(src, 0, src.size, len(expect), out, 0) == len(stream)
        assert out.astype(int).tolist() == expect
        assert rle_bool_decode(src, 0, len(stream) - 1, len(expect), out, 0) == status.TRUNCATED


# ----------------------------------------------------------------------------------
# pyarrow's pages as an oracle
# ----------------------------------------------------------------------------------
def _pages():
    pytest.importorskip("pyarrow")
    try:
        from ._pyarrow_pages import data_pages
    except ImportError:
        from _pyarrow_pages import data_pages
    return data_pages


def test_pyarrow_dictionary_indices_and_rle_bools():
    data_pages = _pages()
    import pyarrow as pa
    rnd = np.random.default_rng(3)
    for n_distinct in (1, 2, 37, 1000, 70000):
        vals = np.repeat(rnd.integers(0, n_distinct, 4000), rnd.integers(1, 12, 4000))
        pages = data_pages(pa.array(vals), use_dictionary=True, dictionary_pagesize_limit=2**30)
        assert pages[0][0] == "dictionary"
        dictionary = np.frombuffer(pages[0][2].tobytes(), "<i8")
        got = []
        for enc, n, body in pages[1:]:
            assert enc == 8                                  # RLE_DICTIONARY
            idx = np.zeros(n, np.int32)
            assert rle_hybrid_decode(body, 1, body.size, int(body[0]), n, idx, 0) > 0
            got.append(dictionary[idx])
        assert (np.concatenate(got) == vals).all()
    bools = rnd.integers(0, 2, 5000).astype(bool)
    bools[1000:3000] = True
    for enc, n, body in data_pages(pa.array(bools), column_encoding={"x": "RLE"}):
        assert enc == 3
        out = np.zeros(n, np.bool_)
        assert rle_bool_decode(body, 0, body.size, n, out, 0) == body.size
        assert (out == bools).all()
        ours = rle_bool_encode(bools)
        assert ours.size <= body.size + 8


# ----------------------------------------------------------------------------------
# micro-benchmark (not a test): python tests/kernels/test_rle.py
# ----------------------------------------------------------------------------------
def _packed_stream(vals, w):
    """All values as bit-packed runs of 504 (what writers emit for high-entropy data)."""
    n = vals.size
    dst = np.zeros(rle_hybrid_max_size(n, w), np.uint8)
    q = 0
    for k in range(0, n, 504):
        m = min(504, n - k)
        header = uleb(((m + 7) // 8) << 1 | 1)
        dst[q:q + len(header)] = np.frombuffer(header, np.uint8)
        q += len(header)
        pack_bits(vals, k, m, w, dst, q)
        q += (m + 7) // 8 * w
    return dst[:q].copy()


def _bench(n=10_000_000, reps=5):
    import time
    rng = np.random.default_rng(0)
    for w in (1, 3, 8, 17, 32):
        vals = rng.integers(0, 2**w, n, dtype=np.int64)
        src = _packed_stream(vals, w)
        for dt in (np.uint8, np.int32) if w <= 8 else (np.int32 if w < 32 else np.uint32, np.int64):
            out = np.empty(n, dt)
            rle_hybrid_decode(src, 0, src.size, w, n, out, 0)
            best = 1e9
            for _ in range(reps):
                t0 = time.perf_counter()
                rle_hybrid_decode(src, 0, src.size, w, n, out, 0)
                best = min(best, time.perf_counter() - t0)
            assert (out == vals).all()
            print(f"bit_width {w:2d} -> {np.dtype(dt).name:6s}: {n / best / 1e6:6.0f} M values/s")


if __name__ == "__main__":
    _bench()
