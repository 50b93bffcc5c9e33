"""Issue 15 item 1: top-level columns that share a name (legal in Parquet).

Each is read from its own position under the same label (pandas allows duplicate labels);
``columns=[name]`` selects every column of that name, in file order (pyarrow's dataset reader
refuses the selection as ambiguous; reading them all is the only answer that is not a copy).
Oracle: ``pyarrow.parquet.ParquetFile(...).read()``'s columns by position (its ``to_pandas``
turns an int64 column that shares its name with a string one into strings).
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

N = 12
COLUMNS = {
    "int": pa.array(range(N), pa.int64()),
    "int2": pa.array(range(100, 100 + N), pa.int64()),
    "str": pa.array([f"s{i}" for i in range(N)]),
    "float": pa.array([i / 4 for i in range(N)]),
    "i32": pa.array(range(-N, 0), pa.int32()),
}
LAYOUTS = {  # (names, values)
    "a,a": (["a", "a"], ["int", "int2"]),
    "a,a types differ": (["a", "a"], ["int", "str"]),
    "a,b,a": (["a", "b", "a"], ["float", "int", "str"]),
    "b,a,a,a": (["b", "a", "a", "a"], ["str", "i32", "int2", "float"]),
}


@pytest.fixture(params=sorted(LAYOUTS))
def dup_file(request, tmp_path):
    names, values = LAYOUTS[request.param]
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([COLUMNS[v] for v in values], names=names), path, row_group_size=5)
    return path, names


class _Oracle:
    def __init__(self, table, rows=slice(None)):
        self.table, self.rows, self.columns = table, rows, table.column_names

    def head(self, n):
        return _Oracle(self.table, slice(0, n))

    def col(self, i):
        return self.table.column(i).to_pylist()[self.rows]


def _oracle(path):
    return _Oracle(pq.ParquetFile(path).read())


@pytest.mark.parametrize("how", ["read", "head", "row_group", "pyarrow_backend"])
def test_each_column_is_read_from_its_position(dup_file, how):
    path, names = dup_file
    expected = _oracle(path)
    assert list(expected.columns) == names
    if how == "read":
        got, want = fastpq.read_parquet(path), expected
    elif how == "head":
        got, want = fastpq.ParquetFile(path).head(4), expected.head(4)
    elif how == "row_group":
        got, want = fastpq.ParquetFile(path).to_pandas(row_groups=[1]), _Oracle(expected.table, slice(5, 10))
    else:
        got, want = fastpq.read_parquet(path, dtype_backend="pyarrow"), expected
    assert list(got.columns) == names
    for i in range(len(names)):
        assert got.iloc[:, i].tolist() == want.col(i), (how, i)
    assert fastpq.ParquetFile(path).columns == names


def test_selecting_a_shared_name_reads_every_column_of_it(dup_file):
    path, names = dup_file
    expected = _oracle(path)
    got = fastpq.read_parquet(path, columns=["a"])
    positions = [i for i, n in enumerate(names) if n == "a"]
    assert list(got.columns) == ["a"] * len(positions)
    for j, i in enumerate(positions):
        assert got.iloc[:, j].tolist() == expected.col(i)
    if "b" in names:
        b = fastpq.read_parquet(path, columns=["b", "a"])
        assert list(b.columns) == ["b"] + ["a"] * len(positions)
        assert b["b"].tolist() == expected.col(names.index("b"))


def test_dtypes_and_statistics_keep_one_entry_per_position(dup_file):
    path, names = dup_file
    pf = fastpq.ParquetFile(path)
    frame = fastpq.read_parquet(path)
    positions = [i for i, n in enumerate(names) if n == "a"]
    assert pf.dtypes["a"] == tuple(str(frame.dtypes.iloc[i]) for i in positions)
    meta = pq.ParquetFile(path).metadata  # oracle: pyarrow's row-group statistics, by column position
    for key, attr in (("min", "min"), ("max", "max"), ("null_count", "null_count")):
        want = tuple([getattr(meta.row_group(r).column(i).statistics, attr) for r in range(meta.num_row_groups)]
                     for i in positions)
        assert pf.statistics[key]["a"] == want, key
    if "b" in names:
        assert pf.dtypes["b"] == str(frame["b"].dtype)
        assert isinstance(pf.statistics["min"]["b"], list)
