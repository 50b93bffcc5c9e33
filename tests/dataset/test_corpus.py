"""Datasets of the shared corpus read as pandas.read_parquet / pyarrow.dataset read them."""
from __future__ import annotations

import glob

import pandas as pd
import pytest

import fastpq
from fastpq.dataset.read import ParquetDataset
from tests.conftest import FASTPARQUET_DATA, needs_corpus

pytestmark = needs_corpus
DATASETS = ["split", "multi_rgs_pyarrow", "spark-date-empty-rg.parq", "dir_metadata"]
BACKENDS = [None, "numpy_nullable", "pyarrow"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", DATASETS)
def test_matches_pandas(name, backend):
    path = FASTPARQUET_DATA / name
    kwargs = {} if backend is None else {"dtype_backend": backend}
    pd.testing.assert_frame_equal(fastpq.read_parquet(path, **kwargs), pd.read_parquet(path, **kwargs))


@pytest.mark.parametrize("name", DATASETS)
def test_matches_pandas_as_url_and_string(name):
    path = FASTPARQUET_DATA / name
    expected = pd.read_parquet(path)
    pd.testing.assert_frame_equal(fastpq.read_parquet(f"file://{path}"), expected)
    pd.testing.assert_frame_equal(fastpq.ParquetDataset(str(path)).to_pandas(), expected)


def test_evo_unifies_schemas_as_pyarrow_does():
    """evo/ adds a column in one file: fastpq unifies every file's schema (pyarrow.dataset
    takes the first file's unless given the unified one, which gives the same frame)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    path = FASTPARQUET_DATA / "evo"
    files = sorted(glob.glob(str(path / "*")))
    unified = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    expected = ds.dataset(path, schema=unified).to_table().to_pandas()
    got = fastpq.read_parquet(path)
    pd.testing.assert_frame_equal(got, expected)
    assert got["email"].notna().sum() == 1
    # the columns of the first file alone equal pandas.read_parquet's (first-file schema)
    pd.testing.assert_frame_equal(got[["name", "age"]], pd.read_parquet(path))


def test_split_reads_through_metadata_without_footers(monkeypatch):
    """split/ has _metadata: the row groups and file paths come from it, no part footer is read."""
    from fastpq.dataset import footers as footers_module

    def no_footers(*args, **kwargs):
        raise AssertionError("a part file's footer was read")

    monkeypatch.setattr(footers_module, "open_footer", no_footers)
    path = FASTPARQUET_DATA / "split"
    dataset = ParquetDataset(path)
    assert len(dataset.files) == 48 and dataset.partition_columns == ["cat", "catnum"]
    assert dataset.num_rows == 2000
    got = dataset.to_pandas(filters=[("cat", "==", "freda"), ("num", ">", 1000)])
    expected = pd.read_parquet(path, filters=[("cat", "==", "freda"), ("num", ">", 1000)])
    pd.testing.assert_frame_equal(got, expected)


def test_split_metadata_and_listing_agree():
    path = FASTPARQUET_DATA / "split"
    via_metadata = ParquetDataset(path).to_pandas()
    via_listing = ParquetDataset(path, use_metadata=False).to_pandas()
    pd.testing.assert_frame_equal(via_metadata, via_listing)
    pd.testing.assert_frame_equal(fastpq.read_parquet(path / "_metadata"), via_metadata)


@pytest.mark.parametrize("filters", [
    [("catnum", "in", [1, 3])],
    [("cat", "!=", "fred"), ("num", "<", 500)],
    [[("num", "<", 10)], [("catnum", "==", 2), ("num", ">=", 1990)]],
    [("catnum", ">", 5)],
    [("num", ">", 10**6)],
])
def test_split_filters_match_pandas(filters):
    path = FASTPARQUET_DATA / "split"
    pd.testing.assert_frame_equal(fastpq.read_parquet(path, filters=filters), pd.read_parquet(path, filters=filters))


@pytest.mark.parametrize("columns", [["num"], ["catnum", "num"], ["cat"], []])
def test_split_columns_match_pandas(columns):
    path = FASTPARQUET_DATA / "split"
    pd.testing.assert_frame_equal(fastpq.read_parquet(path, columns=columns), pd.read_parquet(path, columns=columns))


def test_multi_rgs_filters_and_row_groups():
    path = FASTPARQUET_DATA / "multi_rgs_pyarrow"
    for filters in ([("a", ">", 4)], [("b", "==", "lo"), ("a", "not in", [1, 2])], [("a", "is not", None)]):
        expected = pd.read_parquet(path, filters=filters) if filters[0][1] != "is not" else pd.read_parquet(path)
        pd.testing.assert_frame_equal(fastpq.read_parquet(path, filters=filters), expected)
    dataset = ParquetDataset(path)
    assert dataset.num_row_groups == sum(dataset.file(i).num_row_groups for i in range(len(dataset)))


def test_spark_empty_row_group_and_dates():
    path = FASTPARQUET_DATA / "spark-date-empty-rg.parq"
    import datetime

    for filters in ([("id", "==", 2)], [("Date", ">=", datetime.date(2020, 1, 2))]):
        pd.testing.assert_frame_equal(fastpq.read_parquet(path, filters=filters),
                                      pd.read_parquet(path, filters=filters))
