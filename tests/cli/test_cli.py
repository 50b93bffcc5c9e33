"""The ``fastpq`` command line, run in a child process on the shipped files (tests/cli/_run.py).

Outputs are checked against pyarrow (metadata, statistics, rows through
pandas.read_csv / json) and against fastpq's own API; errors must be one
``fastpq: error:`` line with exit status 1 (files) or 2 (usage), no traceback.
"""
from __future__ import annotations

import io
import json
import os
import subprocess

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.format.pages import read_page_header
from tests.cli._run import SCRIPT, error_line, run
from tests.conftest import TEST_DATA

CORE = TEST_DATA / "pyarrow_core_v1_snappy.parquet"
PAGES_CRC = TEST_DATA / "pyarrow_pages_small_v1_snappy_pageindex_crc_bloom.parquet"
NAMED_INDEX = TEST_DATA / "pyarrow_pandas_named_index.parquet"
# columns of PAGES_CRC that survive CSV as pyarrow reads them ("" and null differ in str_dict; bytes are base64)
CSV_SAFE = ["id", "int32", "int64", "double", "str_unique"]


# ------------------------------------------------------------------ inspecting
def test_schema_through_the_console_script_and_the_module():
    for module in (False, True):
        proc = run("schema", CORE, module=module)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == str(fastpq.ParquetFile(CORE).schema) + "\n"
    assert SCRIPT.exists(), "the console script 'fastpq' is not installed next to python"


def test_meta_json_matches_pyarrow():
    proc = run("meta", "--json", PAGES_CRC)
    assert proc.returncode == 0, proc.stderr
    meta = json.loads(proc.stdout)
    md = pq.ParquetFile(PAGES_CRC).metadata
    assert (meta["num_rows"], meta["num_row_groups"], meta["num_columns"]) == (md.num_rows, md.num_row_groups,
                                                                             md.num_columns)
    for i, rg in enumerate(meta["row_groups"]):
        assert rg["num_rows"] == md.row_group(i).num_rows
        for j, col in enumerate(rg["columns"]):
            theirs = md.row_group(i).column(j)
            assert col["column"] == theirs.path_in_schema
            assert col["codec"] == theirs.compression
            assert col["num_values"] == theirs.num_values
            assert col["compressed_size"] == theirs.total_compressed_size
            assert sorted(col["encodings"]) == sorted(theirs.encodings)
            assert col["statistics"]["null_count"] == theirs.statistics.null_count
    text = run("meta", PAGES_CRC).stdout
    assert "row group 4: 200 rows" in text and "id: INT64 SNAPPY" in text and "min 1800, max 1999" in text


def test_stats_matches_pyarrow():
    proc = run("stats", "--json", PAGES_CRC)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    md = pq.ParquetFile(PAGES_CRC).metadata
    by_key = {(r["column"], r["row_group"]): r for r in rows}
    for i in range(md.num_row_groups):
        for name in ("id", "int32", "int64", "str_unique"):
            j = md.schema.names.index(name)
            theirs = md.row_group(i).column(j).statistics
            mine = by_key[(name, i)]
            assert (mine["min"], mine["max"], mine["null_count"]) == (theirs.min, theirs.max, theirs.null_count)
    table = run("stats", PAGES_CRC).stdout.splitlines()
    assert table[0].split() == ["column", "row_group", "null_count", "distinct_count", "min", "max"]
    assert table[1].split() == ["id", "0", "0", "-", "0", "449"]


# ------------------------------------------------------------------ rows
def test_head_csv_and_table():
    proc = run("head", PAGES_CRC, "-n", "7", "--columns", ",".join(CSV_SAFE), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    expected = pd.read_parquet(PAGES_CRC, columns=CSV_SAFE).head(7)
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(proc.stdout)), expected, check_dtype=False)
    table = run("head", CORE, "-n", "3").stdout.splitlines()
    assert len(table) == 4 and table[0].split()[:2] == ["id", "bool"]


