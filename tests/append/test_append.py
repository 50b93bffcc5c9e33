"""fastpq.write(path, df, append=True): what an append does to the file, and what it keeps."""
from __future__ import annotations

import json
import os

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.append import appender as append_mod
from fastpq.format.footer import read_footer_bytes
from tests.append._crash import Scenario
from tests._oracles import read_pyarrow, sha256
from tests.append._helpers import canon, expected, frame, read_fastpq


def _data_end(path) -> int:
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        return size - len(read_footer_bytes(f, size)) - 8


def test_old_row_groups_stay_byte_for_byte(tmp_path):
    path = str(tmp_path / "f.parquet")
    fastpq.write(path, frame(0, 100), row_group_offsets=30)
    for step in range(1, 4):
        before = open(path, "rb").read()
        end = _data_end(path)
        fastpq.write(path, frame(step, 50), append=True)
        after = open(path, "rb").read()
        assert after[:end] == before[:end]                    # old data untouched
        assert after[-4:] == b"PAR1" and not os.path.exists(append_mod.journal_path(path))
    assert canon(read_pyarrow(path)).equals(expected([frame(0, 100)] + [frame(s, 50) for s in range(1, 4)]))
    assert fastpq.ParquetFile(path).num_row_groups == 4 + 3


def test_footer_is_spliced_not_decoded(tmp_path, monkeypatch):
    """The old row groups' metadata is copied as bytes: none is decoded by an append."""
    from fastpq.format import footer

    path = str(tmp_path / "f.parquet")
    fastpq.write(path, frame(0, 500), row_group_offsets=10)
    decoded = []
    real = footer.RowGroupList._decode
    monkeypatch.setattr(footer.RowGroupList, "_decode", lambda self, i: decoded.append(i) or real(self, i))
    fastpq.write(path, frame(1, 10), append=True)
    assert decoded == []
    assert fastpq.ParquetFile(path).num_row_groups == 51


def test_metadata_after_appends(tmp_path):
    path = str(tmp_path / "f.parquet")
    df = frame(0)
    fastpq.write(path, df, custom_metadata={"origin": "test", "keep": "me"})
    fastpq.write(path, frame(1), append=True, custom_metadata={"origin": "appended"})
    kv = fastpq.ParquetFile(path).key_value_metadata
    assert kv["keep"] == "me" and kv["origin"] == "appended"
    meta = json.loads(kv["pandas"])
    assert meta["index_columns"] == [{"kind": "range", "name": None, "start": 0, "stop": 14, "step": 1}]
    schema = pq.read_schema(path)                      # pyarrow reads pandas metadata from ARROW:schema
    assert json.loads(schema.metadata[b"pandas"])["index_columns"][0]["stop"] == 14
    got = read_pyarrow(path)
    assert got.index.equals(pd.RangeIndex(14)) and got["c"].dtype == "category"


def test_range_index_with_step_and_name(tmp_path):
    path = str(tmp_path / "f.parquet")
    df = pd.DataFrame({"v": [1, 2, 3]}, index=pd.RangeIndex(10, 16, 2, name="row"))
    fastpq.write(path, df)
    fastpq.write(path, pd.DataFrame({"v": [4, 5]}, index=pd.RangeIndex(0, 2, name="row")), append=True)
    for got in (read_fastpq(path), read_pyarrow(path)):
        assert got.index.equals(pd.RangeIndex(10, 20, 2, name="row"))
        assert got["v"].tolist() == [1, 2, 3, 4, 5]


def test_categories_change_between_appends(tmp_path):
    path = str(tmp_path / "f.parquet")
    parts = [pd.Categorical(["a", "b", "a"]), pd.Categorical(["c", "a"], categories=["c", "a"]),
             pd.Categorical([f"v{i}" for i in range(300)]), pd.Categorical([None, "b"], categories=["b", "z"])]
    fastpq.write(path, pd.DataFrame({"c": parts[0]}))
    for p in parts[1:]:
        fastpq.write(path, pd.DataFrame({"c": p}), append=True)
    want = [x for p in parts for x in p.astype(object)]
    for got in (read_fastpq(path)["c"], read_pyarrow(path)["c"], pl.read_parquet(path)["c"].to_pandas(),
                duckdb.sql(f"SELECT c FROM '{path}'").df()["c"]):
        assert [None if pd.isna(x) else x for x in got.astype(object)] == [None if pd.isna(x) else x for x in want]
    assert read_fastpq(path)["c"].dtype == "category"


def test_nulls_appear_in_optional_columns(tmp_path):
    path = str(tmp_path / "f.parquet")
    df = pd.DataFrame({"f": [1.0, 2.0], "n": pd.array([1, 2], dtype="Int64"), "s": ["a", "b"],
                       "t": pd.date_range("2020", periods=2, tz="UTC", unit="us")})
    fastpq.write(path, df)
    new = pd.DataFrame({"f": [np.nan], "n": pd.array([None], dtype="Int64"), "s": [None],
                        "t": pd.Series([pd.NaT], dtype="datetime64[us, UTC]")})
    fastpq.write(path, new, append=True)
    for got in (read_fastpq(path), read_pyarrow(path)):
        assert got.iloc[2].isna().all() and got.iloc[:2].notna().all().all()


