"""Issue 15 item 4: bytes after the last value a page announces.

Another writer left 2 stray bytes after the 24 values of a BYTE_ARRAY decimal page;
duckdb and polars read it, fastpq refused it with a message that contradicted itself.
The page header's counts are authoritative: for every encoding whose values mark their
own end, trailing bytes are ignored. Files are pyarrow-written (one column, one row
group, uncompressed), then the last page of the chunk gets stray bytes appended and its
header and the footer's sizes are patched. Oracle: pyarrow on the unpatched file, and
duckdb on the patched one.
"""
from __future__ import annotations

import decimal
import struct

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq._thrift import FileMetaData, PageHeader
from fastpq.format import thrift_io

N = 24
VALUES = {
    "int32": pa.array([i * 7 - 50 for i in range(N)], pa.int32()),
    "int64": pa.array([i * 2**40 for i in range(N)], pa.int64()),
    "double": pa.array([i / 3 for i in range(N)], pa.float64()),
    "bool": pa.array([i % 3 == 0 for i in range(N)]),
    "string": pa.array([f"s{i % 5}" * (i % 4) for i in range(N)]),
    "decimal_ba": pa.array([decimal.Decimal(i * 1013) / 100 for i in range(N)], pa.decimal128(30, 2)),
    "flba": pa.array([bytes([i]) * 3 for i in range(N)], pa.binary(3)),
}
ENCODINGS = {  # name -> write_table options
    "plain": dict(use_dictionary=False),
    "dictionary": dict(use_dictionary=True),
    "delta": dict(use_dictionary=False, column_encoding="DELTA"),
}
_DELTA = {"int32": "DELTA_BINARY_PACKED", "int64": "DELTA_BINARY_PACKED", "string": "DELTA_LENGTH_BYTE_ARRAY",
          "decimal_ba": "DELTA_BYTE_ARRAY", "flba": "DELTA_BYTE_ARRAY"}


def _with_stray_bytes(raw: bytes, stray: bytes) -> bytes:
    """``raw`` (one column chunk) with ``stray`` after the values of its last page."""
    n = struct.unpack("<I", raw[-8:-4])[0]
    md, _ = thrift_io.decode(FileMetaData, raw[-8 - n:-8])
    cmd = md.row_groups[0].columns[0].meta_data
    start = min(o for o in (cmd.dictionary_page_offset, cmd.data_page_offset) if o)
    pos, end = start, start + cmd.total_compressed_size
    buf = np.frombuffer(raw, np.uint8)
    while True:
        header, h = thrift_io.decode_window(PageHeader, buf, pos, end, "PageHeader")
        if pos + h + header.compressed_page_size == end:
            break
        pos += h + header.compressed_page_size
    payload = raw[pos + h:end] + stray
    header.compressed_page_size += len(stray)
    header.uncompressed_page_size += len(stray)
    new_header = thrift_io.encode(header)
    grow = len(new_header) - h + len(stray)
    cmd.total_compressed_size += grow
    cmd.total_uncompressed_size += grow
    md.row_groups[0].total_byte_size += grow
    if md.row_groups[0].total_compressed_size is not None:
        md.row_groups[0].total_compressed_size += grow
    body = thrift_io.encode(md)
    return raw[:pos] + new_header + payload + raw[end:-8 - n] + body + struct.pack("<I", len(body)) + b"PAR1"


def _cases():
    for col in VALUES:
        for enc in ENCODINGS:
            if enc == "delta" and col not in _DELTA:
                continue
            for version in ("1.0", "2.0"):
                for nulls in (False, True):
                    yield col, enc, version, nulls


@pytest.mark.parametrize("stray", [b"\x01\x02", b"\xff", bytes(range(1, 10))], ids=["2", "1", "9"])
@pytest.mark.parametrize("col,enc,version,nulls", list(_cases()))
def test_bytes_after_the_last_value_are_ignored(tmp_path, col, enc, version, nulls, stray):
    arr = VALUES[col]
    if nulls:
        arr = pa.array([None if i % 5 == 1 else v for i, v in enumerate(arr.to_pylist())], arr.type)
    opts = dict(ENCODINGS[enc])
    if enc == "delta":
        opts["column_encoding"] = {"x": _DELTA[col]}
    src = tmp_path / "src.parquet"
    pq.write_table(pa.table({"x": arr}), src, compression="none", data_page_version=version,
                   write_statistics=False, store_schema=False, **opts)
    patched = tmp_path / "patched.parquet"
    patched.write_bytes(_with_stray_bytes(src.read_bytes(), stray))
    expected = pq.read_table(src).column("x").to_pylist()
    assert duckdb.sql(f"select count(*) from '{patched}'").fetchall()[0][0] == N  # duckdb reads it too
    got = fastpq.read_parquet(patched)["x"]
    assert [None if v is None or v is pd_na(v) else _py(v) for v in got.tolist()] == [
        None if v is None else _py(v) for v in expected]
    assert len(fastpq.ParquetFile(patched).head(3)) == 3


def pd_na(v):
    import pandas as pd

    return pd.NA if v is pd.NA else (v if isinstance(v, float) and np.isnan(v) else object())


def _py(v):
    return v.item() if hasattr(v, "item") else v


def test_a_real_truncation_says_so(tmp_path):
    src = tmp_path / "src.parquet"
    pq.write_table(pa.table({"x": VALUES["int64"]}), src, compression="none", use_dictionary=False,
                   write_statistics=False, store_schema=False)
    raw = bytearray(src.read_bytes())
    n = struct.unpack("<I", raw[-8:-4])[0]
    md, _ = thrift_io.decode(FileMetaData, bytes(raw[-8 - n:-8]))
    md.row_groups[0].num_rows = md.num_rows = N + 1  # one more value than the page holds
    md.row_groups[0].columns[0].meta_data.num_values = N + 1
    cmd = md.row_groups[0].columns[0].meta_data
    header, h = thrift_io.decode(PageHeader, bytes(raw[cmd.data_page_offset:]))
    header.data_page_header.num_values = N + 1
    new_header = thrift_io.encode(header)
    assert len(new_header) == h
    raw[cmd.data_page_offset:cmd.data_page_offset + h] = new_header
    body = thrift_io.encode(md)
    out = tmp_path / "cut.parquet"
    out.write_bytes(bytes(raw[:-8 - n]) + body + struct.pack("<I", len(body)) + b"PAR1")
    with pytest.raises(fastpq.CorruptFileError) as info:
        fastpq.read_parquet(out)
    assert "follow" not in str(info.value) and "'x'" in str(info.value)
