"""Issue 15 item 3: a group with no leaf columns (``optional group nested { optional group inner {} }``,
as parquet-go writes it) reads as a column of all None, as pyarrow's ``to_pandas`` gives it.

The files are pyarrow-written with leaf columns around; the footer's schema gets the leafless
group spliced in at a position (it has no column chunks, so nothing else changes).
"""
from __future__ import annotations

import struct

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq._thrift import FieldRepetitionType as R, FileMetaData, SchemaElement
from fastpq.format import thrift_io

SHAPES = {
    "group{group{}}": [(R.OPTIONAL, 1), (R.OPTIONAL, 0)],
    "group{}": [(R.OPTIONAL, 0)],
    "required group{}": [(R.REQUIRED, 0)],
    "group{group{group{}}}": [(R.OPTIONAL, 1), (R.REQUIRED, 1), (R.OPTIONAL, 0)],
}


def _write(path, shape, at, row_groups):
    table = pa.table({"a": list(range(10)), "b": [f"s{i}" for i in range(10)]})
    pq.write_table(table, path, store_schema=False, row_group_size=10 // row_groups)
    raw = path.read_bytes()
    n = struct.unpack("<I", raw[-8:-4])[0]
    md, _ = thrift_io.decode(FileMetaData, raw[-8 - n:-8])
    group = [SchemaElement(name="nested" if i == 0 else f"inner{i}", repetition_type=rep, num_children=k)
             for i, (rep, k) in enumerate(SHAPES[shape])]
    md.schema[0].num_children += 1
    md.schema[1 + at:1 + at] = group  # top-level leaves: one element each
    body = thrift_io.encode(md)
    path.write_bytes(raw[:-8 - n] + body + struct.pack("<I", len(body)) + b"PAR1")


@pytest.mark.parametrize("row_groups", [1, 2])
@pytest.mark.parametrize("at", [0, 1, 2])
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("how", ["read", "columns", "head", "pyarrow_backend", "row_group"])
def test_a_leafless_group_reads_as_all_none(tmp_path, shape, at, row_groups, how):
    path = tmp_path / "f.parquet"
    _write(path, shape, at, row_groups)
    expected = pq.read_table(path).to_pandas()  # the oracle: nested is None in every row
    assert list(expected.columns) == fastpq.ParquetFile(path).columns
    assert expected["nested"].isna().all()
    pf = fastpq.ParquetFile(path)
    if how == "read":
        got, want = fastpq.read_parquet(path), expected
    elif how == "columns":
        got, want = fastpq.read_parquet(path, columns=["nested"]), expected[["nested"]]
    elif how == "head":
        got, want = pf.head(3), expected.head(3)
    elif how == "pyarrow_backend":
        got = fastpq.read_parquet(path, dtype_backend="pyarrow")
        pd.testing.assert_frame_equal(got, pd.read_parquet(path, dtype_backend="pyarrow"))  # struct<...> nulls
        return
    else:
        got = pf.to_pandas(row_groups=[pf.num_row_groups - 1])
        want = expected.iloc[-len(got):].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert pf.dtypes["nested"] == "object"
