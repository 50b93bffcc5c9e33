"""Dictionary encoding (Encodings.md, "Dictionary Encoding (PLAIN_DICTIONARY = 2 and
RLE_DICTIONARY = 8)"): the value side only.

Owns: gathering values by already-decoded dictionary indices (the indices
themselves are RLE/bit-packing hybrid, decoded by ``rle.py``) for fixed-width,
FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY dictionaries, and, for writers, building a
dictionary (unique values in first-seen order plus int32 indices) with a limit
on the size of the PLAIN-encoded dictionary page past which the builder stops
so the writer can fall back to PLAIN.

Numeric values are keyed by their bits: -0.0 and 0.0, and NaNs with different
payloads, are distinct dictionary entries, so a round trip is bit-exact.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .plain import check_offsets, copy_bytes, load_le, span_fits, store_le8
from .status import BAD_INDEX, OUTPUT_OVERFLOW

_GOLDEN = -7046029254386353131          # 0x9E3779B97F4A7C15 as int64 (Fibonacci hashing)
_MIX = -4658895280553007687             # 0xBF58476D1CE4E5B9 as int64 (splitmix64)
_INT32_MAX = 0x7FFFFFFF


# ----------------------------------------------------------------------------------
# decoding: gather by index
# ----------------------------------------------------------------------------------
@kernel(inline="always")
def _indices_valid(indices, size):
    """True if every index is in ``[0, size)`` (branch-free min/max pass)."""
    lo = 0
    hi = -1
    if len(indices) > 0:
        lo = hi = indices[0]
    for i in range(len(indices)):
        k = indices[i]
        lo = min(lo, k)
        hi = max(hi, k)
    return len(indices) == 0 or (lo >= 0 and hi < size)


@kernel
def mark_used(indices, used):
    """``used[k] = True`` for every index ``k`` in ``indices`` (each in ``[0, len(used))``),
    stopping once every entry is marked: the categories a chunk's values use, for its
    statistics, usually known after a few thousand of 10M codes. Returns how many are used."""
    n_used = 0
    size = len(used)
    for i in range(len(indices)):
        k = indices[i]
        if 0 <= k < size and not used[k]:
            used[k] = True
            n_used += 1
            if n_used == size:
                break
    return n_used


@kernel
def indices_in_range(indices, size):
    """True if every index is in ``[0, size)``."""
    return _indices_valid(indices, size)


@kernel
def remap_codes(codes, start, count, mapping, out):
    """``out[start + i] = mapping[codes[start + i]]`` for ``i < count``; -1 (null) stays -1.

    Categorical codes into one chunk's dictionary -> codes into the merged
    categories, written straight into the final (narrow) codes array. Codes are
    in ``[-1, len(mapping))`` (checked as decoded); OUTPUT_OVERFLOW if a range is off.
    """
    if start < 0 or count < 0 or start + count > len(codes) or start + count > len(out):
        return OUTPUT_OVERFLOW
    for i in range(start, start + count):
        c = codes[i]
        out[i] = mapping[c] if c >= 0 else -1
    return start + count


@kernel
def dictionary_gather(dictionary, indices, out, out_pos):
    """``out[out_pos + i] = dictionary[indices[i]]``; returns ``out_pos + len(indices)``.

    Any 1-D dictionary (ints, floats, INT96 already converted to int64).
    BAD_INDEX if an index is outside the dictionary, OUTPUT_OVERFLOW if ``out``
    is short.
    """
    n = len(indices)
    if out_pos < 0 or out_pos + n > len(out):
        return OUTPUT_OVERFLOW
    if not _indices_valid(indices, len(dictionary)):
        return BAD_INDEX
    for i in range(n):
        out[out_pos + i] = dictionary[indices[i]]
    return out_pos + n


@kernel
def dictionary_gather_fixed_len(dictionary, type_length, indices, out, out_pos):
    """Gather FIXED_LEN_BYTE_ARRAY values: ``dictionary`` and ``out`` are flat uint8
    (``type_length`` bytes per value), ``out_pos`` counts values."""
    n = len(indices)
    if type_length <= 0:
        return BAD_INDEX
    if out_pos > len(out) or not span_fits(out_pos * type_length, n, type_length, len(out)):
        return OUTPUT_OVERFLOW
    if not _indices_valid(indices, len(dictionary) // type_length):
        return BAD_INDEX
    for i in range(n):
        s = indices[i] * type_length
        d = (out_pos + i) * type_length
        for k in range(type_length):
            out[d + k] = dictionary[s + k]
    return out_pos + n


@kernel
def dictionary_gather_byte_array_size(dict_offsets, indices):
    """Total data bytes the gathered byte arrays need, or BAD_INDEX."""
    if not _indices_valid(indices, len(dict_offsets) - 1):
        return BAD_INDEX
    total = 0
    for i in range(len(indices)):
        k = indices[i]
        total += dict_offsets[k + 1] - dict_offsets[k]
    return total


@kernel(work=lambda dict_offsets, dict_data, indices, *rest: len(indices))   # a slice copy each
def dictionary_gather_byte_array(dict_offsets, dict_data, indices, offsets, out_pos, data):
    """Gather byte arrays from a dictionary held as ``dict_offsets`` + ``dict_data``
    (as produced by ``plain_byte_array_decode``: consistent offsets).

    Like the byte-array decoders: ``offsets[out_pos]`` holds the current end of
    ``data``; fills ``offsets[out_pos+1 : out_pos+len(indices)+1]`` and the
    data. Returns ``out_pos + len(indices)``, BAD_INDEX or OUTPUT_OVERFLOW (see
    :func:`dictionary_gather_byte_array_size`).
    """
    n = len(indices)
    if out_pos < 0 or out_pos + n + 1 > len(offsets):
        return OUTPUT_OVERFLOW
    total = dictionary_gather_byte_array_size(dict_offsets, indices)
    if total < 0:
        return total
    d = offsets[out_pos]
    if d < 0 or d > len(data) or total > len(data) - d:
        return OUTPUT_OVERFLOW
    end = d + total
    if len(dict_offsets) and dict_offsets[len(dict_offsets) - 1] + 16 <= len(dict_data) and end + 16 <= len(data):
        _gather_padded(dict_offsets, dict_data, indices, offsets, out_pos, data, d)
        return out_pos + n
    for i in range(n):
        k = indices[i]
        s = dict_offsets[k]
        length = dict_offsets[k + 1] - s
        copy_bytes(dict_data, s, data, d, length, end)
        d += length
        offsets[out_pos + i + 1] = d
    return out_pos + n


def _gather_padded_python(dict_offsets, dict_data, indices, offsets, out_pos, data, d):
    """_gather_padded's stand-in while kernels run interpreted (see fastpq.kernels._jit)."""
    for i in range(len(indices)):
        k = indices[i]
        s = dict_offsets[k]
        e = dict_offsets[k + 1]
        data[d:d + e - s] = dict_data[s:e]
        d += e - s
        offsets[out_pos + i + 1] = d


