"""Write-side fast paths of one column chunk (issue 16) against spec-written references
and pyarrow:

* definition levels of bit width 1 written as bit-packed runs (``pages._bit_packed_levels``)
  decode to the same levels, by the hybrid decoder and by pyarrow reading the file;
* page cuts with the entry -> value map counted page by page (``chunk._Entries``) are the
  cuts the whole-chunk cumsum gave (a reference re-stated here from the rule).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fastpq
from fastpq.column.write import chunk as wchunk
from fastpq.column.write.pages import _bit_packed_levels, encode_levels
from fastpq.kernels.rle import rle_hybrid_decode

SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def _decode(body: bytes, count: int, bit_width: int = 1) -> np.ndarray:
    out = np.zeros(count, np.uint8)
    src = np.frombuffer(body, np.uint8)
    pos = rle_hybrid_decode(src, 0, len(src), bit_width, count, out, 0)
    assert pos == len(src), "every byte of the section is used"
    return out


def _levels(count: int, null_rate: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(count) >= null_rate).astype(np.uint8)


COUNTS = [1, 7, 8, 9, 503, 504, 505, 1007, 1008, 1009, 20_000]
RATES = [0.0, 0.001, 0.1, 0.5, 0.9, 0.999, 1.0]


@pytest.mark.parametrize("count", COUNTS)
@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("prefix", [True, False])
def test_def_levels_round_trip(count, rate, prefix):
    levels = _levels(count, rate, count)
    section = encode_levels(levels, count, 1, prefix)
    body = section[4:] if prefix else section
    if prefix:
        assert int.from_bytes(section[:4], "little") == len(body)
    assert np.array_equal(_decode(body, count), levels)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int16, np.int32])
def test_bit_packed_levels_any_level_dtype(dtype):
    levels = _levels(3000, 0.5).astype(dtype)
    body = _bit_packed_levels(levels, len(levels))
    assert body is not None
    assert np.array_equal(_decode(body, len(levels)), levels.astype(np.uint8))


def test_bit_packed_levels_declines():
    assert _bit_packed_levels(np.ones(5000, np.uint8), 5000) is None          # one long run: RLE pays
    assert _bit_packed_levels(np.array([0, 2, 1] * 100, np.uint8), 300) is None  # not bit width 1
    assert _bit_packed_levels(np.zeros(0, np.uint8), 0) is None
    # short runs (10 % nulls at random): bit-packing, within 1/8 of the hybrid kernel's size (5.6 % here:
    # 2,540 vs 2,405 bytes for a 20,000-row page whose values take 160 KB)
    levels = _levels(20_000, 0.1)
    packed = _bit_packed_levels(levels, len(levels))
    from fastpq.kernels.rle import rle_hybrid_encode

    assert len(packed) <= rle_hybrid_encode(levels, len(levels), 1).size * 9 // 8


@SETTINGS
@given(st.lists(st.integers(0, 1), min_size=1, max_size=2100), st.integers(0, 40))
def test_def_levels_hypothesis(bits, count_cut):
    levels = np.array(bits, np.uint8)
    count = max(1, len(levels) - count_cut)
    body = encode_levels(levels, count, 1, False)
    assert np.array_equal(_decode(body, count), levels[:count])


# ---------------------------------------------------------------- page cuts vs a reference

def _reference_cuts(def_levels, max_def, per_value, page_size, max_rows):
    """Page ends of a flat chunk from the rule: a page ends after ``max_rows`` entries, or at the
    first entry where the page's dense values reach ``page_size / per_value`` (whole chunk cumsum)."""
    n = len(def_levels)
    vpos = np.concatenate([[0], np.cumsum(def_levels == max_def)])
    n_values = int(vpos[-1])
    step = max(int(page_size / per_value), 1)
    cuts, e = [], 0
    while e < n:
        v_end = min(n_values, int(vpos[e]) + step)
        end = int(np.searchsorted(vpos, v_end, "left")) if v_end < n_values else n
        end = min(end, e + max_rows, n)
        end = max(end, e + 1)
        cuts.append(end)
        e = end
    return cuts or [0]


@SETTINGS
@given(st.integers(0, 3000), st.floats(0, 1), st.sampled_from([8, 64, 800, 1 << 20]),
       st.sampled_from([1, 7, 100, 20_000]), st.integers(0, 2**32 - 1))
