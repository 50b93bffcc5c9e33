"""UTF-8 validation of decoded string bytes (STRING, ENUM columns).

Arrow-backed pandas strings must hold valid UTF-8; checking each page's new
bytes (and each dictionary once) here lets the pandas layer skip a full pass
over the gathered data. Follows the Unicode definition of well-formed UTF-8:
no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .bitpack import _ld64


@kernel
def utf8_valid(data, start, end):
    """True if ``data[start:end]`` is well-formed UTF-8."""
    if start < 0 or end > len(data) or start > end:
        return False
    return _valid_range(data, start, end)


@kernel(work=lambda offsets, first, last, data: (offsets[last] - offsets[first]) // 4)  # 8 B words
def utf8_valid_values(offsets, first, last, data):
    """True if each value ``data[offsets[i]:offsets[i+1]]``, first <= i < last, is
    well-formed UTF-8 on its own (a character split across two values is not)."""
    if first < 0 or last + 1 > len(offsets) or first > last:
        return False
    if offsets[first] < 0 or offsets[last] > len(data):
        return False
    if _ascii(data, offsets[first], offsets[last]):
        return True  # the common case: nothing to split, every value is valid
    for i in range(first, last):
        s = offsets[i]
        e = offsets[i + 1]
        if e < s or not _valid_range(data, s, e):
            return False
    return True


@kernel(inline="always")
def _ascii(data, start, end):
    """True if no byte of data[start:end] has its high bit set (8-byte words: 5 -> 12 GB/s)."""
    acc = np.uint64(0)
    i = np.uint64(start)
    stop = np.uint64(end)
    while i + np.uint64(8) <= stop:
        acc |= _ld64(data, i)
        i += np.uint64(8)
    while i < stop:
        acc |= np.uint64(data[i])
        i += np.uint64(1)
    return (acc & np.uint64(0x8080808080808080)) == np.uint64(0)


@kernel(inline="always")
def _valid_range(data, start, end):
    i = np.uint64(start)
    stop = np.uint64(end)
    while i < stop:
        while i + np.uint64(8) <= stop:  # ASCII fast path, 8 bytes at a time
            acc = 0
            for t in range(8):
                acc |= data[i + np.uint64(t)]
            if acc & 0x80:
                break
            i += np.uint64(8)
        if i >= stop:
            break
        b = data[i]
        if b < 0x80:
            i += np.uint64(1)
            continue
        if 0xC2 <= b <= 0xDF:
            n, lo, hi = 1, 0x80, 0xBF
        elif b == 0xE0:
            n, lo, hi = 2, 0xA0, 0xBF
        elif 0xE1 <= b <= 0xEC or 0xEE <= b <= 0xEF:
            n, lo, hi = 2, 0x80, 0xBF
        elif b == 0xED:
            n, lo, hi = 2, 0x80, 0x9F
        elif b == 0xF0:
            n, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= b <= 0xF3:
            n, lo, hi = 3, 0x80, 0xBF
        elif b == 0xF4:
            n, lo, hi = 3, 0x80, 0x8F
        else:
            return False
        if i + np.uint64(n) >= stop:  # the sequence's last byte lies past the end
            return False
        c = data[i + np.uint64(1)]
        if c < lo or c > hi:
            return False
        for t in range(2, n + 1):
            c = data[i + np.uint64(t)]
            if c < 0x80 or c > 0xBF:
                return False
        i += np.uint64(n + 1)
    return True
