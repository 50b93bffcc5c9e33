"""Names the dataset writer makes from partition columns and values: path-like values are
percent-encoded into one directory name inside the root; names too long for the file
system and hidden names are refused before anything is written; recovery tolerates
journal entries that name no file (issue 13, items 5, 7, 8)."""
from __future__ import annotations

import os
from urllib.parse import quote

import pandas as pd
import pyarrow.dataset as ds
import pytest

import fastpq
from fastpq import PartitionError
from fastpq.dataset.store import Store
from fastpq.dataset.write import read_dataset
from tests.safety._arena import OPS

PATHLIKE = ["..", ".", "../victim.txt", "../../victim.txt", "/", "//", "\\", "..\\victim.txt", "\x00",
            "a/../../b", "%2e%2e", "%2F", "C:", "C:\\x", ".hidden", "_under", "~", " ", "é/..", "k=v", "=", "?#*"]


def _folders(arena) -> list:
    """The partition directories under the root (names as stored)."""
    if arena.fs is not None:
        root = arena.path("").rstrip("/")
        return sorted(p[len(root) + 1:] for p in arena.fs.find(root, withdirs=True, detail=False)
                      if arena.fs.isdir(p))
    return sorted(d for d in os.listdir(arena.path("")) if os.path.isdir(arena.path(d)) and
                  not os.path.islink(arena.path(d)))


def test_pathlike_values_are_encoded_into_one_name_inside_the_root(arena):
    df = pd.DataFrame({"k": PATHLIKE, "v": range(100, 100 + len(PATHLIKE))})
    outside = arena.snapshot(inside=False)
    fastpq.write(arena.url, df, file_scheme="hive", partition_on=["k"], append="overwrite")
    assert arena.snapshot(inside=False) == outside
    assert {f"k={quote(v, safe='')}" for v in PATHLIKE} <= set(_folders(arena))
    got = fastpq.read_parquet(arena.url)
    got = got[got["v"] >= 100].sort_values("v")
    assert got["k"].astype(str).tolist() == PATHLIKE
    if arena.fs is None:
        table = ds.dataset(arena.path(""), partitioning="hive", exclude_invalid_files=True).to_table().to_pandas()
        table = table[table["v"] >= 100].sort_values("v")
        assert table["k"].astype(str).tolist() == PATHLIKE
    for op in ("append=True", "append='overwrite'", "repair", "merge", "append=False"):
        OPS[op](arena.url)
        assert arena.snapshot(inside=False) == outside


LONG = {
    "ascii, 300 bytes": ["x" * 300],
    "utf-8, 2 x 200 bytes": ["é" * 200],
    "one of many": ["a", "b" * 300, "c"],
    "one byte over": ["y" * 254],                 # 'k=' + 254 = 256 bytes
}


@pytest.mark.parametrize("values", list(LONG.values()), ids=list(LONG))
@pytest.mark.parametrize("op", ["append=True", "append='overwrite'", "append=False"])
def test_overlong_names_are_refused_before_anything_is_written(arena, values, op):
    df = pd.DataFrame({"k": values, "v": range(len(values))})
    outside, inside = arena.snapshot(inside=False), arena.snapshot(inside=True)
    append = {"append=True": True, "append='overwrite'": "overwrite", "append=False": False}[op]
    with pytest.raises(PartitionError, match="bytes long"):
        fastpq.write(arena.url, df, file_scheme="hive", partition_on=["k"], append=append)
    assert arena.snapshot(inside=False) == outside
    assert arena.snapshot(inside=True) == inside
    assert fastpq.repair(arena.url) == "clean"          # no journal left behind
    OPS["append=True"](arena.url)                        # and the dataset takes writes
    assert read_dataset(Store(arena.url)).num_rows == 5


def test_the_longest_name_is_written(tmp_path):
    root = tmp_path / "ds"
    value = "y" * 253                                    # 'k=' + 253 = 255 bytes: the limit
    fastpq.write(root, pd.DataFrame({"k": [value], "v": [1]}), file_scheme="hive", partition_on=["k"])
    assert (root / f"k={value}").is_dir()
    assert fastpq.read_parquet(root)["k"].astype(str).tolist() == [value]
    assert ds.dataset(root, partitioning="hive", exclude_invalid_files=True).to_table().num_rows == 1


def test_overlong_paths_are_refused(tmp_path):
    limit = os.pathconf(tmp_path, "PC_PATH_MAX")
    width = 200
    n = limit // (width + 4) + 1
    df = pd.DataFrame({f"c{i}": ["z" * width] for i in range(n)} | {"v": [1]})
    with pytest.raises(PartitionError, match="path .* bytes long"):
        fastpq.write(tmp_path / "ds", df, file_scheme="hive", partition_on=[f"c{i}" for i in range(n)])
    assert not [f for _, _, files in os.walk(tmp_path) for f in files]


def test_new_dataset_with_an_overlong_name_writes_no_file(tmp_path):
    with pytest.raises(PartitionError):
        fastpq.write(tmp_path / "ds", pd.DataFrame({"k": ["x" * 300], "v": [1]}), file_scheme="hive",
                     partition_on=["k"])
    assert not [f for _, _, files in os.walk(tmp_path) for f in files]


HIDDEN = ["_k", ".k", "_", ".", "..", "../k", "__HIVE_DEFAULT_PARTITION__", "_metadata"]


@pytest.mark.parametrize("name", HIDDEN)
@pytest.mark.parametrize("append", [False, True])
def test_hidden_partition_names_are_refused(tmp_path, name, append):
    root = tmp_path / "ds"
    if append:
        fastpq.write(root, pd.DataFrame({"v": [1]}), file_scheme="hive")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(PartitionError, match="hidden"):
        fastpq.write(root, pd.DataFrame({name: ["a"], "v": [2]}), file_scheme="hive", partition_on=[name],
                     append=append)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
