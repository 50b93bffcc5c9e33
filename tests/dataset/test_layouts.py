"""Dataset layouts: hive partitions and their types, drill directories, lists, globs, ignored files."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.dataset.read import ParquetDataset


def _hive(root, values, key="k", rows=2):
    for i, v in enumerate(values):
        folder = os.path.join(root, f"{key}={v}")
        os.makedirs(folder, exist_ok=True)
        pq.write_table(pa.table({"x": np.arange(rows) + 10 * i}), os.path.join(folder, "part-0.parquet"))
    return str(root)


@pytest.mark.parametrize("values", [
    ["1", "2"],                      # int32 categories
    ["10", "9", "2"],                # categories in order of appearance (sorted paths), not by value
    ["-5", "01"],                    # signs and leading zeros parse
    ["1", "3000000000"],             # beyond int32: strings
    ["1", "99999999999999999999"],
    ["1.5", "2"], ["true", "false"], ["+1", "2"], ["2020-01-01", "2020-01-02"],
    ["a%20b", "c%2Fd", "%C3%A9"],    # percent-decoded
    ["", "x"],                       # an empty value
])
def test_partition_values_typed_as_pandas_reads_them(tmp_path, values):
    root = _hive(tmp_path, values)
    pd.testing.assert_frame_equal(fastpq.read_parquet(root), pd.read_parquet(root))
    for backend in ("numpy_nullable", "pyarrow"):
        pd.testing.assert_frame_equal(fastpq.read_parquet(root, dtype_backend=backend),
                                      pd.read_parquet(root, dtype_backend=backend))


def test_null_partition(tmp_path):
    """__HIVE_DEFAULT_PARTITION__ is null (pandas.read_parquet fails on it: 'Cannot yet unify
    dictionaries with nulls'; pyarrow.dataset reads it as null)."""
    import pyarrow.dataset as ds

    root = _hive(tmp_path, ["1", "__HIVE_DEFAULT_PARTITION__", "3"])
    got = fastpq.read_parquet(root)
    expected = ds.dataset(root, partitioning="hive").to_table().to_pandas()
    assert got["k"].isna().tolist() == expected["k"].isna().tolist()
    assert list(got["k"].cat.categories) == [1, 3] and got["k"].cat.categories.dtype == "int32"
    assert got["x"].tolist() == expected["x"].tolist()
    assert fastpq.read_parquet(root, filters=[("k", "is null")])["x"].tolist() == [10, 11]
    # files in path order: k=1, k=3, k=__HIVE_DEFAULT_PARTITION__
    assert fastpq.read_parquet(root, filters=[("k", "not in", [1])])["x"].tolist() == [20, 21, 10, 11]
    assert fastpq.read_parquet(root, filters=[("k", "!=", 1)])["x"].tolist() == [20, 21]


def test_two_level_hive_and_mixed_depth(tmp_path):
    for a in ("x", "y"):
        for b in (1, 2):
            folder = tmp_path / f"a={a}" / f"b={b}"
            folder.mkdir(parents=True)
            pq.write_table(pa.table({"v": [f"{a}{b}"]}), folder / "f.parquet")
    pq.write_table(pa.table({"v": ["root"]}), tmp_path / "top.parquet")
    pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path), pd.read_parquet(tmp_path))
    for filters in ([("b", "==", 2)], [("a", "in", ["y"]), ("b", "<", 2)], [("v", "==", "root")]):
        pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path, filters=filters),
                                      pd.read_parquet(tmp_path, filters=filters))


def test_drill_directories(tmp_path):
    for a, b in [("2020", "01"), ("2020", "02"), ("2021", "01")]:
        folder = tmp_path / a / b
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"v": [f"{a}-{b}"]}), folder / "f.parquet")
    # pandas / pyarrow ignore directory names without '='; so does the default
    pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path), pd.read_parquet(tmp_path))
    got = fastpq.read_parquet(tmp_path, partitioning="drill")
    assert list(got.columns) == ["v", "dir0", "dir1"]
    assert got["dir0"].tolist() == [2020, 2020, 2021] and got["dir1"].tolist() == [1, 2, 1]
    assert fastpq.read_parquet(tmp_path, partitioning="drill", filters=[("dir1", "==", 2)])["v"].tolist() == \
        ["2020-02"]


