"""Appends to every leaf type, flat and nested, in files from every writer (issue 13, item 1).

Matrix: leaf type (ints and uints of every width, float16/32/64, bool, date, time
and timestamp units, decimals stored as INT32 / INT64 / FIXED_LEN_BYTE_ARRAY /
BYTE_ARRAY, string, binary) x container (flat, list, large list, fixed-size
list, struct, map, list of struct, struct of list) x writer of the file
(pyarrow, duckdb, polars, fastpq) x new data (Python objects, ArrowDtype of the
file's Arrow type). One append per case; then pyarrow, duckdb, polars and
fastpq must each read exactly what they read from a file pyarrow writes with
the old rows and the new ones (the same Arrow schema), so every reader is
compared with itself and no reader's Python representation matters.

The original files are written once per (writer, container, leaf) and copied
per case. Combinations a writer cannot produce are skipped, with the reason:
duckdb has no float16; only pyarrow stores a DECIMAL(9) in FIXED_LEN_BYTE_ARRAY
(the others choose INT32); no writer here but fastpq's plan API stores
BYTE_ARRAY decimals; duckdb and fastpq write a large or fixed-size list as a
plain LIST (the case still runs, as a list). Each decimal file is checked to
store its decimals the way the leaf's name says.
"""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

D, T, DT = dt.date, dt.time, dt.datetime
UTC = dt.timezone.utc


@dataclass(frozen=True)
class Leaf:
    type: object
    values: tuple                        # three distinct non-null values (Python objects)
    pyarrow_options: dict = field(default_factory=dict)
    physical: str | None = None          # the decimals' stored physical type
    writers: tuple = ("pyarrow", "duckdb", "polars", "fastpq")


LEAVES = {
    "int8": Leaf(pa.int8(), (-128, 127, 5)),
    "int16": Leaf(pa.int16(), (-32768, 32767, 7)),
    "int32": Leaf(pa.int32(), (-2**31, 2**31 - 1, 10)),
    "int64": Leaf(pa.int64(), (-2**63, 2**63 - 1, 11)),
    "uint8": Leaf(pa.uint8(), (0, 255, 3)),
    "uint16": Leaf(pa.uint16(), (0, 65535, 4)),
    "uint32": Leaf(pa.uint32(), (0, 2**32 - 1, 5)),
    "uint64": Leaf(pa.uint64(), (0, 2**64 - 1, 2**63 + 5)),
    "float16": Leaf(pa.float16(), (0.5, -1.75, 65504.0), writers=("pyarrow", "polars", "fastpq")),
    "float32": Leaf(pa.float32(), (0.5, -1.75, 3.4028234663852886e38)),
    "float64": Leaf(pa.float64(), (0.1, -1e300, 2.5)),
    "bool": Leaf(pa.bool_(), (True, False, True)),
    "date": Leaf(pa.date32(), (D(1970, 1, 1), D(2024, 2, 29), D(1900, 1, 1))),
    "time_ms": Leaf(pa.time32("ms"), (T(1, 2, 3, 4000), T(23, 59, 59, 999000), T(0, 0))),
    "time_us": Leaf(pa.time64("us"), (T(1, 2, 3, 456789), T(23, 59, 59, 999999), T(0, 0))),
    "time_ns": Leaf(pa.time64("ns"), (T(1, 2, 3, 456789), T(23, 59, 59, 999999), T(0, 0))),
    "timestamp_ms": Leaf(pa.timestamp("ms"), (DT(2020, 1, 1, 1, 2, 3, 4000), DT(1900, 1, 1), DT(2262, 4, 11))),
    "timestamp_us": Leaf(pa.timestamp("us"), (DT(2020, 1, 1, 1, 2, 3, 456789), DT(1677, 9, 22), DT(3000, 1, 1))),
    "timestamp_ns": Leaf(pa.timestamp("ns"), (DT(2020, 1, 1, 1, 2, 3, 456789), DT(1970, 1, 1), DT(2200, 1, 1))),
    "timestamp_us_utc": Leaf(pa.timestamp("us", "UTC"), (DT(2020, 1, 1, 1, 2, 3, 456789, UTC),
                                                          DT(1900, 1, 1, tzinfo=UTC), DT(2100, 1, 1, tzinfo=UTC))),
    "decimal_int32": Leaf(pa.decimal128(9, 2), (Decimal("1234567.89"), Decimal("-0.01"), Decimal("0.00")),
                          {"store_decimal_as_integer": True}, "INT32"),
    "decimal_int64": Leaf(pa.decimal128(18, 3), (Decimal("123456789012345.678"), Decimal("-1.000"),
                                                  Decimal("0.001")), {"store_decimal_as_integer": True}, "INT64"),
    "decimal_flba": Leaf(pa.decimal128(30, 4), (Decimal("12345678901234567890123456.7890"), Decimal("-0.0001"),
                                                 Decimal("1.0000")), physical="FIXED_LEN_BYTE_ARRAY"),
    "decimal9_flba": Leaf(pa.decimal128(9, 2), (Decimal("1234567.89"), Decimal("-0.01"), Decimal("0.00")),
                          physical="FIXED_LEN_BYTE_ARRAY", writers=("pyarrow",)),
    "decimal_byte_array": Leaf(pa.decimal128(12, 2), (Decimal("1234567890.12"), Decimal("-0.01"), Decimal("0.00")),
                               physical="BYTE_ARRAY", writers=("fastpq",)),
    "string": Leaf(pa.string(), ("a", "ünï", "")),
    "binary": Leaf(pa.binary(), (b"\x00\xff", b"", b"abc")),
}


