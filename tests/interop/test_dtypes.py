"""Every pandas dtype, with and without nulls, read back by pyarrow, duckdb and polars."""
from __future__ import annotations

import datetime
import decimal
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

from tests._oracles import check_statistics, pyarrow_reference, pyarrow_roundtrip

N = 7


def _with_nulls(values: list, nulls: bool, null=None) -> list:
    return [null if nulls and i % 3 == 1 else v for i, v in enumerate(values)]


def _ints(dtype):
    info = np.iinfo(dtype)
    return lambda nulls: pd.Series(np.array([info.min, info.max, 0, 1, -1 if info.min else 2, 5, info.max - 1], dtype))


def _nullable(dtype, values):
    return lambda nulls: pd.Series(pd.array(_with_nullable(values, nulls), dtype=dtype))


def _with_nullable(values, nulls):
    return [None if nulls and i % 3 == 1 else v for i, v in enumerate(values)]


TS = ["2020-01-01 12:34:56.789", "1969-07-20 20:17:40", "2262-04-11", "1677-09-22", "2000-02-29",
      "1970-01-01", "2024-12-31 23:59:59.999"]
STRINGS = ["", "a", "héllo wörld", "z" * 100, "日本語", "\x00nul", "b"]

# name -> nulls -> Series; the Series' dtype is what is tested.
COLUMNS = {
    **{dt: _ints(dt) for dt in ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]},
    "float32": lambda nulls: pd.Series(np.array(_with_nulls([1.5, -0.0, 3.25, np.inf, -np.inf, 0.0, 7], nulls, np.nan), "float32")),
    "float64": lambda nulls: pd.Series(_with_nulls([1.5, -0.0, 3.25, 1e300, -1e-300, 0.0, 7], nulls, np.nan), dtype="float64"),
    "float16": lambda nulls: pd.Series(np.array(_with_nulls([1.5, -0.0, 3.25, 65504, -2, 0.0, 7], nulls, np.nan), "float16")),
    "bool": lambda nulls: pd.Series([True, False, True, True, False, False, True]),
    "Int64": _nullable("Int64", [1, 2, -3, 2**62, 5, 6, 7]),
    "Int8": _nullable("Int8", [1, 2, -3, 127, 5, 6, 7]),
    "UInt64": _nullable("UInt64", [1, 2, 3, 2**64 - 1, 5, 6, 7]),
    "UInt32": _nullable("UInt32", [1, 2, 3, 2**32 - 1, 5, 6, 7]),
    "Float64": _nullable("Float64", [1.5, 2, -3, 4, 5, 6, 7]),
    "boolean": _nullable("boolean", [True, False, True, True, False, False, True]),
    "str": lambda nulls: pd.Series(_with_nulls(STRINGS, nulls), dtype="str"),
    "str_python": lambda nulls: pd.Series(_with_nulls(STRINGS, nulls), dtype=pd.StringDtype("python", na_value=np.nan)),
    "string": lambda nulls: pd.Series(_with_nulls(STRINGS, nulls), dtype="string"),
    "object_str": lambda nulls: pd.Series(_with_nulls(STRINGS, nulls), dtype=object),
    "bytes": lambda nulls: pd.Series(_with_nulls([b"", b"\xff\x00", b"abc", b"x" * 70, b"a", b"b", b"c"], nulls), dtype=object),
    **{f"datetime_{u}": (lambda u: lambda nulls: pd.Series(pd.to_datetime(_with_nulls(TS, nulls), format="ISO8601").as_unit(u)
                                                        if u != "ns" else pd.to_datetime(_with_nulls(TS[:2] + TS[4:] + TS[4:6], nulls), format="ISO8601").as_unit(u)))(u)
       for u in ["s", "ms", "us", "ns"]},
    "datetime_tz": lambda nulls: pd.Series(pd.to_datetime(_with_nulls(TS[:2] + TS[4:] + TS[4:6], nulls), format="ISO8601").as_unit("ns").tz_localize("Europe/Paris", ambiguous="NaT")),
    "datetime_utc_ms": lambda nulls: pd.Series(pd.to_datetime(_with_nulls(TS, nulls), format="ISO8601").as_unit("ms").tz_localize("UTC")),
    "timedelta": lambda nulls: pd.Series(pd.to_timedelta(_with_nulls([1, -2, 3, 10**12, 0, 5, 6], nulls), unit="s")),
    "timedelta_ns": lambda nulls: pd.Series(pd.to_timedelta(_with_nulls([1, -2, 3, 10**12, 0, 5, 6], nulls), unit="ns")),
    "category_str": lambda nulls: pd.Series(pd.Categorical(_with_nulls(list("abcabca"), nulls), categories=list("cbaz"))),
    "category_ordered": lambda nulls: pd.Series(pd.Categorical(_with_nulls(list("abcabca"), nulls), ordered=True)),
    "category_int": lambda nulls: pd.Series(pd.Categorical(_with_nulls([3, 1, 2, 3, 1, 2, 3], nulls))),
    "category_datetime": lambda nulls: pd.Series(pd.Categorical(_with_nulls(list(pd.to_datetime(TS[:3] * 2 + TS[:1], format="ISO8601")), nulls))),
    "decimal": lambda nulls: pd.Series(_with_nulls([decimal.Decimal(x) for x in ["1.5", "-2.25", "0", "123.45", "1e-2", "99", "-0.01"]], nulls), dtype=object),
    "decimal_large": lambda nulls: pd.Series(_with_nulls([decimal.Decimal(x) for x in ["12345678901234567890.123", "-1", "0", "1", "2", "3", "-99999999999999999999.999"]], nulls), dtype=object),
    "date": lambda nulls: pd.Series(_with_nulls([datetime.date(2020, 1, 1), datetime.date(1, 1, 1), datetime.date(9999, 12, 31), datetime.date(1970, 1, 1), datetime.date(1969, 12, 31), datetime.date(2000, 2, 29), datetime.date(2024, 6, 1)], nulls), dtype=object),
    "time": lambda nulls: pd.Series(_with_nulls([datetime.time(0), datetime.time(23, 59, 59, 999999), datetime.time(12, 30), datetime.time(1, 2, 3, 4), datetime.time(5), datetime.time(6), datetime.time(7)], nulls), dtype=object),
    "uuid": lambda nulls: pd.Series(_with_nulls([uuid.UUID(int=i * 2**100 + i) for i in range(N)], nulls), dtype=object),
    "list": lambda nulls: pd.Series(_with_nulls([[1, 2], [], [None, 4], [5], [6, 7, 8], [9], [10]], nulls), dtype=object),
    "list_str": lambda nulls: pd.Series(_with_nulls([["a", "b"], [], [None], ["c"], ["d", "e"], ["f"], ["g"]], nulls), dtype=object),
    "list_list": lambda nulls: pd.Series(_with_nulls([[[1], [2, 3]], [], [[]], [None, [4]], [[5]], [[6]], [[7]]], nulls), dtype=object),
    "struct": lambda nulls: pd.Series(_with_nulls([{"x": 1, "y": "a"}, {"x": None, "y": "b"}, {"x": 3, "y": None}, {"x": 4, "y": "d"}, {"x": 5, "y": "e"}, {"x": 6, "y": "f"}, {"x": 7, "y": "g"}], nulls), dtype=object),
    "struct_list": lambda nulls: pd.Series(_with_nulls([{"x": [1, 2]}, {"x": None}, {"x": []}, {"x": [4]}, {"x": [5]}, {"x": [6]}, {"x": [7]}], nulls), dtype=object),
    "map": lambda nulls: pd.Series(_with_nulls([[("a", 1)], [], [("b", 2), ("c", None)], [("d", 4)], [("e", 5)], [("f", 6)], [("g", 7)]], nulls), dtype=object),
    "arrow_int32": lambda nulls: pd.Series(pd.array(_with_nullable([1, 2, 3, 4, 5, 6, 7], nulls), dtype=pd.ArrowDtype(pa.int32()))),
    "arrow_string": lambda nulls: pd.Series(pd.array(_with_nullable(STRINGS, nulls), dtype=pd.ArrowDtype(pa.string()))),
    "arrow_timestamp": lambda nulls: pd.Series(pd.array(_with_nullable(list(pd.to_datetime(TS[:2] + TS[4:] + TS[4:6], format="ISO8601")), nulls), dtype=pd.ArrowDtype(pa.timestamp("us")))),
    "null": lambda nulls: pd.Series([None] * N, dtype=object),
}

