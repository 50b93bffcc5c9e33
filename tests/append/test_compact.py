"""``fastpq.compact`` (``fastpq.append.compact``): many small row groups -> a few large ones,
atomically. Checked against pyarrow, duckdb and polars reading the compacted file (rows,
NaN and null apart, schema, key-value metadata byte for byte), bad input refused with the
file untouched, and a compaction killed anywhere leaving the old file or the new one."""
from __future__ import annotations

import decimal
import hashlib
import math
import os
import shutil
import random
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.file import rowgroup
from fastpq.file.journal import journal_path
from tests.append._crash import KillAt, forked, in_child
from tests.append._helpers import canon, expected, frame


def _sha(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _norm(value):
    """Python values with NaN made comparable (NaN and None stay apart)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_norm(v) for v in value)
    return value


def _arrow_table(n: int = 100) -> pa.Table:
    k = np.arange(n)
    return pa.table({
        "i": pa.array(k, pa.int64()),
        "u32": pa.array([None if j % 9 == 0 else j for j in k], pa.uint32()),
        "i8": pa.array([None if j % 4 == 0 else int(j % 100) - 50 for j in k], pa.int8()),
        "f": pa.array([None if j % 5 == 0 else (math.nan if j % 7 == 0 else j * 0.5) for j in k]),
        "s": pa.array([None if j % 6 == 0 else f"s{j}" for j in k]),
        "b": pa.array([None if j % 3 == 0 else bool(j % 2) for j in k]),
        "d": pa.array([decimal.Decimal(int(j) - 40).scaleb(-2) for j in k], pa.decimal128(9, 2)),
        "cat": pa.array([f"c{j % 4}" if j % 11 else None for j in k]).dictionary_encode(),
        "lst": pa.array([None if j % 8 == 0 else [j, None, math.nan][: j % 4] for j in k],
                        pa.list_(pa.float64())),
        "st": pa.array([None if j % 10 == 0 else {"a": int(j), "b": f"x{j}"} for j in k]),
        "ts": pa.array(pd.date_range("2024-03-30", periods=n, freq="37min", tz="Europe/Paris", unit="us")),
    })


def _oracles(path) -> dict:
    import duckdb
    import polars as pl

    cols = ["i", "f", "s"]
    return {
        "pyarrow": _norm(pq.read_table(path).to_pylist()),
        "duckdb": _norm(duckdb.sql(f"SELECT {', '.join(cols)} FROM read_parquet('{path}')").fetchall()),
        "polars": _norm(pl.read_parquet(path).select(cols).rows()),
    }


def _file_facts(path) -> tuple:
    pf = fastpq.ParquetFile(path)
    return pf.key_value_metadata, pf.metadata.schema, pq.read_schema(path)


CODECS = (None, "snappy", "zstd", "gzip")


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("writer", ("pyarrow", "polars"))
@pytest.mark.parametrize("size", (1, 7, 40, 1000))
def test_compact_foreign_file(tmp_path, codec, writer, size):
    path = str(tmp_path / "f.parquet")
    table = _arrow_table()
    if writer == "pyarrow":
        pq.write_table(table.replace_schema_metadata({"owner": "me"}), path, row_group_size=6,
                       compression=codec or "none")
    else:
        import polars as pl

        table = table.drop_columns(["cat", "u32"])          # polars widens/recasts those
        pl.from_arrow(table).write_parquet(path, row_group_size=6, compression=codec or "uncompressed")
    os.chmod(path, 0o640)
    before, facts, oracles = pq.read_table(path), _file_facts(path), _oracles(path)
    fastpq.compact(path, row_group_size=size)
    after = pq.read_table(path)
    assert _norm(after.to_pylist()) == _norm(before.to_pylist())
    assert after.schema.equals(before.schema, check_metadata=True)
    assert _file_facts(path) == facts
    assert _oracles(path) == oracles
    md = pq.ParquetFile(path).metadata
    want = [min(size, 100 - a) for a in range(0, 100, size)]
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == want
    assert {md.row_group(0).column(c).compression for c in range(md.num_columns)} == \
        {(codec or "uncompressed").upper()}
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_compact_appended_file(tmp_path):
    """1 write + 59 appends of 13 rows; the fastpq frame reads back with the same dtypes and values."""
    path = str(tmp_path / "a.parquet")
    frames = [frame(i, 13) for i in range(60)]
    fastpq.write(path, frames[0], compression="zstd", page_index=True)
    for f in frames[1:]:
        fastpq.write(path, f, append=True)
    df = fastpq.ParquetFile(path).to_pandas()
    facts, oracles = _file_facts(path), _oracles(path)
    fastpq.compact(path, row_group_size=250)
    pf = fastpq.ParquetFile(path)
    assert pf.num_row_groups == 4 and [r.num_rows for r in pf.row_groups] == [250, 250, 250, 30]
    got = pf.to_pandas()
    pd.testing.assert_frame_equal(got, df)
    assert canon(pq.read_table(path).to_pandas()).equals(expected(frames))
    assert _file_facts(path) == facts and _oracles(path) == oracles
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).has_offset_index
    fastpq.write(path, frame(61, 5), append=True)           # still appendable
    assert canon(pq.read_table(path).to_pandas()).equals(expected(frames + [frame(61, 5)]))


def test_compact_stored_index_and_removed_row_groups(tmp_path):
    path = str(tmp_path / "ix.parquet")
    df = pd.DataFrame({"a": np.arange(30)}, index=pd.Index([f"k{j}" for j in range(30)], name="key"))
    fastpq.write(path, df, row_group_offsets=3)
    fastpq.remove_row_groups(path, [0, 4])
    size = os.path.getsize(path)
    fastpq.compact(path)
    want = df.drop(df.index[[0, 1, 2, 12, 13, 14]])
    pd.testing.assert_frame_equal(fastpq.ParquetFile(path).to_pandas(), want)
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), want)
    assert os.path.getsize(path) < size and fastpq.ParquetFile(path).num_row_groups == 1


def test_compact_empty_file(tmp_path):
    path = str(tmp_path / "e.parquet")
    fastpq.write(path, pd.DataFrame({"a": np.arange(4)}), row_group_offsets=2)
    fastpq.remove_row_groups(path, [0, 1])
    fastpq.compact(path)
    assert fastpq.ParquetFile(path).num_rows == 0 and pq.read_table(path).num_rows == 0


@pytest.mark.parametrize("size", (0, -1, True, 1.5, "10", [3]))
def test_bad_row_group_size(tmp_path, size):
    path = str(tmp_path / "f.parquet")
    pq.write_table(_arrow_table(10), path, row_group_size=3)
    sha = _sha(path)
    with pytest.raises(ValueError):
        fastpq.compact(path, row_group_size=size)
    assert _sha(path) == sha


def test_duration_from_arrow_schema(tmp_path):
    """An INT64 that ARROW:schema says is a duration is written back as one (pandas metadata absent)."""
    path = str(tmp_path / "f.parquet")
    table = pa.table({"d": pa.array([1, None, 2] * 4, pa.duration("ns"))})
    pq.write_table(table, path, row_group_size=3)
    fastpq.compact(path, row_group_size=10)
    assert pq.read_table(path).equals(table) and pq.ParquetFile(path).num_row_groups == 2


def test_legacy_list_names_kept(tmp_path):
    """A legacy list layout ('list.item') is written back with the file's names."""
    path = str(tmp_path / "f.parquet")
    table = pa.table({"l": pa.array([[1], None, [2]] * 4)})
    pq.write_table(table, path, row_group_size=3, use_compliant_nested_type=False)
    fastpq.compact(path, row_group_size=10)
    assert pq.ParquetFile(path).schema.column(0).path == "l.list.item"
    assert pq.read_table(path).equals(table) and pq.ParquetFile(path).num_row_groups == 2


def test_refused_without_change(tmp_path):
    """Columns fastpq cannot write back as they are stored: refused, the file untouched."""
    source = Path(__file__).resolve().parents[3] / "shared/corpus/parquet-testing/data/old_list_structure.parquet"
    if not source.is_file():
        pytest.skip("shared corpus absent")
    path = str(tmp_path / "f.parquet")
    shutil.copyfile(source, path)                     # a two-level list ('a.array.array', repeated INT32)
    sha = _sha(path)
    with pytest.raises(fastpq.ParquetError):
        fastpq.compact(path, row_group_size=10)
    assert _sha(path) == sha
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".fastpq-tmp")]
    with pytest.raises(fastpq.UnsupportedFeatureError):
        fastpq.compact("memory://x/f.parquet")
    with open(path, "rb") as f, pytest.raises(fastpq.UnsupportedFeatureError):
        fastpq.compact(f)


