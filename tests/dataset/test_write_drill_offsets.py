"""fastparquet's dataset layouts on write: ``file_scheme='drill'`` (directories named by value
alone) and ``row_group_offsets`` as a list (applied to the frame, then each row group split by
partition). Oracles: pyarrow reading the files (its DirectoryPartitioning for drill), pandas'
groupby for the expected row group sizes, and fastpq reading back."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq

VALUES = {
    "str": ["a", "b b", "x/y", "é", "a", "p=q"],
    "int": [1, -2, 30, 1, 0, 30],
    "bool": [True, False, True, True, False, False],
    "float": [1.5, 2.0, -0.25, 1.5, 2.0, 3.0],
}


def _frame(kind: str, n: int = 24) -> pd.DataFrame:
    vals = VALUES[kind]
    return pd.DataFrame({"v": np.arange(n, dtype="int64"), "k": [vals[i % len(vals)] for i in range(n)],
                         "m": [i % 2 for i in range(n)]})


def _parts(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root)
                  for f in fs if f.endswith(".parquet"))


def _dir_name(value) -> str:
    from urllib.parse import quote

    text = ("true" if value else "false") if isinstance(value, (bool, np.bool_)) else \
        repr(float(value)).removesuffix(".0") if isinstance(value, float) else str(value)
    return quote(text, safe="")


@pytest.mark.parametrize("kind", sorted(VALUES))
@pytest.mark.parametrize("levels", [["k"], ["k", "m"]], ids=str)
def test_drill_write(tmp_path, kind, levels):
    df = _frame(kind)
    root = str(tmp_path / "ds")
    fastpq.write(root, df, partition_on=levels, file_scheme="drill")
    parts = _parts(root)
    expected_dirs = {"/".join(_dir_name(x) for x in (key if isinstance(key, tuple) else (key,)))
                     for key, _ in df.groupby(levels if len(levels) > 1 else levels[0])}
    assert {os.path.dirname(p) for p in parts} == expected_dirs
    assert not any("=" in p.split("/")[0] for p in parts)
    # pyarrow reads every part file (without the partition columns)
    for rel in parts:
        table = pq.read_table(os.path.join(root, rel))
        assert table.column_names == [c for c in df.columns if c not in levels]
    # pyarrow's directory partitioning and fastpq's drill read agree
    want = pq.read_table(root, partitioning=levels).to_pandas().sort_values("v").reset_index(drop=True)
    got = fastpq.read_parquet(root, partitioning="drill").sort_values("v").reset_index(drop=True)
    data = [c for c in df.columns if c not in levels]
    assert got.columns.tolist() == data + [f"dir{i}" for i in range(len(levels))]
    assert got["v"].tolist() == df["v"].tolist()
    for i, name in enumerate(levels):
        assert [str(x) for x in got[f"dir{i}"]] == [str(x) for x in want[name]]
        assert [str(x) for x in got[f"dir{i}"]] == [_dir_name(x).replace("%20", " ").replace("%2F", "/")
                                                    .replace("%C3%A9", "é").replace("%3D", "=") for x in df[name]]


def test_drill_append_keeps_the_layout(tmp_path):
    df = _frame("str")
    root = str(tmp_path / "ds")
    fastpq.write(root, df, partition_on=["k"], file_scheme="drill")
    fastpq.write(root, df.assign(v=df.v + 100), partition_on=["k"], append=True)
    assert not any("=" in p for p in _parts(root))
    got = fastpq.read_parquet(root, partitioning="drill")
    assert sorted(got["v"]) == sorted(df["v"].tolist() + (df["v"] + 100).tolist())


@pytest.mark.parametrize("bad", [None, np.nan, "_hidden", ".dot", ""])
def test_drill_refuses_values_a_listing_would_skip(tmp_path, bad):
    df = pd.DataFrame({"v": [1, 2], "k": ["ok", bad]})
    root = tmp_path / "ds"
    with pytest.raises(fastpq.PartitionError, match="drill"):
        fastpq.write(str(root), df, partition_on=["k"], file_scheme="drill")
    assert not root.exists() or _parts(str(root)) == []


def test_unknown_file_scheme(tmp_path):
    with pytest.raises(ValueError, match="file_scheme"):
        fastpq.write(str(tmp_path / "x"), _frame("int"), file_scheme="directory")


# ---------------------------------------------------------------- row_group_offsets as a list
OFFSETS = [[0], [0, 5], [0, 3, 7, 20], list(range(0, 24, 4)), [0, 23]]


@pytest.mark.parametrize("offsets", OFFSETS, ids=str)
@pytest.mark.parametrize("scheme", ["hive", "drill"])
@pytest.mark.parametrize("levels", [["k"], ["k", "m"], []], ids=str)
def test_row_group_offsets_list(tmp_path, offsets, scheme, levels):
    df = _frame("str")
    root = str(tmp_path / "ds")
    fastpq.write(root, df, partition_on=levels, file_scheme=scheme, row_group_offsets=offsets)
    # expected: each frame row group split by partition (pandas' groupby), per partition in order
    chunk = np.searchsorted(offsets, np.arange(len(df)), side="right") - 1
    keyed = df.assign(_chunk=chunk)
    want: dict = {}
    for key, part in keyed.groupby(levels, sort=False) if levels else [((), keyed)]:
        key = key if isinstance(key, tuple) else (key,)
        want[tuple(str(x) for x in key)] = part.groupby("_chunk", sort=True).size().tolist()
    from urllib.parse import unquote

    got = {}
    for rel in _parts(root):
        key = tuple(unquote(seg.split("=", 1)[-1]) for seg in rel.split("/")[:-1])
        md = pq.ParquetFile(os.path.join(root, rel)).metadata       # pyarrow reads the row groups
        got[key] = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    assert got == want
    back = fastpq.read_parquet(root, partitioning="drill" if scheme == "drill" else "hive")
    assert sorted(back["v"]) == df["v"].tolist()


@pytest.mark.parametrize("offsets", [[1, 5], [0, 5, 5], [0, 30], [0, 5, 3], []], ids=str)
def test_row_group_offsets_list_checked_before_writing(tmp_path, offsets):
    root = tmp_path / "ds"
    with pytest.raises(ValueError, match="row_group_offsets"):
        fastpq.write(str(root), _frame("int"), partition_on=["k"], file_scheme="hive", row_group_offsets=offsets)
    assert not root.exists() or _parts(str(root)) == []
