"""Filters and discovery edge cases of issue 15: dates against timestamps (17), every page of a
column pruned (18), directories without a Parquet file (20). Oracle: pandas.read_parquet
(engine='pyarrow') on the same file, or a plain-Python evaluation where pyarrow refuses."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from tests.dataset._filter_oracle import matches

CMP = ["==", "!=", "<", "<=", ">", ">="]
DATES = [dt.date(2024, 5, 31), dt.date(2024, 6, 1), dt.date(2024, 6, 2), dt.date(1970, 1, 1), dt.date(2100, 1, 1)]


# ---------------------------------------------------------------- 17: dates against timestamps

def _timestamps(tz, unit: str) -> pd.DataFrame:
    ts = pd.date_range("2024-05-31 18:00", "2024-06-02 06:00", freq="90min", tz=tz, unit=unit)
    ts = ts.append(pd.DatetimeIndex([pd.Timestamp("2024-06-01", tz=tz)]).as_unit(unit))  # midnight in its zone
    if tz is not None:
        ts = ts.append(pd.DatetimeIndex([pd.Timestamp("2024-06-01", tz="UTC").tz_convert(tz)]).as_unit(unit))
    return pd.DataFrame({"ts": ts, "rid": np.arange(len(ts))})


@pytest.mark.parametrize("layout", [(1000, 1 << 20), (5, 1), (1000, 1)])
@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York", "Asia/Kolkata"])
def test_dates_against_timestamps_as_pyarrow_casts_them(tmp_path, tz, unit, layout):
    """A date is midnight; against a zone-aware column, midnight UTC (pyarrow's cast)."""
    df = _timestamps(tz, unit)
    path = tmp_path / "ts.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=layout[0],
                   data_page_size=layout[1], write_page_index=True, write_batch_size=4)
    stored = [None if pd.isna(x) else x.to_pydatetime() for x in df["ts"]]
    failures = []
    for op in CMP:
        for day in DATES:
            flt = [("ts", op, day)]
            want = [r for r, v in enumerate(stored) if matches(v, op, _midnight(day, tz))]
            got = sorted(fastpq.read_parquet(path, filters=flt)["rid"])
            oracle = sorted(pd.read_parquet(path, engine="pyarrow", filters=flt)["rid"])
            if not got == oracle == want:
                failures.append((op, day, got, oracle, want))
    assert not failures, failures[:5]


def _midnight(day: dt.date, tz):
    return dt.datetime(day.year, day.month, day.day, tzinfo=None if tz is None else dt.timezone.utc)


@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_dates_in_value_sets_against_timestamps(tmp_path, tz):
    df = _timestamps(tz, "us")
    path = tmp_path / "ts.parquet"
    df.to_parquet(path, index=False)
    day = dt.date(2024, 6, 1)
    midnight = pd.Timestamp(day).tz_localize(None if tz is None else "UTC")
    expect = sorted(df.loc[df["ts"] == midnight, "rid"])
    assert expect
    assert sorted(fastpq.read_parquet(path, filters=[("ts", "in", [day])])["rid"]) == expect
    rest = sorted(fastpq.read_parquet(path, filters=[("ts", "not in", [day])])["rid"])
    assert rest == sorted(set(df["rid"]) - set(expect))


def test_naive_datetimes_against_zone_aware_columns_still_refused(tmp_path):
    path = tmp_path / "ts.parquet"
    _timestamps("UTC", "us").to_parquet(path)
    with pytest.raises(fastpq.FilterTypeError):
        fastpq.read_parquet(path, filters=[("ts", ">", dt.datetime(2024, 6, 1))])


# ---------------------------------------------------------------- 18: every page pruned