def _container(name, t):
    return {
        "flat": t,
        "list": pa.list_(t),
        "large_list": pa.large_list(t),
        "fixed_size_list": pa.list_(t, 2),
        "struct": pa.struct([("f", t)]),
        "map": pa.map_(pa.string(), t),
        "list_of_struct": pa.list_(pa.struct([("f", t)])),
        "struct_of_list": pa.struct([("l", pa.list_(t))]),
    }[name]


def _rows(name, a, b, c) -> tuple[list, list]:
    """(old rows, new rows) of a container over leaf values a, b, c (nulls at every level)."""
    return {
        "flat": ([a, None, b], [c, None, a]),
        "list": ([[a, b], None, [], [None]], [[c, a], [None, b], None, []]),
        "large_list": ([[a, b], None, [], [None]], [[c, a], [None, b], None, []]),
        # no null row in the old file: duckdb 2.0 writes one with a def level above the maximum
        "fixed_size_list": ([[a, b], [None, c]], [[c, a], [b, None], None]),
        "struct": ([{"f": a}, None, {"f": None}], [{"f": c}, {"f": None}, None]),
        "map": ([[("k", a), ("j", None)], None, []], [[("x", c), ("y", b)], [], None]),
        "list_of_struct": ([[{"f": a}, None], None], [[{"f": b}, {"f": c}], [None, {"f": None}], None]),
        "struct_of_list": ([{"l": [a, b]}, None, {"l": None}], [{"l": [c, None]}, {"l": []}, None]),
    }[name]


CONTAINERS = ["flat", "list", "large_list", "fixed_size_list", "struct", "map", "list_of_struct", "struct_of_list"]
WRITERS = ["pyarrow", "duckdb", "polars", "fastpq"]
READERS = ["pyarrow", "duckdb", "polars", "fastpq"]


def _arrow_values(rows, leaf: Leaf):
    """pyarrow takes float16 values only as numpy float16."""
    if leaf.type != pa.float16():
        return rows
    def fix(v):
        if isinstance(v, float):
            return np.float16(v)
        if isinstance(v, list):
            return [fix(x) for x in v]
        if isinstance(v, tuple):
            return tuple(fix(x) for x in v)
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    return [fix(r) for r in rows]


def _arrow_series(arr) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([arr]) if isinstance(arr, pa.Array) else arr))


_DUCKDB = []


def _duckdb():
    import duckdb

    if not _DUCKDB:
        _DUCKDB.append(duckdb.connect())
    return _DUCKDB[0]


def _write(writer: str, table: pa.Table, path, leaf: Leaf) -> None:
    if writer == "pyarrow":
        pq.write_table(table, path, **leaf.pyarrow_options)
    elif writer == "duckdb":
        con = _duckdb()
        con.register("t", table)
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
        con.unregister("t")
    elif writer == "polars":
        import polars as pl

        pl.from_arrow(table).write_parquet(path)
    else:
        df = pd.DataFrame({"c": _arrow_series(table.column("c"))})
        if leaf.physical == "BYTE_ARRAY":             # fastpq's plan API: decimals as BYTE_ARRAY
            with fastpq.ParquetWriter(path, _byte_array_decimals(df)) as w:
                w.write(df)
        else:
            fastpq.write(path, df)


