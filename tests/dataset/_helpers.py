"""Reading written datasets back with pyarrow, duckdb and polars, in a comparable form."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests._oracles import read_duckdb_dir, read_polars_dir, read_pyarrow_dir, read_pyarrow_metadata

SPECIAL = ["a b", "x/y", "p=q", "pct%", "é", "a:b#?&+", "plain"]


def frame(seed: int, n: int = 40) -> pd.DataFrame:
    """Rows with a unique 'v'; 'k' (strings with special characters and nulls) and 'n'
    (ints) to partition on; 'f' with nulls, 's' strings, 'c' a categorical."""
    rng = np.random.default_rng(seed)
    k = rng.choice(SPECIAL + [None], n)
    return pd.DataFrame({
        "k": k.tolist(),
        "n": rng.integers(0, 3, n),
        "v": seed * 1_000_000 + np.arange(n, dtype="int64"),
        "f": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
        "s": [f"s{seed}-{i}" if i % 7 else None for i in range(n)],
        "c": pd.Categorical(rng.choice(["lo", "mid", "hi"], n)),
    })


COLUMNS = ["k", "n", "v", "f", "s", "c"]


def canon(df: pd.DataFrame) -> pd.DataFrame:
    """Sorted by 'v', every column as plain Python values (None for nulls)."""
    out = {}
    for name in COLUMNS:
        if name not in df.columns:
            continue
        s = df[name]
        if name in ("n", "v"):
            vals = [None if pd.isna(x) else int(x) for x in s]
        elif name == "f":
            vals = [None if pd.isna(x) else float(x) for x in s]
        else:
            vals = [None if pd.isna(x) else str(x) for x in s.astype(object)]
        out[name] = vals
    return pd.DataFrame(out, dtype=object).sort_values("v", kind="stable").reset_index(drop=True)


def want(frames, columns=COLUMNS) -> pd.DataFrame:
    return canon(pd.concat(frames, ignore_index=True)[columns])


def read_all(root) -> dict:
    return {"pyarrow.dataset": read_pyarrow_dir(root), "pyarrow _metadata": read_pyarrow_metadata(root),
            "duckdb": read_duckdb_dir(root), "polars": read_polars_dir(root)}


def assert_reads(root, expected: pd.DataFrame) -> None:
    for who, got in read_all(root).items():
        pd.testing.assert_frame_equal(canon(got), expected, obj=who)
