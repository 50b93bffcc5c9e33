"""A file changed under an open reader is never read through the old footer (fastpq.format.source).

Matrix: how the reader was opened (a ParquetFile holding its descriptor, one closed, a
dataset's file, a pickled copy, a ``_metadata`` dataset, memory://) x how the file
changed (replaced by rename, rewritten in place by pyarrow, the same bytes rewritten,
appended by fastpq, deleted). Held descriptors read the file they opened, as pyarrow
does (checked against pyarrow); everything else reads the unchanged rows or raises
``FileChangedError``. Descriptors are bounded; checks are counted, not timed.
"""
from __future__ import annotations

import gc
import io
import os
import pickle
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
import fastpq.format.source as fio
from tests.dataset.test_remote import memfs  # noqa: F401 - a clean memory:// directory

OLD = pd.DataFrame({"a": [1, 2, 3], "b": [10, 20, 30]})
NEW = pd.DataFrame({"b": [7, 8, 9], "a": [4, 5, 6]})      # columns swapped: same layout, other meaning
MORE = pd.DataFrame({"a": [4], "b": [40]})


def _pyarrow_bytes(df) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf)
    return buf.getvalue()


def _replace_fastpq(p):
    fastpq.write(p, NEW)


def _replace_rename(p):
    tmp = p + ".new"
    with open(tmp, "wb") as f:
        f.write(_pyarrow_bytes(NEW))
    os.replace(tmp, p)


def _rewrite_in_place(p):
    ino = os.stat(p).st_ino
    pq.write_table(pa.Table.from_pandas(NEW, preserve_index=False), p)
    assert os.stat(p).st_ino == ino


def _same_bytes(p):
    data = open(p, "rb").read()
    with open(p, "r+b") as f:
        f.write(data)
    os.utime(p, ns=(0, 10**9))


def _append(p):
    fastpq.write(p, MORE, append=True)


def _delete(p):
    os.unlink(p)


CHANGES = {"replace (fastpq.write)": _replace_fastpq, "replace (rename)": _replace_rename,
           "rewrite in place": _rewrite_in_place, "same bytes rewritten": _same_bytes,
           "append": _append, "delete": _delete}


def _held(p):
    pf = fastpq.ParquetFile(p)
    return lambda: pf.to_pandas()


def _closed(p):
    pf = fastpq.ParquetFile(p)
    pf.close()
    return lambda: pf.to_pandas()


def _pickled(p):
    pf = pickle.loads(pickle.dumps(fastpq.ParquetFile(p)))
    return lambda: pf.to_pandas()


def _dataset_file(p):
    ds = fastpq.ParquetDataset([p])
    ds.file(0)                                  # footer read now
    return lambda: ds.to_pandas()


def _dataset_filtered(p):
    ds = fastpq.ParquetDataset([p])
    ds.file(0)
    return lambda: ds.to_pandas(filters=[("a", ">", 1)]).pipe(lambda d: pd.concat([OLD.iloc[:1], d],
                                                                                  ignore_index=True))


def _iter_row_groups(p):
    pf = fastpq.ParquetFile(p)
    pf.close()
    return lambda: pd.concat(list(pf.iter_row_groups()), ignore_index=True)


READERS = {"held": _held, "closed": _closed, "pickled": _pickled, "dataset": _dataset_file,
           "dataset filtered": _dataset_filtered, "iter_row_groups": _iter_row_groups}

# What each reader must give after each change: the old rows, or the error.
KEEPS_READING = {"replace (fastpq.write)", "replace (rename)", "same bytes rewritten", "append", "delete"}
IN_PLACE_OK = {"same bytes rewritten", "append"}


