"""ARROW:schema on the read path: files written by pyarrow, pandas and polars read back with the
dtypes pandas.read_parquet gives (time zones, durations, dictionaries, string flavours), under
every dtype_backend; a malformed ARROW:schema is ignored with a warning."""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.format import thrift_io
from fastpq._thrift import FileMetaData, KeyValue
from tests._oracles import BACKENDS, assert_matches_pandas, assert_same, pandas_read

N = 240


def _arrow_table() -> pa.Table:
    r = np.random.default_rng(7)
    nulls = r.random(N) < 0.15
    ints = r.integers(-10**12, 10**12, N)
    words = np.array(["alpha", "beta", "gamma", "delta", "", "ñandú", "日本"])[r.integers(0, 7, N)]

    def arr(values, typ):
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        return pa.array([None if m else v for v, m in zip(values, nulls)], typ)

    return pa.table({
        "ts_paris_s": arr(ints // 10**6, pa.timestamp("s", tz="Europe/Paris")),
        "ts_tokyo_ms": arr(ints // 1000, pa.timestamp("ms", tz="Asia/Tokyo")),
        "ts_offset_ns": arr(ints * 1000, pa.timestamp("ns", tz="+07:30")),
        "ts_utc_us": arr(ints, pa.timestamp("us", tz="UTC")),
        "ts_naive_s": arr(ints // 10**6, pa.timestamp("s")),
        "dur_s": arr(ints // 10**6, pa.duration("s")),
        "dur_ms": arr(ints // 1000, pa.duration("ms")),
        "dur_us": pa.array(ints.tolist(), pa.duration("us")),
        "dur_ns": arr(ints * 1000, pa.duration("ns")),
        "dict_str": arr(words, pa.string()).dictionary_encode(),
        "dict_i8_ordered": pa.DictionaryArray.from_arrays(
            pa.array([None if m else int(i) for i, m in zip(r.integers(0, 3, N), nulls)], pa.int8()),
            pa.array(["lo", "mid", "hi"]), ordered=True),
        "dict_large": arr(words, pa.large_string()).dictionary_encode(),
        "dict_binary": arr([w.encode() for w in words], pa.binary()).dictionary_encode(),
        "dict_int": arr(ints % 5, pa.int64()).dictionary_encode(),
        "dict_all_null": pa.array([None] * N, pa.string()).dictionary_encode(),
        "large_str": arr(words, pa.large_string()),
        "large_bin": arr([w.encode() for w in words], pa.large_binary()),
        "str_view": arr(words, pa.string_view()),
        "bin_view": arr([w.encode() for w in words], pa.binary_view()),
        "date64": arr((ints // 86_400_000_000) * 86_400_000, pa.date64()),
        "time32_s": arr(np.abs(ints) % 86400, pa.time32("s")),
        "uint32": arr(np.abs(ints) % 2**32, pa.uint32()),
        "dec256": arr([decimal.Decimal(int(i)).scaleb(-3) for i in ints], pa.decimal256(45, 3)),
        "fsb": arr([int(i).to_bytes(8, "little", signed=True) for i in ints], pa.binary(8)),
        "f16": arr(np.float16(ints % 1000) / 8, pa.float16()),
        "bool": arr(ints % 2 == 0, pa.bool_()),
        "null": pa.nulls(N),
    })


@pytest.fixture(scope="module")
def arrow_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("arrow_schema")
    t = _arrow_table()
    out = {}
    for name, kw in {"v2_rg60": dict(row_group_size=60), "v1_plain": dict(version="1.0", use_dictionary=False),
                     "v2_pages": dict(data_page_version="2.0", data_page_size=512, compression="zstd"),
                     "empty": dict()}.items():
        path = d / f"{name}.parquet"
        pq.write_table(t.slice(0, 0) if name == "empty" else t, path, **kw)
        out[name] = path
    return out


@pytest.mark.parametrize("backend", BACKENDS, ids=str)
@pytest.mark.parametrize("variant", ["v2_rg60", "v1_plain", "v2_pages", "empty"])
def test_pyarrow_written_types(arrow_files, variant, backend):
    assert assert_matches_pandas(arrow_files[variant], backend)


def test_restored_dtypes(arrow_files):
    df = fastpq.read_parquet(arrow_files["v2_rg60"])
    dtypes = df.dtypes.astype(str).to_dict()
    assert dtypes["ts_paris_s"] == "datetime64[ms, Europe/Paris]"  # Parquet has no seconds: stored unit
    assert dtypes["ts_offset_ns"] == "datetime64[ns, UTC+07:30]"
    assert dtypes["dur_s"] == "timedelta64[s]" and dtypes["dur_ns"] == "timedelta64[ns]"
    assert df["dur_ms"].isna().sum() > 0 and df["dur_us"].notna().all()
    assert dtypes["dict_str"] == "category" and df["dict_i8_ordered"].cat.ordered
    assert dtypes["dict_int"] == "float64"  # pyarrow restores dictionaries of binary values only
    assert dtypes["date64"] == "object" and dtypes["uint32"] == "float64"
    pa_df = fastpq.read_parquet(arrow_files["v2_rg60"], dtype_backend="pyarrow")
    assert str(pa_df["dict_i8_ordered"].dtype) == "dictionary<values=string, indices=int8, ordered=1>[pyarrow]"
    assert str(pa_df["large_str"].dtype) == "large_string[pyarrow]"
    assert str(pa_df["str_view"].dtype) == "string_view[pyarrow]"


def test_pandas_written_frame(tmp_path):
    df = pd.DataFrame({
        "cat": pd.Categorical(["b", "a", None, "b"] * 30, categories=["b", "a", "z"]),
        "cat_ordered": pd.Categorical(["lo", "hi", "lo", None] * 30, categories=["lo", "hi"], ordered=True),
        "tz": pd.date_range("2021-03-27", periods=120, freq="h", tz="Europe/Paris"),
        "td": pd.to_timedelta(np.arange(120), unit="s").where(np.arange(120) % 7 != 0),
        "ts_s": pd.Series(np.arange(120) * 10**9, dtype="M8[ns]").astype("M8[s]"),
        "Int64": pd.array([1, None, 3] * 40, dtype="Int64"),
        "string": pd.array(["x", None, "z"] * 40, dtype="string"),
        "str": pd.Series(["x", None, "z"] * 40, dtype="str"),
    }, index=pd.Index(np.arange(120) * 2, name="idx"))
    path = tmp_path / "pandas.parquet"
    df.to_parquet(path, row_group_size=50)
    for backend in BACKENDS:
        assert assert_matches_pandas(path, backend)


def test_polars_written_frame(tmp_path):
    pl = pytest.importorskip("polars")
    n = 200
    frame = pl.DataFrame({
        "cat": pl.Series(["a", "b", None, "c"] * (n // 4), dtype=pl.Categorical),
        "enum": pl.Series(["lo", "hi", None, "mid"] * (n // 4), dtype=pl.Enum(["lo", "mid", "hi"])),
        "tz": pl.Series([dt.datetime(2020, 1, 1) + dt.timedelta(hours=i) for i in range(n)])
        .dt.replace_time_zone("America/New_York"),
        "dur": pl.Series([dt.timedelta(milliseconds=i) if i % 5 else None for i in range(n)]),
        "s": pl.Series(["x", None] * (n // 2)),
        "b": pl.Series([b"x", None] * (n // 2)),
    })
    path = tmp_path / "polars.parquet"
    frame.write_parquet(path, row_group_size=64)
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    for backend in BACKENDS:
        assert assert_matches_pandas(path, backend)


def test_dictionary_fallback_matches_pyarrow_order(tmp_path):
    """Chunks whose pages fell back from dictionary to PLAIN: categories come in first-seen
    order, as pyarrow's dictionary builder makes them (read_dictionary=...)."""
    r = np.random.default_rng(3)
    values = ["zz", "aa"] + [f"v{i}" for i in r.integers(0, 4000, 12_000)]
    path = tmp_path / "fallback.parquet"
    pq.write_table(pa.table({"s": values}), path, dictionary_pagesize_limit=1500, row_group_size=5000,
                   data_page_size=1000)
    encodings = [pq.ParquetFile(path).metadata.row_group(i).column(0).encodings for i in range(3)]
    assert all("PLAIN" in e for e in encodings)
    expected = pq.read_table(path, read_dictionary=["s"]).to_pandas()
    assert_same(fastpq.read_parquet(path, categories=["s"]), expected)
    arrow = pq.read_table(path, read_dictionary=["s"]).to_pandas(types_mapper=pd.ArrowDtype)
    got = fastpq.read_parquet(path, categories=["s"], dtype_backend="pyarrow")
    assert list(got["s"].astype(str)) == list(arrow["s"].astype(str))
    assert str(got["s"].dtype) == str(arrow["s"].dtype)


def _with_key_value(src, dst, key: str, value: str | None) -> None:
    """Copy a file, setting (or with None, removing) one key-value metadata entry in its footer."""
    raw = src.read_bytes()
    n = int.from_bytes(raw[-8:-4], "little")
    fmd, _ = thrift_io.decode(FileMetaData, raw[-8 - n:-8])
    kvs = [kv for kv in (fmd.key_value_metadata or []) if kv.key != key]
    if value is not None:
        kvs.append(KeyValue(key=key, value=value))
    fmd.key_value_metadata = kvs
    footer = thrift_io.encode(fmd)
    dst.write_bytes(raw[:-8 - n] + footer + len(footer).to_bytes(4, "little") + b"PAR1")


@pytest.mark.parametrize("garbage", ["", "not base64 at all!", base64.b64encode(b"\xff\xff\xff\xff" + b"\x10" * 12)
                                     .decode(), "truncated"])
def test_malformed_arrow_schema_is_ignored_with_a_warning(tmp_path, garbage):
    t = pa.table({"ts": pa.array([0, None, 2], pa.timestamp("us", tz="Asia/Tokyo")),
                  "dur": pa.array([1, 2, None], pa.duration("ms")),
                  "cat": pa.array(["a", None, "b"]).dictionary_encode()})
    good = tmp_path / "good.parquet"
    pq.write_table(t, good)
    if garbage == "truncated":
        garbage = pq.ParquetFile(good).metadata.metadata[b"ARROW:schema"].decode()[:-24]
    bad = tmp_path / "bad.parquet"
    _with_key_value(good, bad, "ARROW:schema", garbage)
    plain = tmp_path / "plain.parquet"
    pq.write_table(t, plain, store_schema=False)  # the same file without ARROW:schema
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = fastpq.read_parquet(bad)
    if garbage:
        assert any(issubclass(w.category, fastpq.ArrowSchemaWarning) for w in caught)
    assert_same(got, fastpq.read_parquet(plain))
    assert str(got["ts"].dtype) == "datetime64[us, UTC]" and str(got["cat"].dtype) == "str"


def test_malformed_schema_never_crashes_the_read(tmp_path):
    """Every single-byte corruption of the stored schema: a read that warns (or not) and succeeds."""
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"ts": pa.array([0, 1], pa.timestamp("ns", tz="Europe/Paris")),
                             "d": pa.array(["x", "y"]).dictionary_encode()}), good)
    raw = base64.b64decode(pq.ParquetFile(good).metadata.metadata[b"ARROW:schema"])
    bad = tmp_path / "bad.parquet"
    for i in range(0, len(raw), 3):
        mutated = bytearray(raw)
        mutated[i] ^= 0xA5
        _with_key_value(good, bad, "ARROW:schema", base64.b64encode(bytes(mutated)).decode())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = fastpq.read_parquet(bad)
        assert len(df) == 2 and df["d"].tolist() == ["x", "y"]


def test_arrow_schema_paired_by_name_when_counts_differ(tmp_path):
    t = pa.table({"a": pa.array([1, 2], pa.duration("s")), "b": pa.array([0, 1], pa.timestamp("ms", tz="Asia/Tokyo"))})
    good = tmp_path / "good.parquet"
    pq.write_table(t, good)
    extra = pa.schema(list(t.schema) + [pa.field("zzz", pa.int8())])
    bad = tmp_path / "extra.parquet"
    _with_key_value(good, bad, "ARROW:schema", base64.b64encode(extra.serialize().to_pybytes()).decode())
    df = fastpq.read_parquet(bad)
    assert str(df["a"].dtype) == "timedelta64[s]" and str(df["b"].dtype) == "datetime64[ms, Asia/Tokyo]"


def test_parquet_file_dtypes_follow_arrow_schema(arrow_files):
    pf = fastpq.ParquetFile(arrow_files["v2_rg60"])
    df = pf.to_pandas()
    for name, dtype in pf.dtypes.items():
        assert dtype == str(df[name].dtype), name


def test_pyarrow_backend_wraps_buffers_without_copying():
    from fastpq.column.read.decoders import Decoded
    from fastpq.format.arrow_types import inferred_type
    from fastpq.frame.read.arrow import decoded_to_arrow

    pf = fastpq.ParquetFile(pq_file_for_leaf())
    leaf = pf.schema.column("x")
    values = np.arange(10, dtype=np.int64)
    arrow = decoded_to_arrow(Decoded(leaf, 10, values=values), inferred_type(leaf))
    assert arrow.chunk(0).buffers()[1].address == values.ctypes.data


def pq_file_for_leaf():
    import io

    sink = io.BytesIO()
    pq.write_table(pa.table({"x": pa.array([1], pa.int64())}), sink)
    return sink.getvalue()


def test_pandas_cannot_read_every_column_but_fastpq_does(arrow_files):
    # time64[ns] with sub-microsecond digits: pandas raises, fastpq gives timedelta64[ns] (README)
    path = arrow_files["v2_rg60"].parent / "time_ns.parquet"
    pq.write_table(pa.table({"t": pa.array([1, 2_000, None], pa.time64("ns"))}), path)
    assert pandas_read(path) is None
    assert str(fastpq.read_parquet(path)["t"].dtype) == "timedelta64[ns]"
    assert str(fastpq.read_parquet(path, dtype_backend="pyarrow")["t"].dtype) == "time64[ns][pyarrow]"


def test_unknown_time_zone_is_ignored_with_a_warning(tmp_path):
    t = pa.table({"ts": pa.array([0, None, 2], pa.timestamp("us", tz="Asia/Tokyo"))})
    good = tmp_path / "good.parquet"
    pq.write_table(t, good)
    bogus = pa.schema([pa.field("ts", pa.timestamp("us", tz="Not/AZone"))])
    bad = tmp_path / "bad.parquet"
    _with_key_value(good, bad, "ARROW:schema", base64.b64encode(bogus.serialize().to_pybytes()).decode())
    for backend, dtype in [(None, "datetime64[us, UTC]"), ("pyarrow", "timestamp[us, tz=UTC][pyarrow]")]:
        with pytest.warns(fastpq.ArrowSchemaWarning, match="Not/AZone"):
            df = fastpq.read_parquet(bad, dtype_backend=backend)
        assert str(df["ts"].dtype) == dtype


def test_unknown_time_zone_in_pandas_metadata(tmp_path):
    import json

    path = tmp_path / "pandas.parquet"
    pd.DataFrame({"ts": pd.date_range("2020", periods=3, tz="Europe/Paris")}).to_parquet(path)
    meta = json.loads(pq.ParquetFile(path).metadata.metadata[b"pandas"])
    meta["columns"][0]["metadata"] = {"timezone": "Mars/Olympus_Mons"}
    no_arrow = tmp_path / "no_arrow.parquet"
    _with_key_value(path, no_arrow, "ARROW:schema", None)
    bad = tmp_path / "bad.parquet"
    _with_key_value(no_arrow, bad, "pandas", json.dumps(meta))
    with pytest.warns(fastpq.PandasMetadataWarning, match="Mars/Olympus_Mons"):
        df = fastpq.read_parquet(bad)
    assert str(df["ts"].dtype) == "datetime64[us, UTC]"
    # without ARROW:schema, pandas metadata's (known) zone applies as pyarrow applies it: at ns
    assert str(fastpq.read_parquet(no_arrow)["ts"].dtype) == "datetime64[ns, Europe/Paris]"
    for backend in BACKENDS:
        assert assert_matches_pandas(no_arrow, backend)


def test_pandas_metadata_zones_without_arrow_schema(tmp_path):
    df = pd.DataFrame({
        "tz_ms": pd.date_range("2020", periods=3, tz="Europe/Paris", unit="ms"),
        "tz_s": pd.date_range("2020", periods=3, tz="Asia/Tokyo", unit="s"),
        "naive_ms": pd.date_range("2020", periods=3, unit="ms"),
        "utc_us": pd.date_range("2020", periods=3, tz="UTC", unit="us"),
        "far_ms": pd.Series(pd.to_datetime(["2020-01-01", "3000-01-01", None]).as_unit("ms")).dt.tz_localize("UTC")
        .dt.tz_convert("America/New_York"),
    })
    path = tmp_path / "zones.parquet"
    df.to_parquet(path)
    stripped = tmp_path / "stripped.parquet"
    _with_key_value(path, stripped, "ARROW:schema", None)
    got = fastpq.read_parquet(stripped)
    assert got.dtypes.astype(str).tolist()[:4] == ["datetime64[ns, Europe/Paris]", "datetime64[ns, Asia/Tokyo]",
                                                   "datetime64[ms]", "datetime64[us, UTC]"]
    # year 3000 does not fit nanoseconds: fastpq keeps ms (pyarrow raises on the cast)
    assert str(got["far_ms"].dtype) == "datetime64[ms, America/New_York]"
    assert got["far_ms"].iloc[1] == df["far_ms"].iloc[1]
    for backend in BACKENDS:
        assert assert_matches_pandas(stripped, backend, columns=["tz_ms", "tz_s", "naive_ms", "utc_us"])
