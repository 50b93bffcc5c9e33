"""Appends to lists and maps whose group names are not the spec's 'list' / 'element' / 'key_value'
(issue 15 item 11): pyarrow's legacy 'list.item' names, Hive/Impala's 'array' / 'bag' names, maps
named otherwise. The append writes the file's own layout (names from the file's schema); pyarrow
reads the old rows and the appended ones alike, and every column path stays the file's."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq

COLUMNS = {
    "ints": pa.array([[1, None, 3], None, [], [4]], pa.list_(pa.int64())),
    "strs": pa.array([["a"], ["b", None], None, []], pa.list_(pa.string())),
    "nested": pa.array([[[1], [2, 3]], None, [[]], [None]], pa.list_(pa.list_(pa.int32()))),
    "structs": pa.array([[{"x": 1}], [], None, [{"x": None}]], pa.list_(pa.struct([("x", pa.int16())]))),
    "map": pa.array([[("a", 1)], None, [], [("b", None), ("c", 3)]],
                    pa.map_(pa.field("k", pa.string(), nullable=False), pa.field("v", pa.int64()))),
}


def _paths(path) -> list:
    schema = pq.ParquetFile(path).schema
    return [schema.column(i).path for i in range(len(schema))]


@pytest.mark.parametrize("backend", [None, "numpy_nullable", "pyarrow"])
@pytest.mark.parametrize("compliant", [False, True])
@pytest.mark.parametrize("column", list(COLUMNS))
def test_append_keeps_the_files_list_and_map_names(tmp_path, backend, compliant, column):
    path = tmp_path / "l.parquet"
    pq.write_table(pa.table({column: COLUMNS[column]}), path, use_compliant_nested_type=compliant)
    paths = _paths(path)
    rows = pq.read_table(path).to_pylist()
    df = fastpq.read_parquet(path, **({} if backend is None else {"dtype_backend": backend}))
    fastpq.write(path, df, append=True)
    assert _paths(path) == paths
    assert pq.read_table(path).to_pylist() == rows * 2


@pytest.mark.parametrize("element", ["array_element", "array", "item", "bag"])
def test_append_to_other_element_names(tmp_path, element):
    """A three-level list whose element is named otherwise (Hive / Impala / parquet-mr names);
    group names other than 'list' are covered by the corpus files in tests/interop/test_closure.py."""
    path = tmp_path / "h.parquet"
    pq.write_table(pa.table({"c": pa.array([[1, 2], None, [None]], pa.list_(pa.field(element, pa.int32())))}), path,
                   use_compliant_nested_type=False)
    paths = _paths(path)
    assert paths == [f"c.list.{element}"]
    rows = pq.read_table(path).to_pylist()
    fastpq.write(path, fastpq.read_parquet(path), append=True)
    assert _paths(path) == paths
    assert pq.read_table(path).to_pylist() == rows * 2
