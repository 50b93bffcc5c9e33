"""Footers: every corpus file opens like pyarrow says; corrupt and truncated tails raise ParquetError."""
from __future__ import annotations

import io
import multiprocessing
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.format import thrift_io
from fastpq.format.footer import encode_file_metadata, footer_bytes, parse_file_metadata, RowGroupList
from tests.conftest import BAD_DATA, corpus_files, needs_corpus, relative

CORPUS_FILES = corpus_files()


def _pyarrow_metadata(path):
    try:
        return pq.ParquetFile(path).metadata
    except Exception:  # noqa: BLE001 - pyarrow cannot open it: not a conformance case
        return None


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=relative)
def test_corpus_metadata_matches_pyarrow(path):
    expected = _pyarrow_metadata(path)
    if expected is None:  # pyarrow refuses it: fastpq must refuse with a ParquetError or read it
        try:
            _touch(fastpq.ParquetFile(path))
        except fastpq.ParquetError:
            pass
        return
    pf = fastpq.ParquetFile(path)
    assert pf.num_rows == expected.num_rows
    assert pf.num_row_groups == expected.num_row_groups
    assert (pf.created_by or "") == (expected.created_by or "")
    paths = [tuple(c.path) for c in pf.schema.columns]
    assert paths == [tuple(expected.schema.column(i).path.split(".")) for i in range(expected.num_columns)]
    for i, leaf in enumerate(pf.schema.columns):
        pa_col = expected.schema.column(i)
        assert leaf.max_def == pa_col.max_definition_level
        assert leaf.max_rep == pa_col.max_repetition_level
        assert fastpq.format.schema.TYPE_NAMES[leaf.physical_type] == pa_col.physical_type
    assert [rg.num_rows for rg in pf.row_groups] == [expected.row_group(i).num_rows for i in range(expected.num_row_groups)]
    assert [rg.total_byte_size for rg in pf.row_groups] == [expected.row_group(i).total_byte_size for i in range(expected.num_row_groups)]


def _touch(pf):
    """Use every piece of metadata, decoding all row groups."""
    for rg in pf.metadata.row_groups:
        assert rg.columns is not None
    pf.statistics
    pf.dtypes
    str(pf.schema)
    repr(pf)


def test_lazy_row_groups_equal_full_decode(tmp_path):
    path = tmp_path / "many.parquet"
    table = pa.table({"a": np.arange(1000), "s": [str(i) for i in range(1000)]})
    pq.write_table(table, path, row_group_size=7)
    raw = _footer(path)
    lazy = parse_file_metadata(raw)
    full, _ = thrift_io.decode(fastpq._thrift.FileMetaData, raw)
    assert isinstance(lazy.row_groups, RowGroupList)
    assert len(lazy.row_groups) == len(full.row_groups) == 143
    assert list(lazy.row_groups.num_rows) == [rg.num_rows for rg in full.row_groups]
    assert lazy.row_groups[5] == full.row_groups[5]
    assert list(lazy.row_groups) == full.row_groups
    assert lazy.schema == full.schema and lazy.key_value_metadata == full.key_value_metadata


