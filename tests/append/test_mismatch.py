"""Appends that do not match the file raise SchemaMismatchError and leave it byte-identical."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
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
    "reordered columns": (lambda: _base()[["f", "i", "s", "t", "c"]], "expected", ["'i'"]),
    "other time zone": (lambda: _with(t=pd.date_range("2020", periods=4, tz="UTC", unit="us")), "'t'",
                        ["Europe/Paris", "UTC"]),
    "naive timestamps": (lambda: _with(t=pd.date_range("2020", periods=4, unit="us")), "'t'",
                         ["Europe/Paris", "datetime64[us]"]),
    "other unit": (lambda: _with(t=pd.date_range("2020", periods=4, tz="Europe/Paris", unit="ns")), "'t'",
                   ["timestamp[us", "ns"]),
    "unordered categorical": (lambda: _with(c=pd.Categorical(["x", "y", "x", "y"])), "'c'", ["ordered"]),
    "categorical of ints": (lambda: _with(c=pd.Categorical([1, 2, 1, 2], ordered=True)), "'c'", ["int64"]),
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
