"""Hundreds of small appends, then a few large ones; the whole file checked along the way.

After every append, fastpq and pyarrow read the footer (row count, row groups,
RangeIndex) and the new row group, and pyarrow, duckdb and polars read the full
contents; fastpq reads the full contents every 5 appends and after each large one
(its reads are checked against pyarrow's over the corpus elsewhere).
"""
from __future__ import annotations

import pandas as pd

import fastpq
from tests._oracles import read_pyarrow
from tests.append._helpers import assert_same, canon, expected, frame, read_duckdb, read_fastpq, read_polars

SMALL = 200
ORACLES_EVERY = 1
FASTPQ_EVERY = 5


def _check_full(path, want, step, readers=(read_fastpq, read_duckdb, read_polars)):
    for read in readers:
        assert_same(read(path), want, f"{read.__name__} after append {step}")


def test_hundreds_of_small_appends_then_large_ones(tmp_path):
    path = tmp_path / "grow.parquet"
    frames = [frame(0)]
    fastpq.write(path, frames[0])
    want = expected(frames)
    checked = 0
    for step in range(1, SMALL + 1):
        df = frame(step, n=1 + step % 9)
        fastpq.write(path, df, append=True)
        frames.append(df)
        want = pd.concat([want, canon(df)], ignore_index=True)
        pf = fastpq.ParquetFile(path)
        assert pf.num_rows == len(want) and pf.num_row_groups == step + 1
        assert pf.pandas_metadata["index_columns"][0]["stop"] == len(want)
        new = pf.to_pandas(row_groups=[step])
        assert_same(new, canon(df), f"fastpq, row group of append {step}")
        assert_same(read_pyarrow(path, [step]), canon(df), f"pyarrow, row group of append {step}")
        checked += 1
        if step % ORACLES_EVERY == 0:
            _check_full(path, want, step, (read_pyarrow, read_duckdb, read_polars))
        if step % FASTPQ_EVERY == 0:
            _check_full(path, want, step, (read_fastpq,))
    for big in range(3):
        step = SMALL + 1 + big
        df = frame(step, n=60_000 + 1_234 * big)
        fastpq.write(path, df, append=True, row_group_offsets=25_000, compression="zstd")
        frames.append(df)
        want = pd.concat([want, canon(df)], ignore_index=True)
        _check_full(path, want, f"large {step}", (read_fastpq, read_pyarrow, read_duckdb, read_polars))
        checked += 1
    _check_full(path, want, "last")
    got = read_fastpq(path)
    assert isinstance(got.index, pd.RangeIndex) and len(got.index) == len(want)
    assert got["c"].dtype == "category" and str(got["t"].dtype) == "datetime64[us, Europe/Paris]"
    assert got["n"].dtype == "Int64" and got["n"].isna().any() and got["f"].isna().any()
    assert sorted(got["c"].cat.categories) == sorted({f"c{j}" for j in range(11)})
    assert checked == SMALL + 3
