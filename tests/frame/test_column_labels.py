"""Column labels keep their type on read (issue 15.6), and df.attrs are restored (15.8).

Oracle: pyarrow's ``Table.to_pandas`` on the same bytes, for files fastpq writes and files
pyarrow writes (``df.columns`` and ``df.attrs`` must be equal, types included).
"""
from __future__ import annotations

import datetime
import decimal
import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

LABELS = {
    "str": ["a", "b"],
    "int": [1, 2],
    "negative-int": [-5, 7],
    "float": [1.5, 2.5],
    "bytes": [b"foo", b"bar"],
    "datetime": [datetime.datetime(2011, 1, 1), datetime.datetime(2011, 1, 1, 1, 1)],
    "datetime-tz": pd.DatetimeIndex(["2020-01-01", "2020-01-02"]).tz_localize("Europe/Paris"),
    "mixed": ["a", 1],
    "named-int": pd.Index([3, 4], name="lvl"),
    "range": pd.RangeIndex(2),
    "multi-str-int": pd.MultiIndex.from_tuples([("a", 1), ("a", 2)]),
    "multi-named": pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["L1", "L2"]),
    "multi-int-int": pd.MultiIndex.from_tuples([(1, 10), (2, 20)]),
    "multi-dup-level": pd.MultiIndex.from_tuples([("a", 1), ("b", 1)]),
}


def _pyarrow_bytes(df) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df), buf)
    return buf.getvalue()


def _fastpq_bytes(df) -> bytes:
    buf = io.BytesIO()
    fastpq.write(buf, df)
    return buf.getvalue()


def _frame(labels):
    df = pd.DataFrame([[1, 2], [3, 4]])
    df.columns = labels
    return df


@pytest.mark.parametrize("writer", [_fastpq_bytes, _pyarrow_bytes], ids=["fastpq", "pyarrow"])
@pytest.mark.parametrize("kind", sorted(LABELS))
def test_column_labels_read_like_pyarrow(kind, writer):
    raw = writer(_frame(LABELS[kind]))
    got = fastpq.read_parquet(io.BytesIO(raw))
    expected = pq.read_table(io.BytesIO(raw)).to_pandas()
    pd.testing.assert_index_equal(got.columns, expected.columns, exact=True)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("writer", [_fastpq_bytes, _pyarrow_bytes], ids=["fastpq", "pyarrow"])
@pytest.mark.parametrize("df", [
    pd.DataFrame(),
    pd.DataFrame(index=pd.Index(["a", "b", "c"], name="custom name")),
    pd.DataFrame(columns=pd.MultiIndex(levels=[["abc"], []], codes=[[], []])),
    pd.DataFrame(columns=pd.MultiIndex.from_tuples([], names=["x", "y"])),
], ids=["empty", "empty-with-index", "empty-multiindex", "empty-named-multiindex"])
def test_empty_column_index_reads_like_pyarrow(df, writer):
    raw = writer(df)
    got = fastpq.read_parquet(io.BytesIO(raw))
    expected = pq.read_table(io.BytesIO(raw)).to_pandas()
    pd.testing.assert_index_equal(got.columns, expected.columns, exact=True)
    pd.testing.assert_index_equal(got.index, expected.index, exact="equiv")


def test_column_selection_keeps_label_types():
    raw = _fastpq_bytes(_frame(LABELS["multi-str-int"]))
    got = fastpq.read_parquet(io.BytesIO(raw), columns=["('a', '2')"])
    assert list(got.columns) == [("a", 2)]


@pytest.mark.parametrize("column_indexes", [
    [{"name": None, "pandas_type": "int64", "numpy_type": "int64"}],
    [{"name": None, "pandas_type": "datetimetz", "numpy_type": "datetime64[ns]", "metadata": {"timezone": "Nope/X"}}],
    [{"name": None, "pandas_type": "decimal", "numpy_type": "object"}],
    [{"name": None, "pandas_type": "no-such-type", "numpy_type": "nonsense"}],
    [{"name": None, "pandas_type": "bytes", "numpy_type": "object"}],
])
def test_hostile_column_indexes_keep_string_labels(column_indexes):
    """Labels that metadata cannot convert stay strings: never a foreign exception."""
    table = pa.table({"x": [1], "y": [2]})
    meta = {"index_columns": [], "column_indexes": column_indexes,
            "columns": [{"name": n, "field_name": n, "pandas_type": "int64", "numpy_type": "int64",
                         "metadata": None} for n in ("x", "y")]}
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata({"pandas": json.dumps(meta)}), buf)
    got = fastpq.read_parquet(io.BytesIO(buf.getvalue()))
    assert [str(c) if not isinstance(c, bytes) else c.decode() for c in got.columns] == ["x", "y"]


@pytest.mark.parametrize("writer", [_fastpq_bytes, _pyarrow_bytes], ids=["fastpq", "pyarrow"])
@pytest.mark.parametrize("attrs", [{}, {"a": 1}, {"nested": {"k": [1, 2, "x"]}, "f": 1.5, "n": None}])
def test_attrs_restored(attrs, writer):
    df = pd.DataFrame({1: [1]})
    df.attrs = attrs
    raw = writer(df)
    got = fastpq.read_parquet(io.BytesIO(raw))
    assert got.attrs == pq.read_table(io.BytesIO(raw)).to_pandas().attrs == attrs
    assert fastpq.ParquetFile(io.BytesIO(raw)).to_pandas().attrs == attrs


def test_unserialisable_attrs_are_dropped_like_pyarrow():
    df = pd.DataFrame({"a": [1]})
    df.attrs = {"d": decimal.Decimal(1)}
    got = fastpq.read_parquet(io.BytesIO(_fastpq_bytes(df)))
    assert got.attrs == {}
