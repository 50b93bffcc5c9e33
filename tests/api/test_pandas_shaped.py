"""pandas-shaped calls of fastpq.write / read_parquet (issue 15 item 8, issue 17): filesystem=, ``~``,
a missing parent directory, pandas' option names, duplicate labels. Oracle: what pandas' own
pyarrow engine does with the same call (its messages and exception classes), and pyarrow reading
what fastpq wrote."""
from __future__ import annotations

import io
import os

import fsspec
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq

DF = pd.DataFrame({"a": [1, 2, 3], "p": ["x", "y", "x"]})


@pytest.fixture
def memfs():
    fs = fsspec.filesystem("memory")
    root = f"/fastpq-test-{os.getpid()}"
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_write_and_read_on_fsspec_filesystem(memfs):
    fs, root = memfs
    fastpq.write(f"{root}/f.parquet", DF, filesystem=fs)
    with fs.open(f"{root}/f.parquet", "rb") as f:
        pd.testing.assert_frame_equal(pq.read_table(f).to_pandas(), DF)
    pd.testing.assert_frame_equal(fastpq.read_parquet(f"{root}/f.parquet", filesystem=fs), DF)


def test_refused_frame_leaves_no_file_on_filesystem(memfs):
    fs, root = memfs
    with pytest.raises(TypeError):
        fastpq.write(f"{root}/bad.parquet", pd.DataFrame({"a": [1, "x"]}, dtype=object), filesystem=fs)
    assert not fs.exists(f"{root}/bad.parquet")


def test_overwrite_false_on_filesystem(memfs):
    fs, root = memfs
    fastpq.write(f"{root}/f.parquet", DF, filesystem=fs)
    with pytest.raises(FileExistsError):
        fastpq.write(f"{root}/f.parquet", DF, filesystem=fs, overwrite=False)


def test_partitioned_dataset_on_filesystem(memfs):
    fs, root = memfs
    fastpq.write(f"{root}/ds", DF, filesystem=fs, partition_cols=["p"])
    assert sorted(p.rsplit("/", 2)[-2] for p in fs.find(f"{root}/ds") if p.endswith(".parquet")) == ["p=x", "p=y"]


def test_local_fsspec_filesystem_is_a_local_write(tmp_path):
    fastpq.write(str(tmp_path / "f.parquet"), DF, filesystem=fsspec.filesystem("file"))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "f.parquet"), DF)


@pytest.mark.parametrize("bad", ["foo", 1, object()])
def test_invalid_filesystem(tmp_path, bad):
    path = tmp_path / "f.parquet"
    with pytest.raises(ValueError, match="filesystem must be a pyarrow or fsspec FileSystem"):
        fastpq.write(path, DF, filesystem=bad)
    assert not path.exists()
    path.write_bytes(b"foo")
    with pytest.raises(ValueError, match="filesystem must be a pyarrow or fsspec FileSystem"):
        fastpq.read_parquet(path, filesystem=bad)


def test_pyarrow_filesystem_refused(tmp_path):
    import pyarrow.fs

    with pytest.raises(fastpq.UnsupportedFeatureError):
        fastpq.write(tmp_path / "f.parquet", DF, filesystem=pyarrow.fs.LocalFileSystem())


@pytest.mark.parametrize("as_path", [str, os.fspath, lambda p: __import__("pathlib").Path(p)])
def test_expand_user(tmp_path, monkeypatch, as_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    fastpq.write(as_path("~/f.parquet"), DF)
    assert (tmp_path / "f.parquet").exists()
    pd.testing.assert_frame_equal(fastpq.read_parquet(as_path("~/f.parquet")), DF)
    pd.testing.assert_frame_equal(fastpq.read_parquet([as_path("~/f.parquet")]), DF)


def test_expand_user_missing_names_home(monkeypatch):
    monkeypatch.setenv("HOME", "TestingUser")
    with pytest.raises(OSError, match="TestingUser"):
        fastpq.read_parquet("~/file.parquet")
    with pytest.raises(OSError, match="TestingUser"):
        fastpq.write("~/file.parquet", DF)


def test_missing_parent_directory(tmp_path):
    with pytest.raises(OSError, match="Cannot save file into a non-existent directory"):
        fastpq.write(tmp_path / "missing" / "out.parquet", DF)
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("labels", [["a", "a", "b"], [1, 1], [("x", 1), ("x", 1)]])
def test_duplicate_columns_message(tmp_path, labels):
    df = pd.DataFrame([list(range(len(labels)))], columns=pd.Index(labels, tupleize_cols=False)
                      if not isinstance(labels[0], tuple) else pd.MultiIndex.from_tuples(labels))
    with pytest.raises(ValueError, match="Duplicate column names found"):
        df.to_parquet(io.BytesIO(), engine="pyarrow")       # the oracle: pandas' own engine
    with pytest.raises(ValueError, match="Duplicate column names found"):
        fastpq.write(tmp_path / "f.parquet", df)
    assert not (tmp_path / "f.parquet").exists()


@pytest.mark.parametrize("index", [None, True, False])
def test_index_spelling(tmp_path, index):
    df = DF.set_index("p")
    fastpq.write(tmp_path / "a.parquet", df, index=index)
    fastpq.write(tmp_path / "b.parquet", df, write_index=index)
    df.to_parquet(tmp_path / "c.parquet", engine="pyarrow", index=index)
    for name in "ab":
        pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "c.parquet"))


def test_row_group_size_and_engine(tmp_path):
    fastpq.write(tmp_path / "f.parquet", pd.DataFrame({"a": range(10)}), row_group_size=3, engine="pyarrow")
    assert pq.ParquetFile(tmp_path / "f.parquet").num_row_groups == 4


def test_partition_cols_spelling(tmp_path):
    fastpq.write(tmp_path / "ds", DF, partition_cols="p")
    assert {"p=x", "p=y"} <= set(os.listdir(tmp_path / "ds"))
    got = fastpq.read_parquet(tmp_path / "ds").sort_values("a").reset_index(drop=True)
    assert list(got["a"]) == [1, 2, 3]


@pytest.mark.parametrize("call", [
    dict(index=False, write_index=True),
    dict(partition_cols=["p"], partition_on=["p"]),
    dict(row_group_size=2, row_group_offsets=3),
])
def test_two_spellings_of_one_option_raise(tmp_path, call):
    with pytest.raises(ValueError, match="two spellings"):
        fastpq.write(tmp_path / "f", DF, **call)
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_row_group_size_must_be_positive_int(tmp_path, bad):
    with pytest.raises(ValueError, match="row_group_size"):
        fastpq.write(tmp_path / "f.parquet", DF, row_group_size=bad)


def test_unknown_keyword_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="no_such_option"):
        fastpq.write(tmp_path / "f.parquet", DF, no_such_option=1)


def test_dir_lists_lazy_names():
    names = dir(fastpq)
    for name in fastpq.__all__:
        assert name in names
        assert getattr(fastpq, name) is not None
