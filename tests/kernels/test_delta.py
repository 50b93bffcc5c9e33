"""DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY kernels
against a pure-Python reference written from Encodings.md, pyarrow's pages,
and hostile input."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fastpq.kernels import status
from fastpq.kernels.delta import (
    delta_binary_packed_count, delta_binary_packed_decode, delta_binary_packed_decode_alloc,
    delta_binary_packed_encode, delta_binary_packed_skip,
    delta_byte_array_decode, delta_byte_array_decode_alloc, delta_byte_array_encode,
    delta_byte_array_lengths, delta_length_byte_array_decode, delta_length_byte_array_encode,
)
from tests.kernels.test_varint import ref_uleb as uleb128  # the spec-written ULEB128 reference

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------------
# reference implementation, straight from the spec (Python ints, no numpy)
# ----------------------------------------------------------------------------------
def wrap(v, bits):
    """2's complement wrap of ``v`` to a signed ``bits``-bit integer."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def read_uleb128(buf, p):
    v = shift = 0
    while True:
        b = buf[p]
        p += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, p


def zigzag(v):
    return (v << 1) if v >= 0 else (-v << 1) - 1


def unzigzag(u):
    return (u >> 1) ^ -(u & 1)


def ref_dbp_encode(values, bits=64, block_size=128, miniblocks=4, garbage=None):
    """Encode as the spec says; ``garbage`` (a Random) fills padding bits and the
    bit widths of unneeded miniblocks with arbitrary values readers must accept."""
    per_mini = block_size // miniblocks
    out = bytearray(uleb128(block_size) + uleb128(miniblocks) + uleb128(len(values)))
    out += uleb128(zigzag(wrap(values[0], bits) if values else 0))
    deltas = [wrap(values[i] - values[i - 1], bits) for i in range(1, len(values))]
    for b in range(0, len(deltas), block_size):
        block = deltas[b:b + block_size]
        min_delta = min(block)
        rel = [(d - min_delta) & ((1 << bits) - 1) for d in block]
        minis = [rel[m:m + per_mini] for m in range(0, len(rel), per_mini)]
        widths = [max(m).bit_length() for m in minis]
        unused = [garbage.randrange(256) if garbage else 0 for _ in range(miniblocks - len(minis))]
        out += uleb128(zigzag(min_delta)) + bytes(widths + unused)
        for mini, w in zip(minis, widths):
            pad = [garbage.getrandbits(w) if garbage else 0 for _ in range(per_mini - len(mini))]
            acc = sum(v << (i * w) for i, v in enumerate(mini + pad))
            out += acc.to_bytes(per_mini * w // 8, "little")
    return bytes(out)


def ref_dbp_decode(buf, p=0, bits=64):
    """(values, end position)."""
    block_size, p = read_uleb128(buf, p)
    miniblocks, p = read_uleb128(buf, p)
    total, p = read_uleb128(buf, p)
    first, p = read_uleb128(buf, p)
    per_mini = block_size // miniblocks
    values = [wrap(unzigzag(first), bits)] if total else []
    while len(values) < total:
        min_delta, p = read_uleb128(buf, p)
        min_delta = unzigzag(min_delta)
        widths = buf[p:p + miniblocks]
        p += miniblocks
        for w in widths:
            if len(values) >= total:
                break
            chunk = int.from_bytes(buf[p:p + per_mini * w // 8], "little")
            p += per_mini * w // 8
            for i in range(per_mini):
                if len(values) >= total:
                    break
                d = (chunk >> (i * w)) & ((1 << w) - 1)
                values.append(wrap(values[-1] + min_delta + d, bits))
    return values, p


def ref_dlba_encode(values, **kw):
    return ref_dbp_encode([len(v) for v in values], bits=32, **kw) + b"".join(values)


def ref_dba_encode(values, **kw):
    prefixes, previous = [], b""
    for v in values:
        k = 0
        while k < min(len(v), len(previous)) and v[k] == previous[k]:
            k += 1
        prefixes.append(k)
        previous = v
    suffixes = [v[k:] for v, k in zip(values, prefixes)]
    return ref_dbp_encode(prefixes, bits=32, **kw) + ref_dlba_encode(suffixes, **kw)


def ref_dba_decode(buf):
    prefixes, p = ref_dbp_decode(buf, 0, 32)
    lengths, p = ref_dbp_decode(buf, p, 32)
    values, previous = [], b""
    for k, n in zip(prefixes, lengths):
        previous = previous[:k] + bytes(buf[p:p + n])
        values.append(previous)
        p += n
    return values, p


def pyarrow_pages():
    try:
        from ._pyarrow_pages import data_pages
    except ImportError:
        from _pyarrow_pages import data_pages
    return data_pages


def as_list(offsets, data, start=0, stop=None):
    stop = len(offsets) - 1 if stop is None else stop
    return [bytes(data[offsets[i]:offsets[i + 1]]) for i in range(start, stop)]


def u8(b):
    return np.frombuffer(bytes(b), np.uint8)


# ----------------------------------------------------------------------------------
# strategies
# ----------------------------------------------------------------------------------
def int_lists(bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    extreme = st.sampled_from([lo, hi, 0, -1, 1, lo + 1, hi - 1])
    anything = st.lists(st.one_of(st.integers(lo, hi), extreme), max_size=600)
    small_steps = st.tuples(st.integers(lo, hi), st.lists(st.integers(-40, 40), max_size=600)).map(
        lambda t: [wrap(t[0] + sum(t[1][:i]), bits) for i in range(len(t[1]) + 1)])
    return st.one_of(anything, small_steps)


block_shapes = st.sampled_from([(128, 4), (128, 1), (256, 8), (128, 2), (512, 4), (1024, 32)])


# ----------------------------------------------------------------------------------
# DELTA_BINARY_PACKED
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [32, 64])
@SETTINGS
@given(data=st.data(), shape=block_shapes)
def test_dbp_encode_matches_reference(bits, data, shape):
    values = data.draw(int_lists(bits))
    dtype = np.int32 if bits == 32 else np.int64
    encoded = delta_binary_packed_encode(np.array(values, dtype))
    assert bytes(encoded) == ref_dbp_encode(values, bits)
    assert ref_dbp_decode(bytes(encoded), 0, bits) == (values, len(encoded))
    other = delta_binary_packed_encode(np.array(values, dtype), block_size=shape[0],
                                       miniblocks=shape[1])
    assert bytes(other) == ref_dbp_encode(values, bits, *shape)


def test_dbp_encode_rejects_bad_arguments():
    for shape in ((64, 2), (128, 3), (128, 8), (0, 1)):
        with pytest.raises(ValueError):
            delta_binary_packed_encode(np.arange(3), block_size=shape[0], miniblocks=shape[1])
    with pytest.raises(TypeError):
        delta_binary_packed_encode(np.arange(3.0))
    unsigned = delta_binary_packed_encode(np.array([0, 2**64 - 1], np.uint64))
    assert delta_binary_packed_decode_alloc(u8(unsigned), 0)[0].tolist() == [0, -1]


@pytest.mark.parametrize("bits", [32, 64])
@SETTINGS
@given(data=st.data(), shape=block_shapes, seed=st.integers(0, 2**32))
def test_dbp_decode_matches_reference(bits, data, shape, seed):
    values = data.draw(int_lists(bits))
    dtype = np.int32 if bits == 32 else np.int64
    encoded = b"\x07" + ref_dbp_encode(values, bits, *shape, garbage=random.Random(seed)) + b"tail"
    src = u8(encoded)
    out = np.full(len(values) + 3, 99, dtype)
    end = delta_binary_packed_decode(src, 1, len(values), out, 2)
    assert end == len(encoded) - 4
    assert out[2:2 + len(values)].tolist() == values
    assert out[:2].tolist() == [99, 99] and out[-1] == 99
    assert delta_binary_packed_skip(src, 1) == end
    assert delta_binary_packed_count(src, 1) == len(values)
    n = data.draw(st.integers(0, len(values)))
    first = np.zeros(n, dtype)
    assert delta_binary_packed_decode(src, 1, n, first, 0) == end      # first n values only
    assert first.tolist() == values[:n]


def test_dbp_spec_examples():
    # the spec's examples use block size 8, which it calls invalid ...
    assert delta_binary_packed_count(u8(bytes([8, 1, 5, 2])), 0) == status.BAD_HEADER
    # ... so rescale them to 128 values in one miniblock
    for values in ([1, 2, 3, 4, 5], [7, 5, 3, 1, 2, 3, 4, 5]):
        src = u8(ref_dbp_encode(values, 64, 128, 1))
        assert delta_binary_packed_decode_alloc(src, 0)[0].tolist() == values
    # example 2 by hand: first value 7 (zigzag 14), min delta -2 (zigzag 3), width 2,
    # relative deltas 0,0,0,3 | 3,3,3,(pad) packed LSB first in 128 * 2 bits
    example2 = u8(bytes([0x80, 0x01, 1, 8, 14, 3, 2, 0b11000000, 0b00111111]) + bytes(30))
    values, end = delta_binary_packed_decode_alloc(example2, 0)
    assert values.tolist() == [7, 5, 3, 1, 2, 3, 4, 5] and end == len(example2)
    assert bytes(delta_binary_packed_encode(np.array([7, 5, 3, 1, 2, 3, 4, 5]))) == \
        ref_dbp_encode([7, 5, 3, 1, 2, 3, 4, 5])


def miniblock_widths(buf, bits):
    """Bit widths of the miniblocks that hold values, walking the stream."""
    block_size, p = read_uleb128(buf, 0)
    miniblocks, p = read_uleb128(buf, p)
    total, p = read_uleb128(buf, p)
    _, p = read_uleb128(buf, p)
    widths, left = [], max(total - 1, 0)
    while left > 0:
        _, p = read_uleb128(buf, p)
        block = buf[p:p + miniblocks]
        p += miniblocks
        for w in block:
            if left <= 0:
                break
            widths.append(w)
            p += block_size // miniblocks * w // 8
            left -= block_size // miniblocks
    return widths


@pytest.mark.parametrize("bits", [32, 64])
def test_dbp_every_bit_width(bits):
    """One block per bit width 0..bits (block min delta 0, each miniblock spanning
    exactly w bits; for w == bits deltas span the whole signed range), then extremes."""
    rnd = random.Random(bits)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    values = [rnd.randint(lo, hi)]
    for w in range(bits + 1):
        for m in range(4):
            if w == bits:
                deltas = [lo, hi] + [rnd.randint(lo, hi) for _ in range(30)]
            else:
                deltas = [0, (1 << w) - 1] + [rnd.getrandbits(w) for _ in range(30)]
            for d in deltas:
                values.append(wrap(values[-1] + d, bits))
    values += [lo, hi] * 70 + [hi, lo, 0] * 3
    dtype = np.int32 if bits == 32 else np.int64
    encoded = u8(delta_binary_packed_encode(np.array(values, dtype)))
    assert bytes(encoded) == ref_dbp_encode(values, bits)
    assert set(miniblock_widths(bytes(encoded), bits)[:4 * (bits + 1)]) == set(range(bits + 1))
    decoded, end = delta_binary_packed_decode_alloc(encoded, 0, dtype)
    assert end == len(encoded) and decoded.tolist() == values


def test_dbp_empty_and_single():
    for values in ([], [0], [-5], [2**63 - 1]):
        encoded = u8(delta_binary_packed_encode(np.array(values, np.int64)))
        assert bytes(encoded) == ref_dbp_encode(values)
        decoded, end = delta_binary_packed_decode_alloc(encoded, 0)
        assert decoded.tolist() == values and end == len(encoded)


def test_dbp_int32_wraps_in_32_bits():
    values = np.array([2**31 - 1, -2**31, 2**31 - 1, 0, -2**31], np.int32)
    encoded = u8(delta_binary_packed_encode(values))
    assert miniblock_widths(bytes(encoded), 32) == [32]
    assert delta_binary_packed_decode_alloc(encoded, 0, np.int32)[0].tolist() == values.tolist()
    with_wrap = u8(ref_dbp_encode([2**31 - 1, -2**31], 32))
    out = np.zeros(2, np.int32)
    assert delta_binary_packed_decode(with_wrap, 0, 2, out, 0) == len(with_wrap)
    assert out.tolist() == [2**31 - 1, -2**31]


# ---- hostile input -----------------------------------------------------------------
def header(block=128, minis=4, total=1, first=0):
    return uleb128(block) + uleb128(minis) + uleb128(total) + uleb128(zigzag(first))


@pytest.mark.parametrize("bits", [32, 64])
def test_dbp_truncated_everywhere(bits):
    values = list(range(0, 3000, 7)) + [-(1 << (bits - 1)), (1 << (bits - 1)) - 1] * 20
    encoded = ref_dbp_encode(values, bits)
    dtype = np.int32 if bits == 32 else np.int64
    out = np.empty(len(values), dtype)
    for cut in range(len(encoded)):
        src = u8(encoded[:cut])
        assert delta_binary_packed_decode(src, 0, len(values), out, 0) == status.TRUNCATED
        assert delta_binary_packed_skip(src, 0) == status.TRUNCATED


@pytest.mark.parametrize("bad", [
    header(block=0), header(block=64), header(block=200), header(block=128, minis=0),
    header(block=128, minis=3), header(block=128, minis=8), header(block=1 << 40),
    uleb128(128) + uleb128(4) + bytes([0xFF] * 9 + [0x02]) + b"\x00",       # total > 64 bits
    uleb128(128) + uleb128(4) + bytes([0x80] * 10 + [0x01]) + b"\x00",      # 11-byte varint
    uleb128(128) + uleb128(4) + uleb128(1 << 63) + b"\x00",                 # total >= 2**63
])
def test_dbp_bad_headers(bad):
    src = u8(bad + bytes(64))
    out = np.empty(4, np.int64)
    assert delta_binary_packed_decode(src, 0, 1, out, 0) == status.BAD_HEADER
    assert delta_binary_packed_count(src, 0) == status.BAD_HEADER


def test_dbp_bad_widths_and_counts():
    body = uleb128(0) + bytes([65, 0, 0, 0]) + bytes(2000)
    out64, out32 = np.empty(10, np.int64), np.empty(10, np.int32)
    assert delta_binary_packed_decode(u8(header(total=5) + body), 0, 5, out64, 0) == status.BAD_BIT_WIDTH
    body33 = uleb128(0) + bytes([33, 0, 0, 0]) + bytes(2000)
    assert delta_binary_packed_decode(u8(header(total=5) + body33), 0, 5, out32, 0) == status.BAD_BIT_WIDTH
    assert delta_binary_packed_decode(u8(header(total=5) + body33), 0, 5, out64, 0) > 0
    # widths of unneeded miniblocks are arbitrary: accepted
    ok = u8(header(total=5) + uleb128(0) + bytes([1, 200, 255, 99]) + bytes(4))
    assert delta_binary_packed_decode(ok, 0, 5, out64, 0) == len(ok)
    # asking for more values than the stream holds, or more than out holds
    assert delta_binary_packed_decode(ok, 0, 6, out64, 0) == status.TRUNCATED
    assert delta_binary_packed_decode(ok, 0, 5, out64, 6) == status.OUTPUT_OVERFLOW
    # a huge announced count over a few bytes fails fast, without allocating
    huge = u8(header(total=(1 << 62) - 1) + uleb128(0) + bytes(4))
    assert delta_binary_packed_decode(huge, 0, 10, out64, 0) == status.TRUNCATED
    assert delta_binary_packed_decode_alloc(huge, 0) == (None, status.TRUNCATED)
    big_block = u8(header(block=1 << 28, minis=1, total=(1 << 28) + 1) + uleb128(zigzag(2)) + b"\x00")
    assert delta_binary_packed_skip(big_block, 0) == len(big_block)
    assert delta_binary_packed_decode(big_block, 0, 10, out64, 0) == len(big_block)
    assert out64.tolist() == list(range(0, 20, 2))
    assert delta_binary_packed_decode(u8(b""), 5, 0, out64, 0) == status.TRUNCATED


@settings(deadline=None, max_examples=300)
@given(st.binary(max_size=80), st.integers(0, 40))
@example(header(total=40) + uleb128(3) + bytes([64, 64, 64, 64]) + bytes(255) * 4, 40)
def test_dbp_fuzz_never_crashes(raw, count):
    src = u8(raw)
    for dtype, bits in ((np.int64, 64), (np.int32, 32)):
        out = np.zeros(count, dtype)
        end = delta_binary_packed_decode(src, 0, count, out, 0)
        if end >= 0:
            assert end <= len(raw)
            if delta_binary_packed_count(src, 0) <= 10_000:
                assert out.tolist() == ref_dbp_decode(raw, 0, bits)[0][:count]


# ----------------------------------------------------------------------------------
# DELTA_LENGTH_BYTE_ARRAY
# ----------------------------------------------------------------------------------
byte_lists = st.one_of(
    st.lists(st.binary(max_size=24), max_size=300),
    st.lists(st.text(alphabet="ab", max_size=10).map(str.encode), max_size=300),
)


def test_dlba_spec_example():
    values = [b"Hello", b"World", b"Foobar", b"ABCDEF"]
    encoded = delta_length_byte_array_encode(*offsets_data(values))
    assert bytes(encoded).endswith(b"HelloWorldFoobarABCDEF")
    assert bytes(encoded) == ref_dlba_encode(values)


def offsets_data(values):
    offsets = np.zeros(len(values) + 1, np.int64)
    offsets[1:] = np.cumsum([len(v) for v in values])
    return offsets, u8(b"".join(values))


@SETTINGS
@given(first=byte_lists, second=byte_lists, shape=block_shapes, seed=st.integers(0, 2**32))
def test_dlba_round_trip(first, second, shape, seed):
    assert bytes(delta_length_byte_array_encode(*offsets_data(first))) == ref_dlba_encode(first)
    pages = [ref_dlba_encode(first, block_size=shape[0], miniblocks=shape[1],
                             garbage=random.Random(seed)), ref_dlba_encode(second)]
    offsets = np.zeros(len(first) + len(second) + 1, np.int64)
    data = np.zeros(sum(len(p) for p in pages), np.uint8)
    out_pos = 0
    for page, values in zip(pages, (first, second)):
        assert delta_length_byte_array_decode(u8(page), 0, len(values), offsets, out_pos,
                                              data) == len(page)
        out_pos += len(values)
    assert as_list(offsets, data) == first + second


def test_dlba_hostile():
    values = [b"abc", b"", b"defgh"] * 50
    page = ref_dlba_encode(values)
    offsets, data = np.zeros(len(values) + 1, np.int64), np.zeros(len(page), np.uint8)
    for cut in range(len(page)):
        assert delta_length_byte_array_decode(u8(page[:cut]), 0, len(values), offsets, 0,
                                              data) == status.TRUNCATED
    negative = ref_dbp_encode([3, -1, 2], bits=32) + b"abcdefgh"
    assert delta_length_byte_array_decode(u8(negative), 0, 3, offsets, 0, data) == status.BAD_LENGTH
    huge = ref_dbp_encode([3, 2**31 - 1], bits=32) + b"abcdefgh"
    assert delta_length_byte_array_decode(u8(huge), 0, 2, offsets, 0, data) == status.TRUNCATED
    small = np.zeros(4, np.uint8)
    assert delta_length_byte_array_decode(u8(page), 0, len(values), offsets, 0,
                                          small) == status.OUTPUT_OVERFLOW
    assert delta_length_byte_array_decode(u8(page), 0, len(values), offsets[:5], 0,
                                          data) == status.OUTPUT_OVERFLOW


# ----------------------------------------------------------------------------------
# DELTA_BYTE_ARRAY
# ----------------------------------------------------------------------------------
def test_dba_spec_example():
    values = [b"axis", b"axle", b"babble", b"babyhood"]
    encoded = bytes(delta_byte_array_encode(*offsets_data(values)))
    assert encoded.endswith(b"axislebabbleyhood")
    assert ref_dbp_decode(encoded, 0, 32)[0] == [0, 2, 0, 3]
    assert encoded == ref_dba_encode(values)
    offsets, data, end = delta_byte_array_decode_alloc(u8(encoded), 0, 4)
    assert as_list(offsets, data) == values and end == len(encoded)


@SETTINGS
@given(first=byte_lists, second=byte_lists, shape=block_shapes, seed=st.integers(0, 2**32))
def test_dba_round_trip(first, second, shape, seed):
    assert bytes(delta_byte_array_encode(*offsets_data(first))) == ref_dba_encode(first)
    pages = [ref_dba_encode(first, block_size=shape[0], miniblocks=shape[1],
                            garbage=random.Random(seed)), ref_dba_encode(second)]
    n = len(first) + len(second)
    offsets = np.zeros(n + 1, np.int64)
    data = np.zeros(sum(map(len, first + second)), np.uint8)
    out_pos = 0
    for page, values in zip(pages, (first, second)):
        src = u8(page)
        prefix, suffix = np.empty(len(values), np.int64), np.empty(len(values), np.int64)
        p = delta_byte_array_lengths(src, 0, len(values), prefix, suffix)
        assert p >= 0
        assert prefix.sum() + suffix.sum() == sum(map(len, values))
        assert delta_byte_array_decode(src, p, len(values), prefix, suffix, offsets, out_pos,
                                       data) == len(page)
        out_pos += len(values)
    assert as_list(offsets, data) == first + second


def test_dba_hostile():
    values = [b"axis", b"axle", b"babble", b"babyhood"] * 40
    page = ref_dba_encode(values)
    n = len(values)
    prefix, suffix = np.empty(n, np.int64), np.empty(n, np.int64)
    for cut in range(len(page)):
        assert delta_byte_array_lengths(u8(page[:cut]), 0, n, prefix, suffix) == status.TRUNCATED
    assert delta_byte_array_decode_alloc(u8(page), 0, n + 1)[2] == status.TRUNCATED

    def page_of(prefixes, suffixes):
        return u8(ref_dbp_encode(prefixes, 32) + ref_dbp_encode([len(s) for s in suffixes], 32)
                  + b"".join(suffixes))

    def lengths_status(prefixes, suffixes):
        k = len(prefixes)
        return delta_byte_array_lengths(page_of(prefixes, suffixes), 0, k, np.empty(k, np.int64),
                                        np.empty(k, np.int64))
    assert lengths_status([1], [b"a"]) == status.BAD_VALUE             # first prefix must be 0
    assert lengths_status([0, 3], [b"ab", b"c"]) == status.BAD_VALUE   # prefix > previous length
    assert lengths_status([0, -1], [b"ab", b"c"]) == status.BAD_VALUE
    assert lengths_status([0, 0], [b"ab", b"c"]) > 0
    bad_suffix = u8(ref_dbp_encode([0, 0], 32) + ref_dbp_encode([2, -3], 32) + b"abc")
    assert delta_byte_array_lengths(bad_suffix, 0, 2, prefix, suffix) == status.BAD_LENGTH
    # the decode step re-checks lengths it is handed
    src = page_of([0, 2], [b"ab", b"c"])
    offsets, data = np.zeros(3, np.int64), np.zeros(16, np.uint8)
    p = delta_byte_array_lengths(src, 0, 2, prefix, suffix)
    assert delta_byte_array_decode(src, p, 2, np.array([0, 5]), suffix, offsets, 0,
                                   data) == status.BAD_VALUE
    assert delta_byte_array_decode(src, p, 2, prefix, np.array([2, 99]), offsets, 0,
                                   data) == status.TRUNCATED
    assert delta_byte_array_decode(src, p, 2, prefix, suffix, offsets, 0,
                                   data[:4]) == status.OUTPUT_OVERFLOW
    assert delta_byte_array_decode(src, p, 2, prefix, suffix, offsets, 0, data) == len(src)
    assert as_list(offsets, data) == [b"ab", b"abc"]


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=120), st.integers(0, 12))
def test_delta_byte_arrays_fuzz_never_crash(raw, count):
    src = u8(raw)
    offsets, data = np.zeros(count + 1, np.int64), np.zeros(64, np.uint8)
    delta_length_byte_array_decode(src, 0, count, offsets, 0, data)
    prefix, suffix = np.zeros(count, np.int64), np.zeros(count, np.int64)
    p = delta_byte_array_lengths(src, 0, count, prefix, suffix)
    if p >= 0:
        assert delta_byte_array_decode(src, p, count, prefix, suffix, offsets, 0, data) < 0 or \
            offsets[count] == prefix.sum() + suffix.sum()


# ----------------------------------------------------------------------------------
# pyarrow as an oracle
# ----------------------------------------------------------------------------------
def test_pyarrow_delta_binary_packed_pages():
    pa = pytest.importorskip("pyarrow")
    data_pages = pyarrow_pages()
    rng = np.random.default_rng(1)
    for dtype in (np.int32, np.int64):
        info = np.iinfo(dtype)
        values = np.concatenate([
            np.cumsum(rng.integers(-50, 50, 30_000)).astype(dtype),
            rng.integers(info.min, info.max, 5000, dtype=dtype, endpoint=True),
            np.array([info.min, info.max] * 300, dtype)])
        pages = data_pages(pa.array(values), column_encoding={"x": "DELTA_BINARY_PACKED"})
        decoded = np.empty(len(values), dtype)
        pos = 0
        for encoding, n, body in pages:
            assert encoding == 5
            assert delta_binary_packed_decode(body, 0, n, decoded, pos) == len(body)
            pos += n
        assert pos == len(values) and np.array_equal(decoded, values)


def test_encoders_match_pyarrow_bytes():
    """Our encoders reproduce pyarrow's pages byte for byte (pyarrow writes INT64
    with 256-value blocks; INT32 with the default 128)."""
    pa = pytest.importorskip("pyarrow")
    data_pages = pyarrow_pages()
    rng = np.random.default_rng(4)
    whole = dict(data_page_size=1 << 30)
    for dtype, block in ((np.int32, 128), (np.int64, 256)):
        info = np.iinfo(dtype)
        values = np.concatenate([np.cumsum(rng.integers(-50, 50, 3000)).astype(dtype),
                                 rng.integers(info.min, info.max, 999, dtype=dtype),
                                 np.array([info.min, info.max] * 5, dtype)])
        [(_, _, body)] = data_pages(pa.array(values), column_encoding={"x": "DELTA_BINARY_PACKED"},
                                    **whole)
        assert bytes(body) == bytes(delta_binary_packed_encode(values, block_size=block))
    words = [f"prefix/{i // 7:05d}/{'x' * (i % 13)}".encode() for i in range(3000)] + [b""]
    for encoding, encode in (("DELTA_LENGTH_BYTE_ARRAY", delta_length_byte_array_encode),
                             ("DELTA_BYTE_ARRAY", delta_byte_array_encode)):
        [(_, _, body)] = data_pages(pa.array(words, pa.binary()), column_encoding={"x": encoding},
                                    **whole)
        assert bytes(body) == bytes(encode(*offsets_data(words)))


@pytest.mark.parametrize("encoding", ["DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY"])
def test_pyarrow_delta_byte_array_pages(encoding):
    pa = pytest.importorskip("pyarrow")
    data_pages = pyarrow_pages()
    rng = np.random.default_rng(2)
    words = [f"prefix/{i // 7:05d}/{'x' * (i % 13)}".encode() for i in range(5000)]
    words += [bytes(rng.integers(0, 256, rng.integers(0, 40), dtype=np.uint8)) for _ in range(2000)]
    words += [b""] * 10 + [b"\x00" * 1000]
    pages = data_pages(pa.array(words, pa.binary()), column_encoding={"x": encoding})
    decoded = []
    for enc, n, body in pages:
        offsets = np.zeros(n + 1, np.int64)
        if encoding == "DELTA_LENGTH_BYTE_ARRAY":
            data = np.zeros(len(body), np.uint8)
            assert delta_length_byte_array_decode(body, 0, n, offsets, 0, data) == len(body)
        else:
            offsets, data, end = delta_byte_array_decode_alloc(body, 0, n)
            assert end == len(body)
        decoded += as_list(offsets, data)
    assert decoded == words
