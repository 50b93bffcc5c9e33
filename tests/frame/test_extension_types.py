"""period[F] columns and index levels (issue 15.5), stored as pyarrow stores them (int64 ordinals,
Arrow extension type 'pandas.period' with {"freq": F}), and interval[S, C] columns (struct<left, right>,
'pandas.interval' with {"subtype": S, "closed": C}). Oracle: pandas.read_parquet (pyarrow) reading
fastpq's file, and fastpq reading the file pandas' pyarrow engine writes."""
from __future__ import annotations

import io

import pandas as pd
import pytest

import fastpq

FREQS = ["D", "M", "Y", "Q", "W", "h", "min", "s", "ms", "us", "ns"]


def _frame(freq, nulls, empty):
    idx = pd.period_range("2020-01-01", periods=3, freq=freq)
    values = pd.array([idx[0], None, idx[2]]) if nulls else idx.array
    df = pd.DataFrame({"p": values, "n": [1, 2, 3]})
    df.index = pd.MultiIndex.from_arrays([idx, [1, 2, 3]], names=["DATE", "k"])
    return df.iloc[:0] if empty else df


@pytest.mark.parametrize("empty", [False, True])
@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("freq", FREQS)
def test_period_both_ways(freq, nulls, empty):
    df = _frame(freq, nulls, empty)
    ours = io.BytesIO()
    fastpq.write(ours, df)
    pd.testing.assert_frame_equal(fastpq.read_parquet(io.BytesIO(ours.getvalue())), df)
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(ours.getvalue())), df)
    theirs = io.BytesIO()
    df.to_parquet(theirs, engine="pyarrow")
    pd.testing.assert_frame_equal(fastpq.read_parquet(io.BytesIO(theirs.getvalue())), df)


def test_period_nullable_backend_matches_pandas():
    df = _frame("D", True, False)
    buf = io.BytesIO()
    fastpq.write(buf, df)
    raw = buf.getvalue()
    got = fastpq.read_parquet(io.BytesIO(raw), dtype_backend="numpy_nullable")
    expected = pd.read_parquet(io.BytesIO(raw), dtype_backend="numpy_nullable")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    # pandas gives the index level int64 ordinals here (its index path skips the extension type);
    # fastpq keeps period[D] there too (docs/dtypes.md)
    assert got.index.levels[0].dtype == pd.PeriodDtype("D")


def test_append_other_frequency_refused(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, pd.DataFrame({"p": pd.period_range("2020", periods=2, freq="D")}))
    with pytest.raises(fastpq.SchemaMismatchError):
        fastpq.write(path, pd.DataFrame({"p": pd.period_range("2020", periods=2, freq="M")}), append=True)
    fastpq.write(path, pd.DataFrame({"p": pd.period_range("2021", periods=2, freq="D")}), append=True)
    assert len(fastpq.read_parquet(path)) == 4
    assert fastpq.read_parquet(path)["p"].dtype == pd.PeriodDtype("D")


def test_hostile_period_metadata_keeps_ints(tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {"index_columns": [], "column_indexes": [],
            "columns": [{"name": "p", "field_name": "p", "pandas_type": "object", "numpy_type": "period[nope]",
                         "metadata": None}]}
    pq.write_table(pa.table({"p": [1, 2]}).replace_schema_metadata({"pandas": json.dumps(meta)}), tmp_path / "f")
    assert list(fastpq.read_parquet(tmp_path / "f")["p"]) == [1, 2]


# ---------------------------------------------------------------- interval[S, C]

def _bounds(subtype):
    if subtype == "int64":
        return [0, 1, 3, 7]
    if subtype == "float64":
        return [-2.25, 0.5, 1.5, 1e300]
    if subtype == "timedelta64[ns]":
        return pd.to_timedelta([0, 1, 5, 9], unit="s").astype(subtype)
    tz = "Europe/Paris" if subtype.endswith("tz") else None
    unit = subtype[len("datetime64["):len("datetime64[") + 2].rstrip("]")
    return pd.date_range("2012-01-01", periods=4, freq="D", tz=tz, unit=unit)


SUBTYPES = ["int64", "float64", "datetime64[ns]", "datetime64[us]", "datetime64[ns]tz", "timedelta64[ns]"]


def _intervals(subtype, closed, nulls, empty):
    values = pd.arrays.IntervalArray.from_breaks(_bounds(subtype), closed=closed)
    if nulls:
        values = values.astype(pd.IntervalDtype(values.dtype.subtype if subtype != "int64" else "float64",
                                                closed))
        values[1] = None
    df = pd.DataFrame({"iv": values, "n": [1, 2, 3]})
    return df.iloc[:0] if empty else df


@pytest.mark.parametrize("empty", [False, True])
@pytest.mark.parametrize("nulls", [False, True])
@pytest.mark.parametrize("closed", ["right", "left", "both", "neither"])
@pytest.mark.parametrize("subtype", SUBTYPES)
def test_interval_both_ways(subtype, closed, nulls, empty):
    df = _intervals(subtype, closed, nulls, empty)
    ours = io.BytesIO()
    fastpq.write(ours, df)
    pd.testing.assert_frame_equal(fastpq.read_parquet(io.BytesIO(ours.getvalue())), df)
    if empty and subtype.endswith("tz"):     # pandas cannot read its own file of these (TypeError)
        return
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(ours.getvalue()), engine="pyarrow"), df)
    nullable = fastpq.read_parquet(io.BytesIO(ours.getvalue()), dtype_backend="numpy_nullable")
    pd.testing.assert_frame_equal(nullable, pd.read_parquet(io.BytesIO(ours.getvalue()), engine="pyarrow",
                                                            dtype_backend="numpy_nullable"))
    theirs = io.BytesIO()
    df.to_parquet(theirs, engine="pyarrow")
    pd.testing.assert_frame_equal(fastpq.read_parquet(io.BytesIO(theirs.getvalue())), df)


def test_pandas_suite_additional_extension_types(tmp_path):
    """pandas' test_additional_extension_types frame, written and read back twice (its check_round_trip)."""
    df = pd.DataFrame({
        "c": pd.IntervalIndex.from_tuples([(0, 1), (1, 2), (3, 4)]),
        "d": pd.period_range("2012-01-01", periods=3, freq="D"),
        "e": pd.IntervalIndex.from_breaks(pd.date_range("2012-01-01", periods=4, freq="D")),
    })
    path = tmp_path / "f.parquet"
    for _ in range(2):
        fastpq.write(path, df, compression=None)
        pd.testing.assert_frame_equal(fastpq.read_parquet(path), df)


@pytest.mark.parametrize("writer", ["fastpq", "pyarrow"])
def test_interval_append(tmp_path, writer):
    df = _intervals("float64", "both", True, False)
    path = tmp_path / "f.parquet"
    fastpq.write(path, df) if writer == "fastpq" else df.to_parquet(path, engine="pyarrow")
    fastpq.write(path, df, append=True)
    expected = pd.concat([df, df], ignore_index=True)
    pd.testing.assert_frame_equal(fastpq.read_parquet(path), expected)
    pd.testing.assert_frame_equal(pd.read_parquet(path, engine="pyarrow"), expected)
    other = pd.DataFrame({"iv": pd.arrays.IntervalArray.from_breaks([0.0, 1.0, 2.0, 3.0], closed="left"),
                          "n": [1, 2, 3]})
    with pytest.raises(fastpq.SchemaMismatchError):       # another closed side is another dtype
        fastpq.write(path, other, append=True)
