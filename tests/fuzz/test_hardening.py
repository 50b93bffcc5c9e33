"""Regressions for what fuzzing found in the read path (each case once read wrongly or crashed).

The seeded cases replay tests/fuzz/_fuzz.py mutations (``--repro`` prints them); the others
build the hostile input directly.
"""
from __future__ import annotations

import numpy as np
import pytest

import fastpq
from fastpq.column.read.decoders import ByteArrayBuffer, DECODERS, KernelError, check_consumed
from fastpq._thrift import Encoding
from fastpq.kernels import delta, rle
from tests.fuzz import _fuzz

# (job, what went wrong before); each must now raise a ParquetError
SEEDED = [
    ({"file": "pyarrow_core_v2_uncompressed.parquet", "seed": 11003271, "kind": "cut"},
     "a header cut short but still valid: its page read from inside the old header (indices of bit width 0)"),
    ({"file": "pyarrow_core_v1_uncompressed.parquet", "seed": 11003307, "kind": "cut"},
     "the same, in a v1 page: values decoded from the wrong bytes, the rest of the page ignored"),
    ({"file": "pyarrow_core_v1_uncompressed.parquet", "seed": 11008925, "kind": "set", "variant": "groups"},
     "a page's values read from a shifted section"),
    ({"file": "pyarrow_pandas_categorical.parquet", "seed": 11000812, "kind": "field", "variant": "groups"},
     "a dictionary page's num_values set to 0: an all-null categorical lost its categories"),
    ({"file": "pyarrow_encodings_v2_uncompressed.parquet", "seed": 7009430, "kind": "field", "variant": "head"},
     "a data page's type set to 6 (unknown): skipped, head() read the next page's rows as the first"),
    ({"file": "pyarrow_nulls_v2_plain_snappy.parquet", "seed": 404008380, "kind": "splice", "variant": "arrow"},
     "statistics bytes of a page header spliced: the header one byte shorter, its PLAIN payload read one byte "
     "early (every value wrong); only the chunk's end, one byte after its last page, tells"),
    ({"file": "duckdb_row_groups_v1_snappy.parquet", "seed": 505010317, "kind": "footer_field"},
     "a row group claiming 2**63 - 1 rows: the row counts overflowed int64 when added, ValueError from numpy"),
]


@pytest.mark.parametrize("job, why", SEEDED, ids=[j["file"] + "-" + str(j["seed"]) for j, _ in SEEDED])
def test_seeded_regressions(job, why):
    job = {"variant": "read", "verify": False, "check_verify": True, **job}
    out = _fuzz.run_case(job)
    assert out["problem"] is None, f"{why}: {out}"
    assert out["kind"] == "error" and out["parquet_error"], f"{why}: {out}"


# footer mutations that describe other data (any frame will do) but once raised other exceptions
ODD_FOOTERS = [
    ({"file": "polars_empty_0rows.parquet", "seed": 11001540, "kind": "multi"},
     "a TIMESTAMP left without its unit: printing the schema raised TypeError"),
    ({"file": "polars_empty_0rows.parquet", "seed": 303009921, "kind": "flip", "variant": "groups"},
     "ARROW:schema's time zone 'UTC' flipped to 'UTK': ParquetFile.dtypes (and repr) raised "
     "ZoneInfoNotFoundError, where reading warns and keeps UTC"),
]


@pytest.mark.parametrize("job, why", ODD_FOOTERS, ids=[str(j["seed"]) for j, _ in ODD_FOOTERS])
def test_odd_footers_read_or_raise_parquet_errors(job, why):
    out = _fuzz.run_case({"variant": "read", "verify": False, "check_verify": True, **job})
    assert out["problem"] is None, f"{why}: {out}"


