"""Round-trip closure of JSON, UUID and TIME(NANOS) columns (issue 15 item 11), checked with pyarrow.

* JSON is text: an ``arrow.json`` dtype (the pyarrow backend) is written as a JSON-annotated
  BYTE_ARRAY; str / object-of-str columns (the numpy backends) append to a JSON column and an
  ``arrow.json`` column to a STRING one, each file keeping its own annotation.
* An ``arrow.uuid`` dtype writes from its 16-byte storage (nulls and sliced arrays included).
* A timedelta64 column (how the numpy backends read TIME(NANOS)) appends to a TIME column when
  every value is a time of day (0 <= t < 24 h) exact in the column's unit; else refused, file unchanged.
"""
from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

BACKENDS = [None, "numpy_nullable", "pyarrow"]
TEXTS = ['{"a": 1}', None, "[1, 2]", '"x"', "", "null"]


def _kw(backend):
    return {} if backend is None else {"dtype_backend": backend}


def _logical(path, i=0) -> str:
    return str(pq.ParquetFile(path).schema.column(i).logical_type)


def test_arrow_json_dtype_writes_json(tmp_path):
    path = tmp_path / "j.parquet"
    df = pd.DataFrame({"j": pd.array(pa.array(TEXTS, pa.json_()), dtype=pd.ArrowDtype(pa.json_()))})
    fastpq.write(path, df)
    assert _logical(path) == "JSON"
    table = pq.read_table(path)
    assert table.schema.field("j").type == pa.json_()
    assert table.column("j").cast(pa.string()).to_pylist() == TEXTS
    back = fastpq.read_parquet(path, dtype_backend="pyarrow")
    assert back["j"].dtype == df["j"].dtype and back["j"].astype(object).tolist() == df["j"].astype(object).tolist()


@pytest.mark.parametrize("file_type", ["json", "string"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("frame_type", ["json", "str", "object"])
def test_text_appends_keep_the_file_annotation(tmp_path, file_type, backend, frame_type):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"t": pa.array(TEXTS, pa.json_() if file_type == "json" else pa.string())}), path)
    values = ["[3]", None, "{}"]
    if frame_type == "json":
        col = pd.array(pa.array(values, pa.json_()), dtype=pd.ArrowDtype(pa.json_()))
    else:
        col = pd.array(values, dtype=str if frame_type == "str" else object)
    fastpq.write(path, pd.DataFrame({"t": col}), append=True)
    assert _logical(path) == ("JSON" if file_type == "json" else "String")
    assert pq.read_table(path).column("t").cast(pa.string()).to_pylist() == TEXTS + values
    got = fastpq.read_parquet(path, **_kw(backend))["t"]
    assert [None if pd.isna(v) else str(v) for v in got.astype(object)] == TEXTS + values


UUIDS = [uuid.UUID(int=i * 0x1234_5678_9ABC_DEF0_1122_3344) for i in range(1, 6)]


@pytest.mark.parametrize("offset", [0, 2])
@pytest.mark.parametrize("nulls", [False, True])
def test_arrow_uuid_dtype_writes_and_appends(tmp_path, offset, nulls):
    raw = [u.bytes for u in UUIDS]
    if nulls:
        raw[1] = raw[3] = None
    arr = pa.array(raw, pa.uuid()).slice(offset)
    df = pd.DataFrame({"u": pd.array(arr, dtype=pd.ArrowDtype(pa.uuid()))})
    expected = [None if b is None else b for b in raw[offset:]]
    path = tmp_path / "u.parquet"
    fastpq.write(path, df)
    assert pq.read_table(path).column("u").cast(pa.binary(16)).to_pylist() == expected
    fastpq.write(path, df, append=True)
    assert pq.read_table(path).column("u").cast(pa.binary(16)).to_pylist() == expected * 2


def _time_file(path, unit) -> list:
    ints = [0, 1_000_000, 86_399_999_999_999 // {"ns": 1, "us": 1000}[unit], None]
    pq.write_table(pa.table({"t": pa.array(ints, pa.time64(unit))}), path)
    return ints


@pytest.mark.parametrize("unit", ["ns", "us"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_time_file_read_then_appended(tmp_path, unit, backend):
    path = tmp_path / "t.parquet"
    ints = _time_file(path, unit)
    df = fastpq.read_parquet(path, **_kw(backend))
    fastpq.write(path, df, append=True)
    assert pq.read_table(path).column("t").cast(pa.int64()).to_pylist() == ints * 2


@pytest.mark.parametrize("unit", ["ns", "us"])
@pytest.mark.parametrize("frame_unit", ["ns", "us", "s"])
def test_timedelta_appends_to_time(tmp_path, unit, frame_unit):
    path = tmp_path / "t.parquet"
    ints = _time_file(path, unit)
    deltas = pd.to_timedelta([0, 5, 86_399, None], unit="s").astype(f"timedelta64[{frame_unit}]")
    fastpq.write(path, pd.DataFrame({"t": deltas}), append=True)
    per_s = {"ns": 10**9, "us": 10**6}[unit]
    assert pq.read_table(path).column("t").cast(pa.int64()).to_pylist() == ints + [0, 5 * per_s, 86_399 * per_s, None]


@pytest.mark.parametrize("bad", [pd.Timedelta(-1, "ns"), pd.Timedelta(1, "D"), pd.Timedelta(30, "h"),
                                 pd.Timedelta(1, "ns")])
def test_timedelta_not_a_time_of_day_is_refused(tmp_path, bad):
    path = tmp_path / "t.parquet"
    _time_file(path, "us")                       # 1 ns is not exact in microseconds
    before = path.read_bytes()
    df = pd.DataFrame({"t": pd.array([pd.Timedelta(0), bad], dtype="timedelta64[ns]")})
    with pytest.raises(fastpq.ParquetError):
        fastpq.write(path, df, append=True)
    assert path.read_bytes() == before