def _expected(reader: str, change: str):
    if reader == "held":
        return "old" if change in KEEPS_READING else fastpq.FileChangedError
    if change == "delete":
        return FileNotFoundError
    return "old" if change in IN_PLACE_OK else fastpq.FileChangedError


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_changed_file_is_read_as_opened_or_refused(tmp_path, reader, change):
    p = str(tmp_path / "f.parquet")
    fastpq.write(p, OLD)
    read = READERS[reader](p)
    arrow = pq.ParquetFile(p)                   # pyarrow keeps the file it opened
    CHANGES[change](p)
    want = _expected(reader, change)
    if want == "old":
        got = read()
        pd.testing.assert_frame_equal(got.reset_index(drop=True), OLD)
        if reader == "held" and change != "append":
            pd.testing.assert_frame_equal(arrow.read().to_pandas(), got)
    else:
        with pytest.raises(want) as info:
            read()
        if want is fastpq.FileChangedError:
            assert isinstance(info.value, fastpq.ParquetError) and "changed since it was opened" in str(info.value)


def test_a_reopened_file_reads_the_new_contents(tmp_path):
    p = str(tmp_path / "f.parquet")
    fastpq.write(p, OLD)
    pf = fastpq.ParquetFile(p)
    pf.close()
    _rewrite_in_place(p)
    with pytest.raises(fastpq.FileChangedError):
        pf.to_pandas()
    with fastpq.ParquetFile(p) as again:
        pd.testing.assert_frame_equal(again.to_pandas(), NEW)


def test_held_then_closed_mid_way(tmp_path):
    """close(): the held descriptor goes; the next read checks the identity taken at opening."""
    p = str(tmp_path / "f.parquet")
    fastpq.write(p, OLD)
    pf = fastpq.ParquetFile(p)
    _replace_fastpq(p)
    pd.testing.assert_frame_equal(pf.to_pandas(), OLD)
    pf.close()
    with pytest.raises(fastpq.FileChangedError):
        pf.to_pandas()


def test_iter_row_groups_reads_one_file_throughout(tmp_path):
    """The row groups of one iteration come from one descriptor: a replacement half way is
    not seen (the iteration checked once, at its first read)."""
    p = str(tmp_path / "f.parquet")
    df = pd.DataFrame({"a": np.arange(40), "b": np.arange(40) * 10})
    fastpq.write(p, df, row_group_offsets=10)
    pf = fastpq.ParquetFile(p)
    pf.close()
    it = pf.iter_row_groups()
    first = next(it)
    fastpq.write(p, df.iloc[:, ::-1] + 1000, row_group_offsets=10)
    rest = list(it)
    pd.testing.assert_frame_equal(pd.concat([first] + rest, ignore_index=True), df)
    with pytest.raises(fastpq.FileChangedError):
        pf.to_pandas()


@pytest.mark.parametrize("how", ["rename", "in place"])
def test_metadata_dataset_files_are_pinned_at_first_read(tmp_path, how):
    root = str(tmp_path / "ds")
    fastpq.write(root, OLD, file_scheme="hive")
    ds = fastpq.ParquetDataset(root)
    pd.testing.assert_frame_equal(ds.to_pandas(), OLD)
    part = ds.files[0]
    (_replace_rename if how == "rename" else _rewrite_in_place)(part)
    with pytest.raises(fastpq.FileChangedError):
        ds.to_pandas()


# ---------------------------------------------------------------- memory://

@pytest.mark.parametrize("reader", ["file", "dataset", "listed dataset"])
@pytest.mark.parametrize("change", ["replace", "rewrite other size", "delete"])
def test_memory_objects(memfs, reader, change):  # noqa: F811
    fs, root = memfs
    path = f"{root}/d/f.parquet"
    fs.pipe_file(path, _pyarrow_bytes(OLD))
    if reader == "file":
        pf = fastpq.ParquetFile(f"memory://{path}")
        read = pf.to_pandas
    else:
        ds = fastpq.ParquetDataset(f"memory://{root}/d" if reader == "listed dataset" else [f"memory://{path}"])
        ds.file(0)
        read = ds.to_pandas
    pd.testing.assert_frame_equal(read(), OLD)
    if change == "replace":
        fs.pipe_file(path, _pyarrow_bytes(NEW))
    elif change == "rewrite other size":
        fs.pipe_file(path, _pyarrow_bytes(pd.concat([NEW, NEW], ignore_index=True)))
    else:
        fs.rm(path)
    with pytest.raises(FileNotFoundError if change == "delete" else fastpq.FileChangedError):
        read()