def test_bytes_after_the_values_are_ignored_but_a_short_section_is_not():
    check_consumed(8, np.zeros(16, np.uint8), 1, "values")  # fastparquet 0.8 padded pages with zeros
    src = np.zeros(16, np.uint8)
    src[12] = 1
    check_consumed(8, src, 1, "values")  # stray bytes: the header's counts are authoritative (issue 15)
    with pytest.raises(KernelError, match="announces 0 values"):
        check_consumed(0, src, 0, "dictionary page")  # a damaged header, not stray bytes
    with pytest.raises(KernelError, match="2 values need 20 bytes, the page holds 16"):
        check_consumed(20, src, 2, "values")


def test_indices_of_bit_width_zero_must_have_their_runs():
    out = np.empty(5, np.int32)
    good = np.array([0, 5 << 1], np.uint8)  # width 0, one RLE run of 5
    assert DECODERS[Encoding.RLE_DICTIONARY](good, 5, _Codes(out), 0, _OneEntry()) == 2
    for bad in (np.array([0], np.uint8), np.array([0, 2 << 1], np.uint8)):  # no runs; runs of too few
        with pytest.raises(KernelError):
            DECODERS[Encoding.RLE_DICTIONARY](bad, 5, _Codes(out), 0, _OneEntry())
    assert rle.rle_hybrid_skip(good, 1, 2, 0, 5) == 2


class _Codes:
    kind = "codes"

    def __init__(self, values):
        self.values = values


class _OneEntry:
    size = 1
    values = None


def test_delta_byte_array_prefixes_cannot_expand_beyond_the_budget():
    from fastpq.options import Budget

    n = 300
    values = [b"x" * i for i in range(1, n + 1)]  # each value repeats the one before: ~n**2 / 2 bytes
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in values])]).astype(np.int64)
    page = delta.delta_byte_array_encode(offsets, np.frombuffer(b"".join(values), np.uint8))
    assert len(page) < 2_000 and offsets[-1] > 40_000
    out = ByteArrayBuffer(n, 16, Budget(100_000))
    assert DECODERS[Encoding.DELTA_BYTE_ARRAY](page, n, out, 0, None) == len(page)
    assert bytes(out.data[:offsets[-1]]) == b"".join(values)
    with pytest.raises(fastpq.DecodedBytesLimitError, match="DELTA_BYTE_ARRAY"):
        DECODERS[Encoding.DELTA_BYTE_ARRAY](page, n, ByteArrayBuffer(n, 16, Budget(10_000)), 0, None)


def test_footer_row_claims_are_charged_before_allocating():
    from fastpq.column.read.flat import FlatColumn
    from fastpq.options import Budget
    from tests.conftest import TEST_DATA

    leaf = fastpq.ParquetFile(TEST_DATA / "pyarrow_core_v1_snappy.parquet").schema.field("int64")
    budget = Budget(1 << 20)
    FlatColumn(leaf, 2**16, 1, budget=budget)  # 512 KB of 8-byte values (a required column): within 1 MiB
    with pytest.raises(fastpq.DecodedBytesLimitError, match="2,147,483,647 rows") as info:
        FlatColumn(leaf, 2**31 - 1, 1, budget=budget)
    assert info.value.used == 8 * 2**16


def test_a_second_dictionary_page_is_corrupt():
    from tests.fuzz.test_allocation_caps import _data_page, _dict_page, set_page_header

    # the first data page of a dictionary-encoded chunk relabelled as a dictionary page
    def to_dictionary(header):
        from fastpq._thrift import DictionaryPageHeader, PageType

        header.type = PageType.DICTIONARY_PAGE
        header.dictionary_page_header = DictionaryPageHeader(num_values=1, encoding=0)
        header.data_page_header = None

    seen = []

    def second_page(header):
        seen.append(header)
        return len(seen) == 2 and _data_page(header) and _dict_page(seen[0])

    bad = set_page_header("pyarrow_core_v1_uncompressed.parquet", second_page, to_dictionary)
    with pytest.raises(fastpq.CorruptFileError, match="dictionary page after the chunk's first page"):
        fastpq.read_parquet(bad)
