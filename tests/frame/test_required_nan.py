"""NaN in REQUIRED float columns (issue 15 item 11): a REQUIRED float leaf has no nulls, so a NaN
bound for it is the float NaN, stored bit-exact from numpy floats (pandas' Float dtypes hold NaN
as NA: stored as the canonical NaN). OPTIONAL columns keep pandas/pyarrow's rule: NaN is null.
Oracle: pyarrow reading the written / appended file (its values and bits, its null counts)."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

_NEG_NAN = np.float64(-np.nan)
_PAYLOAD_NAN = np.array([0x7FF8_0000_0000_1234], np.int64).view(np.float64)[0]
VALUES = np.array([1.5, np.nan, -0.0, np.inf, _NEG_NAN, _PAYLOAD_NAN, -np.inf, 0.0])
NUMPY_DTYPES = ["float32", "float64"]
ARROW_TYPES = {"float32": pa.float32(), "float64": pa.float64()}


def _bits(values: np.ndarray) -> list:
    return values.view(np.int32 if values.dtype.itemsize == 4 else np.int64).tolist()


def _stored(path, dtype) -> np.ndarray:
    column = pq.read_table(path).column("f")
    assert column.null_count == 0
    return column.to_numpy().astype(dtype, copy=False)


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_new_file_nullable_false_stores_nan_bit_exact(tmp_path, dtype):
    values = VALUES.astype(dtype)
    path = tmp_path / "f.parquet"
    fastpq.write(path, pd.DataFrame({"f": values}), nullable={"f": False})
    assert not pq.ParquetFile(path).schema_arrow.field("f").nullable
    assert _bits(_stored(path, dtype)) == _bits(values)
    back = fastpq.read_parquet(path)["f"].to_numpy()
    assert _bits(back) == _bits(values)


@pytest.mark.parametrize("dtype", NUMPY_DTYPES + ["Float32", "Float64"])
def test_new_file_optional_keeps_nan_as_null(tmp_path, dtype):
    path = tmp_path / "f.parquet"
    fastpq.write(path, pd.DataFrame({"f": pd.array([1.0, np.nan, 2.0], dtype=dtype)}))
    column = pq.read_table(path).column("f")
    assert pq.ParquetFile(path).schema_arrow.field("f").nullable
    assert column.null_count == 1 and column.to_pylist() == [1.0, None, 2.0]


def _required_file(path, file_type) -> None:
    table = pa.table({"f": pa.array([0.25, float("nan")], file_type)},
                     schema=pa.schema([pa.field("f", file_type, nullable=False)]))
    pq.write_table(table, path)


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_append_numpy_nan_to_required(tmp_path, dtype):
    path = tmp_path / "f.parquet"
    _required_file(path, ARROW_TYPES[dtype])
    values = VALUES.astype(dtype)
    fastpq.write(path, pd.DataFrame({"f": values}), append=True)
    assert _bits(_stored(path, dtype)[2:]) == _bits(values)


@pytest.mark.parametrize("dtype", ["Float32", "Float64"])
def test_append_masked_float_na_to_required_is_nan(tmp_path, dtype):
    """pandas' Float dtypes read a REQUIRED column's NaN as NA: appended back they are NaN."""
    path = tmp_path / "f.parquet"
    _required_file(path, ARROW_TYPES[dtype.lower()])
    fastpq.write(path, pd.DataFrame({"f": pd.array([1.0, np.nan, None], dtype=dtype)}), append=True)
    stored = _stored(path, dtype.lower())[2:]
    assert stored[0] == 1.0 and np.isnan(stored[1:]).all()


def test_append_arrow_null_to_required_is_refused(tmp_path):
    """The pyarrow backend keeps NaN apart from null: a null is missing, which REQUIRED refuses."""
    path = tmp_path / "f.parquet"
    _required_file(path, pa.float64())
    before = path.read_bytes()
    df = pd.DataFrame({"f": pd.array([1.0, None], dtype="float64[pyarrow]")})
    with pytest.raises(fastpq.SchemaMismatchError, match="REQUIRED"):
        fastpq.write(path, df, append=True)
    assert path.read_bytes() == before


@pytest.mark.parametrize("backend", [None, "numpy_nullable", "pyarrow"])
def test_read_append_closes(tmp_path, backend):
    path = tmp_path / "f.parquet"
    _required_file(path, pa.float32())
    kw = {} if backend is None else {"dtype_backend": backend}
    df = fastpq.read_parquet(path, **kw)
    copy = tmp_path / "copy.parquet"
    shutil.copyfile(path, copy)
    fastpq.write(copy, df, append=True)
    stored = _stored(copy, np.float32)
    assert stored[2] == 0.25 and np.isnan(stored[3])
