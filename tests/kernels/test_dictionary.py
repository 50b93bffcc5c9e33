"""Dictionary gather and build kernels against a pure-Python reference of
Encodings.md "Dictionary Encoding", pyarrow's dictionary pages, and hostile indices."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpq.kernels import status
from fastpq.kernels.dictionary import (
    dictionary_encode, dictionary_encode_byte_array, dictionary_encode_fixed_len,
    dictionary_gather, dictionary_gather_byte_array, dictionary_gather_byte_array_size,
    dictionary_gather_fixed_len,
)
from fastpq.kernels.plain import plain_byte_array_decode, plain_byte_array_scan

pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def u8(b):
    """Writable bytes, like decoded dictionaries and writer input (one compile per kernel)."""
    return np.frombuffer(bytes(b), np.uint8).copy()


def offsets_data(values):
    offsets = np.zeros(len(values) + 1, np.int64)
    offsets[1:] = np.cumsum([len(v) for v in values])
    return offsets, u8(b"".join(values))


def as_list(offsets, data):
    return [bytes(data[offsets[i]:offsets[i + 1]]) for i in range(len(offsets) - 1)]


# ----------------------------------------------------------------------------------
# reference: a dictionary of distinct values in first-seen order, PLAIN-sized
# ----------------------------------------------------------------------------------
def ref_build(keys, entry_size, max_bytes, max_values=2**31 - 1):
    """(uniques, indices, n_encoded) with ``keys`` hashable (bit patterns, bytes)."""
    seen, uniques, indices, size = {}, [], [], 0
    for k in keys:
        if k not in seen:
            if len(uniques) >= max_values or size + entry_size(k) > max_bytes:
                break
            seen[k] = len(uniques)
            uniques.append(k)
            size += entry_size(k)
        indices.append(seen[k])
    return uniques, indices, len(indices)


# ----------------------------------------------------------------------------------
# gather
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
@SETTINGS
@given(size=st.integers(1, 50), data=st.data(), out_pos=st.integers(0, 4))
def test_gather_fixed(dtype, size, data, out_pos):
    dictionary = np.arange(size, dtype=dtype) * 3 - 7
    indices = np.array(data.draw(st.lists(st.integers(0, size - 1), max_size=200)), np.int32)
    out = np.zeros(out_pos + len(indices) + 1, dtype)
    assert dictionary_gather(dictionary, indices, out, out_pos) == out_pos + len(indices)
    assert out[out_pos:out_pos + len(indices)].tolist() == [dictionary[i] for i in indices]
    assert not out[:out_pos].any() and out[-1] == 0


@pytest.mark.parametrize("bad", [-1, 5, 2**31 - 1, -2**31])
def test_gather_bad_index_writes_nothing(bad):
    dictionary = np.arange(5, dtype=np.int64) + 1
    indices = np.array([0, 1, bad, 2], np.int32)
    out = np.zeros(6, np.int64)
    assert dictionary_gather(dictionary, indices, out, 0) == status.BAD_INDEX
    assert not out.any()
    assert dictionary_gather(dictionary, indices[:2], out, 5) == status.OUTPUT_OVERFLOW
    assert dictionary_gather(dictionary, indices[:2], out, -1) == status.OUTPUT_OVERFLOW
    assert dictionary_gather(dictionary[:0], indices[:1], out, 0) == status.BAD_INDEX
    assert dictionary_gather(dictionary[:0], indices[:0], out, 0) == 0
    flat = np.arange(15, dtype=np.uint8)
    out8 = np.zeros(18, np.uint8)
    assert dictionary_gather_fixed_len(flat, 3, indices, out8, 0) == status.BAD_INDEX
    offsets = np.array([0, 1, 2, 3, 4, 5], np.int64)
    assert dictionary_gather_byte_array_size(offsets, indices) == status.BAD_INDEX
    o = np.zeros(5, np.int64)
    assert dictionary_gather_byte_array(offsets, flat, indices, o, 0, out8) == status.BAD_INDEX
    assert not o.any() and not out8.any()


@SETTINGS
@given(width=st.integers(1, 20), size=st.integers(1, 30), data=st.data(), out_pos=st.integers(0, 3))
def test_gather_fixed_len(width, size, data, out_pos):
    dictionary = np.random.default_rng(width).integers(0, 256, size * width, dtype=np.uint8)
    indices = np.array(data.draw(st.lists(st.integers(0, size - 1), max_size=100)), np.int32)
    out = np.zeros((out_pos + len(indices), width), np.uint8)
    assert dictionary_gather_fixed_len(dictionary, width, indices, out.reshape(-1), out_pos) \
        == out_pos + len(indices)
    assert np.array_equal(out[out_pos:], dictionary.reshape(size, width)[indices])
    assert dictionary_gather_fixed_len(dictionary, width, indices, out.reshape(-1)[:-1], out_pos) \
        == (status.OUTPUT_OVERFLOW if out.size else out_pos)


@SETTINGS
@given(words=st.lists(st.binary(max_size=40), min_size=1, max_size=40), data=st.data())
def test_gather_byte_array(words, data):
    dict_offsets, dict_data = offsets_data(words)
    pages = [np.array(data.draw(st.lists(st.integers(0, len(words) - 1), max_size=100)), np.int32)
             for _ in range(2)]
    total = sum(dictionary_gather_byte_array_size(dict_offsets, p) for p in pages)
    offsets = np.zeros(sum(map(len, pages)) + 1, np.int64)
    out = np.zeros(total, np.uint8)
    out_pos = 0
    for page in pages:
        assert dictionary_gather_byte_array(dict_offsets, dict_data, page, offsets, out_pos, out) \
            == out_pos + len(page)
        out_pos += len(page)
    assert as_list(offsets, out) == [words[i] for p in pages for i in p]
    if total:
        assert dictionary_gather_byte_array(dict_offsets, dict_data, np.concatenate(pages), offsets,
                                            0, out[:-1]) == status.OUTPUT_OVERFLOW


def test_gather_byte_array_capacity():
    dict_offsets, dict_data = offsets_data([b"abc", b"", b"defg"])
    indices = np.array([0, 2, 1, 0], np.int32)
    assert dictionary_gather_byte_array_size(dict_offsets, indices) == 10
    offsets = np.zeros(5, np.int64)
    assert dictionary_gather_byte_array(dict_offsets, dict_data, indices, offsets, 0,
                                        np.zeros(9, np.uint8)) == status.OUTPUT_OVERFLOW
    assert dictionary_gather_byte_array(dict_offsets, dict_data, indices, offsets[:4], 0,
                                        np.zeros(10, np.uint8)) == status.OUTPUT_OVERFLOW
    out = np.zeros(10, np.uint8)
    assert dictionary_gather_byte_array(dict_offsets, dict_data, indices, offsets, 0, out) == 4
    assert as_list(offsets, out) == [b"abc", b"defg", b"", b"abc"]


# ----------------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------------
def numeric_keys(dtype):
    width = np.dtype(dtype).itemsize
    utype = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[width]
    pool = st.lists(st.integers(0, 2 ** (8 * width) - 1), min_size=1, max_size=30)
    special = [0, 2 ** (8 * width - 1), 2 ** (8 * width) - 1]            # 0.0, -0.0 / min, NaN / -1
    if width >= 4:
        special += [0x7FC00000, 0x7FC00001, 0x7F800001] if width == 4 else \
            [0x7FF8000000000000, 0x7FF8000000000001, 0x7FF0000000000001]
    return st.tuples(pool.map(lambda p: p + special),
                     st.lists(st.integers(0, 10**6), max_size=300)).map(
        lambda t: np.array([t[0][i % len(t[0])] for i in t[1]], utype).view(dtype))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.float32, np.float64,
                                   np.uint64, "datetime64[ns]"])
@SETTINGS
@given(data=st.data(), max_bytes=st.one_of(st.just(1 << 20), st.integers(0, 120)))
def test_build_numeric(dtype, data, max_bytes):
    values = data.draw(numeric_keys(np.dtype(dtype) if dtype != "datetime64[ns]" else np.int64))
    values = values.view(dtype)
    bits = values.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[values.itemsize])
    uniques, indices, n = ref_build(bits.tolist(), lambda k: values.itemsize, max_bytes)
    got_uniques, got_indices, got_n = dictionary_encode(values, max_bytes)
    assert got_n == n and got_uniques.dtype == values.dtype and got_indices.dtype == np.int32
    assert got_uniques.view(bits.dtype).tolist() == uniques
    assert got_indices.tolist() == indices
    # the dictionary round trips bit-exactly through gather
    out = np.zeros(n, values.dtype)
    assert dictionary_gather(got_uniques, got_indices, out, 0) == n
    assert out.tobytes() == values[:n].tobytes()


def test_build_numeric_limits_and_growth():
    values = np.arange(100_000, dtype=np.int64) % 70_001 * 7919
    uniques, indices, n = dictionary_encode(values)
    assert n == len(values) and len(uniques) == 70_001
    assert np.array_equal(uniques[indices], values)
    assert dictionary_encode(values, max_dict_bytes=80)[2] == 10
    u, i, n = dictionary_encode(values, max_dict_values=3)
    assert n == 3 and len(u) == 3 and len(i) == 3
    assert dictionary_encode(np.zeros(0, np.float32))[2] == 0
    for bad in (np.zeros(3, np.complex128), np.array([b"abcdefgh"]), np.array([None, 1])):
        with pytest.raises(TypeError):
            dictionary_encode(bad)


byte_values = st.tuples(
    st.lists(st.one_of(st.binary(max_size=20), st.binary(min_size=60, max_size=90)), min_size=1,
             max_size=25),
    st.lists(st.integers(0, 10**6), max_size=300)).map(lambda t: [t[0][i % len(t[0])] for i in t[1]])


@SETTINGS
@given(values=byte_values, max_bytes=st.one_of(st.just(1 << 20), st.integers(0, 200)))
def test_build_byte_array(values, max_bytes):
    uniques, indices, n = ref_build(values, lambda k: 4 + len(k), max_bytes)
    offsets, data = offsets_data(values)
    dict_offsets, dict_data, got_indices, got_n = dictionary_encode_byte_array(offsets, data, max_bytes)
    assert got_n == n and as_list(dict_offsets, dict_data) == uniques
    assert got_indices.tolist() == indices
    # offsets into a larger buffer, not starting at 0
    shifted = dictionary_encode_byte_array(offsets + 3, u8(b"xyz" + bytes(data)), max_bytes)
    assert as_list(shifted[0], shifted[1]) == uniques and shifted[2].tolist() == indices


@pytest.mark.parametrize("width", [1, 2, 3, 4, 8, 12, 16])
@SETTINGS
@given(data=st.data(), max_bytes=st.one_of(st.just(1 << 20), st.integers(0, 100)))
def test_build_fixed_len(width, data, max_bytes):
    pool = data.draw(st.lists(st.binary(min_size=width, max_size=width), min_size=1, max_size=20))
    picks = data.draw(st.lists(st.integers(0, 100), max_size=200))
    values = [pool[i % len(pool)] for i in picks]
    uniques, indices, n = ref_build(values, lambda k: width, max_bytes)
    flat = u8(b"".join(values))
    dictionary, got_indices, got_n = dictionary_encode_fixed_len(flat.reshape(-1, width) if values
                                                                 else flat, width, max_bytes)
    assert got_n == n and got_indices.tolist() == indices
    assert bytes(dictionary) == b"".join(uniques)


def test_build_rejects_bad_input():
    with pytest.raises(ValueError):
        dictionary_encode_byte_array(np.array([0, 5, 2]), u8(b"abcdef"))
    with pytest.raises(ValueError):
        dictionary_encode_fixed_len(u8(b"abcde"), 2)


# ----------------------------------------------------------------------------------
# pyarrow: dictionary pages are PLAIN; gather with indices we pick
# ----------------------------------------------------------------------------------
def test_pyarrow_dictionary_page():
    pa = pytest.importorskip("pyarrow")
    try:
        from ._pyarrow_pages import data_pages
    except ImportError:
        from _pyarrow_pages import data_pages
    words = [f"w{i % 37}".encode() * (i % 3) for i in range(2000)]
    pages = data_pages(pa.array(words, pa.binary()), use_dictionary=True)
    kind, n, body = pages[0]
    assert kind == "dictionary"
    dict_offsets = np.zeros(n + 1, np.int64)
    dict_data = np.zeros(plain_byte_array_scan(body, 0, n), np.uint8)
    assert plain_byte_array_decode(body, 0, n, dict_offsets, 0, dict_data) == len(body)
    entries = as_list(dict_offsets, dict_data)
    ours, _, got_indices, _ = dictionary_encode_byte_array(*offsets_data(words))
    assert entries == sorted(set(words), key=words.index)      # first-seen order, like ours
    assert np.array_equal(ours, dict_offsets)
    offsets = np.zeros(len(words) + 1, np.int64)
    out = np.zeros(dictionary_gather_byte_array_size(dict_offsets, got_indices), np.uint8)
    dictionary_gather_byte_array(dict_offsets, dict_data, got_indices, offsets, 0, out)
    assert as_list(offsets, out) == words
