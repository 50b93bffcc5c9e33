"""fastpq.read_parquet: pandas.read_parquet's call shape, and its frames for every dtype_backend."""
from __future__ import annotations

import inspect
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from tests.conftest import TEST_DATA, WITHOUT_PYARROW, committed_files, corpus_files, relative
from tests._oracles import assert_same, pandas_read
from tests.file.test_corpus_read import KNOWN

CORE = TEST_DATA / "pyarrow_core_v1_snappy.parquet"


def _has_nested(path) -> bool:
    try:
        return any(not f.is_leaf or f.max_rep > 0 for f in fastpq.ParquetFile(path).schema.fields)
    except fastpq.ParquetError:
        return False


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
@pytest.mark.parametrize("path", corpus_files() + committed_files(), ids=relative)
def test_backends_match_pandas(path, backend):
    expected = pandas_read(path, backend)
    if expected is None:
        pytest.skip("pyarrow cannot read this file")
    try:
        got = fastpq.read_parquet(path, dtype_backend=backend)
        assert_same(got, expected)
    except (AssertionError, fastpq.UnsupportedFeatureError, fastpq.PrecisionError):
        if path.name in KNOWN:
            return
        if _has_nested(path):
            pytest.xfail("nested columns under dtype_backends are built by the nested reader (in progress)")
        raise
    else:
        assert path.name not in KNOWN, f"{path.name} now matches under {backend}: remove it from KNOWN"


