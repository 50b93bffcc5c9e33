"""Duplicate column names in datasets: refused on write with pandas' message (nothing
written); a dataset whose files hold top-level columns sharing a name (legal in Parquet,
written here by pyarrow) reads them by position, as a single file does. Oracle: pyarrow's
``ParquetFile.read()`` of each file, column by column."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

LAYOUTS = {
    "a,a": (["a", "a"], [pa.array([1, 2, 3]), pa.array([10, 20, 30])]),
    "a,b,a types differ": (["a", "b", "a"], [pa.array([1.5, 2.5, 3.5]), pa.array([7, 8, 9]),
                                            pa.array(["x", "y", "z"])]),
    "b,a,a,a": (["b", "a", "a", "a"], [pa.array(["p", "q", "r"]), pa.array([1, 2, 3], pa.int32()),
                                      pa.array([4, 5, 6]), pa.array([0.5, 1.5, 2.5])]),
}
KEYS = ["1", "2"]


@pytest.fixture(params=sorted(LAYOUTS))
def dup_dataset(request, tmp_path):
    names, arrays = LAYOUTS[request.param]
    root = tmp_path / "ds"
    for key in KEYS:
        (root / f"k={key}").mkdir(parents=True)
        pq.write_table(pa.table(arrays, names=names), root / f"k={key}" / "part.parquet")
    return root, names


def _by_position(root) -> list:
    """Each column's values (pyarrow, by position) over the files in listing order."""
    cols = None
    for key in KEYS:
        table = pq.ParquetFile(root / f"k={key}" / "part.parquet").read()
        values = [table.column(i).to_pylist() for i in range(table.num_columns)]
        cols = values if cols is None else [a + b for a, b in zip(cols, values)]
    return cols


def test_reads_shared_names_by_position(dup_dataset):
    root, names = dup_dataset
    got = fastpq.read_parquet(str(root))
    assert list(got.columns) == names + ["k"]
    for i, want in enumerate(_by_position(root)):
        assert got.iloc[:, i].tolist() == want
    assert got["k"].astype(str).tolist() == [k for k in KEYS for _ in range(3)]


def test_selecting_a_shared_name_reads_all_its_columns(dup_dataset):
    root, names = dup_dataset
    got = fastpq.read_parquet(str(root), columns=["a"])
    positions = [i for i, n in enumerate(names) if n == "a"]
    want = _by_position(root)
    assert list(got.columns) == ["a"] * len(positions)
    for j, i in enumerate(positions):
        assert got.iloc[:, j].tolist() == want[i]
    # the single-file reader gives the same
    one = fastpq.read_parquet(str(root / "k=1" / "part.parquet"), columns=["a"])
    assert [one.iloc[:, j].tolist() for j in range(one.shape[1])] == [got.iloc[:3, j].tolist()
                                                                       for j in range(got.shape[1])]


def test_partition_filter_on_shared_name_dataset(dup_dataset):
    root, names = dup_dataset
    got = fastpq.read_parquet(str(root), filters=[("k", "==", 2)])
    want = _by_position(root)
    assert len(got) == 3
    for i in range(len(names)):
        assert got.iloc[:, i].tolist() == want[i][3:]


@pytest.mark.parametrize("columns,partition_on", [
    (["a", "a", "k"], ["k"]),     # a data column twice
    (["a", "k", "k"], ["k"]),     # the partition column twice
    (["a", "a"], None),
], ids=str)
def test_write_refuses_duplicates_with_pandas_message(tmp_path, columns, partition_on):
    df = pd.DataFrame([list(range(len(columns)))], columns=columns)
    root = tmp_path / "ds"
    with pytest.raises(ValueError) as fastpq_error:
        fastpq.write(str(root), df, partition_on=partition_on, file_scheme="hive")
    with pytest.raises(ValueError) as pandas_error:
        df.to_parquet(tmp_path / "pd", engine="pyarrow", partition_cols=partition_on)
    assert str(pandas_error.value).startswith("Duplicate column names found")
    assert str(fastpq_error.value).startswith("Duplicate column names found")
    assert not root.exists() or not any(root.rglob("*.parquet"))