def test_encode_splices_raw_row_groups_identically(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": np.arange(100)}), path, row_group_size=10)
    raw = _footer(path)
    lazy = parse_file_metadata(raw)
    assert encode_file_metadata(lazy) == raw  # nothing decoded: pure splice
    lazy.row_groups[3]  # decoded ones are re-encoded
    assert encode_file_metadata(lazy) == raw
    full, _ = thrift_io.decode(fastpq._thrift.FileMetaData, raw)
    assert thrift_io.encode(full) == raw


def test_footer_written_by_fastpq_reads_back_in_pyarrow(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": np.arange(100), "b": ["x"] * 100}), path, row_group_size=30)
    data = path.read_bytes()
    footer_len = int.from_bytes(data[-8:-4], "little")
    md = parse_file_metadata(data[-8 - footer_len:-8])
    md.row_groups.append(md.row_groups[0])  # a footer that lists row group 0 twice
    md.num_rows += md.row_groups[0].num_rows
    md.key_value_metadata.append(fastpq._thrift.KeyValue("fastpq", "yes"))
    out = tmp_path / "g.parquet"
    out.write_bytes(data[: len(data) - 8 - footer_len] + footer_bytes(md))
    table = pq.read_table(out)
    assert table.num_rows == 130
    assert table.column("a").to_pylist() == list(range(100)) + list(range(30))
    assert pq.ParquetFile(out).metadata.metadata[b"fastpq"] == b"yes"


def _footer(path) -> bytes:
    data = open(path, "rb").read()
    n = int.from_bytes(data[-8:-4], "little")
    return data[-8 - n:-8]


def test_sources(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    data = path.read_bytes()
    import fsspec

    with fsspec.open("memory://x/f.parquet", "wb") as f:
        f.write(data)
    for source in [path, str(path), f"file://{path}", data, io.BytesIO(data), "memory://x/f.parquet"]:
        assert fastpq.ParquetFile(source).num_rows == 3
    with open(path, "rb") as f:
        assert fastpq.ParquetFile(f).num_rows == 3


def test_large_footer_takes_a_second_read(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({f"c{i}": np.arange(50) for i in range(200)}), path, row_group_size=5)
    reads = []

    class Counting(io.BytesIO):
        def read(self, n=-1):
            reads.append(n)
            return super().read(n)

    pf = fastpq.ParquetFile(Counting(path.read_bytes()))
    assert pf.footer_size > 64 * 1024
    assert len(reads) == 2 and pf.num_row_groups == 10


# ------------------------------------------------------------ corrupt input

def _open_everything(data: bytes):
    pf = fastpq.ParquetFile(data)
    _touch(pf)


def _expect_parquet_error_or_success(data: bytes):
    try:
        _open_everything(data)
    except fastpq.ParquetError:
        pass


def _run_with_timeout(fn, arg, seconds=5.0):
    """Run fn(arg) in a child process: it must finish in time and not crash."""
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()

    def target():
        try:
            fn(arg)
            q.put("ok")
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            q.put(f"{type(exc).__name__}: {exc}")

    p = ctx.Process(target=target)
    p.start()
    p.join(seconds)
    if p.is_alive():
        p.kill()
        pytest.fail(f"hang: no answer in {seconds} s")
    assert p.exitcode == 0, f"crashed with exit code {p.exitcode}"
    return q.get(timeout=1)


@needs_corpus
@pytest.mark.parametrize("path", sorted(BAD_DATA.glob("*")) if BAD_DATA.exists() else [], ids=relative)
def test_bad_data_raises_parquet_error_quickly(path):
    # Footer-level problems surface here; page-level ones belong to the read path.
    result = _run_with_timeout(_expect_parquet_error_or_success, path.read_bytes(), seconds=1.0 + 2.0)
    assert result == "ok", result


def test_every_tail_truncation_raises(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": np.arange(100), "s": ["x"] * 100}), path, row_group_size=10)
    data = path.read_bytes()
    footer_len = int.from_bytes(data[-8:-4], "little")
    for cut in range(1, footer_len + 9):
        with pytest.raises(fastpq.ParquetError):
            _open_everything(data[:-cut])


def test_flipped_footer_bytes_raise_only_parquet_errors(tmp_path):
    path = tmp_path / "f.parquet"
    table = pa.table({"a": np.arange(100), "s": ["x"] * 100, "l": [[1, 2]] * 100})
    pq.write_table(table, path, row_group_size=10)
    data = bytearray(path.read_bytes())
    footer_len = int.from_bytes(data[-8:-4], "little")
    rng = random.Random(42)

    def mutate_and_open(seed):
        r = random.Random(seed)
        mutated = bytearray(data)
        for _ in range(r.randint(1, 4)):
            i = len(data) - 8 - footer_len + r.randrange(footer_len)
            mutated[i] = r.randrange(256)
        _expect_parquet_error_or_success(bytes(mutated))

    for _ in range(300):
        mutate_and_open(rng.randrange(1 << 30))


@needs_corpus
def test_encrypted_files_say_so():
    from tests.conftest import PARQUET_TESTING

    for path in PARQUET_TESTING.glob("*.parquet.encrypted"):
        try:
            pf = fastpq.ParquetFile(path)
            pf.statistics
        except fastpq.EncryptedFileError as exc:
            assert "encrypt" in str(exc).lower()
        else:  # plaintext footer: the footer is readable, the encrypted columns are not
            assert "plaintext" in path.name


@needs_corpus
def test_plaintext_footer_reads_plain_columns_and_refuses_encrypted_ones():
    """Plaintext-footer mode: the schema is public, unencrypted columns read, encrypted ones raise
    EncryptedFileError (never a CorruptFileError from trying to parse ciphertext as pages)."""
    from tests.conftest import PARQUET_TESTING

    path = PARQUET_TESTING / "encrypt_columns_plaintext_footer.parquet.encrypted"
    if not path.exists():
        pytest.skip("file absent")
    pf = fastpq.ParquetFile(path)
    assert pf.to_pandas(columns=["int32_field", "ba_field"]).shape == (50, 2)
    for column in ("float_field", "double_field"):
        with pytest.raises(fastpq.EncryptedFileError, match="encrypted"):
            pf.to_pandas(columns=[column])
    with pytest.raises(fastpq.EncryptedFileError):
        fastpq.read_parquet(path)