def _byte_array_decimals(df):
    from dataclasses import replace

    from fastpq._thrift import Type
    from fastpq.frame.from_pandas import WritePlan, build_plan

    def swap(ft):
        if ft.kind == "decimal":
            return replace(ft, physical=Type.BYTE_ARRAY)
        return replace(ft, children=tuple((n, swap(c)) for n, c in ft.children))
    plan = build_plan(df)
    for col in plan.columns:
        col.ft = swap(col.ft)
    return WritePlan.from_parts(plan.columns, plan.range_index, plan.column_index, plan.attrs)


def _read(reader: str, path) -> list:
    if reader == "pyarrow":
        return pq.read_table(path).column("c").to_pylist()
    if reader == "duckdb":
        return _duckdb().sql(f"SELECT c FROM read_parquet('{path}')").to_arrow_table().column("c").to_pylist()
    if reader == "polars":
        import polars as pl

        return pl.read_parquet(path).to_arrow().column("c").to_pylist()
    s = fastpq.read_parquet(path, dtype_backend="pyarrow")["c"]
    return s.array.__arrow_array__().to_pylist()


def _physical(path) -> str:
    schema = pq.ParquetFile(path).schema
    return schema.column(len(schema) - 1).physical_type


@dataclass
class Original:
    path: object
    arrow_type: object                    # the column's type as pyarrow reads the file
    new_rows: list
    expected: dict                        # reader -> rows it reads from pyarrow's file of old + new rows


_ORIGINALS: dict = {}


def _original(tmp_root, writer, container, leaf_name) -> Original:
    key = (writer, container, leaf_name)
    if key in _ORIGINALS:
        return _ORIGINALS[key]
    leaf = LEAVES[leaf_name]
    if writer not in leaf.writers:
        _ORIGINALS[key] = None
        return None
    old, new = _rows(container, *leaf.values)
    table = pa.table({"c": pa.array(_arrow_values(old, leaf), _container(container, leaf.type))})
    folder = tmp_root / f"{writer}-{container}-{leaf_name}"
    folder.mkdir()
    path = folder / "original.parquet"
    _write(writer, table, path, leaf)
    if leaf.physical is not None:
        assert leaf.physical in {_physical(path)}, (writer, leaf_name, _physical(path))
    have = pq.read_table(path)
    arrow_type = have.schema.field("c").type
    both = pa.concat_tables([have, pa.table({"c": pa.array(_arrow_values(new, leaf), arrow_type)},
                                            schema=have.schema)])
    reference = folder / "expected.parquet"
    pq.write_table(both, reference)
    expected = {reader: _read(reader, reference) for reader in READERS}
    _ORIGINALS[key] = Original(path, arrow_type, new, expected)
    return _ORIGINALS[key]


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("leaf_matrix")


def _new_frame(original: Original, source: str, leaf: Leaf) -> pd.DataFrame:
    if source == "objects":
        return pd.DataFrame({"c": pd.Series(original.new_rows, dtype=object)})
    return pd.DataFrame({"c": _arrow_series(pa.array(_arrow_values(original.new_rows, leaf), original.arrow_type))})


@pytest.mark.parametrize("source", ["objects", "arrow"])
@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("leaf_name", list(LEAVES))
def test_append_reads_back_exactly(tmp_root, tmp_path, leaf_name, container, writer, source):
    original = _original(tmp_root, writer, container, leaf_name)
    if original is None:
        pytest.skip(f"{writer} does not write {leaf_name} (see the module docstring)")
    leaf = LEAVES[leaf_name]
    path = tmp_path / "f.parquet"
    shutil.copyfile(original.path, path)
    fastpq.write(path, _new_frame(original, source, leaf), append=True)
    if leaf.physical is not None:
        assert _physical(path) == leaf.physical
    for reader in READERS:
        got = _read(reader, path)
        assert got == original.expected[reader], (reader, got, original.expected[reader])
