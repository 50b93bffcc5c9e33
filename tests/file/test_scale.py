"""Reads of many small units (issue 16): the fixed work per read, counted, never timed.

- small chunks decode in the calling thread (no pool: ``SMALL_CHUNK_ROWS``);
- the cyclic garbage collector is paused during a read and restored after it, also when the
  read fails, and left off when the caller had turned it off;
- the values are those pyarrow reads (the oracle), whichever path decoded them.
"""
from __future__ import annotations

import gc
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.file import read as file_read


def _file(tmp_path, rows: int, row_group_size: int, ncols: int = 3, nulls: bool = False):
    rng = np.random.default_rng(rows + row_group_size)
    cols = {}
    for i in range(ncols):
        values = rng.integers(0, 1 << 40, rows) if i % 2 == 0 else rng.random(rows)
        mask = (rng.random(rows) < 0.1) if nulls else None
        cols[f"c{i}"] = pa.array(values, mask=mask)
    path = tmp_path / f"f_{rows}_{row_group_size}_{ncols}_{nulls}.parquet"
    pq.write_table(pa.table(cols), path, row_group_size=row_group_size)
    return path


@pytest.mark.parametrize("rows, row_group_size, pooled", [
    (1_000_000, 1_000, False),     # 1,000 row groups of 1,000 rows: inline
    (1_000_000, 5_000, False),     # under SMALL_CHUNK_ROWS on average
    (1_000_000, 100_000, True),    # large chunks: the pool
    (100_000, 100_000, False),     # under SMALL_READ_VALUES
])
def test_pool_only_for_large_chunks(tmp_path, monkeypatch, rows, row_group_size, pooled):
    path = _file(tmp_path, rows, row_group_size)
    made = []
    real = file_read.ThreadPoolExecutor

    def counting(*args, **kwargs):
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(file_read, "ThreadPoolExecutor", counting)
    monkeypatch.setattr(file_read.os, "cpu_count", lambda: 2)
    df = fastpq.read_parquet(path)
    assert bool(made) is pooled
    pd.testing.assert_frame_equal(df, pq.read_table(path).to_pandas())


@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("row_group_size", [1, 7, 1_000, 4_096])
def test_many_row_groups_match_pyarrow(tmp_path, row_group_size, nulls):
    path = _file(tmp_path, 20_000 if row_group_size > 1 else 500, row_group_size, 4, nulls)
    expected = pq.read_table(path).to_pandas()
    for use_threads in (True, False, 2):
        pd.testing.assert_frame_equal(fastpq.read_parquet(path, use_threads=use_threads), expected)
    rgs = [0, pq.ParquetFile(path).num_row_groups - 1]
    pd.testing.assert_frame_equal(fastpq.ParquetFile(path).to_pandas(row_groups=rgs),
                                  pq.ParquetFile(path).read_row_groups(rgs).to_pandas())


@pytest.mark.parametrize("enabled", [True, False])
def test_gc_paused_during_a_read_and_restored(tmp_path, monkeypatch, enabled):
    path = _file(tmp_path, 5_000, 1_000)
    seen = []
    real = file_read._decode_flat_fields

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(file_read, "_decode_flat_fields", spy)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        fastpq.read_parquet(path)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False]


def test_gc_restored_after_a_failed_read(tmp_path):
    path = _file(tmp_path, 5_000, 1_000)
    data = bytearray(path.read_bytes())
    meta = pq.ParquetFile(path).metadata
    start = meta.row_group(2).column(1).data_page_offset
    data[start:start + 40] = b"\xff" * 40          # a damaged page header in row group 2
    was = gc.isenabled()
    gc.enable()
    try:
        with pytest.raises(fastpq.ParquetError):
            fastpq.read_parquet(io.BytesIO(bytes(data)))
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("columns", [None, ["c0"], ["c0", "c3"], ["c3", "c1"]])
@pytest.mark.parametrize("use_threads", [False, True])
def test_one_read_per_row_group_of_small_chunks(tmp_path, monkeypatch, columns, use_threads):
    """Inline reads fetch a row group's chunks with one read (``row_group_block``), not one each."""
    from fastpq.format.source import Source

    path = _file(tmp_path, 50_000, 1_000, 4, nulls=True)
    calls = []
    real = Source.read_array

    def counting(self, start, length, out=None):
        calls.append(length)
        return real(self, start, length, out=out)

    monkeypatch.setattr(Source, "read_array", counting)
    df = fastpq.read_parquet(path, columns=columns, use_threads=use_threads)
    if columns in (None, ["c3", "c1"], ["c0"]):       # adjacent chunks (c1..c3: c2 between, half the span)
        assert len(calls) == 50                       # inline either way: chunks of 1,000 rows
    else:                                             # a gap larger than the chunks: read alone
        assert 50 <= len(calls) <= 100
    pd.testing.assert_frame_equal(df, pq.read_table(path, columns=columns).to_pandas())


def test_head_and_row_group_selection_with_blocks(tmp_path):
    path = _file(tmp_path, 20_000, 1_000, 4, nulls=True)
    expected = pq.read_table(path).to_pandas()
    pf = fastpq.ParquetFile(path)
    pd.testing.assert_frame_equal(pf.head(2_500).reset_index(drop=True), expected.head(2_500))
    got = pf.to_pandas(row_groups=[3, 1, 7], use_threads=False)
    want = pq.ParquetFile(path).read_row_groups([3, 1, 7]).to_pandas()
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("ncols", [2, 50])
def test_zero_rows_read_no_chunk_bytes(tmp_path, monkeypatch, ncols):
    """A file of 0 rows (an empty row group, as pyarrow writes it): nothing of its chunks is read."""
    from fastpq.format.source import Source

    path = tmp_path / "empty.parquet"
    pq.write_table(pa.schema([(f"c{i}", pa.int64()) for i in range(ncols)]).empty_table(), path)
    calls = []
    real = Source.read_array
    monkeypatch.setattr(Source, "read_array", lambda self, *a, **k: calls.append(a) or real(self, *a, **k))
    df = fastpq.read_parquet(path)
    assert calls == []
    pd.testing.assert_frame_equal(df, pq.read_table(path).to_pandas())