def test_page_cuts_match_reference(n, rate, page_size, max_rows, seed):
    levels = _levels(n, rate, seed)
    values = np.zeros(int(levels.sum()), np.int64)
    spec = wchunk.LeafSpec(("x",), fastpq._thrift.Type.INT64, max_def=1)
    col = wchunk.ColumnData(n, values=values, def_levels=levels)
    opts = wchunk.ColumnOptions(page_size=page_size, max_rows_per_page=max_rows)
    entries = wchunk._Entries(spec, col)
    got = wchunk._cut_pages(entries, wchunk._Cost(8.0), opts)
    assert got == _reference_cuts(levels, 1, 8.0, page_size, max_rows)
    e0 = 0
    for e1 in got:                                       # forward counting agrees with the cumsum
        assert entries.value_at(e1) - entries.value_at(e0) == int(levels[e0:e1].sum())
        e0 = e1
    assert entries.value_at(0) == 0                      # backwards: the full map, same answer


# ---------------------------------------------------------------- pyarrow reads what fastpq writes

def _frame(n, rate, seed):
    rng = np.random.default_rng(seed)
    null = rng.random(n) < rate
    f = rng.random(n)
    f[null] = np.nan
    i = pd.array(rng.integers(-(1 << 40), 1 << 40, n), dtype="Int64")
    i[null] = pd.NA
    s = pd.Series(rng.integers(0, 1 << 30, n).astype(str), dtype="str")
    s[rng.random(n) < rate] = None
    b = pd.array(rng.random(n) < 0.5, dtype="boolean")
    b[rng.random(n) < rate] = pd.NA
    ts = pd.Series(np.datetime64("2020-01-01", "ns") + rng.integers(0, 10**15, n).astype("m8[ns]"))
    ts[null] = pd.NaT
    return pd.DataFrame({"f": f, "i": i, "s": s, "b": b, "ts": ts})


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.1, 0.5, 0.97, 1.0])
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("page_size", [1 << 20, 2000])
@pytest.mark.parametrize("codec", [None, "snappy"])
def test_pyarrow_reads_nullable_columns(tmp_path, rate, version, page_size, codec):
    df = _frame(5_003, rate, int(rate * 1000) + version)
    path = tmp_path / "x.parquet"
    fastpq.write(path, df, compression=codec, data_page_version=version, page_size=page_size,
                 page_index=True)
    table = pq.read_table(path)
    for name in df.columns:
        got = table.column(name).to_pylist()
        want = [None if pd.isna(v) else v for v in df[name].astype(object)]
        if name == "ts":
            want = [None if v is None else pd.Timestamp(v).value for v in want]
            got = [None if v is None else pd.Timestamp(v).value for v in got]
        assert got == want, name
        meta = pq.ParquetFile(path).metadata.row_group(0).column(list(df.columns).index(name))
        assert meta.statistics.null_count == int(df[name].isna().sum())


# ---------------------------------------------------------------- statistics vs pyarrow's

def _stat_cases():
    rng = np.random.default_rng(11)
    cases = {}
    for dt in ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]:
        info = np.iinfo(dt)
        v = rng.integers(info.min, info.max, 3000, dtype=dt, endpoint=True)
        cases[dt] = v
        cases[dt + "-extremes"] = np.array([info.max, info.min, 0, info.max], dt)
    for dt in ["float32", "float64"]:
        cases[dt] = (rng.standard_normal(3000) * 1e6).astype(dt)
        cases[dt + "-zeros"] = np.array([0.0, -0.0, 0.0], dt)
        cases[dt + "-negzero-first"] = np.array([-0.0, 0.0, 1.5], dt)
        cases[dt + "-inf"] = np.array([np.inf, -np.inf, 3.0], dt)
        cases[dt + "-pos"] = np.array([2.5, 7.0, 0.0], dt)
    return cases


STAT_CASES = _stat_cases()


@pytest.mark.parametrize("name", sorted(STAT_CASES))
def test_statistics_match_pyarrow(tmp_path, name):
    import pyarrow as pa

    values = STAT_CASES[name]
    df = pd.DataFrame({"x": values})
    fastpq.write(tmp_path / "f.parquet", df, compression=None, page_index=True)
    pq.write_table(pa.Table.from_pandas(df), tmp_path / "a.parquet")
    got = pq.ParquetFile(tmp_path / "f.parquet").metadata.row_group(0).column(0).statistics
    want = pq.ParquetFile(tmp_path / "a.parquet").metadata.row_group(0).column(0).statistics
    assert got.has_min_max
    for a, b in ((got.min, want.min), (got.max, want.max)):
        assert a == b and np.signbit(a) == np.signbit(b), (a, b)
    assert got.null_count == want.null_count == 0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("values", [[1.5, np.nan, -2.0, 4.0], [np.nan, np.nan], [np.nan, 0.0, -0.0], [],
                                    [0.0, -0.0], [3.0, np.inf, -np.inf]])
