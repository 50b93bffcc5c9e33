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
store its decimals the way the leaf's name says. The old fixed-size lists hold
no null row: duckdb 2.0 writes one with a definition level above the column's
maximum (pyarrow and fastpq refuse that file); the appended rows have one.
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
from tests.conftest import PARQUET_TESTING

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
    from fastpq.frame.write.plan import WritePlan, build_plan

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
        assert _physical(path) == leaf.physical, (writer, leaf_name, _physical(path))
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


# ---------------------------------------------------------------- the issue's own cases, datasets, the guard

def test_the_reported_list_int32_append(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"c": pa.array([[1, 2]], pa.list_(pa.int32()))}), path)
    fastpq.write(path, pd.DataFrame({"c": [[10, 20], [30]]}), append=True)
    assert pq.read_table(path).column("c").to_pylist() == [[1, 2], [10, 20], [30]]
    assert fastpq.read_parquet(path)["c"].map(list).tolist() == [[1, 2], [10, 20], [30]]
    pq.write_table(pa.table({"c": pa.array([[1.0]], pa.list_(pa.float32()))}), path)
    fastpq.write(path, pd.DataFrame({"c": [[0.5], [30.0]]}), append=True)
    assert pq.read_table(path).column("c").to_pylist() == [[1.0], [0.5], [30.0]]


def _canon(rows: list) -> list:
    """Rows sorted by 'id'; polars' maps (lists of key/value structs) as lists of pairs."""
    def fix(v):
        if isinstance(v, list):
            if v and all(isinstance(x, dict) and set(x) == {"key", "value"} for x in v):
                return [(x["key"], fix(x["value"])) for x in v]
            return [fix(x) for x in v]
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    return sorted(({k: fix(v) for k, v in r.items() if k in ("id", "i", "f")} for r in rows), key=lambda r: r["id"])


def _read_dataset(reader: str, root) -> list:
    if reader == "pyarrow":
        return pq.read_table(root).to_pylist()
    if reader == "duckdb":
        sql = f"SELECT * FROM read_parquet('{root}/**/*.parquet', hive_partitioning=true)"
        return _duckdb().sql(sql).to_arrow_table().to_pylist()
    if reader == "polars":
        import polars as pl

        return pl.read_parquet(f"{root}/**/*.parquet", hive_partitioning=True).to_arrow().to_pylist()
    return fastpq.read_parquet(root, dtype_backend="pyarrow").drop(columns="k").pipe(
        lambda df: pa.Table.from_pandas(df, preserve_index=False)).to_pylist()


@pytest.mark.parametrize("source", ["objects", "arrow"])
@pytest.mark.parametrize("writer", ["pyarrow", "fastpq"])
@pytest.mark.parametrize("container", ["list", "fixed_size_list", "struct", "map", "list_of_struct"])
def test_dataset_append_to_32_bit_leaves(tmp_path, container, writer, source):
    old_i, new_i = _rows(container, -2**31, 2**31 - 1, 7)
    old_f, new_f = _rows(container, 0.5, -1.75, 3.0)
    types = {"i": _container(container, pa.int32()), "f": _container(container, pa.float32())}

    def table(ids, i, f, k):
        return pa.table({"id": pa.array(ids, pa.int64()), "i": pa.array(i, types["i"]), "f": pa.array(f, types["f"]),
                         "k": pa.array([k] * len(ids))})
    old = table(list(range(len(old_i))), old_i, old_f, "a")
    new = table(list(range(100, 100 + len(new_i))), new_i, new_f, "b")
    root = tmp_path / "ds"
    if writer == "pyarrow":
        pq.write_to_dataset(old, root, partition_cols=["k"])
    else:
        df = pd.DataFrame({name: _arrow_series(old.column(name)) for name in ("id", "i", "f")})
        df["k"] = "a"
        fastpq.write(str(root), df, partition_on=["k"], file_scheme="hive")
    if source == "objects":
        df = pd.DataFrame({name: pd.Series(new.column(name).to_pylist(), dtype=object) for name in ("id", "i", "f")})
        df["id"] = df["id"].astype("int64")
    else:
        df = pd.DataFrame({name: _arrow_series(new.column(name)) for name in ("id", "i", "f")})
    df["k"] = "b"
    fastpq.write(str(root), df, partition_on=["k"], append=True)
    want = _canon(pa.concat_tables([old, new]).to_pylist())
    for reader in READERS:
        if reader == "polars" and container == "fixed_size_list" and writer == "pyarrow":
            continue   # fastpq's part file says list, pyarrow's fixed_size_list: polars will not mix them
        assert _canon(_read_dataset(reader, root)) == want, reader


@pytest.mark.skipif(not PARQUET_TESTING.exists(), reason="shared corpus absent")
def test_append_to_a_byte_array_decimal_file_from_the_corpus(tmp_path):
    path = tmp_path / "f.parquet"
    shutil.copyfile(PARQUET_TESTING / "byte_array_decimal.parquet", path)
    old = pq.read_table(path).column("value").to_pylist()
    new = [Decimal("-12.34"), None, Decimal("0.05"), Decimal("99.99")]
    fastpq.write(path, pd.DataFrame({"value": pd.Series(new, dtype=object)}), append=True)
    assert pq.ParquetFile(path).schema.column(0).physical_type == "BYTE_ARRAY"
    assert pq.read_table(path).column("value").to_pylist() == old + new
    before = path.read_bytes()
    with pytest.raises(fastpq.SchemaMismatchError, match="100.00"):
        fastpq.write(path, pd.DataFrame({"value": pd.Series([Decimal("100.00")], dtype=object)}), append=True)
    assert path.read_bytes() == before


def test_values_of_the_wrong_width_never_reach_a_leaf():
    """The last guard: a leaf's dense values must have its physical type's layout."""
    from fastpq._thrift import Type
    from fastpq.column.write.values import check_storage
    from fastpq.column.write.chunk import ColumnData, LeafSpec

    spec = LeafSpec(("c",), Type.INT32)
    check_storage(spec, ColumnData(2, values=np.array([1, 2], np.int32)))
    for values in (np.array([1, 2], np.int64), np.array([1.0], np.float32), np.array([True])):
        with pytest.raises(fastpq.ParquetError, match="INT32"):
            check_storage(spec, ColumnData(len(values), values=values))
    with pytest.raises(fastpq.ParquetError, match="FLOAT"):
        check_storage(LeafSpec(("c",), Type.FLOAT), ColumnData(1, values=np.array([0.5])))
    with pytest.raises(fastpq.ParquetError, match="FIXED_LEN_BYTE_ARRAY"):
        check_storage(LeafSpec(("c",), Type.FIXED_LEN_BYTE_ARRAY, 4), ColumnData(1, values=np.zeros((1, 3), np.uint8)))