def test_memory_checks_once_per_read(memfs, monkeypatch):  # noqa: F811
    """One fs.info per file per read (none for footers a listing gave), never one per chunk."""
    fs, root = memfs
    for k in range(3):
        df = pd.DataFrame({"a": np.arange(100) + k, "b": np.arange(100)})
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf, row_group_size=25)
        fs.pipe_file(f"{root}/d/part-{k}.parquet", buf.getvalue())
    calls = []
    real = type(fs).info

    def counted(self, path, **kwargs):
        calls.append(path)
        return real(self, path, **kwargs)

    monkeypatch.setattr(type(fs), "info", counted)
    ds = fastpq.ParquetDataset(f"memory://{root}/d")
    base = len(calls)
    assert len(ds.to_pandas()) == 300
    assert len(calls) - base == 3, calls[base:]
    pf = fastpq.ParquetFile(f"memory://{root}/d/part-0.parquet")
    base = len(calls)
    assert len(pd.concat(list(pf.iter_row_groups()))) == 100 and pf.num_row_groups == 4
    assert len(calls) - base == 1
    base = len(calls)
    pf.to_pandas(row_groups=[])
    assert len(calls) == base                       # nothing read, nothing checked


# ---------------------------------------------------------------- descriptors

def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


def test_held_descriptors_are_bounded(tmp_path, monkeypatch):
    gc.collect()                       # ParquetFiles of earlier tests, not yet collected, hold descriptors
    monkeypatch.setattr(fio, "MAX_HELD", fio.held_descriptors() + 5)
    paths = [str(tmp_path / f"f{i}.parquet") for i in range(8)]
    for p in paths:
        fastpq.write(p, OLD)
    base = fio.held_descriptors()
    pfs = [fastpq.ParquetFile(p) for p in paths]
    assert fio.held_descriptors() == fio.MAX_HELD
    for p in paths:
        _replace_fastpq(p)
    held = [pf.source._fd is not None for pf in pfs]
    assert sum(held) == 5
    for pf, h in zip(pfs, held):
        if h:
            pd.testing.assert_frame_equal(pf.to_pandas(), OLD)
        else:
            with pytest.raises(fastpq.FileChangedError):
                pf.to_pandas()
    pfs[0].close()
    assert fio.held_descriptors() == fio.MAX_HELD - 1
    del pfs, pf
    gc.collect()
    assert fio.held_descriptors() == base


def test_a_dataset_holds_no_descriptor(tmp_path, monkeypatch):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(200):
        fastpq.write(str(root / f"part-{i:04d}.parquet"), OLD.assign(a=OLD["a"] + i))
    before_fds, before_held = _open_fds(), fio.held_descriptors()
    opens = []
    real_open = os.open

    def counted(path, *args, **kwargs):
        opens.append(path)
        return real_open(path, *args, **kwargs)

    ds = fastpq.ParquetDataset(str(root))
    monkeypatch.setattr(os, "open", counted)
    assert len(ds.to_pandas()) == 600
    monkeypatch.undo()
    assert len(opens) == 400                      # per file: one open for its footer, one for its read; none per chunk
    assert fio.held_descriptors() == before_held
    assert _open_fds() == before_fds


def test_held_reads_from_many_threads(tmp_path):
    p = str(tmp_path / "f.parquet")
    df = pd.DataFrame({f"c{j}": np.arange(5000) * j for j in range(6)})
    fastpq.write(p, df, row_group_offsets=500)
    held, closed = fastpq.ParquetFile(p), fastpq.ParquetFile(p)
    closed.close()
    errors, results = [], []

    def work(pf):
        try:
            for _ in range(4):
                results.append(pf.to_pandas(use_threads=3))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(pf,)) for pf in [held, closed] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 32
    for got in results:
        pd.testing.assert_frame_equal(got, df)
    assert closed.source._session_fd is None and closed.source._users == 0
