"""Each kernel's plain-Python stand-in (used while kernels run interpreted, see
fastpq.kernels._jit) against the same kernel compiled by numba, on random input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastpq.kernels import _jit, bitpack, delta, dictionary, plain  # noqa: F401  (registers them)

SETTINGS = settings(deadline=None, max_examples=80)
# compiling here would make the rest of an all-interpreted run (FASTPQ_KERNELS=python) compiled
pytestmark = pytest.mark.skipif(_jit.MODE == "python", reason="compares with numba")


def _pair(name):
    """(stand-in, compiled kernel) for the kernel called ``name``."""
    _jit.compile_all()
    kernel = next(k for k in _jit._kernels if k.__name__ == name)
    assert kernel.python is not kernel.py_func, f"{name} has no stand-in"
    return kernel.python, kernel.compiled


def test_every_stand_in_is_tested():
    tested = {"load_le", "store_le8", "copy_bytes", "copy_block", "_ld64", "_ld_le", "_st_le",
              "_st64", "_gather_padded", "_build_value"}
    assert {k.__name__ for k in _jit._kernels if k.python is not k.py_func} == tested


def _bytes(n):
    return st.binary(min_size=n, max_size=n).map(lambda b: np.frombuffer(b, np.uint8).copy())


@SETTINGS
@given(st.data())
def test_loads(data):
    src = data.draw(_bytes(24))
    p = data.draw(st.integers(0, 16))
    nbytes = data.draw(st.integers(0, 8))
    python, compiled = _pair("load_le")
    assert python(src, p, nbytes) == compiled(src, p, nbytes)
    assert type(python(src, p, nbytes)) is np.int64
    python, compiled = _pair("_ld_le")
    assert python(src, p, nbytes) == compiled(src, p, nbytes)
    python, compiled = _pair("_ld64")
    assert python(src, p) == compiled(src, p)
    assert type(python(src, p)) is np.uint64


@SETTINGS
@given(st.data())
def test_stores(data):
    d = data.draw(st.integers(0, 16))
    nbytes = data.draw(st.integers(0, 8))
    signed = data.draw(st.integers(-2**63, 2**63 - 1))
    unsigned = np.uint64(signed & (2**64 - 1))
    for name, args in [("store_le8", (d, np.int64(signed))), ("_st64", (d, unsigned)),
                       ("_st_le", (d, unsigned, nbytes))]:
        python, compiled = _pair(name)
        a, b = np.zeros(24, np.uint8), np.zeros(24, np.uint8)
        python(a, *args)
        compiled(b, *args)
        assert a.tobytes() == b.tobytes(), name


@SETTINGS
@given(st.data())
def test_copies(data):
    src = data.draw(_bytes(64))
    s = data.draw(st.integers(0, 32))
    length = data.draw(st.integers(0, 64 - s))
    d = data.draw(st.integers(0, 16))
    dst_end = data.draw(st.integers(d + length, 96))
    python, compiled = _pair("copy_bytes")
    a, b = np.zeros(96, np.uint8), np.zeros(96, np.uint8)
    python(src, s, a, d, length, dst_end)
    compiled(src, s, b, d, length, dst_end)
    # copy_bytes may write past d + length, up to dst_end: what it copies must agree
    assert a[:d + length].tobytes() == b[:d + length].tobytes()
    assert not b[dst_end:].any()
    python, compiled = _pair("copy_block")
    a, b = np.zeros(96, np.uint8), np.zeros(96, np.uint8)
    python(src, s, a, d, length)
    compiled(src, s, b, d, length)
    assert a.tobytes() == b.tobytes()


@SETTINGS
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=8), st.data())
def test_gather_padded(values, data):
    dict_offsets = np.zeros(len(values) + 1, np.int64)
    dict_offsets[1:] = np.cumsum([len(v) for v in values])
    dict_data = np.frombuffer(b"".join(values) + bytes(16), np.uint8).copy()
    indices = np.array(data.draw(st.lists(st.integers(0, len(values) - 1), max_size=20)), np.int32)
    out_pos = data.draw(st.integers(0, 3))
    d = data.draw(st.integers(0, 5))
    size = d + sum(len(values[k]) for k in indices)
    results = []
    for fn in _pair("_gather_padded"):
        offsets = np.zeros(out_pos + len(indices) + 1, np.int64)
        out = np.zeros(size + 16, np.uint8)
        fn(dict_offsets, dict_data, indices, offsets, out_pos, out, d)
        results.append((offsets.tolist(), out[:size].tobytes()))
    assert results[0] == results[1]


@SETTINGS
@given(st.data())
def test_build_value(data):
    """A DELTA_BYTE_ARRAY value: a prefix of the previous value (which ends at or before
    ``d``), then a suffix from the page."""
    src = data.draw(_bytes(32))
    previous = data.draw(st.integers(0, 20))
    d = data.draw(st.integers(previous, 24))
    prefix = data.draw(st.integers(0, d - previous))
    p = data.draw(st.integers(0, 32))
    suffix = data.draw(st.integers(0, 32 - p))
    start = data.draw(_bytes(64))
    results = []
    for fn in _pair("_build_value"):
        out = start.copy()
        fn(out, d, previous, prefix, src, p, suffix)
        results.append(out.tobytes())
    assert results[0] == results[1]


@pytest.mark.parametrize("value", [np.uint8(3), np.uint64(5), np.int64(-1), 7])
def test_interpreted_boundary_is_numbas(value):
    """Scalars cross into an interpreted kernel as Python ints and come back as Python
    scalars, as numba boxes them (a numpy uint8 argument must not make CPython wrap)."""
    out = _jit._run_interpreted(lambda a, b: (np.int64(a) - b, np.bool_(True)), [np.uint8(0), value])
    assert out == (-int(value), True)
    assert type(out[0]) is int and type(out[1]) is bool
