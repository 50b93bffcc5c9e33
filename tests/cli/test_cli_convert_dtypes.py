"""``fastpq convert`` from CSV: types inferred as ``pandas.read_csv(parse_dates=<timestamp-looking
columns>)`` reads them (the oracle), or given by ``--dtype``; a CSV written from a typed frame and
converted with ``--dtype`` reads back equal to the frame, so the original Parquet file appends to
its converted copy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fastpq
from fastpq.cli.main import main

N = 9
TYPED = pd.DataFrame({
    "i32": np.arange(N, dtype="int32") - 4, "i64": np.arange(N, dtype="int64") * 10**12, "u8": np.arange(N, dtype="uint8"),
    "f32": np.linspace(0, 2, N).astype("float32"), "f64": np.linspace(-1, 1, N), "b": np.arange(N) % 2 == 0,
    "s": [f"s{i}" for i in range(N)], "t": pd.date_range("2026-01-01", periods=N, freq="37s"),
    "t_ns": pd.date_range("2026-01-01", periods=N, freq="1001ns"),
    "tz": pd.date_range("2026-03-01", periods=N, freq="h", tz="UTC"),
    "d": pd.date_range("1999-12-30", periods=N, freq="D").astype("datetime64[ms]"),
})
DTYPES = {"i32": "int32", "u8": "uint8", "f32": "float32", "t_ns": "datetime64[ns]", "tz": "datetime64[us, UTC]",
          "d": "datetime64[ms]"}


def _convert(tmp_path, df, *extra) -> str:
    csv, dst = tmp_path / "in.csv", tmp_path / "out.parquet"
    df.to_csv(csv, index=False)
    assert main(["convert", str(csv), str(dst), *map(str, extra)]) == 0
    return str(dst)


def test_inferred_as_read_csv_with_parse_dates(tmp_path, capsys):
    dst = _convert(tmp_path, TYPED)
    dates = ["t", "t_ns", "tz", "d"]
    want = pd.read_csv(tmp_path / "in.csv", parse_dates=dates)
    pd.testing.assert_frame_equal(fastpq.read_parquet(dst), want)


@pytest.mark.parametrize("rows_per_group", [2, 4, 100])
def test_dtype_option_gives_back_the_frame(tmp_path, capsys, rows_per_group):
    spec = ",".join(f"{k}={v}" for k, v in DTYPES.items())
    dst = _convert(tmp_path, TYPED, "--dtype", spec, "--row-group-size", rows_per_group)
    pd.testing.assert_frame_equal(fastpq.read_parquet(dst), TYPED)


def test_original_appends_to_its_converted_copy(tmp_path, capsys):
    original = tmp_path / "orig.parquet"
    fastpq.write(str(original), TYPED)
    dst = _convert(tmp_path, fastpq.read_parquet(str(original)), "--dtype",
                   ",".join(f"{k}={v}" for k, v in DTYPES.items()))
    assert main(["append", dst, str(original)]) == 0
    pd.testing.assert_frame_equal(fastpq.read_parquet(dst), pd.concat([TYPED, TYPED], ignore_index=True))


def test_gaps_with_dtype_keep_the_values(tmp_path, capsys):
    df = TYPED[["i32", "s", "t"]].astype({"i32": "Int32"})
    df.loc[3, "i32"] = pd.NA
    df.loc[4, "t"] = pd.NaT
    dst = _convert(tmp_path, df, "--dtype", "i32=int32")
    got = fastpq.read_parquet(dst)
    want = pd.read_csv(tmp_path / "in.csv", parse_dates=["t"])
    assert got["i32"].isna().tolist() == want["i32"].isna().tolist()
    assert got["i32"].dropna().astype("int64").tolist() == want["i32"].dropna().astype("int64").tolist()
    pd.testing.assert_series_equal(got["t"], want["t"])


@pytest.mark.parametrize("spec, words", [("i32", "column=type"), ("i32=nosuchtype", "nosuchtype"),
                                         ("nope=int32", "does not have")])
def test_bad_dtype_option_is_a_usage_error(tmp_path, capsys, spec, words):
    csv = tmp_path / "in.csv"
    TYPED.to_csv(csv, index=False)
    assert main(["convert", str(csv), str(tmp_path / "o.parquet"), "--dtype", spec]) == 2
    assert words in capsys.readouterr().err


def test_text_that_only_starts_like_a_date_stays_text(tmp_path, capsys):
    df = pd.DataFrame({"a": ["2026-01-01", "2026-13-45", "x"], "b": ["2026-01-01", "not", "2026-01-02"]})
    dst = _convert(tmp_path, df)
    pd.testing.assert_frame_equal(fastpq.read_parquet(dst), pd.read_csv(tmp_path / "in.csv"))