# What pyarrow's own round trip gives (pyarrow-written file): our file must read the same.
NOT_PYARROW_WRITABLE = {"uuid", "map"}
NESTED = {"list", "list_str", "list_list", "struct", "struct_list", "map"}


def _frame(name, nulls, n=N):
    s = COLUMNS[name](nulls)
    return pd.DataFrame({name: s.iloc[:n].reset_index(drop=True)})


def _assert_equivalent(got: pd.DataFrame, want: pd.DataFrame) -> None:
    if any(got[c].dtype == object for c in got.columns):
        assert list(got.columns) == list(want.columns)
        for c in got.columns:
            assert [_norm(x) for x in got[c]] == [_norm(x) for x in want[c]], c
            assert got[c].dtype == want[c].dtype
        return
    pd.testing.assert_frame_equal(got, want)


def _norm(x):
    if isinstance(x, np.ndarray):
        return [_norm(v) for v in x]
    if isinstance(x, (list, tuple)):
        return [_norm(v) for v in x]
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items()}
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return None
    return x


@pytest.mark.parametrize("nulls", [False, True], ids=["no-nulls", "nulls"])
@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_pyarrow_reads_like_its_own_file(name, nulls, tmp_path):
    df = _frame(name, nulls)
    got = pyarrow_roundtrip(df, tmp_path)
    if name in NOT_PYARROW_WRITABLE:
        expected = df
        if name == "map":
            expected = df.map(lambda m: None if m is None else [tuple(kv) for kv in m])
            got = got.map(lambda m: None if m is None else [tuple(kv) for kv in m])
        _assert_equivalent(got, expected)
    else:
        _assert_equivalent(got, pyarrow_reference(df, tmp_path))
    pq.ParquetFile(tmp_path / "fastpq.parquet").metadata  # loads
    if name not in NESTED:
        check_statistics(tmp_path / "fastpq.parquet", df)