def _gapped(n: int = 192) -> pd.DataFrame:
    """Sorted ids with a gap between pages (8 rows each, written in batches of 8): the row
    group's statistics span the gap, no page does."""
    ids = np.concatenate([np.arange(n // 2), np.arange(n // 2) + 10 * n])
    return pd.DataFrame({
        "id": ids,
        "f": ids / 3,
        "s": pd.array([f"v{i}" for i in ids], dtype="str"),
        "o": pd.array([None if i % 7 == 0 else i for i in ids], dtype="Int32"),
        "ts": pd.date_range("2024-01-01", periods=len(ids), freq="h", tz="Europe/Paris"),
        "c": pd.Categorical(np.where(ids % 2 == 0, "even", "odd")),
        "b": ids % 3 == 0,
    }, index=pd.Index(ids * 2, name="key"))


@pytest.mark.parametrize("level", ["row", "page"])
@pytest.mark.parametrize("columns", [None, ["s"], ["id", "ts"]])
@pytest.mark.parametrize("flt", [[("id", "==", 1000)], [("id", ">", 100), ("id", "<", 1900)],
                                 [("id", "in", [500, 1500])], [[("id", "==", 999)], [("f", "==", 400.0)]]])
def test_every_page_pruned_gives_the_empty_frame_with_its_dtypes(tmp_path, flt, columns, level):
    df = _gapped()
    path = tmp_path / "gapped.parquet"
    df.to_parquet(path, engine="pyarrow", row_group_size=10_000, data_page_size=64, write_batch_size=8,
                  write_page_index=True)
    meta = pq.ParquetFile(path).metadata.row_group(0).column(0).statistics
    assert (meta.min, meta.max) == (0, 1919 + 96)   # the row group cannot prune: only pages do
    got = fastpq.read_parquet(path, columns=columns, filters=flt, filter_level=level)
    expected = pd.read_parquet(path, engine="pyarrow", columns=columns, filters=flt)
    assert len(got) == len(expected) == 0
    # categories of an empty categorical are not compared: pyarrow's depend on which of its steps emptied it
    assert [str(t) for t in got.dtypes] == [str(t) for t in expected.dtypes]
    assert list(got.columns) == list(expected.columns)
    assert got.index.name == expected.index.name and got.index.dtype == expected.index.dtype


def test_every_page_pruned_in_some_row_groups_only(tmp_path):
    df = _gapped()
    path = tmp_path / "gapped.parquet"
    df.to_parquet(path, engine="pyarrow", row_group_size=150, data_page_size=64, write_batch_size=8,
                  write_page_index=True)
    flt = [[("id", "==", 1000)], [("id", "==", 5)]]
    got = fastpq.read_parquet(path, filters=flt)
    pd.testing.assert_frame_equal(got, pd.read_parquet(path, engine="pyarrow", filters=flt))
    assert list(got["id"]) == [5]


# ---------------------------------------------------------------- 20: no Parquet file

@pytest.mark.parametrize("files", [[], ["a.csv"], ["notes.md", "data.json"], ["_SUCCESS", ".hidden"],
                                   ["k=1/"], ["k=1/part.csv", "k=2/"]])
def test_directory_without_parquet_files_raises(tmp_path, files):
    root = tmp_path / "ds"
    root.mkdir()
    for name in files:
        target = root / name
        if name.endswith("/"):
            target.mkdir(parents=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("a,b\n1,2\n")
    for read in (lambda: fastpq.read_parquet(root), lambda: fastpq.read_parquet(root, filters=[("a", "==", 1)]),
                 lambda: fastpq.read_parquet(str(root) + "/"), lambda: fastpq.ParquetDataset(root)):
        with pytest.raises(FileNotFoundError, match="no Parquet files found in .*ds"):
            read()


def test_dask_directory_without_parquet_files_raises(tmp_path):
    pytest.importorskip("dask.dataframe")
    import fastpq.dask

    (tmp_path / "a.csv").write_text("a\n1\n")
    with pytest.raises(FileNotFoundError, match="no Parquet files found"):
        fastpq.dask.read_parquet(tmp_path)


def test_explicitly_empty_datasets_stay_readable(tmp_path):
    schema = pa.schema([("a", pa.int64()), ("s", pa.string())])
    meta = tmp_path / "meta"
    meta.mkdir()
    pq.write_metadata(schema, meta / "_metadata")
    assert len(fastpq.read_parquet(meta)) == 0
    common = tmp_path / "common"
    common.mkdir()
    pq.write_metadata(schema, common / "_common_metadata")
    got = fastpq.read_parquet(common)
    expected = pq.read_schema(common / "_common_metadata").empty_table().to_pandas()
    assert len(got) == 0
    pd.testing.assert_series_equal(got.dtypes, expected.dtypes)


def test_a_directory_with_one_parquet_file_among_others_reads_it(tmp_path):
    (tmp_path / "README.md").write_text("# data\n")
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "part.parquet")
    assert list(fastpq.read_parquet(tmp_path)["a"]) == [1, 2]
