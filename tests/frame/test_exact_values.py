"""A value is stored only if it reads back exactly (issue 13, item 2).

Matrix: object columns holding a value their target type cannot store exactly
(floats with a fraction or out of range into integers, ints out of range,
strings / ints into booleans, 0.1 into FLOAT, sub-unit times, wrong-scale
decimals, ...) x target leaf type x how the type is chosen:

* ``append``: a pyarrow file with the type, flat and as a list's element;
  ``SchemaMismatchError`` naming the column and the value, the file
  byte-identical, no journal left;
* ``write``: ``object_encoding`` asks for the type; ``ValueError`` naming the
  column and the value, no file created, an existing file unchanged.

And the other side: values that do round-trip exactly (1.0 into an int column,
2**64 - 1 into UINT_64, Decimal from an int, a midnight Timestamp into DATE)
are accepted and read back by pyarrow as they were.
"""
from __future__ import annotations

import datetime as dt
import re
import hashlib
import os
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.append.appender import journal_path

UTC = dt.timezone.utc

# target type -> bad values (the first one each time is what the error must name)
LOSSY = {
    "int64": (pa.int64(), [[1.5, 2.0], [2.7, None], [2**63], [float("inf")], ["1"], [True], [Decimal(1)]]),
    "int32": (pa.int32(), [[2**31], [-2**31 - 1], [1.5], [np.int64(2**40)]]),
    "int8": (pa.int8(), [[128], [-129], [np.uint8(200)]]),
    "uint8": (pa.uint8(), [[-1], [256]]),
    "uint32": (pa.uint32(), [[-1], [2**32]]),
    "uint64": (pa.uint64(), [[-1], [2**64], [float(2**64)]]),
    "float32": (pa.float32(), [[0.1], [2**24 + 1], [1e39]]),
    "float16": (pa.float16(), [[0.1], [65520.0], [np.float32(0.1)]]),
    "float64": (pa.float64(), [[2**53 + 1], ["1.0"], [True], [Decimal("0.5")]]),
    "bool": (pa.bool_(), [["false", "true"], ["0"], ["no"], [0, 1], [1.0], [None, "True"]]),
    "date": (pa.date32(), [[dt.datetime(2020, 1, 1, 12)], ["2020-01-01"], [pd.Timestamp("2020-01-01 00:00:01")],
                           [np.datetime64("2020-01-01T01", "h")]]),
    "time_ms": (pa.time32("ms"), [[dt.time(1, 2, 3, 4567)], ["01:02:03"], [dt.timedelta(1)]]),
    "time_us": (pa.time64("us"), [[dt.time(1, 2, 3, tzinfo=UTC)], [3600]]),
    "timestamp_ms": (pa.timestamp("ms"), [[pd.Timestamp("2020-01-01 00:00:00.0001")],
                                         [dt.datetime(2020, 1, 1, tzinfo=UTC)], ["2020-01-01"],
                                         [dt.date(2020, 1, 1)], [1577836800000]]),
    "timestamp_us_utc": (pa.timestamp("us", "UTC"), [[dt.datetime(2020, 1, 1)], [pd.Timestamp("2020-01-01 00:00:00.000000001", tz="UTC")]]),
    "decimal": (pa.decimal128(5, 2), [[Decimal("1.234")], [Decimal("1234.5")], ["1.5"], [0.1 + 0.2], [True],
                                      [Decimal("Infinity")]]),
    "string": (pa.string(), [[b"bytes"], [1]]),
    "binary": (pa.binary(), [["str"], [1]]),
    "fixed_bytes": (pa.binary(4), [[3], [b"abc"], ["abcd"]]),
}

CASES = [(name, i) for name, (_, bad) in LOSSY.items() for i in range(len(bad))]


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _first_bad(values):
    return next(v for v in values if v is not None)


def _file(tmp_path, arrow_type, container) -> str:
    path = str(tmp_path / "f.parquet")
    if container == "flat":
        pq.write_table(pa.table({"x": pa.array([None], arrow_type)}), path)
    else:
        pq.write_table(pa.table({"x": pa.array([[None]], pa.list_(arrow_type))}), path)
    return path


