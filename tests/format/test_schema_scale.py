"""Schema lookups cost the same for a file of 200 or 2,000 columns: names and fields are
looked up in structures built once, never by walking the top-level fields per column
(a 300,000-column file ran for 46 minutes). Counted, never timed."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.file.reader import ParquetFile
from fastpq.format.schema import FieldNames


class _CountingList(list):
    walks = 0

    def __iter__(self):
        _CountingList.walks += 1
        return super().__iter__()


def _wide(tmp_path, n: int, rows: int = 0) -> str:
    path = str(tmp_path / f"wide{n}.parquet")
    table = pa.table({f"c{i}": pa.array(range(rows), pa.int64()) for i in range(n)})
    pq.write_table(table, path)
    return path


def _walks(path) -> tuple:
    from fastpq.file.read import read_file

    pf = ParquetFile(path)
    pf.schema.root.children = _CountingList(pf.schema.root.children)
    _CountingList.walks = 0
    df = read_file(pf)
    for name in pf.schema.names:
        pf.schema.field(name)
    return _CountingList.walks, df


@pytest.mark.parametrize("rows", [0, 3])
def test_walks_over_the_fields_do_not_grow_with_columns(tmp_path, rows):
    few, df_few = _walks(_wide(tmp_path, 200, rows))
    many, df_many = _walks(_wide(tmp_path, 2000, rows))
    assert many <= few
    pd.testing.assert_frame_equal(df_many, pd.read_parquet(_wide(tmp_path, 2000, rows), engine="pyarrow"))


def test_field_is_the_first_of_that_name_and_keyerror_otherwise(tmp_path):
    pf = ParquetFile(_wide(tmp_path, 5))
    assert pf.schema.field("c3").column_index == 3
    with pytest.raises(KeyError):
        pf.schema.field("nope")
    assert pf.schema.names is pf.schema.names            # built once


@pytest.mark.parametrize("probe, expected", [("a", True), ("z", False), (["a"], False), (None, False), (1, False)])
def test_field_names_behave_as_the_list_they_were(probe, expected):
    names = FieldNames(["a", "b", "a"])
    assert (probe in names) is expected
    assert list(names) == ["a", "b", "a"] and len(names) == 3 and names[1] == "b"
    assert names + ["x"] == ["a", "b", "a", "x"] and ["x"] + names == ["x", "a", "b", "a"]
    assert repr(names) == "['a', 'b', 'a']" and names.index("b") == 1
    assert names == ["a", "b", "a"] and ["a", "b", "a"] == names and names == ("a", "b", "a")
    assert names != ["a", "b"] and not (names != ["a", "b", "a"]) and hash(names) == hash(("a", "b", "a"))


def test_a_wide_empty_file_reads_like_pandas(tmp_path):
    path = _wide(tmp_path, 3000)
    pd.testing.assert_frame_equal(fastpq.read_parquet(path), pd.read_parquet(path, engine="pyarrow"))
