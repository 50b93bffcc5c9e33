"""Write options are checked once, before anything is written (issue 15, item 13).

Matrix: every per-column option (stats, dictionary, page_index, nullable,
object_encoding, compression, column_encoding, sorting_columns) naming a column the
frame does not have x how the frame is written (a file, a dataset, an append,
``ParquetWriter``): ``ValueError`` naming the option and the column, nothing
written. Unknown sorting orders. numpy integers accepted wherever an int is
(checked against pyarrow's reading of the file), bools refused. append=True with
overwrite=False. The dataset writer gets every option WriteOptions has.
"""
from __future__ import annotations

import os
from dataclasses import fields

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq
from fastpq.api import write as api_write
from fastpq.file.options import WriteOptions
from fastpq.file.writer import ParquetWriter

UNKNOWN = {
    "stats": ["a", "nope"],
    "dictionary": ["nope"],
    "page_index": ["b", "nope"],
    "nullable": {"nope": True},
    "nullable_list": ["nope"],
    "object_encoding": {"b": "utf8", "nope": "utf8"},
    "compression": {"_default": "zstd", "nope": "gzip"},
    "column_encoding": {"nope": "PLAIN"},
    "sorting_columns": ["nope"],
    "sorting_pair": [("nope", "descending")],
    "sorting_dict": [{"column": "nope"}],
}
KNOWN = {
    "stats": ["a", "idx"],
    "dictionary": ["b"],
    "page_index": ["a", "b"],
    "nullable": {"a": True},
    "object_encoding": {"b": "utf8"},
    "compression": {"_default": "zstd", "a": "gzip"},
    "column_encoding": {"_default": "PLAIN", "a": "DELTA_BINARY_PACKED"},
    "sorting_columns": [("a", "descending"), "b"],
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [3, 2, 1], "b": pd.Series(["x", "y", "z"], dtype=object)},
                        index=pd.Index([7, 8, 9], name="idx"))


def _option(case):
    return case.replace("_list", "").replace("_pair", "_columns").replace("_dict", "_columns"), UNKNOWN[case]


def _write(mode, path, df, **kw):
    if mode == "writer":
        with ParquetWriter(path, df, **kw) as w:
            w.write(df)
    elif mode == "hive":
        fastpq.write(path, df, file_scheme="hive", **kw)
    elif mode == "append":
        fastpq.write(path, df, append=True, **kw)
    else:
        fastpq.write(path, df, **kw)


@pytest.mark.parametrize("mode", ["file", "hive", "append", "writer"])
@pytest.mark.parametrize("case", sorted(UNKNOWN))
def test_unknown_column_refused(tmp_path, case, mode):
    option, value = _option(case)
    path = tmp_path / "out"
    with pytest.raises(ValueError, match=f"{option}=.*'nope'"):
        _write(mode, path, _frame(), **{option: value})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("option", sorted(KNOWN))
def test_known_columns_accepted(tmp_path, option):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame(), **{option: KNOWN[option]})
    assert pq.read_table(path).num_rows == 3


def test_unknown_column_on_append_leaves_file_unchanged(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame())
    before = path.read_bytes()
    with pytest.raises(ValueError, match="stats="):
        fastpq.write(path, _frame(), append=True, stats=["nope"])
    assert path.read_bytes() == before


def test_sorting_column_nested_leaf_path(tmp_path):
    path = tmp_path / "f.parquet"
    df = pd.DataFrame({"s": pd.Series([{"x": 1}, {"x": 2}], dtype=object)})
    fastpq.write(path, df, sorting_columns=["s.x"])
    assert pq.ParquetFile(path).metadata.row_group(0).sorting_columns[0].column_index == 0


@pytest.mark.parametrize("entry", [("a", "sideways"), ("a", "DESC"), ("a", 2), ("a",), ("a", "ascending", 1, 2),
                                   {"descending": True}])
def test_unknown_sorting_order(tmp_path, entry):
    path = tmp_path / "f.parquet"
    with pytest.raises(ValueError, match="sorting_columns"):
        fastpq.write(path, _frame(), sorting_columns=[entry])
    assert not path.exists()


@pytest.mark.parametrize("spec", ["a", {"column": "a"}, 5])
def test_sorting_columns_not_a_list(tmp_path, spec):
    with pytest.raises(ValueError, match="sorting_columns"):
        fastpq.write(tmp_path / "f.parquet", _frame(), sorting_columns=spec)


@pytest.mark.parametrize("order,descending", [("ascending", False), ("descending", True), (True, True),
                                              (False, False)])
def test_sorting_orders_recorded(tmp_path, order, descending):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame(), sorting_columns=[("a", order)])
    assert pq.ParquetFile(path).metadata.row_group(0).sorting_columns[0].descending is descending


# ---------------------------------------------------------------- numpy integers

INT_TYPES = [np.int64, np.int32, np.uint8, np.int16, np.uint64]