@pytest.mark.parametrize("name", sorted(n for n in COLUMNS if n not in {"category_int", "category_datetime", "datetime_s",
                                                                        "object_str", "str_python", "map", "bytes",
                                                                        "arrow_string"}))
def test_round_trips_to_the_source_frame(name, tmp_path):
    """Where pyarrow restores the dtype, the frame comes back equal to the source."""
    df = _frame(name, True)
    got = pyarrow_roundtrip(df, tmp_path)
    if name in NESTED or name in ("decimal", "decimal_large", "date", "time", "null", "uuid"):
        _assert_equivalent(got, df)
    else:
        pd.testing.assert_frame_equal(got, df)


DUCKDB_SKIP = {"float16", "arrow_timestamp", "timedelta", "timedelta_ns"}


@pytest.mark.parametrize("name", sorted(set(COLUMNS) - DUCKDB_SKIP))
def test_duckdb_and_polars_read_the_values(name, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    df = _frame(name, True)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    reference = pq.read_table(path)
    expected = [_norm(x) for x in reference.column(0).to_pylist()]
    got = duckdb.sql(f"select * from read_parquet('{path}')").fetchall()
    assert len(got) == len(df)
    if name not in ("datetime_tz", "datetime_utc_ms", "uuid", "map", "time", "category_datetime"):
        assert [_norm(_duck(r[0])) for r in got] == [_norm(_duck(x)) for x in expected], name
    if name in ("float16", "uuid"):
        return
    pf = pl.read_parquet(path)
    assert pf.height == len(df)
    if name not in ("datetime_tz", "datetime_utc_ms", "map", "category_datetime", "datetime_ns"):
        assert [_norm(x) for x in pf.to_series(0).to_list()] == [_norm(_pl(x)) for x in expected], name


def _duck(x):
    if isinstance(x, dict) and set(x) == {"key", "value"}:
        return list(zip(x["key"], x["value"]))
    if isinstance(x, bytearray):
        return bytes(x)
    if isinstance(x, datetime.timedelta):
        return x
    return x


def _pl(x):
    return x


@pytest.mark.parametrize("n", [0, 1])
def test_empty_and_one_row_frames(n, tmp_path):
    names = sorted(set(COLUMNS) - {"null"})
    df = pd.concat([_frame(name, False, n) for name in names], axis=1)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    got = pq.read_table(path).to_pandas()
    assert len(got) == n and list(got.columns) == names
    md = pq.ParquetFile(path).metadata
    assert md.num_rows == n
    if n:
        ref = pyarrow_reference(df.drop(columns=["uuid", "map"]), tmp_path)
        _assert_equivalent(got.drop(columns=["uuid", "map"]), ref)


def test_wide_frame(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({f"c{i}": rng.integers(0, 100, 50) if i % 3 else rng.random(50) for i in range(500)})
    df["s"] = "x"
    got = pyarrow_roundtrip(df, tmp_path)
    pd.testing.assert_frame_equal(got, df)
    check_statistics(tmp_path / "fastpq.parquet", df)


def test_numpy_float_nan_is_written_as_null(tmp_path):
    df = pd.DataFrame({"f": [1.0, np.nan, 3.0]})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    assert pq.read_table(path).column(0).null_count == 1
    stats = pq.ParquetFile(path).metadata.row_group(0).column(0).statistics
    assert stats.null_count == 1 and stats.min == 1.0 and stats.max == 3.0


def test_nullable_float_keeps_nan_distinct_from_na(tmp_path):
    s = pd.Series(pd.array([1.0, None, 3.0], dtype="Float64"))
    df = pd.DataFrame({"f": s})
    got = pyarrow_roundtrip(df, tmp_path)
    pd.testing.assert_frame_equal(got, df)


def test_required_and_optional_columns(tmp_path):
    df = pd.DataFrame({"i": [1, 2], "b": [True, False], "f": [1.0, 2.0], "t": pd.to_datetime(["2020", "2021"]),
                       "I": pd.array([1, 2], dtype="Int64")})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    schema = pq.ParquetFile(path).schema_arrow
    assert [schema.field(c).nullable for c in df.columns] == [False, False, True, True, True]
    fastpq.write(path, df, nullable={"i": True, "f": False})
    schema = pq.ParquetFile(path).schema_arrow
    assert schema.field("i").nullable and not schema.field("f").nullable
    fastpq.write(path, pd.DataFrame({"f": [1.0, np.nan]}), nullable={"f": False})   # REQUIRED: NaN is a value
    column = pq.read_table(path).column("f")
    assert column.null_count == 0 and np.isnan(column.to_numpy()[1])


def test_timestamps_keep_exact_values_in_every_unit(tmp_path):
    values = np.array([-(2**62), -1, 0, 1, 2**62, 1_234_567_891], np.int64)
    for unit in ["ms", "us", "ns"]:
        df = pd.DataFrame({"t": values.view(f"M8[{unit}]")})
        path = tmp_path / f"{unit}.parquet"
        fastpq.write(path, df)
        assert pq.read_table(path).column(0).cast(pa.int64()).to_pylist() == values.tolist()
        field = pq.ParquetFile(path).schema.column(0)
        assert field.logical_type.to_json().find({"ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}[unit]) >= 0
    df = pd.DataFrame({"t": np.array([-(10**15), 0, 10**15], np.int64).view("M8[s]")})
    fastpq.write(tmp_path / "s.parquet", df)
    assert pq.read_table(tmp_path / "s.parquet").column(0).cast(pa.int64()).to_pylist() == [-(10**18), 0, 10**18]
    with pytest.raises(ValueError, match="MILLIS"):
        fastpq.write(tmp_path / "s.parquet", pd.DataFrame({"t": np.array([2**62], np.int64).view("M8[s]")}))


def test_int96_times(tmp_path):
    df = pd.DataFrame({"t": pd.to_datetime(["2020-01-01 00:00:00.123456789", None, "1900-01-01"], format="ISO8601")})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, times="int96")
    assert pq.ParquetFile(path).schema.column(0).physical_type == "INT96"
    got = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(got, df.astype("datetime64[ns]"))


def test_decimal_precision_and_physical_types(tmp_path):
    path = tmp_path / "f.parquet"
    for text, precision, physical in [("decimal(9,2)", 9, "INT32"), ("decimal(18,3)", 18, "INT64"),
                                      ("decimal(30,4)", 30, "FIXED_LEN_BYTE_ARRAY")]:
        df = pd.DataFrame({"d": [decimal.Decimal("1.5"), None, decimal.Decimal("-7.25")]})
        fastpq.write(path, df, object_encoding={"d": text})
        col = pq.ParquetFile(path).schema.column(0)
        assert col.physical_type == physical and col.precision == precision
        assert pq.read_table(path).column(0).to_pylist() == [decimal.Decimal("1.5"), None, decimal.Decimal("-7.25")]
    df = pd.DataFrame({"d": [decimal.Decimal("1.234")]})
    with pytest.raises(fastpq.SchemaMismatchError, match="decimal places"):
        fastpq.write(path, df, object_encoding={"d": "decimal(5,2)"})


def test_mixed_object_column_is_rejected_naming_the_column(tmp_path):
    df = pd.DataFrame({"bad": [1, "a", None]})
    with pytest.raises(TypeError, match="'bad'"):
        fastpq.write(tmp_path / "f.parquet", df)
    assert not (tmp_path / "f.parquet").exists()


def test_column_names_of_any_type(tmp_path):
    df = pd.DataFrame({0: [1, 2], 1: [3.0, 4.0]})
    got = pyarrow_roundtrip(df, tmp_path)
    pd.testing.assert_frame_equal(got, df)
    df = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")], names=["l0", "l1"]))
    got = pyarrow_roundtrip(df, tmp_path)
    pd.testing.assert_frame_equal(got, df)
    with pytest.raises(ValueError, match="Duplicate column names found"):
        fastpq.write(tmp_path / "d.parquet", pd.DataFrame([[1, 2]], columns=["a", "a"]))


@pytest.mark.parametrize("index", [
    pd.RangeIndex(5), pd.RangeIndex(10, 20, 2), pd.Index(list("abcde"), name="letters"),
    pd.Index([5, 4, 3, 2, 1]), pd.date_range("2020", periods=5, tz="UTC", name="when"),
    pd.MultiIndex.from_arrays([[1, 1, 2, 2, 3], list("abcde")], names=["n", None]),
])
@pytest.mark.parametrize("write_index", [None, True, False])
def test_index_handling_matches_pyarrow(index, write_index, tmp_path):
    df = pd.DataFrame({"x": np.arange(5)}, index=index)
    got = pyarrow_roundtrip(df, tmp_path, write_index=write_index)
    preserve = {None: None, True: True, False: False}[write_index]
    path = tmp_path / "ref.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=preserve), path)
    pd.testing.assert_frame_equal(got, pq.read_table(path).to_pandas())
