"""fastpq.dask.read_parquet(index=...): the named column becomes the index only, as in
fastpq.read_parquet and dask.dataframe.read_parquet (issue 15.19)."""
from __future__ import annotations

import pandas as pd
import pytest

import fastpq

dd = pytest.importorskip("dask.dataframe")
import fastpq.dask  # noqa: E402


@pytest.fixture(params=["file", "dataset", "hive"])
def stored(request, tmp_path):
    df = pd.DataFrame({"id": [3, 1, 2, 7, 5, 4], "v": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                       "s": list("abcdef"), "k": [0, 0, 0, 1, 1, 1]})
    if request.param == "file":
        path = tmp_path / "x.parquet"
        df.to_parquet(path, index=False)
    elif request.param == "dataset":
        path = tmp_path / "ds"
        path.mkdir()
        df.iloc[:3].to_parquet(path / "part-0.parquet", index=False)
        df.iloc[3:].to_parquet(path / "part-1.parquet", index=False)
    else:
        path = tmp_path / "hive"
        df.to_parquet(path, index=False, partition_cols=["k"])
    return path


@pytest.mark.parametrize("index", ["id", ["id"], ["id", "s"]])
@pytest.mark.parametrize("columns", [None, ["v"]])
@pytest.mark.parametrize("filters", [None, [("v", ">", 1.5)]])
def test_index_column_is_the_index_only(stored, index, columns, filters):
    ddf = fastpq.dask.read_parquet(stored, index=index, columns=columns, filters=filters)
    got = ddf.compute()
    expected = fastpq.read_parquet(stored, index=index, columns=columns, filters=filters)
    oracle = dd.read_parquet(stored, index=index, columns=columns, filters=filters).compute()
    names = [index] if isinstance(index, str) else index
    for frame in (got, ddf._meta, expected, oracle):
        assert list(frame.index.names) == names
        assert not set(names) & set(frame.columns)
    assert list(got.columns) == list(expected.columns) == list(oracle.columns)
    key = list(got.columns)
    pd.testing.assert_frame_equal(got.sort_index()[key], expected.sort_index()[key], check_dtype=False, check_index_type=False,
                                  check_categorical=False)


def test_fastpq_read_parquet_of_a_dataset_with_index(stored):
    got = fastpq.read_parquet(stored, index="id")
    assert got.index.name == "id" and "id" not in got.columns
    assert sorted(got.index) == [1, 2, 3, 4, 5, 7]
