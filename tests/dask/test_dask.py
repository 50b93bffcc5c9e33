"""fastpq.dask on a dask.distributed LocalCluster of worker processes (and the threaded scheduler
where a test watches calls in-process): reading with partitions, filters, projected columns and
divisions; writing in parallel with partitions, appends and one _metadata."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import fastpq

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402

import fastpq.dask as fdask  # noqa: E402


def _frame(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "k": rng.choice(["a", "b", "c"], n),
        "x": seed * 100_000 + np.arange(n),
        "f": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "s": [f"s{seed}-{i}" for i in range(n)],
        "i": rng.integers(-5, 5, n),
    })


def _canon(df: pd.DataFrame, columns=("k", "x", "f", "s", "i")) -> pd.DataFrame:
    out = pd.DataFrame({c: df[c].astype(object).where(df[c].notna(), None) for c in columns if c in df.columns})
    if "k" in out:
        out["k"] = out["k"].astype(str)
    return out.sort_values("x").reset_index(drop=True)


def test_write_partitioned_then_read_everywhere(client, tmp_path):
    root = str(tmp_path / "ds")
    df = _frame(1)
    path = fdask.to_parquet(dd.from_pandas(df, npartitions=4), root, partition_on=["k"])
    assert path.endswith("_metadata") and os.path.exists(os.path.join(root, "_common_metadata"))
    parts = [os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
             if f.endswith(".parquet")]
    assert len(parts) == 4 * 3 and all(p.split(os.sep)[0].startswith("k=") for p in parts)
    md = fastpq.ParquetFile(os.path.join(root, "_metadata"))
    assert md.num_rows == len(df) and md.num_row_groups == len(parts)
    expected = _canon(df)
    pd.testing.assert_frame_equal(_canon(fastpq.read_parquet(root)), expected)
    pd.testing.assert_frame_equal(_canon(pd.read_parquet(root)), expected)
    got = fdask.read_parquet(root)
    assert got.npartitions == len(parts)
    pd.testing.assert_frame_equal(_canon(got.compute()), expected)


def test_append(client, tmp_path):
    root = str(tmp_path / "ds")
    frames = [_frame(1), _frame(2, 100)]
    fdask.to_parquet(dd.from_pandas(frames[0], npartitions=3), root, partition_on=["k"])
    fdask.to_parquet(dd.from_pandas(frames[1], npartitions=2), root, append=True)   # partitions from _metadata
    expected = _canon(pd.concat(frames))
    pd.testing.assert_frame_equal(_canon(fastpq.read_parquet(root)), expected)
    pd.testing.assert_frame_equal(_canon(fdask.read_parquet(root).compute()), expected)
    # fastpq.write appends to the same dataset (the dataset writer reads the same _metadata)
    frames.append(_frame(3, 50))
    fastpq.write(root, frames[2], file_scheme="hive", partition_on=["k"], append=True)
    pd.testing.assert_frame_equal(_canon(fdask.read_parquet(root).compute()), _canon(pd.concat(frames)))
    bad = frames[2].assign(x=frames[2]["x"].astype(str))
    with pytest.raises(fastpq.SchemaMismatchError):
        fdask.to_parquet(dd.from_pandas(bad, npartitions=1), root, append=True)
    with pytest.raises(FileExistsError):
        fdask.to_parquet(dd.from_pandas(frames[0], npartitions=1), root)


@pytest.mark.parametrize("filters, columns", [
    ([("k", "==", "b")], None),
    ([("x", ">=", 100_150), ("f", "<", 0.5)], ["x", "f"]),
    ([[("k", "in", ["a"]), ("i", ">", 2)], [("s", "==", "s1-7")]], ["s", "k", "i"]),
    ([("i", "is null")], ["x"]),
])
def test_filters_and_columns_match_pandas(client, tmp_path, filters, columns):
    root = str(tmp_path / "ds")
    df = _frame(1)
    fdask.to_parquet(dd.from_pandas(df, npartitions=3), root, partition_on=["k"])
    got = fdask.read_parquet(root, filters=filters, columns=columns).compute()
    expected = fastpq.read_parquet(root, filters=filters, columns=columns)
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    if "is null" not in str(filters):
        pandas = pd.read_parquet(root, filters=filters, columns=columns)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), pandas, check_dtype=False)


def test_projection_reaches_the_reads(tmp_path, monkeypatch):
    """dask's optimizer passes the selected columns to the read function (threaded scheduler:
    the calls are watched in this process)."""
    root = str(tmp_path / "ds")
    fastpq.write(root, _frame(1), file_scheme="hive", partition_on=["k"])
    seen = []
    from fastpq.dataset.read import ParquetDataset

    real = ParquetDataset.read_piece

    def spy(self, piece, plan, columns=None, **options):
        seen.append(None if columns is None else list(columns))
        return real(self, piece, plan, columns=columns, **options)

    monkeypatch.setattr(ParquetDataset, "read_piece", spy)
    with dask.config.set(scheduler="threads"):
        ddf = fdask.read_parquet(root)
        total = ddf["x"].sum().compute()
    assert total == _frame(1)["x"].sum()
    assert seen and all(c == ["x"] for c in seen), seen


def test_divisions_from_statistics(client, tmp_path):
    df = _frame(1).set_index("x")
    root = str(tmp_path / "sorted")
    fdask.to_parquet(dd.from_pandas(df, npartitions=4), root)
    ddf = fdask.read_parquet(root)
    assert ddf.known_divisions and ddf.npartitions == 4
    assert ddf.divisions[0] == df.index.min() and ddf.divisions[-1] == df.index.max()
    pd.testing.assert_frame_equal(ddf.compute(), fastpq.read_parquet(root), check_dtype=False)
    assert ddf.loc[100_010:100_020].compute().index.tolist() == list(range(100_010, 100_021))
    shuffled = str(tmp_path / "shuffled")
    fdask.to_parquet(dd.from_pandas(df.sample(frac=1, random_state=0), npartitions=3, sort=False), shuffled)
    assert not fdask.read_parquet(shuffled).known_divisions


def test_split_row_groups(client, tmp_path):
    root = str(tmp_path / "rg")
    df = _frame(1, 1000)
    fastpq.write(root, df, file_scheme="hive", row_group_offsets=100)
    assert fdask.read_parquet(root, split_row_groups=False).npartitions == 1
    by_rg = fdask.read_parquet(root, split_row_groups=True)
    assert by_rg.npartitions == 10
    assert fdask.read_parquet(root, split_row_groups=3).npartitions == 4
    filtered = fdask.read_parquet(root, split_row_groups=True, filters=[("x", "<", 100_250)])
    assert filtered.npartitions == 3                                       # row groups pruned by statistics
    pd.testing.assert_frame_equal(_canon(by_rg.compute()), _canon(df))


def test_empty_result_and_progress(client, tmp_path):
    root = str(tmp_path / "ds")
    fdask.to_parquet(dd.from_pandas(_frame(1), npartitions=3), root, partition_on=["k"], progress=True)
    empty = fdask.read_parquet(root, filters=[("k", "==", "zz")])
    assert len(empty.compute()) == 0 and list(empty.columns) == ["x", "f", "s", "i", "k"]
