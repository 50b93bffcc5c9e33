"""fastpq.dask plans on the client and reads on workers later: a file that changed in between
is refused on the worker (``FileChangedError``), never read through the client's footer.

Matrix: dataset kind (a listed directory, a ``_metadata`` dataset, one file) x change
(none, replaced by rename with its columns swapped, rewritten in place by pyarrow, appended
by fastpq) on a LocalCluster of worker processes; memory:// on the threaded scheduler.
"""
from __future__ import annotations

import os

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402

import fastpq.dask as fdask  # noqa: E402

OLD = pd.DataFrame({"a": [1, 2, 3, 4], "b": [10, 20, 30, 40]})
SWAPPED = pd.DataFrame({"b": [5, 6, 7, 8], "a": [50, 60, 70, 80]})


def _listed(tmp_path):
    root = tmp_path / "listed"
    root.mkdir()
    fastpq.write(str(root / "part-0.parquet"), OLD)
    fastpq.write(str(root / "part-1.parquet"), OLD + 100)
    return str(root), str(root / "part-1.parquet")


def _metadata(tmp_path):
    root = str(tmp_path / "meta")
    fastpq.write(root, OLD, file_scheme="hive", row_group_offsets=2)
    return root, fastpq.ParquetDataset(root).files[0]


def _single(tmp_path):
    path = str(tmp_path / "one.parquet")
    fastpq.write(path, OLD)
    return path, path


def _replace(path):
    tmp = path + ".tmp"
    pq.write_table(pa.Table.from_pandas(SWAPPED, preserve_index=False), tmp)
    os.replace(tmp, path)


def _in_place(path):
    pq.write_table(pa.Table.from_pandas(SWAPPED, preserve_index=False), path)


def _append(path):
    fastpq.write(path, OLD + 1000, append=True)


KINDS = {"listed": _listed, "_metadata": _metadata, "single file": _single}
CHANGES = {"none": None, "replace": _replace, "in place": _in_place, "append": _append}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_workers_refuse_files_changed_since_the_plan(client, tmp_path, kind, change):
    root, victim = KINDS[kind](tmp_path)
    expected = fastpq.read_parquet(root)
    ddf = fdask.read_parquet(root)
    if CHANGES[change] is not None:
        CHANGES[change](victim)
    if change in ("none", "append"):      # an append keeps the rows the plan knows where they were
        got = ddf.compute()
        pd.testing.assert_frame_equal(got.sort_values(["a", "b"]).reset_index(drop=True),
                                      expected.sort_values(["a", "b"]).reset_index(drop=True), check_dtype=False)
    else:
        with pytest.raises(fastpq.FileChangedError, match="changed since it was opened"):
            ddf.compute()


def test_memory_objects_threaded(tmp_path):
    fs = fsspec.filesystem("memory")
    root = "/fastpq-dask-identity"
    if fs.exists(root):
        fs.rm(root, recursive=True)
    try:
        for k in range(2):
            with fs.open(f"{root}/part-{k}.parquet", "wb") as f:
                pq.write_table(pa.Table.from_pandas(OLD + k, preserve_index=False), f)
        with dask.config.set(scheduler="threads"):
            ddf = fdask.read_parquet(f"memory://{root}")
            assert len(ddf.compute()) == 8
            with fs.open(f"{root}/part-1.parquet", "wb") as f:
                pq.write_table(pa.Table.from_pandas(SWAPPED, preserve_index=False), f)
            with pytest.raises(fastpq.FileChangedError):
                ddf.compute()
    finally:
        fs.rm(root, recursive=True)
