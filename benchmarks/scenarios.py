"""The benchmark scenarios: name -> function building a DataFrame of ``n`` rows.

Shared by the write benchmark (``bench_write.py``) and, later, the read
benchmark, so both measure the same data. Deterministic (fixed seeds).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _rng(seed: int = 0):
    return np.random.default_rng(seed)


def numeric(n: int) -> pd.DataFrame:
    rng = _rng(1)
    return pd.DataFrame({"i64": rng.integers(0, 1 << 40, n), "f64": rng.random(n),
                         "i32": rng.integers(0, 1000, n).astype("int32")})


def numeric_nulls(n: int) -> pd.DataFrame:
    rng = _rng(2)
    f = rng.random(n)
    f[rng.random(n) < 0.1] = np.nan
    i = pd.array(rng.integers(0, 1 << 40, n), dtype="Int64")
    i[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame({"f64": f, "I64": i})


def timestamps(n: int) -> pd.DataFrame:
    rng = _rng(3)
    start = np.datetime64("2020-01-01", "ns").astype(np.int64)
    steps = np.cumsum(rng.integers(0, 10**9, n))
    return pd.DataFrame({"ts": (start + steps).view("M8[ns]"),
                         "ts_utc": pd.Series((start + steps).view("M8[ns]")).dt.tz_localize("UTC").dt.as_unit("us")})


def strings_low(n: int) -> pd.DataFrame:
    rng = _rng(4)
    words = np.array([f"category-{i:03d}" for i in range(100)], dtype=object)
    return pd.DataFrame({"s": pd.Series(words[rng.integers(0, 100, n)], dtype="str")})


def strings_high(n: int) -> pd.DataFrame:
    rng = _rng(5)
    values = rng.integers(0, 1 << 62, n).astype(str)
    return pd.DataFrame({"s": pd.Series(values, dtype="str")})


def categorical(n: int) -> pd.DataFrame:
    rng = _rng(6)
    cats = [f"label-{i:04d}" for i in range(1000)]
    return pd.DataFrame({"c": pd.Categorical.from_codes(rng.integers(0, 1000, n).astype("int16"), cats)})


def mixed50(n: int) -> pd.DataFrame:
    """50 columns: 15 int64, 10 float64 (some NaN), 5 int32, 5 timestamps, 8 low-cardinality str,
    4 categoricals, 3 bools."""
    rng = _rng(7)
    cols = {}
    for i in range(15):
        cols[f"i{i}"] = rng.integers(0, 10 ** (i % 12 + 1), n)
    for i in range(10):
        f = rng.random(n)
        if i % 2:
            f[rng.random(n) < 0.05] = np.nan
        cols[f"f{i}"] = f
    for i in range(5):
        cols[f"j{i}"] = rng.integers(0, 1000, n).astype("int32")
    base = np.datetime64("2021-01-01", "us").astype(np.int64)
    for i in range(5):
        cols[f"t{i}"] = (base + np.sort(rng.integers(0, 10**12, n))).view("M8[us]")
    words = np.array([f"w{i}" for i in range(500)], dtype=object)
    for i in range(8):
        cols[f"s{i}"] = pd.Series(words[rng.integers(0, 50 * (i + 1), n)], dtype="str")
    for i in range(4):
        cols[f"c{i}"] = pd.Categorical.from_codes(rng.integers(0, 20, n).astype("int8"), [f"k{j}" for j in range(20)])
    for i in range(3):
        cols[f"b{i}"] = rng.random(n) < 0.3
    return pd.DataFrame(cols)


SCENARIOS = {
    "numeric": numeric,
    "numeric_nulls": numeric_nulls,
    "timestamps": timestamps,
    "strings_low": strings_low,
    "strings_high": strings_high,
    "categorical": categorical,
    "mixed50": mixed50,
}