@kernel(inline="always", python=_gather_padded_python)
def _gather_padded(dict_offsets, dict_data, indices, offsets, out_pos, data, d):
    """The gather when both the dictionary data and the output have 16 bytes of slack
    past their ends: every value starts with an unconditional 16-byte move, no branch
    on the length for short values (measured on 10M 5-byte values from a 4-entry
    dictionary: 6.6 ns per value, against 17.7 ns through copy_bytes). The 16 bytes move
    as two 8-byte words (load_le / store_le8): 8.7 -> 5 ns per 12-byte value, against a
    16-step byte loop LLVM did not merge."""
    ud = np.uint64(d)
    eight = np.uint64(8)
    for i in range(len(indices)):
        k = indices[i]
        us = np.uint64(dict_offsets[k])
        length = np.uint64(dict_offsets[k + 1]) - us
        store_le8(data, ud, load_le(dict_data, us, 8))
        store_le8(data, ud + eight, load_le(dict_data, us + eight, 8))
        if length > 16:
            for t in range(16, length):
                data[ud + np.uint64(t)] = dict_data[us + np.uint64(t)]
        ud += length
        offsets[out_pos + i + 1] = np.int64(ud)


# ----------------------------------------------------------------------------------
# encoding: build a dictionary
# ----------------------------------------------------------------------------------
@kernel(inline="always")
def _slot(h, shift):
    """Top bits of a Fibonacci-hashed key: the home slot in a table of 2**(64-shift)."""
    return (h * _GOLDEN) >> shift & ((1 << (64 - shift)) - 1)


