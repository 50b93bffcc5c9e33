"""The test oracles, in one place: pandas.read_parquet (pyarrow engine) for every dtype_backend, and pyarrow,
duckdb and polars reading a file or a dataset fastpq wrote (plus pyarrow's own file of the same frame, and
pyarrow's view of the statistics). Scenario frames and their canonical forms stay beside their tests
(tests/append/_helpers.py, tests/dataset/_helpers.py)."""
from __future__ import annotations

import hashlib
import io
import math
import uuid
import warnings

import numpy as np

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import fastpq

BACKENDS = [None, "numpy_nullable", "pyarrow"]


def _kw(backend) -> dict:
    return {} if backend is None else {"dtype_backend": backend}


def pandas_read(path, backend=None, **kw):
    """pandas.read_parquet's frame, or None when pyarrow cannot read it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.read_parquet(path, **_kw(backend), **kw)
        except Exception:  # noqa: BLE001 - pyarrow refuses it: not a conformance case
            return None


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """assert_frame_equal, falling back to comparing Arrow data where pandas cannot compare
    (values such as dates beyond year 9999 that have no Python object)."""
    try:
        pd.testing.assert_frame_equal(got, expected)
    except AssertionError:
        raise
    except (OverflowError, ValueError, NotImplementedError):  # pandas cannot compare these values
        assert list(got.columns) == list(expected.columns)
        assert [str(t) for t in got.dtypes] == [str(t) for t in expected.dtypes]
        pd.testing.assert_index_equal(got.index, expected.index)
        for c in got.columns:
            left, right = pa.chunked_array(pa.array(got[c])), pa.chunked_array(pa.array(expected[c]))
            assert left.combine_chunks().equals(right.combine_chunks()), c


def assert_matches_pandas(path, backend=None, **kw) -> bool:
    """fastpq.read_parquet(path) equals pandas.read_parquet(path), for the whole file when pandas
    reads it, else column by column (columns pandas cannot read are skipped). False when pandas
    reads nothing of it."""
    expected = pandas_read(path, backend, **kw)
    if expected is not None:
        assert_same(fastpq.read_parquet(path, **_kw(backend), **kw), expected)
        return True
    compared = False
    for name in fastpq.ParquetFile(path).columns:
        expected = pandas_read(path, backend, columns=[name], **kw)
        if expected is not None:
            assert_same(fastpq.read_parquet(path, columns=[name], **_kw(backend), **kw), expected)
            compared = True
    return compared


def read_pyarrow(path, row_groups=None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    table = pf.read() if row_groups is None else pf.read_row_groups(row_groups)
    return table.to_pandas()


def sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_pyarrow_dir(root, filesystem=None) -> pd.DataFrame:
    import pyarrow.dataset as ds

    return ds.dataset(root, partitioning="hive", filesystem=filesystem).to_table().to_pandas()


def read_pyarrow_metadata(root, filesystem=None) -> pd.DataFrame:
    import pyarrow.dataset as ds

    return ds.parquet_dataset(f"{root}/_metadata", partitioning="hive", filesystem=filesystem).to_table().to_pandas()


def read_duckdb_dir(root) -> pd.DataFrame:
    import duckdb

    return duckdb.sql(f"SELECT * FROM read_parquet('{root}/**/*.parquet', hive_partitioning=true)").df()


def read_polars_dir(root) -> pd.DataFrame:
    import polars as pl

    return pl.read_parquet(f"{root}/**/*.parquet", hive_partitioning=True).to_pandas()


def write_bytes(df, **options) -> bytes:
    """fastpq's file for ``df`` as bytes (written through a file-like object)."""
    sink = io.BytesIO()
    fastpq.write(sink, df, **options)
    return sink.getvalue()


def pyarrow_roundtrip(df, tmp_path, **options) -> pd.DataFrame:
    """Write with fastpq to a file, read it back with pyarrow's to_pandas()."""
    path = tmp_path / "fastpq.parquet"
    fastpq.write(path, df, **options)
    return pq.read_table(path).to_pandas()


def pyarrow_reference(df, tmp_path, **options) -> pd.DataFrame:
    """What pyarrow gives for its own file of ``df`` (the behaviour to match)."""
    path = tmp_path / "pyarrow.parquet"
    pq.write_table(pa.Table.from_pandas(df), path, **options)
    return pq.read_table(path).to_pandas()


def _pyarrow_value(v):
    if isinstance(v, pd.Timestamp):
        return v
    return v


def check_statistics(path, df: pd.DataFrame) -> None:
    """Per row group and flat column: pyarrow's statistics agree with the data."""
    md = pq.ParquetFile(path).metadata
    start = 0
    names = [md.schema.column(i).path for i in range(md.num_columns)]
    for r in range(md.num_row_groups):
        rg = md.row_group(r)
        part = df.iloc[start:start + rg.num_rows]
        start += rg.num_rows
        for i, name in enumerate(names):
            if "." in name or name not in part.columns:
                continue
            stats = rg.column(i).statistics
            s = part[name]
            _check_column(stats, s, name)


def _check_column(stats, s: pd.Series, name) -> None:
    assert stats is not None, name
    nulls = int(s.isna().sum())
    assert stats.null_count == nulls, (name, stats.null_count, nulls)
    values = s.dropna()
    if isinstance(s.dtype, pd.CategoricalDtype):
        values = values.astype(s.dtype.categories.dtype)
    if len(values) == 0:
        assert not stats.has_min_max or stats.min is None or _is_nan(stats.min), name
        return
    if not stats.has_min_max:
        return
    lo, hi = _minmax(values)
    got_lo, got_hi = stats.min, stats.max
    if isinstance(lo, (str, bytes)) and (len(_b(lo)) > 64 or len(_b(hi)) > 64):
        # long bounds are truncated: still a lower / upper bound in byte order
        assert _b(got_lo) <= _b(lo) and _b(hi) <= _b(got_hi), (name, got_lo, got_hi)
        return
    assert _eq(got_lo, lo), (name, got_lo, lo)
    assert _eq(got_hi, hi), (name, got_hi, hi)


def _minmax(values: pd.Series):
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        items = list(values)
        if items and isinstance(items[0], str):
            keys = [x.encode("utf-8") for x in items]
            return items[keys.index(min(keys))], items[keys.index(max(keys))]
        return min(items), max(items)
    return values.min(), values.max()


def _b(x) -> bytes:
    return x.encode("utf-8") if isinstance(x, str) else bytes(x)


def _is_nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _eq(a, b) -> bool:
    if isinstance(b, uuid.UUID):
        return a == b.bytes
    if isinstance(b, pd.Timestamp):
        a = pd.Timestamp(a)
        if b.tz is not None and a.tz is None:
            a = a.tz_localize("UTC")
        return a == b
    if isinstance(b, (pd.Timedelta, np.timedelta64)):
        return pd.Timedelta(a) == pd.Timedelta(b) if not isinstance(a, (int, np.integer)) else True
    if isinstance(b, (float, np.floating)):
        if isinstance(a, bytes) and len(a) == 2:      # FLOAT16 bounds come back raw
            a = np.frombuffer(a, "<f2")[0]
        return float(a) == float(b)
    if isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b)
    if isinstance(b, (int, np.integer)):
        return int(a) == int(b)
    return a == b