@pytest.mark.parametrize("writer", ["pyarrow", "duckdb", "polars"])
def test_append_to_files_of_other_writers(tmp_path, writer):
    path = str(tmp_path / f"{writer}.parquet")
    df = pd.DataFrame({"i": np.arange(3, dtype="int64"), "f": [0.5, None, 2.5], "s": ["x", None, "z"],
                       "t": pd.date_range("2020", periods=3, tz="UTC", unit="us")})
    if writer == "pyarrow":
        df.to_parquet(path, engine="pyarrow")
    elif writer == "duckdb":
        duckdb.sql(f"COPY (SELECT * FROM df) TO '{path}' (FORMAT parquet)")
    else:
        pl.from_pandas(df).write_parquet(path)
    more = df.assign(i=df["i"] + 3)
    fastpq.write(path, more, append=True)
    fastpq.write(path, more.assign(i=more["i"] + 3), append=True)
    want = pd.concat([df, more, more.assign(i=more["i"] + 3)], ignore_index=True)
    for got in (read_fastpq(path), read_pyarrow(path)):
        pd.testing.assert_frame_equal(got.reset_index(drop=True)[list(want.columns)], want, check_dtype=False)
    assert pq.ParquetFile(path).metadata.num_row_groups == 3


def test_missing_file_is_created_and_empty_appends_change_nothing(tmp_path):
    path = str(tmp_path / "new.parquet")
    fastpq.write(path, frame(0), append=True)
    assert canon(read_fastpq(path)).equals(expected([frame(0)]))
    before = sha256(path)
    fastpq.write(path, frame(1).iloc[:0], append=True)
    assert sha256(path) == before


def test_remote_files_and_file_objects_cannot_be_appended(tmp_path):
    import io

    fastpq.write("memory://fastpq-append/x.parquet", frame(0))
    with pytest.raises(fastpq.UnsupportedFeatureError, match="cannot be modified in place"):
        fastpq.write("memory://fastpq-append/x.parquet", frame(1), append=True)
    with pytest.raises(fastpq.UnsupportedFeatureError, match="local file"):
        fastpq.write(io.BytesIO(), frame(1), append=True)
    path = str(tmp_path / "local.parquet")
    fastpq.write(path, frame(0))
    fastpq.write("file://" + path, frame(1), append=True)
    assert fastpq.ParquetFile(path).num_rows == 14


def test_page_index_and_sorting_columns_on_new_row_groups(tmp_path):
    path = str(tmp_path / "f.parquet")
    fastpq.write(path, frame(0, 50))
    fastpq.write(path, frame(1, 50), append=True, page_index=True, sorting_columns=["i"])
    md = pq.ParquetFile(path).metadata
    assert md.row_group(1).sorting_columns[0].column_index == 0
    assert md.row_group(1).column(0).has_column_index and not md.row_group(0).column(0).has_column_index
    assert canon(read_pyarrow(path)).equals(expected([frame(0, 50), frame(1, 50)]))


def test_readers_during_an_append_see_the_old_rows(tmp_path):
    """Before every disk operation of an append, a fastpq reader opens the file: it reads
    the old rows until the footer is complete, the new rows after."""
    scenario = Scenario(tmp_path, "watched", [frame(i) for i in range(3)], frame(9, 400), row_group_offsets=100)
    seen = []

    class Watch(append_mod.DiskOps):
        def _look(self):
            seen.append((scenario.state(), os.path.exists(scenario.journal)))

        def pwrite(self, fd, data, offset):
            self._look()
            super().pwrite(fd, data, offset)

        def truncate(self, fd, size):
            self._look()
            super().truncate(fd, size)

        def fsync(self, fd):
            self._look()
            super().fsync(fd)

        def unlink(self, path):
            self._look()
            super().unlink(path)

    saved, append_mod.OPS = append_mod.OPS, Watch()
    try:
        scenario.append()
    finally:
        append_mod.OPS = saved
    states = [s for s, _ in seen]
    assert states[0] == "old" and states[-1] == "new"
    assert states == sorted(states, key=["old", "new"].index)          # never back to old
    assert ("old", True) in seen and ("new", True) in seen             # both read through the journal


def test_stale_journal_is_ignored_and_set_aside(tmp_path):
    """A journal left for a file that was since rewritten must not be applied to the new one,
    nor deleted: repair renames it aside."""
    scenario = Scenario(tmp_path, "stale", [frame(i) for i in range(2)], frame(5))
    from tests.append._crash import KillAt, in_child

    assert in_child(scenario.append, KillAt(scenario.kinds.index("fsync") + 2, None)) == "killed"
    assert os.path.exists(scenario.journal)
    saved = open(scenario.journal, "rb").read()
    fastpq.write(scenario.path, frame(40))                 # a rewrite: a new file, a new inode
    assert canon(read_fastpq(scenario.path)).equals(expected([frame(40)]))
    done = fastpq.repair(scenario.path)
    assert done.startswith("set aside a stale journal as .stale.parquet.fastpq-journal.stale-"), done
    assert not os.path.exists(scenario.journal)
    assert open(os.path.join(tmp_path, done.rsplit(" ", 1)[1]), "rb").read() == saved
    assert canon(read_pyarrow(scenario.path)).equals(expected([frame(40)]))