@kernel(inline="always")
def _too_full(count, bits):
    """Keep the slot table at most 1/8 full while it is cache-sized, 1/2 beyond:
    short probe runs are what makes building fast."""
    return count << (3 if bits < 18 else 1) > (1 << bits)


@kernel
def _rehash(keys, count, bits):
    """A fresh slot table of 2**bits entries for ``keys[:count]`` (entry ids, -1 empty)."""
    size = 1 << bits
    slots = np.full(size, -1, np.int32)
    for e in range(count):
        j = _slot(np.int64(keys[e]), 64 - bits)
        while slots[j] >= 0:
            j = (j + 1) & (size - 1)
        slots[j] = e
    return slots


@kernel
def _build_run(values, i, indices, keys, count, slots, bits, limit):
    """Look up / insert ``values[i:]`` until done or a new entry needs room (or is
    over ``limit``); returns ``(stop, count)``. Growing happens in the caller, so
    this loop never reassigns an array (keeps numba's reference counting out)."""
    mask = (1 << bits) - 1
    last_v = values[i] if i < len(values) else keys[0]
    last_e = -1
    for i in range(i, len(values)):
        v = values[i]
        if v == last_v and last_e >= 0:
            indices[i] = last_e
            continue
        j = _slot(np.int64(v), 64 - bits)
        e = slots[j]
        while e >= 0 and keys[e] != v:
            j = (j + 1) & mask
            e = slots[j]
        if e < 0:
            if count >= limit or count == len(keys) or _too_full(count + 1, bits):
                return i, count
            e = count
            keys[e] = v
            slots[j] = e
            count += 1
        indices[i] = e
        last_v = v
        last_e = e
    return len(values), count


