"""The CLI on datasets (schema, meta, stats, count, head, cat), on files that are not Parquet (repair,
verify), run in-process through ``fastpq.cli.main.main`` (one child-process run checks the script).

Oracles: pyarrow reading the same dataset (rows, row groups, files) and ``fastpq.read_parquet`` for
what "as read_parquet reads it" means (column order, partition columns, numbering)."""
from __future__ import annotations

import glob
import io
import json
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.cli.main import main
from tests.cli._run import error_line, run

DF = pd.DataFrame({"k": ["a", "b", "a", "c", "b", "a", "c"], "x": np.arange(7) * 3,
                   "f": [0.5, None, 1.5, 2.5, None, 3.5, 4.5], "s": ["p", None, "r", "s", "t", "u", "v"]})


def _hive(root):
    fastpq.write(root, DF, partition_on=["k"], file_scheme="hive", row_group_offsets=2)
    return root


def _pyarrow_dir(root):  # files written by pyarrow, no _metadata
    os.makedirs(root)
    for i in range(3):
        pq.write_table(pa.Table.from_pandas(DF.iloc[i * 3:i * 3 + 3], preserve_index=False),
                       os.path.join(root, f"part-{i}.parquet"), row_group_size=2)
    return root


def _pyarrow_hive(root):
    pq.write_to_dataset(pa.Table.from_pandas(DF, preserve_index=False), root, partition_cols=["k"])
    return root


LAYOUTS = {"hive": (_hive, ""), "hive_metadata": (_hive, "_metadata"), "pyarrow_dir": (_pyarrow_dir, ""),
           "pyarrow_hive": (_pyarrow_hive, ""), "glob": (_pyarrow_dir, "part-*.parquet")}


@pytest.fixture(params=sorted(LAYOUTS))
def dataset(request, tmp_path):
    make, tail = LAYOUTS[request.param]
    root = make(str(tmp_path / "ds"))
    return root, os.path.join(root, tail) if tail else root


def _out(capsys, *args) -> str:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def _files(root) -> list:
    return sorted(p for p in glob.glob(os.path.join(root, "**", "*.parquet"), recursive=True))


def test_count_meta_and_stats_match_pyarrow(dataset, capsys):
    root, arg = dataset
    files = _files(root)
    assert int(_out(capsys, "count", arg)) == pq.ParquetDataset(root).read().num_rows == len(DF)
    meta = json.loads(_out(capsys, "meta", "--json", arg))
    assert meta["num_files"] == len(files) and meta["num_rows"] == len(DF)
    assert meta["num_row_groups"] == sum(pq.ParquetFile(f).num_row_groups for f in files)
    assert sorted(os.path.join(root, f["file"]) for f in meta["files"]) == files
    for f in meta["files"]:
        md = pq.ParquetFile(os.path.join(root, f["file"])).metadata
        assert (f["num_rows"], f["num_row_groups"]) == (md.num_rows, md.num_row_groups)
    stats = json.loads(_out(capsys, "stats", "--json", arg))
    for row in stats:
        md = pq.ParquetFile(os.path.join(root, row["file"])).metadata
        rg = md.row_group(row["row_group"])
        col = next(rg.column(j) for j in range(rg.num_columns) if rg.column(j).path_in_schema == row["column"])
        assert row["null_count"] == col.statistics.null_count
    text = _out(capsys, "meta", arg)
    assert f"rows:        {len(DF)}" in text and f"files:       {len(files)}" in text


def test_schema_is_the_unified_schema_as_read(dataset, capsys):
    root, arg = dataset
    want = fastpq.read_parquet(arg).dtypes
    lines = _out(capsys, "schema", arg).splitlines()
    assert lines[0].startswith(f"dataset of {len(_files(root))} file")
    assert [ln.split(":")[0].strip() for ln in lines[1:]] == list(want.index)
    for ln, (name, dtype) in zip(lines[1:], want.items()):
        assert ln.split(": ", 1)[1].split(" (")[0] == str(dtype), ln


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("columns", [None, "x,s", "s,k"])
def test_cat_and_head_rows_as_read_parquet_reads_them(dataset, capsys, fmt, columns):
    root, arg = dataset
    want = fastpq.read_parquet(arg)
    keep = columns.split(",") if columns else list(want.columns)
    if "k" in keep and "k" not in want.columns:
        pytest.skip("no partition column in this layout")
    want = want[keep]
    extra = ["--columns", columns] if columns else []
    text = _out(capsys, "cat", arg, "--format", fmt, *extra)
    got = pd.read_csv(io.StringIO(text)) if fmt == "csv" else pd.read_json(io.StringIO(text), lines=True)
    assert list(got.columns) == keep
    canon = lambda df: df.astype(str).replace({"nan": "", "None": "", "<NA>": ""}).reset_index(drop=True)
    pd.testing.assert_frame_equal(canon(got), canon(want), check_dtype=False)
    head = _out(capsys, "head", arg, "-n", 3, "--format", fmt, *extra)
    got = pd.read_csv(io.StringIO(head)) if fmt == "csv" else pd.read_json(io.StringIO(head), lines=True)
    pd.testing.assert_frame_equal(canon(got), canon(want.head(3)), check_dtype=False)


