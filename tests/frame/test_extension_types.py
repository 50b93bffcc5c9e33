"""period[F] columns and index levels (issue 15.5), stored as pyarrow stores them (int64 ordinals,
Arrow extension type 'pandas.period' with {"freq": F}). Oracle: pandas.read_parquet (pyarrow) reading
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
