"""The compact-protocol scanners agree with thrift's decoder."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import fastpq
from fastpq.kernels import compact as C


def test_scan_column_chunks_matches_thrift(tmp_path):
    path = tmp_path / "f.parquet"
    table = pa.table({"a": np.arange(500), "s": [f"v{i % 7}" if i % 5 else None for i in range(500)],
                      "f": np.linspace(0, 1, 500)})
    pq.write_table(table, path, row_group_size=60, write_page_index=True)
    rgs = fastpq.ParquetFile(path).metadata.row_groups
    buf = np.frombuffer(rgs._buf, np.uint8)
    out = np.empty((len(rgs), 3, C.CC_SIZE), np.int64)
    assert C.scan_column_chunks(buf, rgs._starts, rgs._ends, out) == 0
    for r, rg in enumerate(rgs):
        for c, chunk in enumerate(rg.columns):
            md = chunk.meta_data
            got = out[r, c]
            assert got[C.CC_TYPE] == md.type and got[C.CC_CODEC] == md.codec
            assert got[C.CC_NUM_VALUES] == md.num_values
            assert got[C.CC_COMPRESSED] == md.total_compressed_size
            assert got[C.CC_UNCOMPRESSED] == md.total_uncompressed_size
            assert got[C.CC_DATA_PAGE_OFFSET] == md.data_page_offset
            assert got[C.CC_DICTIONARY_PAGE_OFFSET] == (md.dictionary_page_offset or C.MISSING)
            assert got[C.CC_NULL_COUNT] == md.statistics.null_count
            assert got[C.CC_OFFSET_INDEX_OFFSET] == chunk.offset_index_offset
            assert got[C.CC_COLUMN_INDEX_LENGTH] == chunk.column_index_length
            assert got[C.CC_HAS_FILE_PATH] == C.MISSING and got[C.CC_HAS_META] == 1


def test_parse_page_header_matches_thrift():
    from fastpq._thrift import DataPageHeader, DataPageHeaderV2, DictionaryPageHeader, PageHeader, Statistics
    from fastpq.format import thrift_io

    headers = [
        PageHeader(type=0, uncompressed_page_size=10, compressed_page_size=9, crc=-7,
                   data_page_header=DataPageHeader(num_values=4, encoding=8, definition_level_encoding=3,
                                                   repetition_level_encoding=4,
                                                   statistics=Statistics(max=b"z" * 300, null_count=1))),
        PageHeader(type=2, uncompressed_page_size=5, compressed_page_size=5,
                   dictionary_page_header=DictionaryPageHeader(num_values=2, encoding=0, is_sorted=True)),
        PageHeader(type=3, uncompressed_page_size=50, compressed_page_size=40,
                   data_page_header_v2=DataPageHeaderV2(num_values=9, num_nulls=1, num_rows=9, encoding=0,
                                                        definition_levels_byte_length=3,
                                                        repetition_levels_byte_length=2, is_compressed=False)),
    ]
    out = np.empty(C.PH_SIZE, np.int64)
    for h in headers:
        raw = thrift_io.encode(h)
        buf = np.frombuffer(raw + b"\xff" * 5, np.uint8)
        assert C.parse_page_header(buf, 0, len(buf), out) == len(raw)
        assert out[C.PH_TYPE] == h.type and out[C.PH_COMPRESSED] == h.compressed_page_size
        if h.data_page_header_v2 is not None:
            assert out[C.PH_V2_NUM_NULLS] == 1 and out[C.PH_V2_IS_COMPRESSED] == 0 and out[C.PH_V2_REP_LENGTH] == 2
        for cut in range(len(raw)):
            assert C.parse_page_header(buf, 0, cut, out) < 0


def test_read_page_header_gives_the_thrift_struct_and_length(tmp_path):
    from fastpq.format.pages import read_page_header

    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": np.arange(10)}), path, use_dictionary=False)
    data = path.read_bytes()
    header, length = read_page_header(data, 4)
    assert header.type == 0 and header.data_page_header.num_values == 10
    assert header.compressed_page_size > 0 and 4 + length + header.compressed_page_size <= len(data)