def test_cat_csv_round_trips_to_what_pyarrow_reads():
    proc = run("cat", PAGES_CRC, "--columns", ",".join(CSV_SAFE))
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(io.StringIO(proc.stdout))
    expected = pd.read_parquet(PAGES_CRC, columns=CSV_SAFE)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert proc.stdout.count("id,int32") == 1  # one header for five row groups


def test_cat_csv_of_every_column_and_a_stored_index():
    got = pd.read_csv(io.StringIO(run("cat", NAMED_INDEX).stdout))
    expected = pd.read_parquet(NAMED_INDEX).reset_index()
    assert list(got.columns) == list(expected.columns)
    assert got["key"].tolist() == expected["key"].tolist()
    # bytes are base64 in CSV and JSON
    raw = run("cat", CORE, "--columns", "binary").stdout.splitlines()[1:]
    values = pd.read_parquet(CORE, columns=["binary"])["binary"]
    import base64

    # (CSV cannot tell an empty value from a missing one)
    assert [base64.b64decode(v) for v in raw] == [b"" if v is None else v for v in values]


def test_cat_jsonl_matches_pyarrow():
    proc = run("cat", CORE, "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    expected = pd.read_parquet(CORE)
    assert len(records) == len(expected)
    for name in ("id", "int64", "str_unique", "str_dict"):
        want = [None if pd.isna(v) else v for v in expected[name]]
        assert [r[name] for r in records] == want, name
    doubles = [r["double"] for r in records]
    for got, want in zip(doubles, expected["double"]):
        if np.isnan(want):
            assert got is None
        elif np.isinf(want):
            assert got == ("Infinity" if want > 0 else "-Infinity")
        else:
            assert got == want  # exact: no 15-digit rounding
    f32 = [r["float"] for r in records]
    assert all(v is None or np.float32(v) == w for v, w in zip(f32, expected["float"]) if not np.isnan(w))


def test_cat_into_a_closed_pipe_is_quiet(tmp_path):
    path = tmp_path / "big.parquet"
    n = 400_000
    fastpq.write(str(path), pd.DataFrame({"a": np.arange(n), "s": ["x" * 20] * n}), row_group_offsets=100_000)
    cmd = f"'{SCRIPT}' cat '{path}' | head -n 3; echo \"status ${{PIPESTATUS[0]}}\""
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == ["a,s", "0," + "x" * 20, "1," + "x" * 20, "status 0"]
    assert proc.stderr == ""


# ------------------------------------------------------------------ convert, append
CSV = """i,f,b,s,late,code
1,0.5,True,a,,007
2,1.5,False,b,,010
3,,True,,,011
4,2.5,,d,x,012
,3.5,False,e,y,013
6,4.5,True,f,,014
"""


def test_convert_csv_to_parquet_in_chunks_reads_back_as_read_csv(tmp_path):
    src, dst = tmp_path / "t.csv", tmp_path / "t.parquet"
    src.write_text(CSV)
    proc = run("convert", src, dst, "--row-group-size", "3", "--compression", "zstd")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{dst}: 6 rows, 2 row groups, {os.path.getsize(dst):,} bytes"
    pf = fastpq.ParquetFile(dst)
    assert pf.num_row_groups == 2
    assert {c.meta_data.codec for rg in pf.metadata.row_groups for c in rg.columns} == {6}  # ZSTD
    got = fastpq.read_parquet(dst)
    # the first chunk (3 rows) decided the types: i int and b bool (gaps come later: float64 and
    # object, as read_csv gives them), late text (no value in the first chunk), code int (as read_csv)
    expected = pd.read_csv(src, dtype={"late": "str"})
    assert got.dtypes.tolist() == expected.dtypes.tolist()
    as_objects = [d.astype(object).where(d.notna(), None) for d in (got, expected)]  # None vs NaN in "b"
    pd.testing.assert_frame_equal(*as_objects)
    assert pd.read_parquet(dst).equals(got)  # pyarrow reads what we wrote, the same


def test_convert_csv_from_stdin_and_parquet_to_csv_jsonl_parquet(tmp_path):
    dst = tmp_path / "from_stdin.parquet"
    proc = run("convert", "-", dst, stdin=CSV)
    assert proc.returncode == 0, proc.stderr
    assert len(fastpq.read_parquet(dst)) == 6
    out = tmp_path / "pages.csv"
    proc = run("convert", PAGES_CRC, out, "--columns", ",".join(CSV_SAFE))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == run("cat", PAGES_CRC, "--columns", ",".join(CSV_SAFE)).stdout
    jl = run("convert", PAGES_CRC, "-", "--to", "jsonl", "--columns", "id").stdout.splitlines()
    assert jl[0] == '{"id":0}' and len(jl) == 2000
    proc = run("convert", PAGES_CRC, tmp_path / "again.parquet")
    assert proc.returncode == 2 and "cannot convert parquet to parquet" in error_line(proc)


def test_append_csv_and_parquet(tmp_path):
    target = tmp_path / "t.parquet"
    src = tmp_path / "t.csv"
    src.write_text(CSV)
    assert run("convert", src, target).returncode == 0
    more = tmp_path / "more.csv"
    more.write_text("code,late,s,b,f,i\n15,z,g,,9.5,7\n")  # other column order, gaps: fine
    proc = run("append", target, more)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{target}: appended 1 rows (1 row group)"
    proc = run("append", target, target.with_name("t.parquet"))  # a Parquet source: the file itself
    assert proc.returncode == 0, proc.stderr
    got = fastpq.read_parquet(target)
    assert len(got) == 14 and got["late"].tolist()[6] == "z" and got["code"].tolist()[6] == 15
    assert pq.read_table(target).num_rows == 14


def test_append_mismatch_is_one_error_line_and_leaves_the_file(tmp_path):
    target, src = tmp_path / "t.parquet", tmp_path / "t.csv"
    src.write_text(CSV)
    assert run("convert", src, target).returncode == 0
    before = target.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("i,other\n1,2\n")
    proc = run("append", target, bad)
    assert proc.returncode == 1
    assert "columns differ" in error_line(proc)
    other = tmp_path / "other.parquet"
    fastpq.write(str(other), pd.read_csv(src).assign(i=lambda d: d["i"].astype("float32")))
    proc = run("append", target, other)
    assert proc.returncode == 1
    assert "column 'i'" in error_line(proc) and "float32" in error_line(proc)
    assert target.read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if "journal" in p]


