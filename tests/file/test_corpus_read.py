"""Every file pyarrow reads: fastpq's DataFrame equals pandas.read_parquet's (pyarrow engine).

Walks the shared corpus (skipped when absent) and the committed test-data/.
Files where fastpq deliberately differs are listed in KNOWN with the reason;
the test fails if one of them starts to match (so the list stays honest).
"""
from __future__ import annotations

import warnings

import pandas as pd
import pytest

import fastpq
from tests.conftest import corpus_files, relative, committed_files

# relative path (or file name) -> why fastpq's result differs from pandas.read_parquet
KNOWN = {
    "int96_from_spark.parquet": "pyarrow wraps INT96 values outside the ns range; fastpq refuses to truncate",
    "pyarrow_pandas_categorical.parquet": "pandas metadata says 'categorical': fastpq restores integer "
                                          "categoricals too, pyarrow only string ones",
    "pyarrow_int96_timestamps.parquet": "INT96 values beyond datetime64[ns] (ARROW:schema says timestamp[ns]): "
                                        "pyarrow wraps them, fastpq keeps the unit that holds them (us)",
}
def _files():
    return [p for p in corpus_files() + committed_files()]


def _expected(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.read_parquet(path)
        except Exception:  # noqa: BLE001 - pyarrow cannot read it: not a conformance case here
            return None


@pytest.mark.parametrize("path", _files(), ids=relative)
def test_read_matches_pandas(path):
    expected = _expected(path)
    if expected is None:
        pytest.skip("pyarrow cannot read this file")
    try:
        got = fastpq.ParquetFile(path).to_pandas()
        pd.testing.assert_frame_equal(got, expected)
    except (AssertionError, fastpq.UnsupportedFeatureError, fastpq.PrecisionError) as exc:
        if path.name in KNOWN:
            return
        raise exc
    else:
        assert path.name not in KNOWN, f"{path.name} now matches: remove it from KNOWN"


def test_int96_from_spark_never_wraps():
    from tests.conftest import PARQUET_TESTING

    path = PARQUET_TESTING / "int96_from_spark.parquet"
    if not path.exists():
        pytest.skip("corpus absent")
    pf = fastpq.ParquetFile(path)
    # One value needs ms (beyond datetime64[us]), another carries microseconds: no exact unit.
    with pytest.raises(fastpq.PrecisionError, match="coerce_int96_timestamp_unit"):
        pf.to_pandas()
    with pytest.raises(fastpq.PrecisionError, match="outside the range"):
        pf.to_pandas(coerce_int96_timestamp_unit="us")
    got = pf.to_pandas(coerce_int96_timestamp_unit="ms")["a"]
    # values from parquet-testing's int96_from_spark.md in UTC, truncated to ms; the first string had no
    # offset and was cast in the Spark session's zone (UTC-8 by the stored value)
    assert got.dtype == "datetime64[ms]"
    expected = ["2024-01-01 20:34:56.123", "2024-01-01 01:00:00", "9999-12-31 03:00:00", "2024-12-30 23:00:00"]
    assert list(got[:4]) == [pd.Timestamp(v) for v in expected]
    assert pd.isna(got[4])
    # The sixth value's stored Julian day is -105862232 (signed int32, as the spec types it) with
    # negative nanoseconds: Spark overflowed writing year 290000. fastpq reads the bits exactly.
    assert got.to_numpy().view("i8")[5] == (-105862232 - 2440588) * 86_400_000 + (-32509551616000 // 10**6)
