"""Odd values get clear errors before anything is written (issue 15, item 12).

Matrix: odd decimals (signalling NaN, infinities, text, precision beyond 76) x how
the column's type is chosen (inferred, ``object_encoding='decimal'``,
``'decimal(p,s)'``, a list's element) x how the frame reaches a file (a new file,
over an existing file, a later frame of a ``ParquetWriter``, ``append=True``):
``ValueError`` / ``TypeError`` (or a ``ParquetError``) naming the column and the
value, never ``decimal.InvalidOperation`` / ``AttributeError``; the target not
created, or byte-identical. Also: what is not a DataFrame is refused naming its type;
far dates; numpy fixed-width bytes as FIXED_LEN_BYTE_ARRAY. Oracle: pyarrow reads
the files that are written.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.file.writer import ParquetWriter

ODD_DECIMALS = {
    "snan": ([Decimal("1.5"), Decimal("sNaN")], "sNaN"),
    "snan_negative": ([Decimal("-sNaN")], "sNaN"),
    "infinity": ([Decimal("Infinity"), Decimal("1")], "Infinity"),
    "minus_infinity": ([Decimal("-Infinity")], "Infinity"),
    "precision_1001": ([Decimal("1E+1000")], "DECIMAL(1001,0)"),
    "precision_77": ([Decimal("1" * 77)], "DECIMAL(77,0)"),
    "scale_100": ([Decimal("1E-100")], "DECIMAL(101,100)"),
}
ENCODINGS = {"infer": "infer", "decimal": "decimal"}


def _frame(values) -> pd.DataFrame:
    return pd.DataFrame({"a": pd.Series(values, dtype=object)})


def _digest(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _refused(call, what):
    with pytest.raises((ValueError, TypeError, fastpq.ParquetError)) as info:
        call()
    message = str(info.value)
    assert "'a" in message and what in message, message     # 'a' or 'a.element'
    return info.value


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("case", sorted(ODD_DECIMALS))
def test_odd_decimal_refused_before_writing(tmp_path, case, encoding):
    values, what = ODD_DECIMALS[case]
    path = tmp_path / "new.parquet"
    _refused(lambda: fastpq.write(path, _frame(values), object_encoding=encoding), what)
    assert not path.exists() and os.listdir(tmp_path) == []


@pytest.mark.parametrize("case", sorted(ODD_DECIMALS))
def test_odd_decimal_leaves_an_existing_file_unchanged(tmp_path, case):
    values, what = ODD_DECIMALS[case]
    path = tmp_path / "old.parquet"
    fastpq.write(path, _frame([Decimal("1.5")]))
    before = _digest(path)
    _refused(lambda: fastpq.write(path, _frame(values)), what)
    assert _digest(path) == before and os.listdir(tmp_path) == ["old.parquet"]


@pytest.mark.parametrize("values", [[Decimal("sNaN")], [Decimal("1.5"), Decimal("sNaN")], [Decimal("Infinity")]])
@pytest.mark.parametrize("how", ["writer", "append", "explicit"])
def test_odd_decimal_in_a_later_frame(tmp_path, values, how):
    path = tmp_path / "f.parquet"
    first = _frame([Decimal("1.5"), None])
    if how == "writer":
        with pytest.raises((ValueError, TypeError, fastpq.ParquetError)) as info:
            with ParquetWriter.open(path, first, fastpq.file.options.WriteOptions()) as w:
                w.write(first)
                w.write(_frame(values))
        assert "'a'" in str(info.value)
        return
    if how == "explicit":
        _refused(lambda: fastpq.write(path, _frame(values), object_encoding="decimal(5,2)"), "")
        assert not path.exists()
        return
    fastpq.write(path, first)
    before = _digest(path)
    _refused(lambda: fastpq.write(path, _frame(values), append=True), "")
    assert _digest(path) == before


@pytest.mark.parametrize("value", ["abc", "1.5", 1, 1.5, b"1", True])
def test_non_decimal_under_decimal_encoding(tmp_path, value):
    path = tmp_path / "f.parquet"
    err = _refused(lambda: fastpq.write(path, _frame([Decimal("1"), value]), object_encoding="decimal"),
                   repr(value))
    assert isinstance(err, TypeError) and not path.exists()


@pytest.mark.parametrize("spec", ["decimal(77,0)", "decimal(100,2)", "decimal(5,6)"])
def test_explicit_precision_beyond_readers(tmp_path, spec):
    path = tmp_path / "f.parquet"
    _refused(lambda: fastpq.write(path, _frame([Decimal("0.01")]), object_encoding=spec), "DECIMAL(")
    assert not path.exists()


def test_nested_decimal_beyond_76_refused(tmp_path):
    path = tmp_path / "f.parquet"
    _refused(lambda: fastpq.write(path, _frame([[Decimal("1E+100")]])), "DECIMAL(101,0)")
    assert not path.exists()


@pytest.mark.parametrize("digits", [1, 38, 39, 76])
def test_widest_decimals_read_by_pyarrow(tmp_path, digits):
    values = [Decimal("9" * digits), Decimal("-" + "9" * digits), None]   # not -value: rounds to 28 digits
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame(values))
    col = pq.read_table(path).column("a")
    assert col.type.precision == digits and col.to_pylist() == values


def test_decimal_nan_is_missing_as_in_pandas(tmp_path):
    """pandas counts Decimal('NaN') as missing (pd.isna); it is written as null."""
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame([Decimal("1.5"), Decimal("NaN")]))
    assert pq.read_table(path).column("a").to_pylist() == [Decimal("1.5"), None]


# ---------------------------------------------------------------- not a DataFrame

@pytest.mark.parametrize("given", [{"a": [1, 2]}, pd.Series([1, 2]), [1, 2], None, np.array([1, 2]), "a,b",
                                   pd.Index([1, 2])])
@pytest.mark.parametrize("mode", ["simple", "hive", "append"])
def test_not_a_dataframe(tmp_path, given, mode):
    path = tmp_path / "out"
    kw = {"file_scheme": "hive"} if mode == "hive" else {"append": True} if mode == "append" else {}
    with pytest.raises(TypeError, match=f"DataFrame, not {type(given).__name__}"):
        fastpq.write(path, given, **kw)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- far dates

FAR_DATES = [dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(1970, 1, 1)]


@pytest.mark.parametrize("encoding", ["infer", "date"])
def test_far_date_objects(tmp_path, encoding):
    """datetime.date spans years 1 to 9999: always within DATE's int32 days."""
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame(FAR_DATES + [None]), object_encoding=encoding)
    col = pq.read_table(path).column("a")
    assert col.type == pa.date32() and col.to_pylist() == FAR_DATES + [None]


