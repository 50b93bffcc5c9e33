"""Appends to an INTERVAL column (FIXED_LEN_BYTE_ARRAY(12), as duckdb writes it; issue 15 item 11):
fastpq reads it as the raw 12 bytes (object bytes, or fixed_size_binary[12] under the pyarrow
backend) and appends 12-byte values back, keeping the file's INTERVAL annotation. Oracle: duckdb
reading the appended file (months, days, milliseconds) and pyarrow's schema."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

duckdb = pytest.importorskip("duckdb")

SQL = ("SELECT * FROM (VALUES (INTERVAL '1 month 2 days 3 milliseconds'), (NULL), (INTERVAL '0 seconds'), "
       "(INTERVAL '5 days'), (INTERVAL '14 months 1 second')) t(i)")


def _file(path) -> list:
    duckdb.sql(f"COPY ({SQL}) TO '{path}' (FORMAT parquet)")
    return _rows(path)


def _rows(path) -> list:
    return [r[0] for r in duckdb.sql(f"SELECT i FROM '{path}'").fetchall()]


@pytest.mark.parametrize("backend", [None, "numpy_nullable", "pyarrow"])
def test_interval_read_then_appended(tmp_path, backend):
    path = tmp_path / "i.parquet"
    rows = _file(path)
    df = fastpq.read_parquet(path, **({} if backend is None else {"dtype_backend": backend}))
    fastpq.write(path, df, append=True)
    assert _rows(path) == rows * 2
    assert str(pq.ParquetFile(path).schema.column(0).logical_type) == "Interval"


def test_interval_takes_12_byte_values(tmp_path):
    path = tmp_path / "i.parquet"
    rows = _file(path)
    months_days_ms = (1).to_bytes(4, "little") + (2).to_bytes(4, "little") + (3).to_bytes(4, "little")
    fastpq.write(path, pd.DataFrame({"i": pd.array([months_days_ms, None], dtype=object)}), append=True)
    assert _rows(path) == rows + [rows[0], None]


@pytest.mark.parametrize("bad", [b"\x00" * 11, b"\x00" * 13, "twelve chars"])
def test_interval_refuses_other_values(tmp_path, bad):
    path = tmp_path / "i.parquet"
    _file(path)
    before = path.read_bytes()
    with pytest.raises(fastpq.ParquetError):
        fastpq.write(path, pd.DataFrame({"i": pd.array([bad], dtype=object)}), append=True)
    assert path.read_bytes() == before


def test_fixed_size_binary_12_frame_appends(tmp_path):
    path = tmp_path / "i.parquet"
    rows = _file(path)
    raw = pa.array([bytes(12), None], pa.binary(12))
    fastpq.write(path, pd.DataFrame({"i": pd.array(raw, dtype=pd.ArrowDtype(pa.binary(12)))}), append=True)
    assert _rows(path) == rows + [rows[2], None]
