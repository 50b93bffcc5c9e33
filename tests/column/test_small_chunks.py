"""Many small column chunks (issue 16): the per-page and per-chunk fast paths give what pyarrow
reads, for every codec, with and without dictionaries, with nulls; the work per page is bounded by
counting (one codec call per page, the general decompress path unused)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.format import compression, pages

CODECS = ["none", "snappy", "gzip", "zstd", "lz4", "brotli"]


def _frame(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ints = rng.integers(0, 50, n)
    return pd.DataFrame({
        "i64": rng.integers(-(1 << 40), 1 << 40, n),
        "low": ints.astype("int32"),
        "f64": np.where(ints % 7 == 0, np.nan, rng.random(n)),
        "s": pd.array([None if v % 5 == 0 else f"v{v}" for v in ints], dtype="str"),
        "b": ints % 3 == 0,
    })


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("row_group_size", [1, 7, 100])
def test_small_row_groups_match_pyarrow(tmp_path, codec, dictionary, row_group_size):
    df = _frame(300 if row_group_size == 1 else 600)
    path = tmp_path / "f.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression=codec,
                   use_dictionary=dictionary, row_group_size=row_group_size, data_page_size=256)
    got = fastpq.read_parquet(path)
    want = pd.read_parquet(path, engine="pyarrow")
    pd.testing.assert_frame_equal(got, want)
    some = fastpq.read_parquet(path, columns=["f64", "s"])   # a subset: chunks not adjacent
    pd.testing.assert_frame_equal(some, want[["f64", "s"]])


@pytest.mark.parametrize("codec", ["snappy", "zstd", "gzip"])
def test_one_codec_call_per_page(tmp_path, monkeypatch, codec):
    df = _frame()
    path = tmp_path / "f.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression=codec,
                   row_group_size=50, data_page_size=128)
    calls = {"page": 0, "general": 0, "check_size": 0}
    real_page, real_general, real_check = compression.decompress_page, compression.decompress, compression.check_size

    def count(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(compression, "decompress_page", count("page", real_page))
    monkeypatch.setattr(compression, "decompress", count("general", real_general))
    monkeypatch.setattr(compression, "check_size", count("check_size", real_check))
    got = fastpq.read_parquet(path)
    pd.testing.assert_frame_equal(got, pd.read_parquet(path, engine="pyarrow"))
    n_pages = 0
    meta = pq.ParquetFile(path).metadata
    with open(path, "rb") as f:
        raw = np.frombuffer(f.read(), np.uint8)
    for i in range(meta.num_row_groups):
        for j in range(meta.num_columns):
            c = meta.row_group(i).column(j)
            start = c.dictionary_page_offset or c.data_page_offset
            chunk = raw[start:start + c.total_compressed_size]
            n_pages += sum(1 for _ in pages.page_headers(chunk, start, c.num_values))
    assert calls == {"page": n_pages, "general": 0, "check_size": 0}


@pytest.mark.parametrize("codec", ["none", "snappy"])
def test_iter_pages_takes_any_buffer(tmp_path, codec):
    """bytes, a strided array or another dtype are made one C-contiguous uint8 array first."""
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"x": np.arange(1000, dtype=np.int64) % 17}), path, compression=codec)
    c = pq.ParquetFile(path).metadata.row_group(0).column(0)
    start = c.dictionary_page_offset or c.data_page_offset
    raw = path.read_bytes()[start:start + c.total_compressed_size]
    arr = np.frombuffer(raw, np.uint8)
    strided = np.repeat(arr, 2)[::2]
    widened = np.frombuffer(raw + b"\0" * (-len(raw) % 4), np.int32)   # viewed as its bytes

    def walk(chunk):
        return [(type(p).__name__, p.num_values, p.buf.tobytes())
                for p in pages.iter_pages(chunk, start, c.compression == "SNAPPY" and compression.SNAPPY or 0,
                                          1, 0, c.num_values)]

    want = walk(arr)
    assert [k for k, _, _ in want][0] == "DictionaryPage"
    for chunk in (raw, bytearray(raw), memoryview(raw), strided, widened):
        assert walk(chunk) == want