def test_ignored_files(tmp_path):
    root = _hive(tmp_path, ["1", "2"])
    for name in ("_SUCCESS", "k=1/.part-0.parquet.crc", "k=1/part-0.parquet.crc", "_common_metadata.txt",
                 "notes.txt", "k=2/_temporary/junk", ".hidden/x.parquet", "_fastpq_journal"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not parquet")
    dataset = ParquetDataset(root)
    assert [os.path.relpath(f, root) for f in dataset.files] == ["k=1/part-0.parquet", "k=2/part-0.parquet"]
    assert fastpq.read_parquet(root)["x"].tolist() == [0, 1, 10, 11]


def test_list_of_files_keeps_its_order_and_parses_hive_segments(tmp_path):
    root = _hive(tmp_path, ["10", "9", "2"])
    files = [os.path.join(root, "k=9", "part-0.parquet"), os.path.join(root, "k=2", "part-0.parquet")]
    pd.testing.assert_frame_equal(fastpq.read_parquet(files), pd.read_parquet(files))
    got = fastpq.read_parquet(files, filters=[("k", ">", 5)])
    assert got["x"].tolist() == [10, 11] and list(got["k"].cat.categories) == [9, 2]


def test_glob(tmp_path):
    root = _hive(tmp_path, ["1", "2", "3"])
    got = fastpq.read_parquet(os.path.join(root, "k=[12]", "*.parquet"))
    assert got["x"].tolist() == [0, 1, 10, 11]
    assert got["k"].tolist() == [1, 1, 2, 2]
    with pytest.raises(FileNotFoundError):
        fastpq.read_parquet(os.path.join(root, "nothing-*.parquet"))


def test_partition_clashing_with_a_column(tmp_path):
    folder = tmp_path / "x=5"
    folder.mkdir()
    pq.write_table(pa.table({"x": [1], "y": [2]}), folder / "f.parquet")
    with pytest.raises(fastpq.SchemaMismatchError, match="x"):
        fastpq.read_parquet(tmp_path)


def test_single_file_in_a_partition_directory_has_no_partition_column(tmp_path):
    root = _hive(tmp_path, ["1"])
    path = os.path.join(root, "k=1", "part-0.parquet")
    pd.testing.assert_frame_equal(fastpq.read_parquet(path, filters=[("x", ">", 0)]),
                                  pd.read_parquet(path, filters=[("x", ">", 0)]))
    pd.testing.assert_frame_equal(fastpq.read_parquet(os.path.join(root, "k=1")),
                                  pd.read_parquet(os.path.join(root, "k=1")))


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastpq.read_parquet([str(tmp_path / "nope.parquet")])
    with pytest.raises(FileNotFoundError):
        ParquetDataset(tmp_path / "nope")


def test_stored_index_and_range_index(tmp_path):
    a = pd.DataFrame({"v": [1, 2]}, index=pd.Index([10, 20], name="idx"))
    b = pd.DataFrame({"v": [3]}, index=pd.Index([30], name="idx"))
    (tmp_path / "named").mkdir()
    a.to_parquet(tmp_path / "named" / "a.parquet")
    b.to_parquet(tmp_path / "named" / "b.parquet")
    for kwargs in ({}, {"filters": [("v", ">", 1)]}, {"filters": [("idx", ">=", 20)]}, {"columns": ["v"]}):
        pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path / "named", **kwargs),
                                      pd.read_parquet(tmp_path / "named", **kwargs))
    (tmp_path / "range").mkdir()
    pd.DataFrame({"v": [1, 2]}).to_parquet(tmp_path / "range" / "a.parquet")
    pd.DataFrame({"v": [3]}, index=pd.RangeIndex(5, 6)).to_parquet(tmp_path / "range" / "b.parquet")
    for kwargs in ({}, {"filters": [("v", ">", 1)]}):
        pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path / "range", **kwargs),
                                      pd.read_parquet(tmp_path / "range", **kwargs))


def test_dataset_api(tmp_path):
    root = _hive(tmp_path, ["1", "2"], rows=3)
    dataset = fastpq.ParquetDataset(root)
    assert dataset.partition_columns == ["k"] and len(dataset) == 2
    assert dataset.columns == ["x", "k"] and dataset.num_rows == 6 and dataset.num_row_groups == 2
    assert list(dataset.schema) == ["x"]
    plan = dataset.plan(filters=[("k", "==", 2)])
    assert [p.file for p in plan.pieces] == [1] and plan.pieces[0].num_rows == 3
    assert "ParquetDataset 2 files" in repr(dataset)


def test_progress_bar(tmp_path, monkeypatch, capsys):
    root = _hive(tmp_path, [str(i) for i in range(5)])
    got = fastpq.read_parquet(root, progress=True)
    assert len(got) == 10
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    assert len(fastpq.read_parquet(root)) == 10      # off by default: tqdm never imported
    with pytest.raises(ImportError, match="tqdm"):
        fastpq.read_parquet(root, progress=True)


def test_metadata_paths_cannot_leave_the_dataset(tmp_path):
    from fastpq.dataset.metadata import file_bytes, read_metadata
    from fastpq.dataset.store import Store

    root = _hive(tmp_path / "ds", ["1", "2"])
    fastpq.merge(root)
    md = read_metadata(Store(root))
    for bad in ("../outside.parquet", "/etc/passwd", "k=1/../../x.parquet"):
        md = read_metadata(Store(root))
        rgs = list(md.row_groups)
        for chunk in rgs[0].columns:
            chunk.file_path = bad
        md.row_groups = rgs
        (tmp_path / "ds" / "_metadata").write_bytes(file_bytes(md))
        with pytest.raises(fastpq.CorruptFileError, match="leaves the dataset"):
            fastpq.read_parquet(root)
    # and the listing still reads the files
    assert len(fastpq.ParquetDataset(root, use_metadata=False).to_pandas()) == 4
