"""Appends that do not match the file raise SchemaMismatchError and leave it byte-identical."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.append.appender import journal_path
from tests._oracles import sha256


def _base() -> pd.DataFrame:
    return pd.DataFrame({
        "i": np.arange(4, dtype="int64"),                  # REQUIRED int64
        "f": [0.5, 1.5, 2.5, 3.5],
        "s": ["a", "b", "c", "d"],
        "t": pd.date_range("2020-01-01", periods=4, tz="Europe/Paris", unit="us"),
        "c": pd.Categorical(["x", "y", "x", "y"], ordered=True),
        "n": pd.array([1, None, 3, 4], dtype="Int32"),     # OPTIONAL int32
    })


def _with(**changes) -> pd.DataFrame:
    df = _base()
    for name, value in changes.items():
        df[name] = value
    return df


CASES = {
    "float into int": (lambda: _with(i=[0.0, 1.0, 2.0, 3.0]), "'i'", ["int64", "float64"]),
    "str into int": (lambda: _with(i=["0", "1", "2", "3"]), "'i'", ["int64", "str"]),
    "object str into int": (lambda: _with(i=pd.Series(["0", "1", "2", "x"], dtype=object)), "'i'", ["int64"]),
    "int32 into int64": (lambda: _with(i=np.arange(4, dtype="int32")), "'i'", ["int64", "int32"]),
    "nulls into REQUIRED": (lambda: _with(i=pd.array([1, None, 3, 4], dtype="Int64")), "'i'", ["REQUIRED", "null"]),
    "int into float": (lambda: _with(f=np.arange(4)), "'f'", ["float64", "int64"]),
    "missing column": (lambda: _base().drop(columns=["s"]), "'s'", ["missing"]),
    "extra column": (lambda: _with(extra=1), "extra", ["unexpected"]),
    "reordered columns": (lambda: _base()[["f", "i", "s", "t", "c", "n"]], "expected", ["'i'"]),
    "other time zone": (lambda: _with(t=pd.date_range("2020", periods=4, tz="UTC", unit="us")), "'t'",
                        ["Europe/Paris", "UTC"]),
    "naive timestamps": (lambda: _with(t=pd.date_range("2020", periods=4, unit="us")), "'t'",
                         ["Europe/Paris", "datetime64[us]"]),
    "other unit": (lambda: _with(t=pd.date_range("2020", periods=4, tz="Europe/Paris", unit="ns")), "'t'",
                   ["timestamp[us", "ns"]),
    "unordered categorical": (lambda: _with(c=pd.Categorical(["x", "y", "x", "y"])), "'c'", ["ordered"]),
    "categorical of ints": (lambda: _with(c=pd.Categorical([1, 2, 1, 2], ordered=True)), "'c'", ["int64"]),
    "fractional float into optional int": (lambda: _with(n=[0.0, 1.5, None, 3.0]), "'n'", ["1.5"]),
    "category of ints into str": (lambda: _with(s=pd.Categorical([1, 2, 1, 2])), "'s'", ["str"]),
    "ints into ordered categorical": (lambda: _with(c=[1, 2, 1, 2]), "'c'", ["category"]),
    "str into ordered categorical": (lambda: _with(c=["y", "x", "x", "y"]), "'c'", ["ordered"]),
    "index instead of RangeIndex": (lambda: _base().set_index(pd.Index(list("pqrs"), name="key")), "index",
                                    ["RangeIndex"]),
    "RangeIndex renamed": (lambda: _base().rename_axis("row"), "index", ["'row'"]),
}


@pytest.fixture
def path(tmp_path):
    p = str(tmp_path / "base.parquet")
    fastpq.write(p, _base())
    fastpq.write(p, _base(), append=True)
    return p


@pytest.mark.parametrize("case", sorted(CASES))
def test_mismatch_raises_and_leaves_the_file_unchanged(path, case):
    make, column, words = CASES[case]
    before = sha256(path)
    with pytest.raises(fastpq.SchemaMismatchError) as info:
        fastpq.write(path, make(), append=True)
    message = str(info.value)
    assert column in message, message
    for word in words:
        assert word in message, (word, message)
    assert sha256(path) == before
    assert not os.path.exists(journal_path(path))
    assert len(fastpq.ParquetFile(path).to_pandas()) == 8


def test_bad_value_in_a_later_row_group_rolls_back(tmp_path):
    """The first row group converts, a later one does not: the file is restored."""
    p = str(tmp_path / "obj.parquet")
    fastpq.write(p, pd.DataFrame({"o": pd.Series([1, 2], dtype=object)}))
    before = sha256(p)
    bad = pd.DataFrame({"o": pd.Series(list(range(50)) + ["x"], dtype=object)})
    with pytest.raises(fastpq.SchemaMismatchError, match="'o'"):
        fastpq.write(p, bad, append=True, row_group_offsets=10)
    assert sha256(p) == before and not os.path.exists(journal_path(p))


def test_stored_index_must_match(tmp_path):
    p = str(tmp_path / "indexed.parquet")
    df = pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="key"))
    fastpq.write(p, df)
    before = sha256(p)
    for other in (df.reset_index(drop=True), df.rename_axis("other"), df.set_axis(pd.Index([1, 2], name="key")),
                  df.set_axis(pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["key", "n"]))):
        with pytest.raises(fastpq.SchemaMismatchError, match="index"):
            fastpq.write(p, other, append=True)
        assert sha256(p) == before
    fastpq.write(p, pd.DataFrame({"v": [3.0]}, index=pd.Index(["c"], name="key")), append=True)
    got = fastpq.ParquetFile(p).to_pandas()
    assert got.index.tolist() == ["a", "b", "c"] and got["v"].tolist() == [1.0, 2.0, 3.0]


def test_options_are_checked_before_writing(path):
    before = sha256(path)
    with pytest.raises(ValueError):
        fastpq.write(path, _base(), append=True, compression="no-such-codec")
    with pytest.raises(ValueError):
        fastpq.write(path, _base(), append="overwrite")
    assert sha256(path) == before


# Accepted: the same logical column in another pandas form (docs/dtypes.md, "Round trips").
ACCEPTED = {
    "category onto str": lambda: _with(s=pd.Categorical(["d", "e", None, "a"])),
    "Arrow dictionary onto str": lambda: _with(s=pd.Series(["d", "e", None, "a"]).astype(
        pd.ArrowDtype(pa.dictionary(pa.int8(), pa.string())))),
    "float64 (whole, NaN) onto optional int32": lambda: _with(n=[7.0, np.nan, -2.0, 2.0 ** 31 - 1]),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_same_logical_column_appends(path, case):
    df = ACCEPTED[case]()
    fastpq.write(path, df, append=True)
    got = pq.read_table(path).slice(8).to_pylist()
    expected = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in
                df.astype({"n": "object", "s": "object", "c": "object"}).to_dict("records")]
    for row, want in zip(got, expected):
        assert {k: row[k] for k in ("s", "c", "n")} == {k: want[k] for k in ("s", "c", "n")}
    assert fastpq.read_parquet(path)["c"].dtype == pd.CategoricalDtype(["x", "y"], ordered=True)


def test_str_onto_unordered_category(tmp_path):
    """A plain column onto an unordered categorical one: new values become new categories."""
    p = str(tmp_path / "cat.parquet")
    fastpq.write(p, pd.DataFrame({"c": pd.Categorical(["x", "y"])}))
    fastpq.write(p, pd.DataFrame({"c": ["z", None, "x"]}), append=True)
    assert pq.read_table(p).column("c").to_pylist() == ["x", "y", "z", None, "x"]
    got = fastpq.read_parquet(p)["c"]
    assert isinstance(got.dtype, pd.CategoricalDtype) and got.astype(object).tolist()[:3] == ["x", "y", "z"]


def test_arrow_large_list_is_kept(tmp_path):
    """A list column's Arrow kind (large_list) comes from ARROW:schema on append."""
    p = str(tmp_path / "l.parquet")
    t = pa.large_list(pa.int64())
    pq.write_table(pa.table({"l": pa.array([[1, 2], None], t)}), p)
    fastpq.write(p, pd.DataFrame({"l": [[5, 6], None]}), append=True)
    got = pq.read_table(p)
    assert got.schema.field("l").type == t and got.column("l").to_pylist() == [[1, 2], None, [5, 6], None]
