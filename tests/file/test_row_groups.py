"""Row-group reading: iter_row_groups, head, count and row-group views (pf[i], pf[a:b])."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.column.read import chunk as chunk_read
from fastpq.file import read as reading
from fastpq.column.read.flat import FlatColumn
from tests.conftest import TEST_DATA, committed_files, relative
from tests._oracles import assert_same
from tests.file.test_corpus_read import KNOWN


def _flat_committed():
    out = []
    for p in committed_files():
        pf = fastpq.ParquetFile(p)
        if all(f.is_leaf and f.max_rep == 0 for f in pf.schema.fields):
            out.append(p)
    return out


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    """5 row groups of 1000 rows, pages of ~100 rows; nulls in some columns."""
    n = 5000
    r = np.random.default_rng(11)
    t = pa.table({
        "i": pa.array(np.arange(n)),
        "f": pa.array(r.normal(size=n)),
        "s": pa.array([None if k % 7 == 0 else f"s{k % 13}" for k in range(n)]),
        "cat": pa.array([f"c{k % 5}" for k in range(n)]).dictionary_encode(),
        "ts": pa.array(np.arange(n) * 10**9, pa.timestamp("ns", tz="Europe/Paris")),
        "b": pa.array([k % 3 == 0 for k in range(n)]),
    })
    path = tmp_path_factory.mktemp("rg") / "multi.parquet"
    pq.write_table(t, path, row_group_size=1000, data_page_size=800, write_batch_size=100)
    return path


@pytest.mark.parametrize("path", [p for p in _flat_committed() if p.name not in KNOWN], ids=relative)
def test_iter_row_groups_is_pyarrow_read_row_group(path):
    ref = pq.ParquetFile(path)
    expected = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = [ref.read_row_group(i).to_pandas() for i in range(ref.num_row_groups)]
    except Exception:  # noqa: BLE001 - pyarrow cannot read it: nothing to compare against
        pytest.skip("pyarrow cannot read this file")
    pf = fastpq.ParquetFile(path)
    frames = list(pf.iter_row_groups())
    assert len(frames) == pf.num_row_groups == len(expected)
    for i, got in enumerate(frames):
        assert_same(got, expected[i])
        assert_same(got, pf.to_pandas(row_groups=[i]))
        assert pf[i].count() == len(got)


@pytest.mark.parametrize("path", _flat_committed(), ids=relative)
def test_count_is_the_row_count(path):
    pf = fastpq.ParquetFile(path)
    assert pf.count() == pf.num_rows == sum(rg.num_rows for rg in pf.row_groups)


@pytest.mark.parametrize("n", [0, 1, 5, 99, 100, 101, 999, 1000, 1001, 4321, 5000, 7000])
def test_head_equals_the_first_rows(multi, n):
    pf = fastpq.ParquetFile(multi)
    full = pf.to_pandas()
    got = pf.head(n)
    expected = pq.read_table(multi).slice(0, n).to_pandas()  # dtypes follow the rows held, as here
    if n:  # (head(0) reads no row group, so no dictionary: its categories are empty)
        assert_same(got, expected)
    assert list(got.columns) == list(full.columns) and len(got) == min(n, len(full))
    assert got.index.equals(full.index[:n])
    assert got.reset_index(drop=True).astype(object).equals(full.head(n).reset_index(drop=True).astype(object))


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_head_with_backends(multi, backend):
    got = fastpq.ParquetFile(multi).head(1234, dtype_backend=backend, columns=["s", "cat", "ts"])
    expected = pq.read_table(multi, columns=["s", "cat", "ts"]).slice(0, 1234).to_pandas(
        types_mapper=pd.ArrowDtype if backend == "pyarrow" else None)
    if backend == "numpy_nullable":
        expected = pd.read_parquet(multi, columns=["s", "cat", "ts"], dtype_backend=backend).head(1234)
    assert [str(t) for t in got.dtypes] == [str(t) for t in expected.dtypes]
    assert got.astype(str).equals(expected.astype(str))


def _count_decoding(monkeypatch):
    pages, chunks = [], []
    original_page = FlatColumn._data_page
    original_chunk = chunk_read.decode_chunk

    def spy_page(self, page, *args):
        pages.append((self.leaf.name, page.offset))
        return original_page(self, page, *args)

    def spy_chunk(pf, col, rgs, starts, k, verify, *rest):
        chunks.append((col.leaf.name, rgs[k]))
        return original_chunk(pf, col, rgs, starts, k, verify, *rest)

    monkeypatch.setattr(FlatColumn, "_data_page", spy_page)
    monkeypatch.setattr(chunk_read, "decode_chunk", spy_chunk)  # decode_chunks calls it
    monkeypatch.setattr(reading, "decode_chunk", spy_chunk)
    return pages, chunks


def test_head_reads_only_the_row_groups_and_pages_it_needs(multi, monkeypatch):
    pf = fastpq.ParquetFile(multi)
    pages, chunks = _count_decoding(monkeypatch)
    pf.to_pandas(columns=["i"])
    all_pages = len(pages)
    assert all_pages >= 20  # ~200-row pages: the test means something
    pages.clear()
    chunks.clear()
    got = pf.head(150, columns=["i"])
    assert got["i"].tolist() == list(range(150))
    assert {rg for _, rg in chunks} == {0}
    assert len(pages) <= 3
    pages.clear()
    chunks.clear()
    pf.head(2500, columns=["i"])
    assert {rg for _, rg in chunks} == {0, 1, 2}
    assert len(pages) < all_pages * 3 // 5


def test_head_of_nested_columns():
    path = TEST_DATA / "pyarrow_nested_v1_snappy.parquet"
    pf = fastpq.ParquetFile(path)
    try:
        full = pf.to_pandas()
    except fastpq.UnsupportedFeatureError:
        pytest.skip("nested columns are not read yet")
    got = pf.head(7)
    assert len(got) == 7
    assert got.astype(str).equals(full.head(7).astype(str))


def test_head_argument_checked(multi):
    with pytest.raises(ValueError):
        fastpq.ParquetFile(multi).head(-1)


def test_views(multi):
    pf = fastpq.ParquetFile(multi)
    full = pf.to_pandas()
    v = pf[1:3]
    assert isinstance(v, fastpq.ParquetFileView)
    assert v.row_group_indices == [1, 2] and v.num_row_groups == 2 and v.count() == 2000 == v.num_rows
    assert_same(v.to_pandas(), pf.to_pandas(row_groups=[1, 2]))
    assert v.to_pandas()["i"].tolist() == list(range(1000, 3000))
    assert [len(d) for d in v.iter_row_groups()] == [1000, 1000]
    assert v.head(3)["i"].tolist() == [1000, 1001, 1002]
    assert v.head(3).index.tolist() == [0, 1, 2]  # a subset: fresh RangeIndex, as pyarrow gives
    assert v[1].row_group_indices == [2] and v[-1].to_pandas()["i"].iloc[0] == 2000
    assert v.to_pandas(row_groups=[1])["i"].iloc[0] == 2000  # row groups are relative to the view
    assert pf[-1].row_group_indices == [4] and pf[::2].row_group_indices == [0, 2, 4]
    assert pf[[4, 0]].to_pandas()["i"].iloc[[0, -1]].tolist() == [4000, 999]
    assert pf[:].to_pandas().equals(full)
    assert [w.row_group_indices for w in pf] == [[0], [1], [2], [3], [4]]
    assert v.schema is pf.schema and v.columns == pf.columns and "row groups [1, 2]" in repr(v)
    assert v.statistics["min"]["i"] == [1000, 2000] and len(pf.statistics["min"]["i"]) == 5
    assert pf[5:].count() == 0 and len(pf[5:].to_pandas()) == 0
    with pytest.raises(IndexError):
        pf[5]
    with pytest.raises(IndexError):
        v[2]
    with pytest.raises(TypeError):
        pf["a"]


def test_view_of_empty_file():
    pf = fastpq.ParquetFile(TEST_DATA / "polars_empty_0rows.parquet")
    assert pf.count() == 0 and list(pf.iter_row_groups()) == []
    assert len(pf.head(5)) == 0 and list(pf.head(5).columns) == list(pf.to_pandas().columns)
