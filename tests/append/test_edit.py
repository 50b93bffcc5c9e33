"""Footer-only edits (``fastpq.append.edit``): ``update_file_custom_metadata`` and
``remove_row_groups``, checked against pyarrow, duckdb and polars reading the edited files
(rows and key-value metadata), bad input refused before anything is written, and an edit
killed at every disk operation (``_crash.KillAt``): old or new, never broken."""
from __future__ import annotations

import hashlib
import os
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.append import appender as append_mod
from fastpq.file.journal import journal_path
from tests.append._crash import KillAt, in_child
from tests.append._helpers import frame

WRITERS = ("fastpq", "fastpq_appended", "pyarrow", "duckdb", "polars")


def _sha(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rg_rows(writer: str) -> int:
    """Rows per row group of ``make_file``'s files (duckdb writes at least 2,048 per row group)."""
    return 2048 if writer == "duckdb" else 10


def _table(rg: int = 10) -> pa.Table:
    n = 6 * rg
    return pa.table({
        "i": pa.array(np.arange(n, dtype="int64")),
        "f": pa.array([None if k % 7 == 0 else k * 0.25 for k in range(n)]),
        "s": pa.array([None if k % 5 == 0 else f"s{k}" for k in range(n)]),
        "t": pa.array(pd.date_range("2024-01-01", periods=n, freq="h", unit="us")),
    })


def make_file(tmp_path, writer: str, name: str = "f") -> str:
    """A file of 6 row groups of ``rg_rows(writer)`` rows (``_table``'s) written by ``writer``."""
    path = str(tmp_path / f"{name}-{writer}.parquet")
    table = _table(rg_rows(writer))
    if writer == "fastpq":
        fastpq.write(path, table.to_pandas(), row_group_offsets=10, page_index=True,
                     custom_metadata={"owner": "me"})
    elif writer == "fastpq_appended":
        df = table.to_pandas()
        fastpq.write(path, df.iloc[:10], custom_metadata={"owner": "me"})
        for a in range(10, 60, 10):
            fastpq.write(path, df.iloc[a:a + 10], append=True)
    elif writer == "pyarrow":
        pq.write_table(table.replace_schema_metadata({"owner": "me"}), path, row_group_size=10)
    elif writer == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.register("t", table)
        con.sql(f"COPY t TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 2048, KV_METADATA {{owner: 'me'}})")
    else:
        import polars as pl

        pl.from_arrow(table).write_parquet(path, row_group_size=10)
    assert pq.ParquetFile(path).metadata.num_row_groups == 6, writer
    return path


def _oracle_rows(path) -> dict:
    """The rows each oracle reads, as {reader: list of row tuples}."""
    import duckdb
    import polars as pl

    arrow = pq.read_table(path).select(["i", "f", "s", "t"])
    rows = {"pyarrow": [tuple(r.values()) for r in arrow.to_pylist()]}
    rows["duckdb"] = duckdb.sql(f"SELECT i, f, s, t FROM read_parquet('{path}') ORDER BY i").fetchall()
    rows["polars"] = [tuple(r) for r in pl.read_parquet(path).select(["i", "f", "s", "t"]).rows()]
    got = fastpq.ParquetFile(path).to_pandas()[["i", "f", "s", "t"]]
    rows["fastpq"] = [tuple(None if pd.isna(v) else v for v in r) for r in got.itertuples(index=False)]
    return rows


def _same_rows(rows: dict, want: list) -> None:
    want_i = [r[0] for r in want]
    for who, got in rows.items():
        assert [r[0] for r in got] == want_i, who
        assert [r[2] for r in got] == [r[2] for r in want], who
        assert [None if r[1] is None or r[1] != r[1] else r[1] for r in got] == [r[1] for r in want], who


def _kv_everywhere(path) -> dict:
    """{reader: user key-value metadata} as pyarrow, duckdb, polars and fastpq read it."""
    import duckdb
    import polars as pl

    skip = {"pandas", "ARROW:schema"}
    out = {"pyarrow": {k.decode(): v.decode() for k, v in (pq.read_schema(path).metadata or {}).items()},
           "pyarrow_footer": {k.decode(): v.decode()
                              for k, v in (pq.ParquetFile(path).metadata.metadata or {}).items()},
           "duckdb": dict(duckdb.sql(f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{path}')")
                          .fetchall()),
           "polars": pl.read_parquet_metadata(path),
           "fastpq": fastpq.ParquetFile(path).key_value_metadata}
    return {who: {k: v for k, v in kv.items() if k not in skip} for who, kv in out.items()}


# ---------------------------------------------------------------- update_file_custom_metadata

CHANGES = [
    ({"new": "value"}, {"new": "value"}),
    ({"owner": "you"}, {"owner": "you"}),
    ({"owner": None}, {"owner": None}),
    ({"absent": None}, {}),
    ({"bytes": b"caf\xc3\xa9", "unicode": "\u65e5\u672c"}, {"bytes": "caf\u00e9", "unicode": "\u65e5\u672c"}),
    ({b"bkey": "v", "empty": ""}, {"bkey": "v", "empty": ""}),
]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("changes,effect", CHANGES)
def test_update_custom_metadata_read_by_every_reader(tmp_path, writer, changes, effect):
    path = make_file(tmp_path, writer)
    before_rows = _oracle_rows(path)
    before = _kv_everywhere(path)["pyarrow_footer"]
    fastpq.update_file_custom_metadata(path, changes)
    want = dict(before)
    for k, v in effect.items():
        if v is None:
            want.pop(k, None)
        else:
            want[k] = v
    for who, kv in _kv_everywhere(path).items():
        assert kv == want, who
    assert _oracle_rows(path) == before_rows
    assert not os.path.exists(journal_path(path))


def test_update_keeps_order_and_mode(tmp_path):
    path = make_file(tmp_path, "fastpq")
    os.chmod(path, 0o640)
    fastpq.update_file_custom_metadata(path, {"a": "1", "b": "2"})
    keys = list(fastpq.ParquetFile(path).key_value_metadata)
    assert keys[-1] == "ARROW:schema" and keys.index("a") < keys.index("b")
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_noop_edit_writes_nothing(tmp_path):
    path = make_file(tmp_path, "pyarrow")
    st = os.stat(path)
    fastpq.update_file_custom_metadata(path, {"absent": None})
    fastpq.update_file_custom_metadata(path, {"owner": "me"})
    fastpq.remove_row_groups(path, [])
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns


BAD_METADATA = [
    ([("a", "b")], TypeError),
    ({1: "x"}, TypeError),
    ({"k": 1}, TypeError),
    ({"k": 1.5}, TypeError),
    ({"k": ["x"]}, TypeError),
    ({"k": b"\xff\xfe"}, ValueError),
    ({b"\xff": "v"}, ValueError),
    ({"k": "\ud800"}, ValueError),
    ({"pandas": "{}"}, ValueError),
    ({"ARROW:schema": None}, ValueError),
    ({"ok": "1", "pandas": None}, ValueError),
]


@pytest.mark.parametrize("writer", ("fastpq", "pyarrow"))
@pytest.mark.parametrize("metadata,error", BAD_METADATA)
def test_bad_metadata_refused_before_writing(tmp_path, writer, metadata, error):
    path = make_file(tmp_path, writer)
    sha = _sha(path)
    with pytest.raises(error):
        fastpq.update_file_custom_metadata(path, metadata)
    assert _sha(path) == sha and not os.path.exists(journal_path(path))


def test_reserved_keys_with_force(tmp_path):
    path = make_file(tmp_path, "fastpq")
    fastpq.update_file_custom_metadata(path, {"pandas": None}, force=True)
    assert "pandas" not in fastpq.ParquetFile(path).key_value_metadata
    assert b"pandas" not in (pq.read_schema(path).metadata or {})
    assert pq.read_table(path).column("i").to_pylist() == list(range(60))


def test_not_a_local_file(tmp_path):
    path = make_file(tmp_path, "pyarrow")
    with open(path, "rb") as f:
        with pytest.raises(fastpq.UnsupportedFeatureError):
            fastpq.update_file_custom_metadata(f, {"a": "b"})
    with pytest.raises(fastpq.UnsupportedFeatureError):
        fastpq.update_file_custom_metadata("memory://x/f.parquet", {"a": "b"})
    with pytest.raises(fastpq.UnsupportedFeatureError):
        fastpq.remove_row_groups("memory://x/f.parquet", [0])
    with open(path, "rb") as f:
        pf = fastpq.ParquetFile(f.read())
    with pytest.raises(fastpq.UnsupportedFeatureError):
        fastpq.remove_row_groups(pf, [0])


# ---------------------------------------------------------------- remove_row_groups

REMOVALS = [[0], [5], [-1], [1, 3], [4, 0, 2], [0, 1, 2, 3, 4, 5], []] + \
    [random.Random(k).sample(range(6), random.Random(k + 99).randint(1, 5)) for k in range(4)]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("drop", REMOVALS, ids=str)
def test_remove_row_groups_read_by_every_reader(tmp_path, writer, drop):
    path = make_file(tmp_path, writer)
    before = pq.ParquetFile(path).metadata
    rows = _oracle_rows(path)["pyarrow"]
    dropped = {i % 6 for i in drop}
    keep = [i for i in range(6) if i not in dropped]
    fastpq.remove_row_groups(path, drop)
    want = [r for r in rows if r[0] // rg_rows(writer) in keep]
    _same_rows(_oracle_rows(path), want)
    after = pq.ParquetFile(path).metadata
    assert after.num_rows == len(want) and after.num_row_groups == len(keep)
    for new, old in enumerate(keep):            # kept row groups' chunks and page indexes unchanged
        for c in range(after.num_columns):
            a, b = after.row_group(new).column(c).to_dict(), before.row_group(old).column(c).to_dict()
            assert a == b, (new, c)
    if writer.startswith("fastpq"):             # the pandas RangeIndex follows the rows left
        df = fastpq.ParquetFile(path).to_pandas()
        assert df.index.equals(pd.RangeIndex(len(want)))
        assert pq.read_table(path).to_pandas().index.equals(pd.RangeIndex(len(want)))


def test_remove_then_append_and_read_page_index(tmp_path):
    path = make_file(tmp_path, "fastpq")
    fastpq.remove_row_groups(path, [0, 2])
    df = frame(3, 5)[["i", "f", "s"]].assign(t=pd.date_range("2030-01-01", periods=5, freq="h", unit="us"))
    fastpq.write(path, df, append=True)
    got = pq.read_table(path).column("i").to_pylist()
    assert got == [*range(10, 20), *range(30, 60), *df["i"]]
    pf = fastpq.ParquetFile(path)
    assert pf.to_pandas(columns=["i"])["i"].tolist() == got
    assert fastpq.read_parquet(path, filters=[("i", ">=", 55)])["i"].tolist() == [k for k in got if k >= 55]


BAD_INDICES = [([6], IndexError), ([-7], IndexError), ([0, 0], ValueError), ([5, -1], ValueError),
               (["1"], TypeError), ([1.0], TypeError), ([True], TypeError), ("01", TypeError), (3, TypeError),
               ([None], TypeError)]


@pytest.mark.parametrize("drop,error", BAD_INDICES, ids=str)
def test_bad_indices_refused_before_writing(tmp_path, drop, error):
    path = make_file(tmp_path, "pyarrow")
    sha = _sha(path)
    with pytest.raises(error):
        fastpq.remove_row_groups(path, drop)
    with pytest.raises(error):
        fastpq.remove_row_groups(fastpq.ParquetFile(path), drop)
    assert _sha(path) == sha and not os.path.exists(journal_path(path))


def test_parquetfile_method_reopens_and_detects_change(tmp_path):
    path = make_file(tmp_path, "fastpq")
    pf = fastpq.ParquetFile(path)
    fastpq.remove_row_groups(pf, [1])
    assert pf.num_row_groups == 5 and pf.num_rows == 50
    assert pf.to_pandas()["i"].tolist() == [*range(10), *range(20, 60)]
    other = fastpq.ParquetFile(path)
    fastpq.write(path, pf.to_pandas().iloc[:3], append=True)
    sha = _sha(path)
    with pytest.raises(fastpq.FileChangedError):
        fastpq.remove_row_groups(other, [0])    # its row group numbers are another file's
    assert _sha(path) == sha


# ---------------------------------------------------------------- killed at every disk operation

EDITS = {
    "metadata": lambda path: fastpq.update_file_custom_metadata(path, {"owner": None, "k": "v" * 5000}),
    "remove": lambda path: fastpq.remove_row_groups(path, [0, 3]),
    "remove_all": lambda path: fastpq.remove_row_groups(path, list(range(6))),
    "shrink_metadata": lambda path: fastpq.update_file_custom_metadata(path, {"pandas": None}, force=True),
}


def _state(path, old_rows, new_rows, old_kv, new_kv) -> str:
    before = (_sha(path), os.path.exists(journal_path(path)))
    pf = fastpq.ParquetFile(path)
    rows, kv = pf.to_pandas()["i"].tolist(), pf.key_value_metadata
    assert (_sha(path), os.path.exists(journal_path(path))) == before, "reading wrote"
    if rows == old_rows and kv == old_kv:
        return "old"
    assert rows == new_rows and kv == new_kv
    return "new"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_edit_killed_at_every_operation(tmp_path, edit):
    path = make_file(tmp_path, "fastpq")
    base = open(path, "rb").read()
    pf = fastpq.ParquetFile(path)
    old_rows, old_kv = pf.to_pandas()["i"].tolist(), pf.key_value_metadata
    counter = KillAt()
    saved, append_mod.OPS = append_mod.OPS, counter
    try:
        EDITS[edit](path)
    finally:
        append_mod.OPS = saved
    new_sha = _sha(path)
    pf = fastpq.ParquetFile(path)
    new_rows, new_kv = pf.to_pandas()["i"].tolist(), pf.key_value_metadata
    points = [(k, None) for k in range(1, len(counter.kinds) + 2)]
    points += [(k, f) for k, kind in enumerate(counter.kinds, 1) if kind == "pwrite" for f in (0.01, 0.5, 0.999)]
    outcomes = {"old": 0, "new": 0}
    for at, fraction in points:
        with open(path, "wb") as f:
            f.write(base)
        result = in_child(lambda: EDITS[edit](path), KillAt(at, fraction))
        assert result in ("killed", "done"), (at, fraction, result)
        state = _state(path, old_rows, new_rows, old_kv, new_kv)
        assert result == "killed" or state == "new"
        outcomes[state] += 1
        fastpq.repair(path)
        assert not os.path.exists(journal_path(path))
        assert _sha(path) == (_sha_bytes(base) if state == "old" else new_sha), (at, fraction, state)
        assert pq.read_table(path).column("i").to_pylist() == (old_rows if state == "old" else new_rows)
    assert counter.kinds == ["pwrite", "fsync", "fsync_dir", "pwrite", "fsync", "truncate", "pwrite", "fsync",
                             "unlink"], counter.kinds
    assert len(points) == 19 and outcomes["old"] and outcomes["new"]


def _sha_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_edit_recovers_a_crashed_append_first(tmp_path):
    path = make_file(tmp_path, "fastpq_appended")
    rows = pq.read_table(path).column("i").to_pylist()
    df = fastpq.ParquetFile(path).to_pandas().iloc[:4]
    assert in_child(lambda: fastpq.write(path, df, append=True), KillAt(4, 0.5)) == "killed"
    assert os.path.exists(journal_path(path))
    fastpq.remove_row_groups(path, [0])
    assert not os.path.exists(journal_path(path))
    assert pq.read_table(path).column("i").to_pylist() == rows[10:]


@pytest.mark.parametrize("pandas_meta", ['{"index_columns": [{"kind": "range", "step": "x"}]}', "[1]", "{",
                                         "[" * 100_000, '{"index_columns": 3}'])
def test_remove_with_malformed_pandas_metadata(tmp_path, pandas_meta):
    """Malformed pandas metadata stays as it is (readers ignore it); never a foreign exception."""
    path = str(tmp_path / "m.parquet")
    fastpq.write(path, pd.DataFrame({"a": np.arange(9)}), row_group_offsets=3)
    fastpq.update_file_custom_metadata(path, {"pandas": pandas_meta}, force=True)
    fastpq.remove_row_groups(path, [1])
    assert pq.read_table(path).column("a").to_pylist() == [0, 1, 2, 6, 7, 8]
    assert pq.ParquetFile(path).metadata.metadata[b"pandas"] == pandas_meta.encode()
    fastpq.write(path, pd.DataFrame({"a": np.arange(9, 11)}), append=True)   # and appends still work
    assert pq.read_table(path).column("a").to_pylist() == [0, 1, 2, 6, 7, 8, 9, 10]