def test_float_bounds_reference(dtype, values):
    """Dense float values with NaNs in them (the kernel path) and without (numpy's): NaNs are
    skipped and counted, a zero min is -0.0 and a zero max +0.0 (ColumnOrder notes)."""
    from fastpq.column.write import stats

    arr = np.array(values, dtype)
    b = stats._float_bounds(arr)
    real = [float(v) for v in arr if v == v]
    assert b.nan_count == len(arr) - len(real)
    if not real:
        assert b.lo is None
        return
    lo, hi = min(real), max(real)
    assert (b.lo_key, b.hi_key) == (lo, hi)
    assert np.signbit(b.lo_key) == (lo == 0.0 or lo < 0) and np.signbit(b.hi_key) == (hi < 0)


# ---------------------------------------------------------------- dictionary or not, by a sample

def _dictionary_cases():
    rng = np.random.default_rng(5)
    n = 300_000
    return {
        "unique-int64": (rng.permutation(n).astype(np.int64) << 20, False),
        "unique-float64": (rng.random(n), False),
        "sorted-unique-int32": (np.arange(n, dtype=np.int32), False),
        "1000-distinct-int32": (rng.integers(0, 1000, n).astype(np.int32), True),
        "sorted-runs-of-10": (np.repeat(np.arange(n // 10, dtype=np.int64) * 7919, 10), True),
        "60000-distinct-int64": (rng.integers(0, 60_000, n) * (1 << 33), True),
        "two-floats": (np.where(rng.random(n) < 0.5, 0.1, -0.0), True),
    }


DICT_CASES = _dictionary_cases()


@pytest.mark.parametrize("name", sorted(DICT_CASES))
def test_dictionary_choice_and_values(tmp_path, name):
    values, dictionary = DICT_CASES[name]
    path = tmp_path / "x.parquet"
    fastpq.write(path, pd.DataFrame({"x": values}), compression=None)
    meta = pq.ParquetFile(path).metadata.row_group(0).column(0)
    assert meta.has_dictionary_page == dictionary
    got = pq.read_table(path).column("x").to_numpy()
    assert got.dtype == values.dtype and np.array_equal(got.view(f"u{values.dtype.itemsize}"),
                                                        values.view(f"u{values.dtype.itemsize}"))


def test_numbers_sample_counts_bits():
    """The sample compares bits (as the dictionary does): -0.0 and 0.0 are two values."""
    values = np.tile(np.array([0.0, -0.0]), 40_000)
    assert not wchunk._numbers_too_distinct(values, 1 << 20)
    assert wchunk._numbers_too_distinct(np.arange(80_000, dtype=np.float64), 1 << 20)
    assert not wchunk._numbers_too_distinct(np.zeros((80_000, 3), np.uint8), 1 << 20)   # FLBA rows: not sampled


MASKED = ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "boolean"]


@pytest.mark.parametrize("dtype", MASKED)
@pytest.mark.parametrize("pattern", ["none", "some", "all", "first-last"])
def test_masked_arrays_vs_pyarrow(tmp_path, dtype, pattern):
    """pandas' masked arrays (values + NA mask) written by fastpq read by pyarrow as pandas' own
    conversion of the same array does."""
    import pyarrow as pa

    n = 1000
    rng = np.random.default_rng(len(dtype))
    if dtype == "boolean":
        raw = rng.random(n) < 0.5
    elif dtype.startswith("Float"):
        raw = rng.standard_normal(n)
    else:
        info = np.iinfo(pd.api.types.pandas_dtype(dtype).numpy_dtype)
        raw = rng.integers(info.min, info.max, n, dtype=info.dtype, endpoint=True)
    arr = pd.array(raw, dtype=dtype)
    na = {"none": np.zeros(n, bool), "some": rng.random(n) < 0.3, "all": np.ones(n, bool),
          "first-last": np.isin(np.arange(n), [0, n - 1])}[pattern]
    arr[na] = pd.NA
    df = pd.DataFrame({"x": arr})
    fastpq.write(tmp_path / "x.parquet", df)
    got = pq.read_table(tmp_path / "x.parquet").column("x").combine_chunks()
    assert got.equals(pa.array(arr).cast(got.type))
    pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path / "x.parquet"), df)
