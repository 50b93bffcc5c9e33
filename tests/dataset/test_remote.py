"""fsspec URLs: memory://, file://, a filesystem object; ranged reads of footers and column chunks."""
from __future__ import annotations

import io

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq


@pytest.fixture
def memfs():
    fs = fsspec.filesystem("memory")
    root = "/fastpq-test-ds"
    if fs.exists(root):
        fs.rm(root, recursive=True)
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def _put(fs, path, table, **kwargs):
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)
    fs.pipe_file(path, buf.getvalue())
    return buf.getvalue()


class _Counter:
    """Records cat_file byte ranges and open() calls of one fsspec file system instance."""

    def __init__(self, fs, monkeypatch):
        self.ranges, self.opens = [], []
        cat_file, open_ = fs.cat_file, fs.open

        def counted_cat(path, start=None, end=None, **kw):
            self.ranges.append((path, start, end))
            return cat_file(path, start=start, end=end, **kw)

        def counted_open(path, *args, **kw):
            self.opens.append(path)
            return open_(path, *args, **kw)

        monkeypatch.setattr(fs, "cat_file", counted_cat)
        monkeypatch.setattr(fs, "open", counted_open)

    @property
    def bytes(self) -> int:
        return sum(e - s for _, s, e in self.ranges if s is not None and e is not None)


def test_memory_dataset_matches_local(memfs, tmp_path):
    fs, root = memfs
    tables = {}
    for k in ("a", "b"):
        for i in range(3):
            t = pa.table({"x": np.arange(i * 10, i * 10 + 10), "y": np.random.default_rng(i).random(10)})
            _put(fs, f"{root}/k={k}/part-{i}.parquet", t)
            (tmp_path / f"k={k}").mkdir(exist_ok=True)
            pq.write_table(t, tmp_path / f"k={k}" / f"part-{i}.parquet")
            tables[(k, i)] = t
    fs.pipe_file(f"{root}/_SUCCESS", b"")
    expected = pd.read_parquet(tmp_path)
    pd.testing.assert_frame_equal(fastpq.read_parquet(f"memory://{root}"), expected)
    pd.testing.assert_frame_equal(fastpq.read_parquet(root, filesystem=fs), expected)
    pd.testing.assert_frame_equal(fastpq.read_parquet(f"memory://{root}", filters=[("k", "==", "b"), ("x", ">", 15)]),
                                  pd.read_parquet(tmp_path, filters=[("k", "==", "b"), ("x", ">", 15)]))
    got = fastpq.read_parquet([f"memory://{root}/k=a/part-0.parquet", f"memory://{root}/k=b/part-2.parquet"])
    assert got["x"].tolist() == list(range(10)) + list(range(20, 30))


def test_footers_and_chunks_are_byte_ranges(memfs, monkeypatch):
    fs, root = memfs
    n = 20_000
    wide = pa.table({f"c{j}": np.random.default_rng(j).random(n) for j in range(8)})
    sizes = [len(_put(fs, f"{root}/part-{i}.parquet", wide, row_group_size=5_000)) for i in range(4)]
    counter = _Counter(fs, monkeypatch)
    dataset = fastpq.ParquetDataset(f"memory://{root}")
    assert dataset.num_rows == 4 * n
    footer_reads = list(counter.ranges)
    assert len(footer_reads) == 4 and not counter.opens                    # one tail read per file
    assert all(e - s <= 64 * 1024 for _, s, e in footer_reads)
    counter.ranges.clear()
    df = dataset.to_pandas(columns=["c3"])
    assert len(df) == 4 * n and not counter.opens
    assert len(counter.ranges) == 4 * 4                                    # one range per column chunk
    assert counter.bytes < sum(sizes) / 6                                  # one column of eight
    counter.ranges.clear()
    df = dataset.to_pandas(columns=["c3"], filters=[("c3", "<", -1.0)])   # statistics prune everything
    assert len(df) == 0 and not counter.ranges


def test_storage_options_reach_fsspec(monkeypatch, memfs):
    fs, root = memfs
    _put(fs, f"{root}/p.parquet", pa.table({"a": [1, 2, 3]}))
    seen = {}
    real = fsspec.core.url_to_fs

    def spy(url, **kwargs):
        seen.update(kwargs)
        return real(url, **kwargs)

    monkeypatch.setattr(fsspec.core, "url_to_fs", spy)
    got = fastpq.read_parquet(f"memory://{root}", storage_options={"skip_instance_cache": True})
    assert got["a"].tolist() == [1, 2, 3] and seen.get("skip_instance_cache") is True


def test_page_index_reads_only_some_pages(memfs, monkeypatch):
    fs, root = memfs
    n = 100_000
    t = pa.table({"x": np.arange(n), "y": np.arange(n) * 0.5})
    size = len(_put(fs, f"{root}/sorted.parquet", t, write_page_index=True, data_page_size=8 * 1024,
                    use_dictionary=False, row_group_size=n))
    counter = _Counter(fs, monkeypatch)
    dataset = fastpq.ParquetDataset(f"memory://{root}/sorted.parquet")
    assert dataset.num_rows == n                                            # the footer: one tail read
    counter.ranges.clear()
    filters = [("x", ">=", 70_000), ("x", "<", 70_010)]
    got = dataset.to_pandas(filters=filters)
    assert got["x"].tolist() == list(range(70_000, 70_010))
    assert counter.bytes < size / 50, (counter.bytes, size)                 # the index and a page or two