@kernel
def _dictionary_build(values, max_dict_bytes, max_dict_values):
    """Hash-table core of :func:`dictionary_encode` for integer ``values``."""
    n = len(values)
    limit = min(max_dict_values, max_dict_bytes // values.itemsize, _INT32_MAX)
    indices = np.empty(n, np.int32)
    keys = np.empty(64, values.dtype)
    bits = np.int64(9)             # not a literal: numba would compile _build_run twice
    slots = np.full(1 << bits, -1, np.int32)
    count = np.int64(0)
    i = np.int64(0)
    while i < n:
        i, count = _build_run(values, i, indices, keys, count, slots, bits, limit)
        if i == n:
            break
        if count >= limit:
            return keys[:count].copy(), indices[:i], i
        if count == len(keys):
            keys = _grow(keys, count)
        if _too_full(count + 1, bits):
            bits += 1
            slots = _rehash(keys, count, bits)
    return keys[:count].copy(), indices, n


@kernel
def _grow(a, used):
    """A copy of ``a[:used]`` with twice the room."""
    b = np.empty(2 * len(a), a.dtype)
    b[:used] = a[:used]
    return b


_KEY_TYPES = {1: np.uint8, 2: np.int16, 4: np.int32, 8: np.int64}


def dictionary_encode(values, max_dict_bytes=1 << 20, max_dict_values=_INT32_MAX):
    """Build a dictionary for a 1-D numeric array (ints, floats, datetimes...).

    Returns ``(dictionary, indices, n_encoded)``: ``dictionary`` holds the
    distinct values in first-seen order (same dtype as ``values``), ``indices``
    the int32 dictionary index of each of the first ``n_encoded`` values. If
    the PLAIN-encoded dictionary would exceed ``max_dict_bytes`` (or hold more
    than ``max_dict_values`` entries), building stops: ``n_encoded <
    len(values)`` says so, and ``dictionary`` / ``indices`` cover
    ``values[:n_encoded]`` (so a writer may keep dictionary pages for those and
    fall back to PLAIN for the rest). Values are compared by their bits.
    """
    values = np.ascontiguousarray(values).reshape(-1)
    key_type = _KEY_TYPES.get(values.dtype.itemsize)
    if key_type is None or values.dtype.kind not in "biufmM":
        raise TypeError(f"no dictionary builder for {values.dtype}")
    keys = values.view(key_type)
    uniques, indices, n_encoded = _dictionary_build(
        keys, np.int64(max_dict_bytes), np.int64(max_dict_values))
    return uniques.view(values.dtype), indices, int(n_encoded)


@kernel(inline="always")
def _word(data, p, nbytes):
    """``nbytes`` (0..8) bytes at ``data[p]`` as a little-endian int64: one 8-byte
    load (then masked) when the array has room, so short tails need no loop.
    (Returning load_le directly matters: assigning it to a variable in a branch
    made numba/LLVM generate code 40x slower.)"""
    if p + 8 <= len(data):
        if nbytes >= 8:
            return load_le(data, p, 8)
        return load_le(data, p, 8) & ~(np.int64(-1) << (8 * nbytes))
    return load_le(data, p, nbytes)


@kernel(inline="always")
def _hash_bytes(data, s, length):
    """A 64-bit hash of ``data[s:s+length]``, eight bytes at a time."""
    h = np.int64(length) * _MIX
    k = 0
    while k + 8 <= length:
        h = (h ^ _word(data, s + k, 8)) * _MIX
        h ^= (h >> 29) & 0x7FFFFFFFF
        k += 8
    h = (h ^ _word(data, s + k, length - k)) * _GOLDEN
    return h ^ ((h >> 32) & 0xFFFFFFFF)


@kernel
def sampled_hashes(offsets, data, step, out):
    """Hashes of byte arrays 0, step, 2 step, ... (at most ``len(out)``) into ``out``; returns
    how many, or BAD_INDEX if a sampled value's offsets are not within ``data``."""
    n = len(offsets) - 1
    k = 0
    i = 0
    while i < n and k < len(out):
        s = offsets[i]
        e = offsets[i + 1]
        if s < 0 or e < s or e > len(data):
            return BAD_INDEX
        out[k] = _hash_bytes(data, s, e - s)
        k += 1
        i += max(step, 1)
    return k


@kernel(inline="always")
def _same_bytes(a, sa, b, sb, length):
    k = 0
    while k + 8 <= length:
        if _word(a, sa + k, 8) != _word(b, sb + k, 8):
            return False
        k += 8
    return _word(a, sa + k, length - k) == _word(b, sb + k, length - k)


@kernel
def _build_run_bytes(offsets, data, i, indices, table, slots, bits, max_dict_bytes, overhead):
    """:func:`_build_run` for byte arrays. ``table`` = (hashes, dict_offsets,
    dict_data, counters) with counters = [count, plain_size, limit]."""
    hashes, dict_offsets, dict_data, counters = table
    count = counters[0]
    mask = (1 << bits) - 1
    for i in range(i, len(offsets) - 1):
        s = offsets[i]
        length = offsets[i + 1] - s
        h = _hash_bytes(data, s, length)
        j = _slot(h, 64 - bits)
        e = slots[j]
        while e >= 0 and not (hashes[e] == h and dict_offsets[e + 1] - dict_offsets[e] == length
                              and _same_bytes(dict_data, dict_offsets[e], data, s, length)):
            j = (j + 1) & mask
            e = slots[j]
        if e < 0:
            end = dict_offsets[count]
            if (count >= counters[2] or counters[1] + overhead + length > max_dict_bytes
                    or count + 1 == len(hashes) or end + length > len(dict_data)
                    or _too_full(count + 1, bits)):
                counters[0] = count
                return i
            dict_data[end:end + length] = data[s:s + length]
            dict_offsets[count + 1] = end + length
            hashes[count] = h
            e = count
            slots[j] = e
            count += 1
            counters[1] += overhead + length
        indices[i] = e
    counters[0] = count
    return len(offsets) - 1


@kernel
def _dictionary_build_byte_array(offsets, data, max_dict_bytes, max_dict_values, overhead):
    """Hash-table core of :func:`dictionary_encode_byte_array`; ``overhead`` is the
    PLAIN bytes per entry besides its data (4 for BYTE_ARRAY, 0 for FIXED_LEN)."""
    n = len(offsets) - 1
    indices = np.empty(n, np.int32)
    hashes = np.empty(64, np.int64)
    dict_offsets = np.zeros(65, np.int64)
    dict_data = np.empty(1024, np.uint8)
    counters = np.array([0, 0, min(max_dict_values, _INT32_MAX)], np.int64)
    bits = np.int64(9)             # not a literal: numba would compile _build_run twice
    slots = np.full(1 << bits, -1, np.int32)
    i = np.int64(0)
    while i < n:
        table = (hashes, dict_offsets, dict_data, counters)
        i = _build_run_bytes(offsets, data, i, indices, table, slots, bits,
                             max_dict_bytes, overhead)
        count = counters[0]
        length = offsets[i + 1] - offsets[i] if i < n else 0
        if i == n:
            break
        if count >= counters[2] or counters[1] + overhead + length > max_dict_bytes:
            return (dict_offsets[:count + 1].copy(), dict_data[:dict_offsets[count]].copy(),
                    indices[:i], i)
        if count + 1 == len(hashes):
            hashes = _grow(hashes, count)
            dict_offsets = _grow(dict_offsets, count + 1)
        while dict_offsets[count] + length > len(dict_data):
            dict_data = _grow(dict_data, dict_offsets[count])
        if _too_full(count + 1, bits):
            bits += 1
            slots = _rehash(hashes, count, bits)
    count = counters[0]
    return dict_offsets[:count + 1].copy(), dict_data[:dict_offsets[count]].copy(), indices, n


def dictionary_encode_byte_array(offsets, data, max_dict_bytes=1 << 20,
                                 max_dict_values=_INT32_MAX):
    """Build a dictionary for byte arrays ``data[offsets[i]:offsets[i+1]]``.

    Returns ``(dict_offsets, dict_data, indices, n_encoded)``: the distinct
    values in first-seen order as offsets (starting at 0) + data, and the int32
    index of each of the first ``n_encoded`` values. Stops early, with
    ``n_encoded < len(offsets) - 1``, when the PLAIN-encoded dictionary (4 + len
    bytes per entry) would exceed ``max_dict_bytes``, as :func:`dictionary_encode`.
    ``offsets`` must be non-decreasing within ``data`` (ValueError otherwise).
    """
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    data = np.ascontiguousarray(data, dtype=np.uint8)
    if check_offsets(offsets, len(data)) != 0:
        raise ValueError("offsets are not non-decreasing within data")
    dict_offsets, dict_data, indices, n_encoded = _dictionary_build_byte_array(
        offsets, data, np.int64(max_dict_bytes), np.int64(max_dict_values), 4)
    return dict_offsets, dict_data, indices, int(n_encoded)


def dictionary_encode_fixed_len(values, type_length, max_dict_bytes=1 << 20,
                                max_dict_values=_INT32_MAX):
    """Build a dictionary for FIXED_LEN_BYTE_ARRAY values (flat or (n, type_length) uint8).

    Returns ``(dictionary, indices, n_encoded)`` with ``dictionary`` flat uint8
    (``type_length`` bytes per entry); limits as :func:`dictionary_encode`.
    """
    flat = np.ascontiguousarray(values, dtype=np.uint8).reshape(-1)
    if type_length <= 0 or len(flat) % type_length:
        raise ValueError("values are not a whole number of type_length-byte values")
    if type_length in _KEY_TYPES:
        uniques, indices, n_encoded = dictionary_encode(
            flat.view(_KEY_TYPES[type_length]), max_dict_bytes, max_dict_values)
        return uniques.view(np.uint8), indices, n_encoded
    offsets = np.arange(0, len(flat) + 1, type_length, dtype=np.int64)
    _, dict_data, indices, n_encoded = _dictionary_build_byte_array(
        offsets, flat, np.int64(max_dict_bytes), np.int64(max_dict_values), 0)
    return dict_data, indices, int(n_encoded)
