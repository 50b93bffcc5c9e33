"""Random DataFrames (dtypes, nulls, sizes, options) written by fastpq, read by pyarrow."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastpq

from tests._oracles import _check_column

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@st.composite
def columns(draw, n):
    kind = draw(st.sampled_from(["int", "float", "bool", "nullable", "str", "cat", "ts", "td", "list"]))
    nulls = draw(st.booleans())
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool) & nulls
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "int":
        dtype = np.dtype(draw(st.sampled_from(INT_DTYPES)))
        info = np.iinfo(dtype)
        return pd.Series(rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True))
    if kind == "float":
        values = rng.normal(0, 1e6, n)
        values[mask] = np.nan
        return pd.Series(values.astype(draw(st.sampled_from(["float32", "float64"]))))
    if kind == "bool":
        return pd.Series(rng.random(n) < 0.5)
    if kind == "nullable":
        dtype = draw(st.sampled_from(["Int64", "UInt8", "Int32", "Float64", "boolean"]))
        values = rng.integers(0, 100, n)
        arr = pd.array(values, dtype="Int64").astype(dtype)
        arr[mask] = pd.NA
        return pd.Series(arr)
    if kind == "str":
        words = draw(st.lists(st.text(max_size=12), min_size=1, max_size=20))
        values = [None if m else words[i % len(words)] for i, m in enumerate(mask)]
        return pd.Series(values, dtype="str")
    if kind == "cat":
        values = [None if m else "abcde"[i % 5] for i, m in enumerate(rng.integers(0, 5, n) * 0 + mask)]
        return pd.Series(pd.Categorical(values, categories=list("edcba")))
    if kind == "ts":
        unit = draw(st.sampled_from(["ms", "us", "ns"]))
        values = rng.integers(-(2**40), 2**40, n).view(f"M8[{unit}]").copy()
        values[mask] = np.datetime64("NaT")
        s = pd.Series(values)
        return s.dt.tz_localize("UTC") if draw(st.booleans()) else s
    if kind == "td":
        values = rng.integers(-(2**40), 2**40, n).view("m8[ns]").copy()
        values[mask] = np.timedelta64("NaT")
        return pd.Series(values)
    lists = [None if m else list(rng.integers(0, 9, int(rng.integers(0, 4)))) for m in mask]
    return pd.Series([None if v is None else [int(x) for x in v] for v in lists], dtype=object)


@st.composite
def frames(draw):
    n = draw(st.integers(0, 60))
    k = draw(st.integers(1, 5))
    return pd.DataFrame({f"c{i}": draw(columns(n)) for i in range(k)})


def _norm(df):
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = [None if v is None else list(v) for v in out[c]]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=frames(), version=st.sampled_from([1, 2]), dictionary=st.sampled_from(["auto", True, False]),
       page_size=st.sampled_from([64, 1 << 20]), rg=st.sampled_from([7, 1000]),
       codec=st.sampled_from(["snappy", "zstd", None]))
def test_random_frames_round_trip(df, version, dictionary, page_size, rg, codec):
    sink = io.BytesIO()
    fastpq.write(sink, df, data_page_version=version, dictionary=dictionary, page_size=page_size,
                 row_group_offsets=rg, compression=codec, page_index=True, page_checksum=True)
    buf = io.BytesIO(sink.getvalue())
    got = pq.read_table(buf, page_checksum_verification=True).to_pandas()
    want = df
    for c in df.columns:
        if df[c].dtype == "category":
            got[c] = got[c].astype(object).astype(df[c].dtype)
    pd.testing.assert_frame_equal(_norm(got), _norm(want))
    md = pq.ParquetFile(io.BytesIO(sink.getvalue())).metadata
    start = 0
    for r in range(md.num_row_groups):
        rg_md = md.row_group(r)
        part = df.iloc[start:start + rg_md.num_rows]
        start += rg_md.num_rows
        for i, name in enumerate(df.columns):
            if df[name].dtype != object:
                _check_column(rg_md.column(i).statistics, part[name], name)