@pytest.mark.parametrize("int_type", INT_TYPES)
@pytest.mark.parametrize("option", ["row_group_offsets", "row_group_size", "offsets_list", "page_size",
                                    "data_page_version"])
def test_numpy_integers_accepted(tmp_path, option, int_type):
    path = tmp_path / "f.parquet"
    df = pd.DataFrame({"a": range(10)})
    kw = {"row_group_offsets": int_type(4), "row_group_size": int_type(4),
          "offsets_list": None, "page_size": int_type(100), "data_page_version": int_type(2)}
    if option == "offsets_list":
        fastpq.write(path, df, row_group_offsets=[int_type(0), int_type(4), int_type(8)])
    else:
        fastpq.write(path, df, **{option: kw[option]})
    meta = pq.ParquetFile(path).metadata
    if option in ("row_group_offsets", "row_group_size", "offsets_list"):
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 4, 2]
    assert pq.read_table(path).column("a").to_pylist() == list(range(10))


@pytest.mark.parametrize("int_type", INT_TYPES)
def test_numpy_row_group_size_for_a_dataset_and_writer(tmp_path, int_type):
    df = pd.DataFrame({"a": range(10), "p": [1, 2] * 5})
    fastpq.write(tmp_path / "ds", df, partition_on=["p"], file_scheme="hive", row_group_offsets=int_type(2))
    assert sorted(pq.read_table(tmp_path / "ds").column("a").to_pylist()) == list(range(10))
    with ParquetWriter(tmp_path / "w.parquet", df, row_group_offsets=int_type(3)) as w:
        w.write(df)
    assert pq.ParquetFile(tmp_path / "w.parquet").metadata.num_row_groups == 4


@pytest.mark.parametrize("value", [True, np.bool_(True), 2.0, "4", [0, 1.5], [True]])
def test_not_integers_refused(tmp_path, value):
    with pytest.raises((ValueError, TypeError)):
        fastpq.write(tmp_path / "f.parquet", pd.DataFrame({"a": range(4)}), row_group_offsets=value)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- append / overwrite

@pytest.mark.parametrize("exists", [False, True])
@pytest.mark.parametrize("scheme", ["simple", "hive"])
def test_append_with_overwrite_false(tmp_path, exists, scheme):
    path = tmp_path / "out"
    if exists:
        fastpq.write(path, _frame(), file_scheme=scheme)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="append=True.*overwrite=False"):
        fastpq.write(path, _frame(), append=True, overwrite=False, file_scheme=scheme)
    assert sorted(os.listdir(tmp_path)) == before


def test_append_creates_a_missing_file(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame(), append=True)
    fastpq.write(path, _frame(), append=True)
    assert pq.read_table(path).num_rows == 6


# ---------------------------------------------------------------- option lists derived from WriteOptions

def test_dataset_options_cover_every_field():
    options = WriteOptions()
    passed = set(api_write._dataset_options(options))
    own = set(api_write._DATASET_ARGUMENTS)
    assert passed | own == {f.name for f in fields(WriteOptions) if f.init}
    assert not passed & own


@pytest.mark.parametrize("compression", [("zstd", np.int64(5)), ("gzip", 3), ["zstd", 2],
                                         {"codec": "zstd", "level": np.int32(4)},
                                         {"_default": ("zstd", np.int64(3)), "a": ["gzip", 1]}])
def test_codec_pairs_are_not_column_lists(tmp_path, compression):
    path = tmp_path / "f.parquet"
    fastpq.write(path, _frame(), compression=compression)
    assert pq.read_table(path).num_rows == 3


@pytest.mark.parametrize("int_type", INT_TYPES)
def test_numpy_integers_in_writer_write_and_compact(tmp_path, int_type):
    df = pd.DataFrame({"a": range(10)})
    path = tmp_path / "f.parquet"
    with ParquetWriter(path, df) as w:
        w.write(df, row_group_offsets=int_type(3))
    assert pq.ParquetFile(path).metadata.num_row_groups == 4
    fastpq.compact(path, row_group_size=int_type(5))
    assert pq.ParquetFile(path).metadata.num_row_groups == 2
    assert pq.read_table(path).column("a").to_pylist() == list(range(10))


@pytest.mark.parametrize("engine", ["auto", "pyarrow", "fastparquet", "fastpq", None])
def test_write_engine_names_pandas_knows_are_ignored(tmp_path, engine):
    path = tmp_path / "e.parquet"
    fastpq.write(str(path), pd.DataFrame({"a": [1, 2]}), engine=engine)
    assert fastpq.read_parquet(path)["a"].tolist() == [1, 2]


@pytest.mark.parametrize("engine", ["bogus", 1])
def test_write_unknown_engine_is_refused_before_writing(tmp_path, engine):
    """One engine= rule for fastpq.read_parquet, fastpq.write and the dask reader and writer."""
    path = tmp_path / "e.parquet"
    with pytest.raises(ValueError, match="engine must be one of"):
        fastpq.write(str(path), pd.DataFrame({"a": [1, 2]}), engine=engine)
    assert not path.exists()
