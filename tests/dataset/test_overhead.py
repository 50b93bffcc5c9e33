"""Per-file work of dataset reads, counted (no clocks): pandas metadata is parsed once per file,
not once per part and column; results checked against pandas.read_parquet (pyarrow)."""
import numpy as np
import pandas as pd
import pytest

import fastpq
import fastpq.dataset.read as dataset_read


def _write_files(root, n_files, dtypes):
    root.mkdir()
    for i in range(n_files):
        rng = np.random.default_rng(i)
        df = pd.DataFrame({f"c{k}": pd.array(rng.integers(0, 100, 7 + i), dtype=d) for k, d in enumerate(dtypes)})
        df.to_parquet(root / f"part.{i:03d}.parquet", engine="pyarrow", index=False)
    return root


@pytest.mark.parametrize("n_files", [1, 2, 12])
@pytest.mark.parametrize("dtypes", [("int64", "float64", "int32"), ("Int64", "int64", "Int32"), ("Int8",)])
def test_pandas_meta_parsed_once_per_file(tmp_path, monkeypatch, n_files, dtypes):
    root = _write_files(tmp_path / "ds", n_files, dtypes)
    calls = []
    real = dataset_read.PandasMeta

    def counting(raw):
        calls.append(1)
        return real(raw)

    monkeypatch.setattr(dataset_read, "PandasMeta", counting)
    ds = fastpq.ParquetDataset(str(root))
    got = ds.to_pandas()
    assert len(calls) <= n_files          # was files x (columns + 2)
    got2 = ds.to_pandas(filters=[("c0", ">=", 0)])
    assert len(calls) <= n_files          # a second read reuses them
    expected = pd.read_parquet(root, engine="pyarrow")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert [str(d) for d in got.dtypes] == [str(d) for d in fastpq.read_parquet(root / "part.000.parquet").dtypes]
    pd.testing.assert_frame_equal(got2, got)


def test_one_footer_parse_per_file_and_no_pool_for_small_files(tmp_path, monkeypatch):
    """300-file shape in small: each footer is parsed once per dataset (plan and read share it), a
    second read parses none, and small local files are read without a thread pool (measured: they
    only contend for the GIL, fastpq.dataset.read.SMALL_PIECE_VALUES)."""
    import concurrent.futures

    import fastpq.file.reader as reader

    n_files = 10
    root = _write_files(tmp_path / "ds", n_files, ("int64", "float64"))
    counts = {"parse": 0, "pool": 0}
    real_parse = reader.parse_file_metadata
    real_pool = concurrent.futures.ThreadPoolExecutor.__init__

    def parse(*a, **k):
        counts["parse"] += 1
        return real_parse(*a, **k)

    def pool(self, *a, **k):
        counts["pool"] += 1
        return real_pool(self, *a, **k)

    monkeypatch.setattr(reader, "parse_file_metadata", parse)
    monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "__init__", pool)
    ds = fastpq.ParquetDataset(str(root))
    got = ds.to_pandas()
    assert counts == {"parse": n_files, "pool": 0}
    ds.to_pandas(columns=["c1"], filters=[("c0", "<", 50)])
    assert counts == {"parse": n_files, "pool": 0}
    pd.testing.assert_frame_equal(got, pd.read_parquet(root, engine="pyarrow"))