def test_head_table_numbers_rows_as_read_parquet(tmp_path, capsys):
    root = _hive(str(tmp_path / "ds"))
    want = fastpq.read_parquet(root).head(5)
    with pd.option_context("display.max_colwidth", 40):
        assert _out(capsys, "head", root, "-n", 5) == want.to_string() + "\n"


def test_dataset_through_the_console_script(tmp_path):
    root = _hive(str(tmp_path / "ds"))
    proc = run("count", root)
    assert (proc.returncode, proc.stdout) == (0, f"{len(DF)}\n"), proc.stderr


# ------------------------------------------------------------------ not Parquet
NOT_PARQUET = {"text": b"hello, this is not parquet\n", "empty": b"", "short": b"PAR", "magic_only": b"PAR1",
               "head_magic": b"PAR1" + b"\0" * 40, "csv": b"a,b\n1,2\n", "random": bytes(range(256))}


@pytest.mark.parametrize("name", sorted(NOT_PARQUET))
@pytest.mark.parametrize("command", ["repair", "verify", "schema", "meta", "count", "head"])
def test_not_a_parquet_file_is_said_so(tmp_path, capsys, name, command):
    path = tmp_path / f"{name}.parquet"
    path.write_bytes(NOT_PARQUET[name])
    status = main([command, str(path)])
    captured = capsys.readouterr()
    assert status == 1
    text = captured.err + captured.out
    assert "clean" not in text and "Traceback" not in text
    assert "not a Parquet file" in text or "too small for Parquet" in text, text
    assert path.read_bytes() == NOT_PARQUET[name]   # repair left it as it was


def test_repair_on_a_dataset_directory(tmp_path, capsys):
    root = _hive(str(tmp_path / "ds"))
    assert _out(capsys, "repair", root).strip() == f"{root}: clean"
    proc = run("repair", str(tmp_path / "missing"))
    assert proc.returncode == 1 and "no such file or directory" in error_line(proc)


# ------------------------------------------------------------------ duplicate column names
DUP = pa.Table.from_arrays([pa.array([1, 2, 3]), pa.array(["x", "y", None]), pa.array([1.5, 2.5, 3.5]),
                            pa.array([True, None, False])], names=["a", "a", "b", "a"])


@pytest.fixture
def dup_file(tmp_path):
    path = str(tmp_path / "dup.parquet")
    pq.write_table(DUP, path, row_group_size=2)
    return path


def test_duplicate_names_schema_stats_meta(dup_file, capsys):
    schema = _out(capsys, "schema", dup_file)
    names = [ln.split(";")[0].split(" (")[0].split()[-1] for ln in schema.splitlines()[1:-1]]
    assert names == DUP.column_names  # one line per column, in file order
    md = pq.ParquetFile(dup_file).metadata
    rows = json.loads(_out(capsys, "stats", "--json", dup_file))
    assert len(rows) == md.num_columns * md.num_row_groups
    for j in range(md.num_columns):
        for i in range(md.num_row_groups):
            row, theirs = rows[j * md.num_row_groups + i], md.row_group(i).column(j).statistics
            assert (row["column"], row["row_group"], row["null_count"]) == (DUP.column_names[j], i, theirs.null_count)
            if theirs.has_min_max:
                assert (row["min"], row["max"]) == (theirs.min, theirs.max)
    meta = json.loads(_out(capsys, "meta", "--json", dup_file))
    for i, rg in enumerate(meta["row_groups"]):
        assert [c["statistics"]["null_count"] for c in rg["columns"]] == \
            [md.row_group(i).column(j).statistics.null_count for j in range(md.num_columns)]


@pytest.mark.parametrize("command", ["cat", "head"])
def test_duplicate_names_rows_as_csv(dup_file, capsys, command):
    text = _out(capsys, command, dup_file, "--format", "csv")
    assert text.splitlines()[0] == ",".join(DUP.column_names)
    got = pd.read_csv(io.StringIO(text), header=None, skiprows=1, dtype=str, keep_default_na=False)
    for j, column in enumerate(DUP.columns):
        assert got.iloc[:, j].tolist() == ["" if v is None else str(v) for v in column.to_pylist()]


@pytest.mark.parametrize("command", ["cat", "head"])
def test_duplicate_names_refused_as_json_lines(dup_file, capsys, command):
    assert main([command, dup_file, "--format", "jsonl"]) == 1
    err = capsys.readouterr().err
    assert "unique column names" in err and "['a']" in err and "Traceback" not in err


def test_duplicate_names_head_as_a_table(dup_file, capsys):
    text = _out(capsys, "head", dup_file)
    assert text.splitlines()[0].split() == DUP.column_names
