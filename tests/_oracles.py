"""Comparing fastpq's reads with pandas.read_parquet (pyarrow engine), for every dtype_backend."""
from __future__ import annotations

import warnings

import pandas as pd
import pyarrow as pa

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