# ---------------------------------------------------------------- killed anywhere

class KillAtCall:
    """In the child: SIGKILL before the k-th call of os.fsync, os.replace, os.unlink, the
    writer's write_row_group (a row group into the temporary file) and write_page_indexes."""

    def __init__(self, at):
        self.at, self.n = at, 0

    def install(self):
        from fastpq.append import compact as compact_mod
        from fastpq.file import writer as writer_mod

        for name in ("fsync", "replace", "unlink"):
            setattr(os, name, self._wrap(getattr(os, name)))
        writer_mod.write_row_group = self._wrap(writer_mod.write_row_group)
        compact_mod.write_page_indexes = self._wrap(compact_mod.write_page_indexes)

    def _wrap(self, real):
        def call(*args, **kwargs):
            self.n += 1
            if self.n == self.at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return call


def _run_killed(action, at) -> str:
    return forked(action, KillAtCall(at).install)


def _compact_scenario(tmp_path):
    path = str(tmp_path / "k.parquet")
    frames = [frame(i, 11) for i in range(25)]
    fastpq.write(path, frames[0])
    for f in frames[1:]:
        fastpq.write(path, f, append=True)
    old = open(path, "rb").read()
    fastpq.compact(path, row_group_size=40)
    new_sha = _sha(path)
    with open(path, "wb") as f:
        f.write(old)
    return path, old, new_sha, expected(frames)


