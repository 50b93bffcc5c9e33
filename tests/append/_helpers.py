"""Shared by the append tests: deterministic frames, duckdb/polars reads cast to their columns, a canonical
form to compare them (the generic oracles are in tests/_oracles.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["i", "f", "n", "s", "c", "t"]


def frame(step: int, n: int = 7) -> pd.DataFrame:
    """The frame appended at ``step``: every column's content follows from (step, row).

    'f' (float) and 'n' (Int64) hold no nulls before step 40, then some; 'c' is a
    categorical whose categories change (new ones, other orders) from step to step.
    """
    k = np.arange(n)
    rows = step * 1_000_003 + k
    late = step >= 40
    cats = [f"c{(step + j) % 11}" for j in range(4)]
    if step % 3 == 0:
        cats = cats[::-1]
    return pd.DataFrame({
        "i": rows.astype("int64"),
        "f": np.where(late & (k % 3 == 0), np.nan, rows * 0.5),
        "n": pd.array(np.where(late & (k % 4 == 1), None, rows % 1000).tolist(), dtype="Int64"),
        "s": [None if (step + j) % 5 == 0 else f"s{step}-{j}" for j in k],
        "c": pd.Categorical([None if (step + j) % 6 == 0 else cats[j % 4] for j in k], categories=cats),
        "t": pd.date_range("2021-03-27", periods=n, freq="37min", tz="Europe/Paris", unit="us")
        + pd.to_timedelta(step, unit="D"),
    })


def canon(df: pd.DataFrame) -> pd.DataFrame:
    """Values only, comparable across readers: None for nulls, labels for categoricals,
    timestamps as UTC microseconds, integers as Int64."""
    out = {}
    for name in COLUMNS:
        s = df[name].reset_index(drop=True)
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        if s.dtype.kind == "M":
            s = pd.Series(s.dt.as_unit("us").to_numpy().view("int64"), dtype="Int64").mask(s.isna())
        elif name == "f":
            s = s.astype("float64")
        elif name in ("i", "n", "t"):
            s = s.astype("Int64")
        else:
            s = pd.Series(s.astype("str").to_numpy(dtype=object, na_value=None), dtype=object)
        out[name] = s
    return pd.DataFrame(out)


def expected(frames: list) -> pd.DataFrame:
    return canon(pd.concat([canon(f) for f in frames], ignore_index=True)) if frames else None


def assert_same(got: pd.DataFrame, want: pd.DataFrame, who: str) -> None:
    got = canon(got)
    if not got.equals(want):  # the fast check; assert_frame_equal explains the difference
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=who)


def read_fastpq(path, **kw) -> pd.DataFrame:
    import fastpq

    return fastpq.ParquetFile(path).to_pandas(**kw)


_DUCKDB = []


def read_duckdb(path) -> pd.DataFrame:
    import duckdb

    if not _DUCKDB:
        _DUCKDB.append(duckdb.connect())
    return _DUCKDB[0].sql(f"SELECT i, f, n, s, c::VARCHAR AS c, epoch_us(t) AS t FROM read_parquet('{path}')").df()


def read_polars(path) -> pd.DataFrame:
    import polars as pl

    df = pl.read_parquet(path)
    return df.with_columns(pl.col("t").dt.epoch("us"), pl.col("c").cast(pl.String)).to_pandas()
