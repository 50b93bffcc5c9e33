"""Read paths that exist for speed and memory, checked against pyarrow's reading of the same files.

* categorical codes decoded straight into the integer type pandas keeps (int8/int16 from the
  pandas metadata's ``num_categories``, int16 without it), read again as int32 when a dictionary
  does not fit; codes of row groups with different dictionaries remapped in place;
* validity allocated only when a page has a null (pages of RLE runs of max_def write nothing);
* chunk bytes read into buffers that the chunks of one read share.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.column.read.flat import FlatColumn


def _write(table, path, **kw):
    pq.write_table(table, path, **kw)
    return path


def _same(path, **read):
    got = fastpq.read_parquet(path, **read)
    want = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(got, want, check_categorical=True)
    return got


@pytest.mark.parametrize("n_categories", [5, 200, 40_000])
def test_categorical_codes_have_pandas_width(tmp_path, n_categories):
    rng = np.random.default_rng(n_categories)
    cats = [f"c{i:06d}" for i in range(n_categories)]
    codes = rng.integers(-1, n_categories, 50_000)
    df = pd.DataFrame({"c": pd.Categorical.from_codes(codes, cats)})
    path = _write(pa.Table.from_pandas(df), tmp_path / "c.parquet", row_group_size=7_000, data_page_size=2_000)
    got = _same(path)
    assert got["c"].cat.codes.dtype == pd.Categorical.from_codes([0], cats).codes.dtype


def test_row_groups_with_different_dictionaries_are_remapped(tmp_path):
    # each row group's dictionary in first-seen order of its own rows, some categories absent
    parts = [pd.DataFrame({"c": pd.Series(list(s), dtype="category")}) for s in ("abca", "cxb", "zzz", "ba")]
    tables = [pa.Table.from_pandas(p, preserve_index=False) for p in parts]
    with pq.ParquetWriter(tmp_path / "d.parquet", tables[0].schema) as w:
        for t in tables:
            w.write_table(t.cast(tables[0].schema))
    got = fastpq.read_parquet(tmp_path / "d.parquet")
    assert got["c"].astype(str).tolist() == list("abcacxbzzzba")
    want = pq.read_table(tmp_path / "d.parquet").to_pandas()
    assert got["c"].astype(str).tolist() == want["c"].astype(str).tolist()


def _lying_num_categories(path, out, n):
    """A copy of ``path`` whose pandas metadata says the categorical has ``n`` categories."""
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"pandas"])
    for col in meta["columns"]:
        if col["pandas_type"] == "categorical":
            col["metadata"]["num_categories"] = n
    table = table.replace_schema_metadata({b"pandas": json.dumps(meta).encode()})
    pq.write_table(table, out, row_group_size=3_000)
    return out


def test_dictionary_larger_than_metadata_says_is_read_again_wider(tmp_path):
    cats = [f"v{i}" for i in range(300)]
    df = pd.DataFrame({"c": pd.Categorical.from_codes(np.arange(10_000) % 300, cats)})
    src = _write(pa.Table.from_pandas(df), tmp_path / "src.parquet")
    path = _lying_num_categories(src, tmp_path / "lie.parquet", 3)   # int8 guess, 300 entries
    got = fastpq.read_parquet(path)
    assert got["c"].astype(str).tolist() == [cats[i % 300] for i in range(10_000)]
    assert got["c"].cat.codes.dtype == np.int16


def test_categories_argument_without_metadata_and_a_big_dictionary(tmp_path):
    values = [f"s{i}" for i in range(40_000)] * 2          # > 32767 entries: the int16 guess is too narrow
    path = _write(pa.table({"s": values}), tmp_path / "s.parquet", dictionary_pagesize_limit=10 << 20)
    got = fastpq.read_parquet(path, categories=["s"])
    assert got["s"].dtype == "category"
    assert got["s"].cat.codes.dtype == np.int32
    assert got["s"].astype(str).tolist() == values


@pytest.mark.parametrize("use_threads", [False, True])
def test_nulls_only_in_late_pages(tmp_path, use_threads):
    n = 60_000
    f = np.arange(n, dtype=np.float64)
    mask = np.zeros(n, bool)
    mask[-5:] = True                                      # nulls in the last page of the last row group only
    s = np.array([f"x{i}" for i in range(n)], dtype=object)
    table = pa.table({"f": pa.array(f, mask=mask), "i": pa.array(np.arange(n), mask=mask),
                      "s": pa.array(s, mask=mask), "g": pa.array(f)})
    path = _write(table, tmp_path / "late.parquet", row_group_size=10_000, data_page_size=4_000)
    got = fastpq.read_parquet(path, use_threads=use_threads)
    want = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(got, want)
    assert got["f"].isna().sum() == 5 and got["i"].isna().sum() == 5


def test_optional_column_without_nulls_allocates_no_validity(tmp_path, monkeypatch):
    path = _write(pa.table({"x": np.arange(20_000)}), tmp_path / "x.parquet", row_group_size=5_000)
    seen = []
    original = FlatColumn.decoded

    def spy(self):
        seen.append(self.valid)
        return original(self)

    monkeypatch.setattr(FlatColumn, "decoded", spy)
    assert fastpq.read_parquet(path)["x"].tolist() == list(range(20_000))
    assert seen == [None]


def test_many_chunks_share_read_buffers(tmp_path):
    # row groups of growing then shrinking size: a buffer reused for a smaller chunk keeps
    # stale bytes past the chunk's end, which must never be read
    rng = np.random.default_rng(3)
    tables = [pa.table({"a": rng.integers(0, 1 << 40, k), "s": [f"{v}" for v in rng.integers(0, 99, k)]})
              for k in (10, 5_000, 20_000, 7, 3_000, 1)]
    with pq.ParquetWriter(tmp_path / "m.parquet", tables[0].schema, compression="snappy") as w:
        for t in tables:
            w.write_table(t)
    for threads in (False, True):
        got = fastpq.read_parquet(tmp_path / "m.parquet", use_threads=threads)
        pd.testing.assert_frame_equal(got, pq.read_table(tmp_path / "m.parquet").to_pandas())