def _check_after_kill(path, old, new_sha, rows, tmp_path) -> str:
    sha = _sha(path)
    assert sha in (hashlib.sha256(old).hexdigest(), new_sha)
    assert canon(fastpq.ParquetFile(path).to_pandas()).equals(rows)
    assert canon(pq.read_table(path).to_pandas()).equals(rows)
    fastpq.repair(path)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".fastpq-tmp")]
    assert not os.path.exists(journal_path(path))
    return "new" if sha == new_sha else "old"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_compact_killed_at_every_call(tmp_path):
    path, old, new_sha, rows = _compact_scenario(tmp_path)
    outcomes, at = {"old": 0, "new": 0}, 1
    while True:
        result = _run_killed(lambda: fastpq.compact(path, row_group_size=40), at)
        assert result in ("killed", "done"), (at, result)
        outcomes[_check_after_kill(path, old, new_sha, rows, tmp_path)] += 1
        with open(path, "wb") as f:
            f.write(old)
        if result == "done":
            break
        at += 1
    assert at >= 5 and outcomes["old"] and outcomes["new"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_compact_killed_at_random_instants(tmp_path):
    path, old, new_sha, rows = _compact_scenario(tmp_path)
    rng = random.Random(17)
    for _ in range(8):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                rowgroup._POOL = None
                fastpq.compact(path, row_group_size=40)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        _check_after_kill(path, old, new_sha, rows, tmp_path)
        with open(path, "wb") as f:
            f.write(old)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_compact_recovers_a_crashed_append_first(tmp_path):
    path = str(tmp_path / "c.parquet")
    frames = [frame(i, 9) for i in range(5)]
    fastpq.write(path, frames[0])
    for f in frames[1:]:
        fastpq.write(path, f, append=True)
    assert in_child(lambda: fastpq.write(path, frame(9, 50), append=True), KillAt(4, 0.5)) == "killed"
    assert os.path.exists(journal_path(path))
    fastpq.compact(path)
    assert not os.path.exists(journal_path(path))
    assert canon(pq.read_table(path).to_pandas()).equals(expected(frames))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_appends_during_compaction_are_kept(tmp_path):
    """A process appends while this one compacts, again and again: the lock serialises them,
    an append waiting on the replaced file moves to the new one, no row is lost."""
    path = str(tmp_path / "busy.parquet")
    frames = [frame(i, 6) for i in range(40)]
    fastpq.write(path, frames[0])
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            rowgroup._POOL = None
            for f in frames[1:]:
                fastpq.write(path, f, append=True)
        except BaseException:  # noqa: BLE001
            code = 3
        os._exit(code)
    compactions = 0
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        fastpq.compact(path, row_group_size=50)
        compactions += 1
        if done:
            break
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert compactions >= 2
    assert canon(pq.read_table(path).to_pandas()).equals(expected(frames))
