"""byte_array_min_max (statistics of BYTE_ARRAY columns) agrees with Python's ordering of bytes."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fastpq.kernels.encode import byte_array_min_max

# short alphabets make shared prefixes, zero bytes and prefixes of one another common
_VALUE = st.one_of(st.binary(max_size=20), st.binary(max_size=12).map(lambda b: b.replace(b"\x01", b"\x00")),
                   st.text("ab\x00", max_size=11).map(str.encode))


def _pack(values):
    offsets = np.zeros(len(values) + 1, np.int64)
    offsets[1:] = np.cumsum([len(v) for v in values])
    return offsets, np.frombuffer(b"".join(values) or b"\x00", np.uint8)


@settings(max_examples=400, deadline=None)
@given(st.lists(_VALUE, max_size=40), st.data())
def test_min_max_is_bytewise(values, data):
    offsets, buf = _pack(values)
    start = data.draw(st.integers(0, len(values)))
    stop = data.draw(st.integers(start, len(values)))
    lo, hi = byte_array_min_max(offsets, buf, start, stop)
    if stop == start:
        assert (lo, hi) == (-1, -1)
        return
    window = values[start:stop]
    assert values[lo] == min(window) and values[hi] == max(window)
    assert start <= lo < stop and start <= hi < stop


def test_prefix_ties_and_lengths():
    values = [b"abcdefgh", b"abcdefgh\x00", b"abcdefg", b"abcdefgh\xff", b"", b"\x00", b"abcdefgh\x00\x01"]
    offsets, buf = _pack(values)
    lo, hi = byte_array_min_max(offsets, buf, 0, len(values))
    assert values[lo] == b"" and values[hi] == b"abcdefgh\xff"
