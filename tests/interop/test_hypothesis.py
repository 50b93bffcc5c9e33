"""Random DataFrames (dtypes, nulls, sizes, options) written by fastpq, read by pyarrow.

Also (issue 15, item 14): files with duplicate column names (written by pyarrow,
read by fastpq by position), column MultiIndexes with typed levels (int, str,
datetime), period columns and ``df.attrs``, each read back by fastpq and by
pyarrow's ``to_pandas`` (the oracle) as the frame that was written."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastpq

from tests._oracles import _check_column

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


KINDS = ["int", "float", "bool", "nullable", "str", "cat", "ts", "td", "list", "period"]


@st.composite
def columns(draw, n, kinds=tuple(KINDS)):
    kind = draw(st.sampled_from(kinds))
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
    if kind == "period":
        freq = draw(st.sampled_from(["D", "M", "Y"]))
        values = pd.PeriodIndex.from_ordinals(rng.integers(-5000, 5000, n), freq=freq)
        return pd.Series(values.where(~mask))
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
            if df[name].dtype != object and not isinstance(df[name].dtype, pd.PeriodDtype):
                _check_column(rg_md.column(i).statistics, part[name], name)


# ---------------------------------------------------------------- labels, periods, attrs (issue 15 item 14)

def _both_readers(data: bytes):
    return fastpq.read_parquet(io.BytesIO(data)), pq.read_table(io.BytesIO(data)).to_pandas()


@st.composite
def duplicate_named_tables(draw):
    n = draw(st.integers(0, 20))
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=6))
    arrays = []
    for _ in names:
        kind = draw(st.sampled_from(["int", "float", "str"]))
        values = draw(st.lists(st.integers(-10**6, 10**6) | st.none(), min_size=n, max_size=n))
        arrays.append(pa.array([None if v is None else (float(v) if kind == "float" else
                                                         str(v) if kind == "str" else v) for v in values],
                               {"int": pa.int64(), "float": pa.float64(), "str": pa.string()}[kind]))
    return pa.table(arrays, names=names)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=duplicate_named_tables(), pandas_metadata=st.booleans())
def test_duplicate_column_names_read_by_position(table, pandas_metadata):
    sink = io.BytesIO()
    pq.write_table(table if pandas_metadata else table.replace_schema_metadata(None), sink)
    got = fastpq.read_parquet(io.BytesIO(sink.getvalue()))
    assert list(got.columns) == table.column_names
    for i, column in enumerate(table.columns):
        want = column.to_pylist()
        values = [None if pd.isna(v) else v for v in got.iloc[:, i].tolist()]
        assert values == want, (i, table.column_names[i])


_LEVELS = {
    "int": st.integers(-3, 3),
    "str": st.sampled_from(["x", "y", "1", ""]),
    "datetime": st.sampled_from(list(pd.date_range("2020-01-01", periods=4, freq="D"))),
}


@st.composite
def multiindex_frames(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(_LEVELS)), min_size=2, max_size=3))
    labels = draw(st.lists(st.tuples(*[_LEVELS[k] for k in kinds]), min_size=1, max_size=5, unique=True))
    names = draw(st.sampled_from([None, [f"l{i}" for i in range(len(kinds))]]))
    n = draw(st.integers(0, 5))
    columns = pd.MultiIndex.from_tuples(labels, names=names)
    df = pd.DataFrame(np.arange(n * len(labels), dtype=np.int64).reshape(n, len(labels)), columns=columns)
    df.attrs = draw(attrs())
    return df


def attrs():
    scalars = st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.text(max_size=8)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                          st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
    return st.dictionaries(st.text(max_size=6), values, max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=multiindex_frames())
def test_typed_column_multiindex_and_attrs(df):
    sink = io.BytesIO()
    fastpq.write(sink, df)
    ours, theirs = _both_readers(sink.getvalue())
    pd.testing.assert_frame_equal(theirs, df)
    pd.testing.assert_frame_equal(ours, df)
    pd.testing.assert_index_equal(ours.columns, theirs.columns, exact=True)
    assert ours.attrs == df.attrs == theirs.attrs


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(0, 30), k=st.integers(1, 3))
def test_period_columns_and_attrs(data, n, k):
    df = pd.DataFrame({f"p{i}": data.draw(columns(n, ("period",)))
                       for i in range(k)})
    df.attrs = data.draw(attrs())
    sink = io.BytesIO()
    fastpq.write(sink, df)
    ours, theirs = _both_readers(sink.getvalue())
    pd.testing.assert_frame_equal(theirs, df)
    pd.testing.assert_frame_equal(ours, df)
    assert ours.attrs == df.attrs == theirs.attrs
