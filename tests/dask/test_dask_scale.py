"""Planning cost of fastpq.dask: each task carries its own piece only, so what dask tokenizes
and ships per task does not grow with the number of files or row groups (counted in bytes
and calls, never timed); a worker process re-reads a file's footer once for all its tasks."""
from __future__ import annotations

import pickle

import pandas as pd
import pytest

import fastpq

pytest.importorskip("dask.dataframe")
import dask  # noqa: E402

import fastpq.dask as fdask  # noqa: E402
from fastpq.dataset import footers  # noqa: E402


def _files(root, n: int, row_groups: int = 1):
    root.mkdir()
    rows = 4 * row_groups
    for i in range(n):
        df = pd.DataFrame({"a": range(i * rows, (i + 1) * rows), "b": [1.5] * rows})
        fastpq.write(str(root / f"part.{i:04d}.parquet"), df, row_group_offsets=4)
    return str(root)


def _read_tasks(ddf):
    """(task function, [task elements]) of the fastpq-read layer."""
    expr = ddf.expr
    while type(expr).__name__ not in ("FromMap", "FromMapProjectable"):
        expr = expr.operands[0]
    return expr.operand("func"), list(expr.operand("iterables")[0])


def _sizes(ddf):
    func, tasks = _read_tasks(ddf)
    return len(pickle.dumps(func)), max(len(pickle.dumps(t)) for t in tasks), \
        max(len(repr(dask.base.normalize_token(t))) for t in tasks), len(tasks)


@pytest.mark.parametrize("split", [False, True])
def test_task_size_does_not_grow_with_files(tmp_path, split):
    small = _sizes(fdask.read_parquet(_files(tmp_path / "small", 3, 2), split_row_groups=split))
    large = _sizes(fdask.read_parquet(_files(tmp_path / "large", 40, 2), split_row_groups=split))
    assert large[3] == small[3] * 40 // 3
    assert large[0] == small[0]               # what all tasks share: held once, the same size
    assert large[1] <= small[1] + 8           # one task: its piece, file entry and identity
    assert large[2] <= small[2] + 8           # what dask's tokenizer sees of one task


def test_task_size_does_not_grow_with_row_groups(tmp_path):
    small = _sizes(fdask.read_parquet(_files(tmp_path / "small", 1, 4), split_row_groups=True))
    large = _sizes(fdask.read_parquet(_files(tmp_path / "large", 1, 64), split_row_groups=True))
    assert (small[3], large[3]) == (4, 64)
    assert large[0] == small[0]
    assert large[1] <= small[1] + 8
    assert large[2] <= small[2] + 8


def test_the_shared_function_drops_the_client_dataset_when_pickled(tmp_path):
    func, _ = _read_tasks(fdask.read_parquet(_files(tmp_path / "d", 5)))
    assert func._ds is not None
    assert pickle.loads(pickle.dumps(func))._ds is None


def test_a_worker_reads_a_footer_once_for_all_its_tasks(tmp_path, monkeypatch):
    root = _files(tmp_path / "d", 2, 6)
    ddf = fdask.read_parquet(root, split_row_groups=True)
    func, tasks = _read_tasks(ddf)
    remote = pickle.loads(pickle.dumps(func))           # as a worker process gets it
    opened = []
    real = footers.open_footer
    monkeypatch.setattr(footers, "open_footer", lambda fs, entry: opened.append(entry.name) or real(fs, entry))
    fdask._FOOTERS.clear()
    parts = [remote(pickle.loads(pickle.dumps(t))) for t in tasks]
    assert len(parts) == 12 and len(opened) == 2
    got = pd.concat(parts)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), fastpq.read_parquet(root).reset_index(drop=True))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), pd.read_parquet(root, engine="pyarrow"))


def test_a_worker_refuses_a_rewritten_file(tmp_path):
    root = _files(tmp_path / "d", 2, 2)
    func, tasks = _read_tasks(fdask.read_parquet(root, split_row_groups=True))
    remote = pickle.loads(pickle.dumps(func))
    fdask._FOOTERS.clear()
    victim = tasks[0].entry.path
    fastpq.write(victim, pd.DataFrame({"b": [0.5] * 8, "a": range(8)}), row_group_offsets=4)
    with pytest.raises(fastpq.FileChangedError, match="changed since it was opened"):
        remote(pickle.loads(pickle.dumps(tasks[0])))
    assert len(remote(pickle.loads(pickle.dumps(tasks[-1])))) == 4


@pytest.mark.parametrize("stats", [True, False])
@pytest.mark.parametrize("nulls", ["none", "one row group", "all"])
def test_null_free_from_the_scan_agrees_with_statistics(tmp_path, stats, nulls):
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = {"none": [1, 2, 3, 4, 5, 6], "one row group": [1, 2, 3, None, 5, 6], "all": [None] * 6}[nulls]
    path = str(tmp_path / "f.parquet")
    pq.write_table(pa.table({"a": pa.array(values, pa.int64()), "b": pa.array(range(6), pa.int64())}), path,
                   row_group_size=2, write_statistics=stats)
    pf = fastpq.ParquetFile(path)
    table = footers.ChunkTable(pf)
    for column in range(2):
        found = [table.statistics(k, column) for k in range(pf.num_row_groups)]
        slow = all(f is not None and f[0] is not None and f[0].null_count == 0 for f in found)
        assert table.null_free(column) is slow
    assert table.null_free(0) is (stats and nulls == "none")
    meta = fdask.read_parquet(path)._meta
    # statistics decide where they can; without them the column is read (tests/dask/test_dask_meta.py)
    assert meta["a"].dtype == fastpq.read_parquet(path)["a"].dtype == ("int64" if nulls == "none" else "float64")


def test_fingerprint_is_one_row_group_slice_of_the_whole(tmp_path):
    root = _files(tmp_path / "d", 1, 5)
    pf = fastpq.ParquetFile(root + "/part.0000.parquet")
    table = footers.ChunkTable(pf)
    prints = {table.fingerprint([k]) for k in range(5)}
    assert len(prints) == 5                                       # different row groups, different digests
    assert table.fingerprint(None) == table.fingerprint(list(range(5))) != table.fingerprint([0, 1])
