"""Hive datasets: write, append, overwrite partitions; read back by pyarrow, duckdb, polars."""
from __future__ import annotations

import os

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.dataset.metadata import read_metadata
from fastpq.dataset.store import Store
from fastpq.dataset.write import NULL_PARTITION, partition_value
from tests._oracles import read_pyarrow_metadata
from tests.dataset._helpers import SPECIAL, assert_reads, canon, frame, want


def _parts(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
                  for d, _, files in os.walk(root) for f in files if f.endswith(".parquet"))


def _listing(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def test_partition_values_are_encoded_as_pyarrow_does(tmp_path):
    values = SPECIAL + ["".join(map(chr, range(32, 127))), "日本"]
    df = pd.DataFrame({"k": values, "v": range(len(values))})
    fastpq.write(tmp_path / "fastpq", df, file_scheme="hive", partition_on=["k"])
    pq.write_to_dataset(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "pyarrow", partition_cols=["k"])
    dirs = lambda root: sorted(os.listdir(root))  # noqa: E731
    assert [d for d in dirs(tmp_path / "fastpq") if not d.startswith("_")] == dirs(tmp_path / "pyarrow")
    assert partition_value(None) == partition_value(float("nan")) == partition_value(pd.NaT) == NULL_PARTITION
    assert [partition_value(x) for x in (True, 2.0, 1.5, -3, b"a b")] == ["true", "2", "1.5", "-3", "a%20b"]


def test_write_partitioned_dataset(tmp_path):
    root = str(tmp_path / "ds")
    df = frame(1)
    fastpq.write(root, df, file_scheme="hive", partition_on=["k", "n"])
    parts = _parts(root)
    groups = df.groupby(["k", "n"], dropna=False)
    assert len(parts) == groups.ngroups
    for rel in parts:
        k, n, name = rel.split("/")
        assert k.startswith("k=") and n.startswith("n=") and name.startswith("part.")
    assert any(p.startswith(f"k={NULL_PARTITION}/") for p in parts)
    md = read_metadata(Store(root))
    assert md.num_rows == len(df) and len(md.row_groups) == len(parts)
    assert sorted({c.file_path for rg in md.row_groups for c in rg.columns}) == parts
    common = pq.read_metadata(os.path.join(root, "_common_metadata"))
    assert common.num_row_groups == 0 and common.schema.names == ["v", "f", "s", "c"]
    assert_reads(root, want([df]))
    assert not [f for f in _listing(root) if "fastpq" in f]       # no journal, no temporary files


def test_no_partitions_writes_top_level_parts(tmp_path):
    root = str(tmp_path / "flat")
    fastpq.write(root, frame(2), file_scheme="hive")
    fastpq.write(root, frame(3), file_scheme="hive", append=True)
    parts = _parts(root)
    assert len(parts) == 2 and all("/" not in p for p in parts)
    expected = want([frame(2), frame(3)])
    for got in (ds.dataset(root).to_table().to_pandas(), read_pyarrow_metadata(root)):
        pd.testing.assert_frame_equal(canon(got), expected)


def test_append_and_overwrite_partitions(tmp_path):
    root = str(tmp_path / "ds")
    frames = [frame(1)]
    fastpq.write(root, frames[0], file_scheme="hive", partition_on=["k", "n"])
    for seed in (2, 3):
        frames.append(frame(seed, 25))
        fastpq.write(root, frames[-1], file_scheme="hive", partition_on=["k", "n"], append=True)
        assert_reads(root, want(frames))
    names = [p.rsplit("/", 1)[1] for p in _parts(root)]
    assert len(set(names)) == len(names)                 # every part file name is new
    before = set(_parts(root))
    new = frame(9, 10).assign(k="x/y")                   # replaces every partition under k=x/y
    fastpq.write(root, new, file_scheme="hive", partition_on=["k", "n"], append="overwrite")
    everything = pd.concat(frames, ignore_index=True)
    replaced = everything["k"].eq("x/y") & everything["n"].isin(new["n"].unique())
    assert_reads(root, want([everything[~replaced], new]))
    after = set(_parts(root))
    gone = before - after
    assert gone and all(p.startswith("k=x%2Fy/") for p in gone)
    assert len(read_metadata(Store(root)).row_groups) == len(after)


def test_append_checks_schema_and_partitions(tmp_path):
    root = str(tmp_path / "ds")
    fastpq.write(root, frame(1), file_scheme="hive", partition_on=["k"])
    listing, metadata = _listing(root), open(os.path.join(root, "_metadata"), "rb").read()
    bad = [
        (frame(2).assign(v=frame(2)["v"].astype("float64")), ["k"], "'v'"),
        (frame(2).drop(columns=["s"]), ["k"], "missing"),
        (frame(2), ["n"], "partitioned on"),
        (frame(2), ["k", "n"], "partitioned on"),
        (frame(2).assign(k=1), ["k"], "partition column 'k'"),
    ]
    for df, on, match in bad:
        with pytest.raises(fastpq.SchemaMismatchError, match=match):
            fastpq.write(root, df, file_scheme="hive", partition_on=on, append=True)
        assert _listing(root) == listing and open(os.path.join(root, "_metadata"), "rb").read() == metadata
    fastpq.write(root, frame(2), file_scheme="hive", append=True)          # partition_on from the dataset
    assert_reads(root, want([frame(1), frame(2)]))


def test_fresh_write_replaces_a_dataset(tmp_path):
    root = str(tmp_path / "ds")
    fastpq.write(root, frame(1), file_scheme="hive", partition_on=["k"])
    other = frame(2)[["n", "v", "s"]]
    fastpq.write(root, other, file_scheme="hive", partition_on=["n"])
    assert all(p.startswith("n=") for p in _parts(root))
    got = canon(ds.dataset(root, partitioning="hive").to_table().to_pandas())
    pd.testing.assert_frame_equal(got, want([other], ["n", "v", "s"]))
    with pytest.raises(FileExistsError):
        fastpq.write(root, other, file_scheme="hive", partition_on=["n"], overwrite=False)


def test_append_to_a_pyarrow_dataset_without_metadata(tmp_path):
    root = str(tmp_path / "pa")
    first = frame(1)[["k", "v", "s"]]
    pq.write_to_dataset(pa.Table.from_pandas(first, preserve_index=False), root, partition_cols=["k"])
    second = frame(2)[["k", "v", "s"]]
    fastpq.write(root, second, file_scheme="hive", partition_on=["k"], append=True)
    expected = want([first, second], ["k", "v", "s"])
    for got in (ds.dataset(root, partitioning="hive").to_table().to_pandas(), read_pyarrow_metadata(root)):
        pd.testing.assert_frame_equal(canon(got), expected)


def test_merge_builds_metadata(tmp_path):
    root = tmp_path / "m"
    for seed in range(3):
        (root / f"k={seed}").mkdir(parents=True)
        fastpq.write(root / f"k={seed}" / "data.parquet", frame(seed)[["v", "f", "s"]])
    path = fastpq.merge(str(root))
    assert path == str(root / "_metadata")
    got = canon(read_pyarrow_metadata(str(root)))
    pd.testing.assert_frame_equal(got.drop(columns=["k"]) if "k" in got else got,
                                  want([frame(s) for s in range(3)], ["v", "f", "s"]))
    files = [str(root / f"k={seed}" / "data.parquet") for seed in range(2)]
    fastpq.merge(files)
    assert read_metadata(Store(str(root))).num_rows == 80
    (root / "k=9").mkdir()
    fastpq.write(root / "k=9" / "data.parquet", frame(9)[["v", "s", "f"]])
    with pytest.raises(fastpq.SchemaMismatchError, match="k=9"):
        fastpq.merge(str(root))


def test_memory_filesystem(tmp_path):
    fs = fsspec.filesystem("memory")
    root = "memory://fastpq-ds-test"
    if fs.exists("/fastpq-ds-test"):
        fs.rm("/fastpq-ds-test", recursive=True)
    frames = [frame(1), frame(2, 20)]
    fastpq.write(root, frames[0], file_scheme="hive", partition_on=["k", "n"])
    fastpq.write(root, frames[1], file_scheme="hive", partition_on=["k", "n"], append=True)
    new = frame(3, 10).assign(n=1)
    fastpq.write(root, new, file_scheme="hive", partition_on=["k", "n"], append="overwrite")
    everything = pd.concat(frames, ignore_index=True)
    keep = ~(everything["n"].eq(1) & everything["k"].isin(new["k"].dropna().unique()))
    keep &= ~(everything["n"].eq(1) & everything["k"].isna() & new["k"].isna().any())
    expected = want([everything[keep], new])
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    pafs = PyFileSystem(FSSpecHandler(fs))
    for got in (ds.dataset("/fastpq-ds-test", partitioning="hive", filesystem=pafs).to_table().to_pandas(),
                read_pyarrow_metadata("/fastpq-ds-test", filesystem=pafs)):
        pd.testing.assert_frame_equal(canon(got), expected)
    files = fs.find("/fastpq-ds-test")
    assert not [f for f in files if "fastpq-tmp" in f or "journal" in f]
    part = next(f for f in files if f.endswith(".parquet"))
    assert fastpq.ParquetFile("memory://" + part).num_rows > 0
    assert fastpq.repair(root) == "clean"


def test_append_to_a_directory_is_a_dataset_append(tmp_path):
    root = str(tmp_path / "ds")
    fastpq.write(root, frame(1), file_scheme="hive", partition_on=["k"])
    fastpq.write(root, frame(2), append=True)               # file_scheme left at 'simple'
    assert_reads(root, want([frame(1), frame(2)]))
