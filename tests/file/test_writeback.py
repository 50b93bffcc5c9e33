"""Background writeback of finished row groups (``file/writer._Writeback``): the bytes are
those written without it, a failed sync fails the write and leaves the target as it was,
small files are synced once (counted, never timed)."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.file import writer as fwriter


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"i": rng.integers(0, 1 << 40, n), "f": rng.random(n)})


@pytest.fixture
def syncs(monkeypatch):
    calls = []
    real = os.fdatasync

    def counting(fd):
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(fwriter.os, "fdatasync", counting)
    return calls


@pytest.mark.parametrize("min_bytes", [0, 1 << 20, 1 << 40])
def test_same_bytes_with_and_without_writeback(tmp_path, monkeypatch, syncs, min_bytes):
    df = _frame(200_000)
    fastpq.write(tmp_path / "ref.parquet", df, row_group_offsets=10_000, compression=None)
    monkeypatch.setattr(fwriter._Writeback, "MIN_BYTES", min_bytes)
    syncs.clear()
    fastpq.write(tmp_path / "x.parquet", df, row_group_offsets=10_000, compression=None)
    assert (tmp_path / "x.parquet").read_bytes() == (tmp_path / "ref.parquet").read_bytes()
    assert (len(syncs) > 0) == (min_bytes < 1 << 40)
    pd.testing.assert_frame_equal(pq.read_table(tmp_path / "x.parquet").to_pandas(), df)


def test_small_file_one_sync(tmp_path, syncs):
    fastpq.write(tmp_path / "x.parquet", _frame(1000), row_group_offsets=100)
    assert syncs == []                                    # under MIN_BYTES: only the final fsync


def test_streaming_writer_syncs_between_writes(tmp_path, monkeypatch, syncs):
    monkeypatch.setattr(fwriter._Writeback, "MIN_BYTES", 0)
    df = _frame(30_000)
    with fastpq.ParquetWriter(tmp_path / "x.parquet", df) as w:
        for k in range(3):
            w.write(df.iloc[k * 10_000:(k + 1) * 10_000])
    assert len(syncs) >= 1
    pd.testing.assert_frame_equal(pq.read_table(tmp_path / "x.parquet").to_pandas(), df)


def test_failed_sync_fails_the_write(tmp_path, monkeypatch):
    target = tmp_path / "x.parquet"
    target.write_bytes(b"old contents")
    monkeypatch.setattr(fwriter._Writeback, "MIN_BYTES", 0)

    def failing(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(fwriter.os, "fdatasync", failing)
    with pytest.raises(OSError):
        fastpq.write(target, _frame(50_000), row_group_offsets=10_000)
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.parquet"]   # no temporary file left


def test_file_objects_and_urls_have_no_writeback(tmp_path, monkeypatch, syncs):
    monkeypatch.setattr(fwriter._Writeback, "MIN_BYTES", 0)
    with open(tmp_path / "x.parquet", "wb") as f:
        fastpq.write(f, _frame(30_000), row_group_offsets=10_000)
    assert syncs == []
    assert pq.read_table(tmp_path / "x.parquet").num_rows == 30_000
