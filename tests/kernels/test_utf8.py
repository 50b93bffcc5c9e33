"""utf8_valid agrees with Python's strict UTF-8 decoder."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fastpq.kernels.utf8 import utf8_valid, utf8_valid_values


def _python_valid(b: bytes) -> bool:
    try:
        b.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes(b):
    assert utf8_valid(np.frombuffer(b, np.uint8), 0, len(b)) == _python_valid(b)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.integers(0, 8))
def test_valid_text_and_its_truncations(text, cut):
    b = text.encode("utf-8")
    arr = np.frombuffer(b, np.uint8)
    assert utf8_valid(arr, 0, len(b))
    end = max(0, len(b) - cut)
    assert utf8_valid(arr, 0, end) == _python_valid(b[:end])


def test_edge_cases():
    for b in [b"\xed\xa0\x80", b"\xc0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xff",
              b"abc\xe2\x82", b"\xef\xbf\xbd", "\U0010ffff".encode(), "a" * 17 + "é"]:
        b = b if isinstance(b, bytes) else b.encode()
        assert utf8_valid(np.frombuffer(b, np.uint8), 0, len(b)) == _python_valid(b), b


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=6), max_size=12))
def test_values_checked_one_by_one(values):
    data = np.frombuffer(b"".join(values) + b"\0" * 16, np.uint8)
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in values])]).astype(np.int64)
    expected = all(_python_valid(v) for v in values)
    assert utf8_valid_values(offsets, 0, len(values), data) == expected


def test_character_split_across_values_is_invalid():
    data = np.frombuffer("é".encode(), np.uint8)
    assert utf8_valid(data, 0, 2)
    assert not utf8_valid_values(np.array([0, 1, 2], np.int64), 0, 2, data)
