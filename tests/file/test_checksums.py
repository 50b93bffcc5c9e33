"""Page CRCs: verify_checksums=True reads the good files and raises ChecksumError, with where, on bad ones."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from tests.conftest import PARQUET_TESTING, needs_corpus
from tests._oracles import assert_same

GOOD = ["datapage_v1-snappy-compressed-checksum.parquet", "datapage_v1-uncompressed-checksum.parquet",
        "plain-dict-uncompressed-checksum.parquet", "rle-dict-snappy-checksum.parquet"]
CORRUPT = {  # file -> (column, offset of the page whose CRC does not match)
    "datapage_v1-corrupt-checksum.parquet": ("a", 4),
    "rle-dict-uncompressed-corrupt-checksum.parquet": ("long_field", 4),
}


@needs_corpus
def test_every_checksum_file_is_listed():
    found = {p.name for p in PARQUET_TESTING.glob("*checksum*.parquet")}
    assert found == set(GOOD) | set(CORRUPT)


@needs_corpus
@pytest.mark.parametrize("name", GOOD)
def test_good_checksums_read(name):
    path = PARQUET_TESTING / name
    expected = pd.read_parquet(path)
    assert_same(fastpq.read_parquet(path, verify_checksums=True), expected)
    pf = fastpq.ParquetFile(path)
    assert len(pf.head(10, verify_checksums=True)) == 10
    assert sum(len(d) for d in pf.iter_row_groups(verify_checksums=True)) == pf.count()


@needs_corpus
@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_checksums_raise_with_location(name):
    path = PARQUET_TESTING / name
    column, offset = CORRUPT[name]
    with pytest.raises(fastpq.ChecksumError) as info:
        fastpq.read_parquet(path, verify_checksums=True)
    err = info.value
    assert isinstance(err, fastpq.CorruptFileError) and isinstance(err, fastpq.ParquetError)
    assert err.path == str(path) and err.row_group == 0 and tuple(err.column) == (column,) and err.offset == offset
    message = str(err)
    assert str(path) in message and "row group 0" in message and repr(column) in message and f"offset {offset}" in message
    assert len(fastpq.read_parquet(path)) > 0  # without verification the pages decode


def _written(tmp_path, version):
    path = tmp_path / f"crc_{version}.parquet"
    t = pa.table({"i": list(range(2000)), "s": [f"v{i % 17}" for i in range(2000)]})
    pq.write_table(t, path, write_page_checksum=True, data_page_version=version, compression="none",
                   row_group_size=1000)
    return path


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("where", ["data", "dictionary"])
def test_flipped_page_byte_is_caught(tmp_path, version, where):
    path = _written(tmp_path, version)
    md = pq.ParquetFile(path).metadata.row_group(1).column(1)  # column s of row group 1: a dictionary chunk
    assert md.dictionary_page_offset is not None
    if where == "data":
        at = md.dictionary_page_offset + md.total_compressed_size - 1  # the chunk's last byte: a data page's
        page = md.data_page_offset
    else:
        at = md.data_page_offset - 1  # last byte of the dictionary page's payload
        page = md.dictionary_page_offset
    raw = bytearray(path.read_bytes())
    raw[at] ^= 0x01
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(raw))
    with pytest.raises(fastpq.ChecksumError) as info:
        fastpq.read_parquet(bad, verify_checksums=True)
    err = info.value
    assert err.row_group == 1 and tuple(err.column) == ("s",) and err.offset >= page
    assert fastpq.read_parquet(bad, columns=["i"], verify_checksums=True)["i"].tolist() == list(range(2000))
    pf = fastpq.ParquetFile(bad)
    assert len(pf.head(500, verify_checksums=True)) == 500  # row group 0 only: never reaches the bad page
    with pytest.raises(fastpq.ChecksumError):
        list(pf.iter_row_groups(verify_checksums=True))
