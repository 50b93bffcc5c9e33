"""A write plan rebuilt from a file's schema and pandas metadata (what appends start from)."""
from __future__ import annotations

import decimal
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import fastpq
from fastpq.file.reader import ParquetFile
from fastpq.frame.write.plan import build_plan
from fastpq.frame.pandas_meta import parse_pandas_metadata
from fastpq.frame.write.from_file import plan_from_file


def _frame():
    return pd.DataFrame({
        "i": np.arange(4, dtype="int16"), "u": np.arange(4, dtype="uint64"), "f": [1.0, np.nan, 3, 4],
        "s": ["a", None, "c", "d"], "c": pd.Categorical(["x", "y", "x", None], ordered=True),
        "t": pd.date_range("2020", periods=4, tz="Europe/Paris", unit="ms"),
        "ts": pd.date_range("2020", periods=4, unit="s"), "td": pd.to_timedelta([1, 2, 3, None], unit="s"),
        "d": [decimal.Decimal("1.5"), None, decimal.Decimal("2"), decimal.Decimal("-3.25")],
        "l": [[1], [], None, [2, 3]], "st": [{"a": 1}, None, {"a": 2}, {"a": None}],
        "I": pd.array([1, None, 3, 4], dtype="Int32"), "b": [True, False, True, False],
    }, index=pd.Index(["p", "q", "r", "s"], name="key"))


def test_rebuilt_plan_writes_the_same_file(tmp_path):
    df = _frame()
    path = tmp_path / "f.parquet"
    fastpq.write(path, df)
    pf = ParquetFile(path)
    plan = plan_from_file(pf.schema, parse_pandas_metadata(pf.pandas_metadata))
    original = build_plan(df)
    assert plan.schema == original.schema
    assert [c.ft for c in plan.columns] == [c.ft for c in original.columns]
    assert [c.label for c in plan.columns] == [c.label for c in original.columns]
    again = tmp_path / "g.parquet"
    with fastpq.ParquetWriter(again, plan) as w:
        w.write(df)
    assert json.loads(pq.ParquetFile(again).metadata.metadata[b"pandas"])["columns"] == \
        json.loads(pq.ParquetFile(path).metadata.metadata[b"pandas"])["columns"]
    assert again.read_bytes() == path.read_bytes()
