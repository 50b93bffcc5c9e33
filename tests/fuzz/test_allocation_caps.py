"""Hostile sizes: footers and page headers that claim billions of rows, values, bytes or entries.

Each file is read in a worker process (tests/fuzz/_fuzz.py) whose address space is capped
(RLIMIT_AS, FASTPQ_FUZZ_AS, default 4 GiB, set after warm-up): a read that trusts one of these
numbers enough to allocate for it fails with MemoryError there. Each must raise a ParquetError
(CorruptFileError where the claim contradicts the file, DecodedBytesLimitError where it is beyond
the read's budget, ``fastpq.options.max_decoded_bytes``: about 1 GiB in these workers), quickly,
and its peak resident memory must grow by little. Valid files that decode to a lot are in
test_decoded_budget.py.
"""
from __future__ import annotations

import struct

import numpy as np
import pytest

from fastpq._thrift import FileMetaData, PageHeader
from fastpq.format import thrift_io
from tests.conftest import TEST_DATA
from tests.fuzz import _fuzz
from tests.file._hostile import page_regions, replace_header

BILLIONS = 2**31 - 1
# Calls (Python and C, every thread) a hostile file may cost before it is refused: the cases
# below cost 219-12,559 (measured); a loop over a hostile size would cost billions.
CALLS = 200_000


def _split(raw: bytes):
    n = struct.unpack("<I", raw[-8:-4])[0]
    fmd, _ = thrift_io.decode(FileMetaData, raw[len(raw) - 8 - n:len(raw) - 8])
    return raw[:len(raw) - 8 - n], fmd


def _join(data: bytes, fmd) -> bytes:
    footer = thrift_io.encode(fmd)
    return data + footer + struct.pack("<I", len(footer)) + b"PAR1"


def claim_rows(name, rows, values=None):
    """Every row group claims ``rows`` rows, every column chunk ``values`` values (default:
    ``rows``), the file the sum: a footer consistent with itself, not with its pages."""
    data, fmd = _split((TEST_DATA / name).read_bytes())
    for rg in fmd.row_groups:
        rg.num_rows = rows
        for chunk in rg.columns:
            chunk.meta_data.num_values = rows if values is None else values
    fmd.num_rows = rows * len(fmd.row_groups)
    return _join(data, fmd)


def set_schema(name, column, **fields):
    data, fmd = _split((TEST_DATA / name).read_bytes())
    for el in fmd.schema:
        if el.name == column:
            for k, v in fields.items():
                setattr(el, k, v)
    return _join(data, fmd)


def set_page_header(name, pick, change):
    """The first page header ``pick(header)`` accepts, changed by ``change(header)`` and
    re-encoded (the chunk trimmed or padded at its end so later chunks stay in place).
    ``name``: a file in test-data, or the bytes of one."""
    raw = name if isinstance(name, bytes) else (TEST_DATA / name).read_bytes()
    buf = np.frombuffer(raw, np.uint8)
    for kind, start, end, chunk_end in page_regions(raw):
        if kind != "header":
            continue
        header, n = thrift_io.decode(PageHeader, buf[start:end])
        if pick(header):
            change(header)
            return replace_header(raw, start, end, chunk_end, thrift_io.encode(header))
    raise AssertionError("no such page")


def _dict_page(header):
    return header.dictionary_page_header is not None


def _data_page(header):
    return header.data_page_header is not None or header.data_page_header_v2 is not None


def _set(part, **fields):
    def change(header):
        obj = getattr(header, part) if part else header
        for k, v in fields.items():
            setattr(obj, k, v)
    return change


def _footer_with_list_length(raw: bytes, count: int) -> bytes:
    """A FileMetaData whose schema list claims ``count`` elements (compact protocol, by hand)."""
    body = bytes([0x15, 0x02])                               # field 1 (version, i32) = 1
    body += bytes([0x19, 0xFC])                              # field 2 (schema): list of structs, long form
    size = count
    while size >= 0x80:
        body += bytes([(size & 0x7F) | 0x80])
        size >>= 7
    body += bytes([size]) + b"\x00" * 8
    return raw[:4] + body + struct.pack("<I", len(body)) + b"PAR1"