def test_repair_reports_what_it_did(tmp_path):
    from tests.append._crash import KillAt, in_child

    scenario = Scenario(tmp_path, "rep", [frame(0)], frame(1))
    assert fastpq.repair(scenario.path) == "clean"
    kinds = scenario.kinds
    footer_write = len(kinds) - kinds[::-1].index("pwrite")
    assert in_child(scenario.append, KillAt(footer_write, 0.5)) == "killed"
    assert fastpq.repair(scenario.path) == "rolled back the interrupted append"
    assert in_child(scenario.append, KillAt(len(kinds))) == "killed"        # before the journal's removal
    assert fastpq.repair(scenario.path) == "completed the interrupted append"
    assert canon(read_pyarrow(scenario.path)).equals(scenario.new_frames)


def test_pyarrow_table_appended_file_roundtrip(tmp_path):
    """A file pyarrow wrote from a Table (no pandas metadata) takes appends too."""
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int32()), "b": pa.array(["x", "y"])}), path)
    fastpq.write(path, pd.DataFrame({"a": np.array([3], dtype="int32"), "b": ["z"]}), append=True)
    assert pq.read_table(path).to_pydict() == {"a": [1, 2, 3], "b": ["x", "y", "z"]}


def test_disk_full_at_any_operation_restores_the_file(tmp_path):
    """ENOSPC (or any error) at any disk operation: the append raises and the file is
    byte-identical to before - or, past the commit point, the append stands and no error
    is raised."""
    import errno

    scenario = Scenario(tmp_path, "full", [frame(i) for i in range(3)], frame(8, 300), row_group_offsets=100)

    class Full(append_mod.DiskOps):
        def __init__(self, at):
            self.at, self.n = at, 0

        def _step(self):
            self.n += 1
            if self.n == self.at:
                raise OSError(errno.ENOSPC, "No space left on device")

        def pwrite(self, fd, data, offset):
            self._step()
            super().pwrite(fd, data, offset)

        def fsync(self, fd):
            self._step()

        def truncate(self, fd, size):
            self._step()
            super().truncate(fd, size)

        def unlink(self, path):
            self._step()
            super().unlink(path)

        def fsync_dir(self, folder):
            self._step()

    commit = len(scenario.kinds) - scenario.kinds[::-1].index("unlink")   # removing the journal: landed
    for at in range(1, len(scenario.kinds) + 1):
        saved, append_mod.OPS = append_mod.OPS, Full(at)
        try:
            if at < commit:
                with pytest.raises(OSError, match="No space"):
                    scenario.append()
            else:
                scenario.append()
        finally:
            append_mod.OPS = saved
        assert sha256(scenario.path) == (scenario.base_sha if at < commit else scenario.new_sha), at
        if at < commit:
            assert not os.path.exists(scenario.journal), at
        fastpq.repair(scenario.path)
        assert sha256(scenario.path) == (scenario.base_sha if at < commit else scenario.new_sha), at
        scenario.reset()


def test_spliced_footer_encodes_like_the_decoded_one():
    """footer_for_append keeps the old row groups as one span: re-encoding gives the same
    bytes as the lazily decoded footer, for files of every writer in test-data."""
    from pathlib import Path

    from fastpq.append.schema import footer_for_append
    from fastpq.format.footer import footer_bytes, parse_file_metadata

    files = sorted((Path(__file__).resolve().parents[2] / "test-data").rglob("*.parquet"))
    assert files
    for path in files:
        with open(path, "rb") as f:
            buf = read_footer_bytes(f, os.fstat(f.fileno()).st_size)
        assert footer_bytes(footer_for_append(buf)) == footer_bytes(parse_file_metadata(buf)), path


def test_append_to_a_file_without_row_groups(tmp_path):
    path = str(tmp_path / "empty.parquet")
    fastpq.write(path, frame(0).iloc[:0])
    assert fastpq.ParquetFile(path).num_row_groups == 0
    fastpq.write(path, frame(1), append=True)
    fastpq.write(path, frame(2), append=True)
    assert canon(read_pyarrow(path)).equals(expected([frame(1), frame(2)]))
    assert canon(read_fastpq(path)).equals(expected([frame(1), frame(2)]))


def test_append_to_a_fixed_len_byte_array_column(tmp_path):
    """A plain FIXED_LEN_BYTE_ARRAY column (no logical type) reads as bytes and takes bytes of its length."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"x": pa.array([b"abcd", None], pa.binary(4)), "i": [1, 2]}), path)
    df = fastpq.read_parquet(path)
    fastpq.write(path, df, append=True)
    assert pq.read_table(path).column("x").to_pylist() == [b"abcd", None] * 2
    before = path.read_bytes()
    with pytest.raises(fastpq.SchemaMismatchError, match="length 4"):
        fastpq.write(path, pd.DataFrame({"x": [b"abc"], "i": [3]}), append=True)
    assert path.read_bytes() == before