def test_signature_is_pandas_shaped():
    params = inspect.signature(fastpq.read_parquet).parameters
    assert list(params)[:9] == ["path", "columns", "filters", "index", "categories", "dtype_backend",
                                "storage_options", "use_threads", "verify_checksums"]
    assert params["dtype_backend"].default is pd.api.extensions.no_default
    assert params["columns"].default is None and params["filters"].default is None
    assert params["use_threads"].default is True and params["verify_checksums"].default is False
    assert params["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    assert "read_parquet" in fastpq.__all__
    from fastpq import read_parquet  # noqa: F401 - importable by name


def test_default_backend_when_not_given():
    pd.testing.assert_frame_equal(fastpq.read_parquet(CORE), pd.read_parquet(CORE))


def test_invalid_dtype_backend():
    with pytest.raises(ValueError, match="dtype_backend numpy is invalid"):
        fastpq.read_parquet(CORE, dtype_backend="numpy")


def test_directory_reads_as_a_dataset(tmp_path):
    """Directories are datasets (tests/dataset); an empty one raises (pandas returns an empty
    frame; issue 15.20, docs/datasets.md)."""
    with pytest.raises(FileNotFoundError, match="no Parquet files found"):
        fastpq.read_parquet(tmp_path)


def test_filters_apply_to_one_file():
    """Filters on one file (tests/dataset has the rest)."""
    filters = [("id", ">", 3)]
    pd.testing.assert_frame_equal(fastpq.read_parquet(CORE, filters=filters), pd.read_parquet(CORE, filters=filters))


def test_unknown_keyword_raises():
    with pytest.raises(TypeError, match="bogus"):
        fastpq.read_parquet(CORE, bogus=1)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        fastpq.read_parquet(TEST_DATA / "no_such_file.parquet")


def test_sources_and_options(tmp_path):
    expected = pd.read_parquet(CORE, columns=["id", "str_dict"])
    assert_same(fastpq.read_parquet(CORE, columns=["id", "str_dict"]), expected)
    assert_same(fastpq.read_parquet(str(CORE), columns=["id", "str_dict"], engine="pyarrow"), expected)
    raw = CORE.read_bytes()
    assert_same(fastpq.read_parquet(io.BytesIO(raw), columns=["id", "str_dict"]), expected)
    assert_same(fastpq.read_parquet(raw, columns=["id", "str_dict"], use_threads=False), expected)
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.pipe("/fastpq-test/core.parquet", raw)
    assert_same(fastpq.read_parquet("memory://fastpq-test/core.parquet", columns=["id", "str_dict"],
                                    storage_options={}), expected)
    assert_same(fastpq.read_parquet("/fastpq-test/core.parquet", columns=["id", "str_dict"], filesystem=fs),
                expected)


def test_index_categories_row_groups(tmp_path):
    path = tmp_path / "f.parquet"
    df = pd.DataFrame({"k": ["a", "b", "a", "c"] * 5, "v": np.arange(20)})
    df.to_parquet(path, row_group_size=5)
    got = fastpq.read_parquet(path, index="v", categories=["k"])
    assert got.index.name == "v" and str(got["k"].dtype) == "category"
    assert list(got["k"].cat.categories) == ["a", "b", "c"]
    part = fastpq.read_parquet(path, row_groups=[1, 3])
    assert part["v"].tolist() == list(range(5, 10)) + list(range(15, 20))
    unit = fastpq.read_parquet(TEST_DATA / "pyarrow_int96_timestamps.parquet", coerce_int96_timestamp_unit="ms")
    assert str(unit["ts_ns"].dtype) == "datetime64[ms]"


def test_pyarrow_backend_every_flat_type_is_arrow():
    df = fastpq.read_parquet(TEST_DATA / "pyarrow_types_plain_v1_snappy.parquet", dtype_backend="pyarrow")
    assert all(isinstance(t, pd.ArrowDtype) for t in df.dtypes)
    df = fastpq.read_parquet(TEST_DATA / "pyarrow_pandas_named_index.parquet", dtype_backend="pyarrow")
    assert isinstance(df.index.dtype, pd.ArrowDtype)


def test_pyarrow_backend_strings_beyond_int32_offsets_split_into_chunks():
    """string columns whose chunk holds > 2**31 - 1 bytes: int32 offsets cannot address them, so the
    chunk is split into several arrow chunks (pyarrow does the same)."""
    from fastpq.column.read.decoders import ByteArrayBuffer, Decoded
    from fastpq.format.arrow_types import inferred_type
    from fastpq.frame.read import arrow as to_arrow

    sink = io.BytesIO()
    pq.write_table(pa.table({"s": ["x"]}), sink)
    leaf = fastpq.ParquetFile(sink.getvalue()).schema.column("s")
    buf = ByteArrayBuffer(3, 0)
    buf.offsets = np.array([0, 2, 4, 7], np.int64)
    buf.data = np.frombuffer(b"aabbccc", np.uint8).copy()
    old = to_arrow._INT32_OFFSETS_LIMIT
    to_arrow._INT32_OFFSETS_LIMIT = 4  # pretend the limit is 4 bytes
    try:
        arr = to_arrow.decoded_to_arrow(Decoded(leaf, 3, chunks=[buf]), inferred_type(leaf))
    finally:
        to_arrow._INT32_OFFSETS_LIMIT = old
    assert arr.type == pa.string() and arr.num_chunks == 2
    assert arr.to_pylist() == ["aa", "bb", "ccc"]


def test_parquet_file_checks_dtype_backend_too():
    with pytest.raises(ValueError, match="dtype_backend"):
        fastpq.ParquetFile(CORE).to_pandas(dtype_backend="numpy")
    with pytest.raises(ValueError, match="dtype_backend"):
        fastpq.ParquetFile(CORE).head(3, dtype_backend="arrow")


def test_reads_without_pyarrow(tmp_path):
    """pyarrow blocked: ARROW:schema still restores zones, durations and categoricals; the
    'pyarrow' backend says it needs pyarrow."""
    import subprocess
    import sys

    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"ts": pa.array([0, None], pa.timestamp("us", tz="Asia/Tokyo")),
                             "d": pa.array([1, None], pa.duration("s")),
                             "c": pa.array(["x", None]).dictionary_encode(), "s": ["a", "b"]}), path)
    code = WITHOUT_PYARROW + (
        "import fastpq\n"
        f"df = fastpq.read_parquet({str(path)!r})\n"
        "assert [str(t) for t in df.dtypes] == ['datetime64[us, Asia/Tokyo]', 'timedelta64[s]', 'category', 'str'], "
        "df.dtypes\n"
        "assert fastpq.ParquetFile(" + repr(str(path)) + ").head(1)['c'].tolist() == ['x']\n"
        "try:\n"
        f"    fastpq.read_parquet({str(path)!r}, dtype_backend='pyarrow')\n"
        "except fastpq.UnsupportedFeatureError as exc:\n"
        "    assert 'pyarrow' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('no error without pyarrow')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _decimal_file(tmp_path, values, physical):
    """A file with one DECIMAL(10, 2) column stored as BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY(20)."""
    from fastpq._thrift import ConvertedType, DecimalType, FileMetaData, LogicalType
    from fastpq.format import thrift_io

    typ = pa.binary() if physical == "byte_array" else pa.binary(20)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"d": pa.array(values, typ)}), plain, store_schema=False)
    raw = plain.read_bytes()
    n = int.from_bytes(raw[-8:-4], "little")
    fmd, _ = thrift_io.decode(FileMetaData, raw[-8 - n:-8])
    el = fmd.schema[1]
    el.converted_type, el.precision, el.scale = ConvertedType.DECIMAL, 10, 2
    el.logicalType = LogicalType(DECIMAL=DecimalType(scale=2, precision=10))
    footer = thrift_io.encode(fmd)
    path = tmp_path / f"decimal_{physical}.parquet"
    path.write_bytes(raw[:-8 - n] + footer + len(footer).to_bytes(4, "little") + b"PAR1")
    return path


@pytest.mark.parametrize("physical", ["byte_array", "flba"])
def test_pyarrow_backend_decimals_wider_than_arrow(tmp_path, physical):
    import decimal

    width = 20
    small = (-12345).to_bytes(width, "big", signed=True)
    path = _decimal_file(tmp_path, [small, None], physical)
    df = fastpq.read_parquet(path, dtype_backend="pyarrow")  # sign-extension bytes beyond 16: exact
    assert str(df["d"].dtype) == "decimal128(10, 2)[pyarrow]"
    assert df["d"].iloc[0] == decimal.Decimal("-123.45") and pd.isna(df["d"].iloc[1])
    huge = (10**40).to_bytes(width, "big", signed=True)
    path = _decimal_file(tmp_path, [huge, small], physical)
    assert fastpq.read_parquet(path)["d"].iloc[0] == decimal.Decimal(10**40).scaleb(-2)  # objects: exact
    with pytest.raises(fastpq.CorruptFileError, match="DECIMAL"):
        fastpq.read_parquet(path, dtype_backend="pyarrow")