def int96_dictionary() -> bytes:
    """INT96 timestamps, dictionary-encoded (none of test-data's are)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"t": pa.array(np.arange(0, 10**12, 10**10).astype("datetime64[ns]"))})
    out = io.BytesIO()
    pq.write_table(table, out, use_deprecated_int96_timestamps=True, use_dictionary=True)
    return out.getvalue()


CORE = "pyarrow_core_v1_snappy.parquet"
CASES = {
    "rows: 2**31 per row group, consistent": lambda: claim_rows(CORE, BILLIONS),
    "rows: 2**40 in each of 5 row groups": lambda: claim_rows("pyarrow_pages_small_v1_snappy_pageindex_crc_bloom.parquet",
                                                              2**40),
    "rows: 2**34, nested columns": lambda: claim_rows("pyarrow_nested_v1_snappy.parquet", 2**34),
    "values: 2**40 level entries, nested": lambda: claim_rows("pyarrow_nested_v1_snappy.parquet", 300, 2**40),
    "values: 2**40 per chunk, rows unchanged": lambda: claim_rows(CORE, 400, 2**40),
    "schema: FIXED_LEN_BYTE_ARRAY of 2**31 bytes": lambda: set_schema(CORE, "fixed4", type_length=BILLIONS),
    "schema: 2**31 children": lambda: set_schema(CORE, "schema", num_children=BILLIONS),
    "dictionary page: 2**31 byte arrays": lambda: set_page_header(
        CORE, lambda h: _dict_page(h) and h.uncompressed_page_size < 2000,
        _set("dictionary_page_header", num_values=BILLIONS)),
    "dictionary page: 2**31 INT96": lambda: set_page_header(
        int96_dictionary(), _dict_page, _set("dictionary_page_header", num_values=BILLIONS)),
    "dictionary page: 2**31 int64": lambda: set_page_header(
        CORE, _dict_page, _set("dictionary_page_header", num_values=BILLIONS)),
    "data page: 2**31 values": lambda: set_page_header(
        "pyarrow_core_v1_uncompressed.parquet", _data_page, _set("data_page_header", num_values=BILLIONS)),
    "data page v2: 2**31 values, nulls, rows": lambda: set_page_header(
        "pyarrow_core_v2_uncompressed.parquet", _data_page,
        _set("data_page_header_v2", num_values=BILLIONS, num_nulls=BILLIONS, num_rows=BILLIONS)),
    "page: 2**31 uncompressed bytes, snappy": lambda: set_page_header(
        CORE, _data_page, _set(None, uncompressed_page_size=BILLIONS)),
    "page: 2**31 uncompressed bytes, zstd": lambda: set_page_header(
        "pyarrow_core_v1_zstd.parquet", _data_page, _set(None, uncompressed_page_size=BILLIONS)),
    "page: 2**31 uncompressed bytes, gzip": lambda: set_page_header(
        "pyarrow_core_v1_gzip.parquet", _data_page, _set(None, uncompressed_page_size=BILLIONS)),
    "page: 2**31 uncompressed bytes, brotli": lambda: set_page_header(
        "pyarrow_core_v1_brotli.parquet", _data_page, _set(None, uncompressed_page_size=BILLIONS)),
    "page: 2**31 compressed bytes": lambda: set_page_header(
        CORE, _data_page, _set(None, compressed_page_size=BILLIONS)),
    "footer: length 2**32 - 16": lambda: (TEST_DATA / CORE).read_bytes()[:-8] + struct.pack("<I", 2**32 - 16)
    + b"PAR1",
    "footer: schema list of 2**31 elements": lambda: _footer_with_list_length((TEST_DATA / CORE).read_bytes(),
                                                                             BILLIONS),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    jobs = []
    for i, (name, make) in enumerate(CASES.items()):
        path = folder / f"case{i}.parquet"
        path.write_bytes(make())
        jobs.append({"path": str(path), "count_calls": True})
        jobs.append({"path": str(path), "variant": "head", "count_calls": True})
    results = _fuzz.run(jobs, workers=2)
    return {name: results[2 * i: 2 * i + 2] for i, name in enumerate(CASES)}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_sizes_raise_parquet_errors_without_allocating(case, outcomes):
    for out in outcomes[case]:
        assert out["kind"] == "error", out
        assert out["parquet_error"], f"{out['type']}: {out['message']}"
        assert out["calls"] < CALLS, out      # work counted, not timed: no loop over the hostile size
        assert out["rss_growth_mb"] < 256, out
