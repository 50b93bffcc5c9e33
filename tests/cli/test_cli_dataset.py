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
    import pandas as pd  # noqa: F811
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