@pytest.mark.parametrize("days", [2**31, -2**31 - 1, 10**10])
def test_datetime64_day_beyond_date32_refused(tmp_path, days):
    path = tmp_path / "f.parquet"
    value = np.datetime64(days, "D")
    with pytest.raises(fastpq.ParquetError, match="'a'"):
        fastpq.write(path, _frame([value]), object_encoding="date")
    assert not path.exists()


@pytest.mark.parametrize("days", [2**31 - 1, -2**31, 10**10, -10**10])
def test_far_datetime64_day_column_as_timestamp(tmp_path, days):
    """A datetime64[D] column is a pandas datetime64[s] column: TIMESTAMP(MILLIS), exact."""
    path = tmp_path / "f.parquet"
    fastpq.write(path, pd.DataFrame({"a": np.array([days, 0], "datetime64[D]")}))
    col = pq.read_table(path).column("a")
    assert col.type == pa.timestamp("ms") and col.cast(pa.int64()).to_pylist() == [days * 86_400_000, 0]


# ---------------------------------------------------------------- numpy fixed-width bytes

@pytest.mark.parametrize("values,width", [([b"a", b"b", b""], 1), ([b"abcde", b"b", b"\x00x"], 5),
                                          ([b"\xff" * 16], 16)])
def test_numpy_fixed_width_bytes(tmp_path, values, width):
    path = tmp_path / "f.parquet"
    array = np.array(values, dtype=f"S{width}")
    df = pd.DataFrame({"k": range(len(values))})
    df["a"] = array
    assert df["a"].dtype == array.dtype
    fastpq.write(path, df)
    col = pq.read_table(path).column("a")
    assert col.type == pa.binary(width) and col.null_count == 0
    assert (np.array(col.to_pylist(), dtype=f"S{width}") == array).all()
    back = fastpq.read_parquet(path)["a"]
    assert (np.array(list(back), dtype=f"S{width}") == array).all()


@pytest.mark.parametrize("values,expected", [
    ([np.bytes_(b"ab"), np.bytes_(b"cd"), None], pa.binary(2)),
    ([np.bytes_(b"ab"), np.bytes_(b"c")], pa.binary()),
    ([np.bytes_(b"ab"), b"cd"], pa.binary()),
    ([b"ab", b"cd"], pa.binary()),
])
def test_object_numpy_bytes(tmp_path, values, expected):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame(values))
    col = pq.read_table(path).column("a")
    assert col.type == expected and col.to_pylist() == [None if v is None else bytes(v) for v in values]


@pytest.mark.parametrize("values,what", [
    ([[Decimal("1"), Decimal("sNaN")]], "sNaN"),
    ([{"x": Decimal("sNaN")}], "sNaN"),
    ([[{"x": [Decimal("sNaN")]}]], "sNaN"),
    ([[Decimal("Infinity")]], "Infinity"),
    ([[Decimal("1E+1000")]], "DECIMAL(1001,0)"),
    ([{"x": Decimal("1E-80")}], "DECIMAL(81,80)"),
])
def test_odd_decimal_nested(tmp_path, values, what):
    path = tmp_path / "f.parquet"
    _refused(lambda: fastpq.write(path, _frame(values)), what)
    assert not path.exists()


FAR_DATE32 = [2**31 - 1, -2**31, None, 0]


def _far_date32() -> pd.Series:
    return pd.Series(pa.array(FAR_DATE32, pa.date32()), dtype=pd.ArrowDtype(pa.date32()))


@pytest.mark.parametrize("page_index", [False, True])
def test_far_arrow_date32_written_exactly(tmp_path, page_index):
    """date32 days beyond datetime.date's range (pandas cannot make Python dates of them)."""
    path = tmp_path / "f.parquet"
    fastpq.write(path, pd.DataFrame({"a": _far_date32()}), page_index=page_index)
    col = pq.read_table(path).column("a")
    assert col.type == pa.date32() and col.cast(pa.int32()).to_pylist() == FAR_DATE32
    back = fastpq.read_parquet(path, dtype_backend="pyarrow")["a"]
    assert pa.array(back.array).cast(pa.int32()).to_pylist() == FAR_DATE32


def test_far_arrow_date32_partition_refused(tmp_path):
    with pytest.raises(ValueError, match="cannot partition on"):
        fastpq.write(tmp_path / "ds", pd.DataFrame({"x": [1, 2, 3, 4], "d": _far_date32()}),
                     partition_on=["d"], file_scheme="hive")
    assert not (tmp_path / "ds").exists() or not any((tmp_path / "ds").rglob("*.parquet"))
