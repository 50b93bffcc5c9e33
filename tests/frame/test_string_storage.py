"""``pd.options.mode.string_storage`` decides the storage of nullable ``string`` columns on read
(issue 15.7), as it does for pandas.read_parquet (the oracle, same file, same option)."""
from __future__ import annotations

import pandas as pd
import pytest

import fastpq

DTYPES = ["string[pyarrow]", "string[python]", "str", "object"]


@pytest.mark.parametrize("writer", ["fastpq", "pyarrow"])
@pytest.mark.parametrize("backend", [None, "numpy_nullable"])
@pytest.mark.parametrize("storage", ["python", "pyarrow"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_string_storage_option(tmp_path, dtype, storage, backend, writer):
    df = pd.DataFrame({"a": pd.Series(["a", None, "c"], dtype=dtype)})
    path = tmp_path / "f.parquet"
    if writer == "fastpq":
        fastpq.write(path, df)
    else:
        df.to_parquet(path, engine="pyarrow")
    kw = {} if backend is None else {"dtype_backend": backend}
    with pd.option_context("mode.string_storage", storage):
        got = fastpq.read_parquet(path, **kw)
        expected = pd.read_parquet(path, engine="pyarrow", **kw)
        got_file = fastpq.ParquetFile(path).to_pandas(**kw)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got_file, expected)