# ------------------------------------------------------------------ verify, repair, demo
def _page_payload(raw: bytes, offset: int) -> int:
    """File offset of the payload of the page whose header starts at ``offset``."""
    _, n = read_page_header(np.frombuffer(raw, np.uint8), offset)
    return offset + n


def _chunk(path, rg: int, name: str):
    md = pq.ParquetFile(path).metadata
    return md.row_group(rg).column(md.schema.names.index(name))


def test_verify_clean_files():
    proc = run("verify", PAGES_CRC, CORE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("OK: 2,000 rows, 5 row groups, 55 column chunks, 265 pages (265 with a CRC, checked)")
    assert lines[1].startswith(f"{CORE}: OK: 400 rows")


def test_verify_reports_checksum_and_decoding_failures(tmp_path):
    # a byte of a page payload changed in a file with page CRCs: the CRC names it
    raw = bytearray(PAGES_CRC.read_bytes())
    chunk = _chunk(PAGES_CRC, 2, "int64")
    at = _page_payload(bytes(raw), chunk.data_page_offset) + 5
    raw[at] ^= 0x40
    crc_bad = tmp_path / "crc_bad.parquet"
    crc_bad.write_bytes(bytes(raw))
    proc = run("verify", crc_bad)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [f"{crc_bad}: row group 2, column int64, offset {chunk.data_page_offset}: "
                                        f"page CRC mismatch: header says " + proc.stdout.split("header says ")[1]
                                        .splitlines()[0]]
    # no CRCs, uncompressed: the dictionary-index bit width of two columns' first data pages set
    # beyond 32, and the file's last byte cut off in a copy: decoding and the footer fail
    plain = TEST_DATA / "pyarrow_core_v1_uncompressed.parquet"
    raw = bytearray(plain.read_bytes())
    offsets = {}
    for name in ("id", "str_unique"):
        chunk = _chunk(plain, 0, name)
        raw[_page_payload(bytes(raw), chunk.data_page_offset)] = 0x7F  # required: the bit width comes first
        offsets[name] = chunk.data_page_offset
    bad = tmp_path / "decode_bad.parquet"
    bad.write_bytes(bytes(raw))
    assert fastpq.ParquetFile(plain).schema.field("id").optional is False
    proc = run("verify", bad)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout
    for line, name in zip(lines, ("id", "str_unique")):
        assert line.startswith(f"{bad}: row group 0, column {name}, offset {offsets[name]}: "), line
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(plain.read_bytes()[:-1])
    proc = run("verify", "-q", cut, CORE)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [f"{cut}: offset 34283: not a Parquet file: ends with b'\\x00PAR', expected b'PAR1'"]


def test_repair_after_an_interrupted_append(tmp_path):
    from fastpq.append import appender as append_mod
    from tests.append._crash import KillAt, in_child

    path = str(tmp_path / "t.parquet")
    fastpq.write(path, pd.DataFrame({"a": np.arange(10)}))
    assert run("repair", path).stdout.strip() == f"{path}: clean"
    counter = KillAt()
    saved, append_mod.OPS = append_mod.OPS, counter
    try:
        fastpq.write(path + ".probe", pd.DataFrame({"a": np.arange(10)}))
        fastpq.write(path + ".probe", pd.DataFrame({"a": np.arange(5)}), append=True)
    finally:
        append_mod.OPS = saved
    at = counter.kinds.index("pwrite", counter.kinds.index("pwrite") + 1) + 1  # inside the file's rewrite
    assert in_child(lambda: fastpq.write(path, pd.DataFrame({"a": np.arange(5)}), append=True),
                    KillAt(at)) == "killed"
    assert os.path.exists(append_mod.journal_path(path))
    proc = run("repair", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in (f"{path}: rolled back the interrupted append",
                                   f"{path}: completed the interrupted append")
    assert not os.path.exists(append_mod.journal_path(path))
    assert pq.read_table(path).num_rows in (10, 15)
    assert "no such file" in error_line(run("repair", tmp_path / "missing.parquet"))


def test_demo_writes_appends_reads_and_is_quick():
    import time

    run("demo")  # kernels compile or load once
    start = time.perf_counter()
    proc = run("demo")
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "500 rows appended in place" in out and "equal to the two frames concatenated" in out
    assert "message schema {" in out and "row group 1: 500 rows" in out
    assert seconds < 10, f"demo took {seconds:.1f} s"


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("args, status, words", [
    (["nosuch"], 2, "invalid choice"),
    (["head"], 2, "head: the following arguments are required: FILE"),
    (["head", CORE, "-n", "x"], 2, "invalid int value"),
    (["head", CORE, "-n", "-1"], 2, "-n must be >= 0"),
    (["convert", "a.xyz", "b.parquet"], 2, "pass --from"),
    (["schema", "missing.parquet"], 1, "missing.parquet: No such file or directory"),
    (["schema", TEST_DATA], 1, "generate.py, byte offset"),  # a directory is a dataset: its files must be Parquet
    (["meta", TEST_DATA / "README.md"], 1, "not a Parquet file"),
    (["head", CORE, "--columns", "nope"], 1, "column 'nope' is not in"),
])
def test_errors_are_one_line_with_a_status(args, status, words):
    proc = run(*args)
    assert proc.returncode == status
    assert words in error_line(proc)


def test_version_and_help():
    assert run("--version").stdout.strip() == f"fastpq {fastpq.__version__}"
    helptext = run("--help").stdout
    for command in ("schema", "meta", "stats", "count", "head", "cat", "convert", "append", "verify", "repair",
                    "demo"):
        assert command in helptext