@pytest.mark.parametrize("container", ["flat", "list"])
@pytest.mark.parametrize("case", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_lossy_append_is_refused_and_the_file_unchanged(tmp_path, case, container):
    name, i = case
    arrow_type, bad = LOSSY[name]
    values = bad[i]
    path = _file(tmp_path, arrow_type, container)
    before = _sha(path)
    column = values if container == "flat" else [values]
    df = pd.DataFrame({"x": pd.Series(column, dtype=object)})
    with pytest.raises(fastpq.SchemaMismatchError) as info:
        fastpq.write(path, df, append=True)
    message = str(info.value)
    assert "'x" in message and repr(_first_bad(values)) in message, message
    assert _sha(path) == before
    assert not os.path.exists(journal_path(path))


ENCODED = {   # object_encoding -> bad values
    "int": [[1.5, 2.0], [2.7, None], ["1"], [True], [2**63]],
    "float": [[2**53 + 1], ["0.5"], [False]],
    "bool": [["false", "true"], ["0"], ["no"], [1, 0], [1.0]],
    "decimal(5,2)": [[Decimal("1.234")], ["1.50"], [Decimal("99999.99")]],
    "date": [[dt.datetime(2020, 1, 1, 12)], ["2020-01-01"]],
    "time": [[dt.time(1, tzinfo=UTC)], ["01:00"]],
    "utf8": [[b"x"], [1]],
    "bytes": [["x"], [1]],
    "uuid": [["12345678-1234-5678-1234-567812345678"], [b"0123456789abcdef"]],
}
ENCODED_CASES = [(enc, i) for enc, bad in ENCODED.items() for i in range(len(bad))]


@pytest.mark.parametrize("existing", [False, True])
@pytest.mark.parametrize("case", ENCODED_CASES, ids=[f"{e}-{i}" for e, i in ENCODED_CASES])
def test_lossy_write_raises_value_error_and_writes_nothing(tmp_path, case, existing):
    encoding, i = case
    values = ENCODED[encoding][i]
    path = tmp_path / "f.parquet"
    if existing:
        fastpq.write(path, pd.DataFrame({"x": [1]}))
        before = _sha(path)
    df = pd.DataFrame({"x": pd.Series(values, dtype=object)})
    with pytest.raises(ValueError) as info:
        fastpq.write(path, df, object_encoding={"x": encoding})
    message = str(info.value)
    assert "'x'" in message and repr(_first_bad(values)) in message, message
    if existing:
        assert _sha(path) == before
    else:
        assert not path.exists()
    assert os.listdir(tmp_path) == (["f.parquet"] if existing else [])


# ---------------------------------------------------------------- what round-trips is stored

EXACT = [  # (file type, object values, what pyarrow reads back)
    (pa.int64(), [1.0, 2.0, None], [1, 2, None]),
    (pa.int64(), [np.int32(3), np.float64(4.0), 2**63 - 1], [3, 4, 2**63 - 1]),
    (pa.int8(), [-128, 127.0], [-128, 127]),
    (pa.uint64(), [2**64 - 1, 2**63, 0], [2**64 - 1, 2**63, 0]),
    (pa.float32(), [0.5, 3, None, np.float32(0.1), float("inf")], [0.5, 3.0, None, float(np.float32(0.1)), float("inf")]),
    (pa.float16(), [0.5, 65504, np.float16(0.1)], [0.5, 65504.0, float(np.float16(0.1))]),
    (pa.float64(), [2**53, 0.1, 7], [2.0**53, 0.1, 7.0]),
    (pa.bool_(), [True, np.bool_(False), None], [True, False, None]),
    (pa.date32(), [dt.date(2020, 1, 1), pd.Timestamp("2021-02-03"), np.datetime64("2022-03-04"),
                   dt.datetime(2023, 4, 5)], [dt.date(2020, 1, 1), dt.date(2021, 2, 3), dt.date(2022, 3, 4),
                                              dt.date(2023, 4, 5)]),
    (pa.time32("ms"), [dt.time(1, 2, 3, 4000)], [dt.time(1, 2, 3, 4000)]),
    (pa.time64("ns"), [dt.time(1, 2, 3, 456789)], [dt.time(1, 2, 3, 456789)]),
    (pa.timestamp("ms"), [pd.Timestamp("2020-01-01 00:00:00.123"), np.datetime64("2020-01-01", "s")],
     [dt.datetime(2020, 1, 1, 0, 0, 0, 123000), dt.datetime(2020, 1, 1)]),
    (pa.timestamp("us", "UTC"), [pd.Timestamp("2020-01-01 01:00", tz="Europe/Paris")],
     [dt.datetime(2020, 1, 1, tzinfo=UTC)]),
    (pa.decimal128(5, 2), [Decimal("1.5"), 3, 0.25, np.int8(-7)],
     [Decimal("1.50"), Decimal("3.00"), Decimal("0.25"), Decimal("-7.00")]),
    (pa.binary(4), [b"abcd", bytearray(b"efgh")], [b"abcd", b"efgh"]),
]


@pytest.mark.parametrize("container", ["flat", "list"])
@pytest.mark.parametrize("arrow_type, values, expected", EXACT, ids=[str(e[0]) for e in EXACT])
def test_exact_values_are_stored(tmp_path, arrow_type, values, expected, container):
    path = _file(tmp_path, arrow_type, container)
    column = values if container == "flat" else [values]
    fastpq.write(path, pd.DataFrame({"x": pd.Series(column, dtype=object)}), append=True)
    got = pq.read_table(path).column("x").to_pylist()
    assert got == ([None] + expected if container == "flat" else [[None], expected])


def test_typed_columns_need_the_files_type(tmp_path):
    """A typed column is not converted value by value: its dtype must be the file's type."""
    path = _file(tmp_path, pa.int32(), "flat")
    before = _sha(path)
    for s in (pd.Series([1], dtype="int64"), pd.Series([1], dtype=pd.ArrowDtype(pa.int64())),
              pd.Series([1.5]), pd.Series([True])):
        with pytest.raises(fastpq.SchemaMismatchError, match="'x'"):
            fastpq.write(path, pd.DataFrame({"x": s}), append=True)
    assert _sha(path) == before    # float64 of whole numbers / NaN: pandas' reading of it (test_closure.py)
    path = _file(tmp_path, pa.int32(), "list")
    before = _sha(path)
    with pytest.raises(fastpq.SchemaMismatchError, match="int64"):
        fastpq.write(path, pd.DataFrame({"x": pd.Series([[1]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))}),
                     append=True)
    assert _sha(path) == before


def test_sub_unit_arrow_times_are_refused_not_truncated(tmp_path):
    """pandas gives time64[ns] values to Python as datetime.time, dropping the nanoseconds:
    fastpq reads the integers instead, and refuses what a coarser leaf cannot hold."""
    path = _file(tmp_path, pa.time64("ns"), "flat")
    ns = pa.array([3_723_004_005_006], pa.time64("ns"))
    fastpq.write(path, pd.DataFrame({"x": pd.Series(pd.arrays.ArrowExtensionArray(ns))}), append=True)
    assert pq.read_table(path).column("x").cast(pa.int64()).to_pylist() == [None, 3_723_004_005_006]
    path = _file(tmp_path, pa.time64("ns"), "list")
    nested = pa.array([[3_723_004_005_006, None]], pa.list_(pa.time64("ns")))
    fastpq.write(path, pd.DataFrame({"x": pd.Series(pd.arrays.ArrowExtensionArray(nested))}), append=True)
    got = pq.read_table(path).column("x").combine_chunks().flatten().cast(pa.int64()).to_pylist()
    assert got == [None, 3_723_004_005_006, None]
    ts = pa.array([[1_600_000_000_123_456_789]], pa.list_(pa.timestamp("ns")))
    path = _file(tmp_path, pa.timestamp("ns"), "list")
    fastpq.write(path, pd.DataFrame({"x": pd.Series(pd.arrays.ArrowExtensionArray(ts))}), append=True)
    got = pq.read_table(path).column("x").combine_chunks().flatten().cast(pa.int64()).to_pylist()
    assert got == [None, 1_600_000_000_123_456_789]
    path = _file(tmp_path, pa.time32("ms"), "flat")
    before = _sha(path)
    us = pa.array([dt.time(0, 0, 0, 1500)], pa.time64("us"))
    with pytest.raises(fastpq.SchemaMismatchError):
        fastpq.write(path, pd.DataFrame({"x": pd.Series(pd.arrays.ArrowExtensionArray(us))}), append=True)
    assert _sha(path) == before


# ---------------------------------------------------------------- property: stored iff exact

from hypothesis import example, given, strategies as st  # noqa: E402

from fastpq.frame.write.exact import exact_numbers, exact_scalars, storage_dtype  # noqa: E402
from fastpq.frame.write.types import FieldType  # noqa: E402

NUMERIC_LEAVES = [FieldType("int", bits=b) for b in (8, 16, 32, 64)] + \
    [FieldType("uint", bits=b) for b in (8, 16, 32, 64)] + [FieldType("float", bits=b) for b in (16, 32, 64)]
_NP = {("int", 8): np.int8, ("int", 16): np.int16, ("int", 32): np.int32, ("int", 64): np.int64,
       ("uint", 8): np.uint8, ("uint", 16): np.uint16, ("uint", 32): np.uint32, ("uint", 64): np.uint64,
       ("float", 16): np.float16, ("float", 32): np.float32, ("float", 64): np.float64}


def _fits(v, ft) -> bool:
    """The oracle, in Python's exact int / float arithmetic."""
    if ft.kind == "float":
        try:
            f = float(v)
        except OverflowError:
            return False
        with np.errstate(over="ignore"):
            return float(_NP[ft.kind, ft.bits](f)) == v
    if isinstance(v, float) and not v.is_integer():
        return False
    info = np.iinfo(_NP[ft.kind, ft.bits])
    return info.min <= v <= info.max


numbers = st.one_of(st.integers(-2**65, 2**65), st.floats(allow_nan=False, width=64),
                    st.sampled_from([2**63, 2**64 - 1, 2**53 + 1, 0.1, 65504.0, 65520.0, -2**31 - 1]))


@given(st.lists(numbers, min_size=1, max_size=6), st.sampled_from(NUMERIC_LEAVES))
@example([2**53 + 1], FieldType("float", bits=64))
@example([-65520.0], FieldType("int", bits=32))
@example([128, 0.5], FieldType("int", bits=8))
def test_objects_are_stored_iff_every_value_fits(values, ft):
    dense = np.empty(len(values), object)
    dense[:] = values
    if all(_fits(v, ft) for v in values):
        got = exact_scalars(dense, ft, "x")
        assert got.dtype == storage_dtype(ft)
        assert [float(g) if ft.kind == "float" else int(g) for g in got] == values
    else:
        bad = next(v for v in values if not _fits(v, ft))
        with pytest.raises(ValueError, match=f"'x': {re.escape(repr(bad))} "):
            exact_scalars(dense, ft, "x")


@given(st.lists(numbers, min_size=1, max_size=6), st.sampled_from(NUMERIC_LEAVES), st.sampled_from(NUMERIC_LEAVES))
@example([2**53 + 1], FieldType("int", bits=64), FieldType("float", bits=64))
@example([-65520], FieldType("float", bits=16), FieldType("int", bits=32))
def test_typed_arrays_are_stored_iff_every_value_fits(values, source, ft):
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            typed = np.array(values, _NP[source.kind, source.bits])
        except OverflowError:
            return
    if source.kind != "float" and any(float(t) != v for t, v in zip(typed.tolist(), values)):
        return                                                  # numpy wrapped it: not the point here
    have = typed.tolist()
    if all(_fits(v, ft) for v in have):
        got = exact_numbers(typed, ft, "x")
        assert got.dtype == storage_dtype(ft)
        assert [float(g) if ft.kind == "float" else int(g) for g in got] == have
    else:
        with pytest.raises(ValueError, match="'x'"):
            exact_numbers(typed, ft, "x")
