"""Explicit partition types on read (``partitioning={'n': 'int64', ...}``) and filters on
partition columns with values converted as directory names. Oracle: pyarrow.dataset with a
hive partitioning of the same schema, reading the same directories."""
from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

import fastpq

# type -> (directory values, pyarrow type)
TYPES = {
    "int8": (["-3", "7", "100"], pa.int8()),
    "int16": (["-300", "7"], pa.int16()),
    "int32": (["1", "02", "-5"], pa.int32()),
    "int64": (["1", "5000000000"], pa.int64()),
    "uint8": (["0", "255"], pa.uint8()),
    "float64": (["1.5", "-2", "3e2"], pa.float64()),
    "bool": (["true", "false"], pa.bool_()),
    "str": (["01", "a b", "x"], pa.string()),
    "datetime64[s]": (["2024-06-01", "2024-06-01 10:00:00"], pa.timestamp("s")),
    "datetime64[ms]": (["2024-06-01 10:00:00.250"], pa.timestamp("ms")),
    "datetime64[us]": (["2020-01-01 00:00:00", "1999-12-31"], pa.timestamp("us")),
    "datetime64[ns]": (["2020-01-01 00:00:00", "2020-01-02"], pa.timestamp("ns")),
}


def _dataset(root, values, null=False):
    from urllib.parse import quote

    rows = 0
    for i, v in enumerate(values + (["__HIVE_DEFAULT_PARTITION__"] if null else [])):
        folder = root / f"p={quote(v, safe='')}"
        folder.mkdir(parents=True)
        fastpq.write(str(folder / "part.parquet"), pd.DataFrame({"v": np.arange(rows, rows + 2)}))
        rows += 2
    return str(root)


def _pyarrow(root, pa_type, filters=None, backend=None):
    part = pads.partitioning(pa.schema([("p", pa_type)]), flavor="hive")
    expr = None if filters is None else pq.filters_to_expression(filters)
    table = pads.dataset(root, format="parquet", partitioning=part).to_table(filter=expr)
    if backend == "pyarrow":
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    return table.to_pandas()


@pytest.mark.parametrize("null", [False, True], ids=["no-null", "null"])
@pytest.mark.parametrize("dtype", sorted(TYPES))
def test_explicit_types_as_pyarrow(tmp_path, dtype, null):
    values, pa_type = TYPES[dtype]
    root = _dataset(tmp_path / "ds", values, null)
    got = fastpq.read_parquet(root, partitioning={"p": dtype}).sort_values("v", ignore_index=True)
    want = _pyarrow(root, pa_type).sort_values("v", ignore_index=True)
    pd.testing.assert_frame_equal(got, want[["v", "p"]], check_dtype=not (null and dtype == "bool"))


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
@pytest.mark.parametrize("dtype", ["int64", "str", "bool", "datetime64[us]", "float64"])
def test_explicit_types_with_backends(tmp_path, dtype, backend):
    values, pa_type = TYPES[dtype]
    root = _dataset(tmp_path / "ds", values, null=True)
    got = fastpq.read_parquet(root, partitioning={"p": dtype}, dtype_backend=backend)
    got = got.sort_values("v", ignore_index=True)
    want = _pyarrow(root, pa_type).sort_values("v", ignore_index=True)
    assert [None if pd.isna(x) else x for x in got["p"]] == [None if pd.isna(x) else x for x in want["p"]]
    if backend == "pyarrow":
        assert got["p"].dtype == pd.ArrowDtype(pa_type)


@pytest.mark.parametrize("dtype,bad", [("int8", "300"), ("int64", "1.5"), ("uint8", "-1"), ("bool", "yes"),
                                       ("datetime64[s]", "2024-06-01 10:00:00.5"),
                                       ("datetime64[ns]", "2024-06-01 10:00:00+01:00"),
                                       ("float64", "abc"), ("datetime64[ns]", "june")])
def test_values_that_do_not_parse_are_refused(tmp_path, dtype, bad):
    root = _dataset(tmp_path / "ds", [bad])
    with pytest.raises(fastpq.PartitionError, match=dtype.replace("[", r"\[")):
        fastpq.read_parquet(root, partitioning={"p": dtype})


def test_unknown_type_or_column(tmp_path):
    root = _dataset(tmp_path / "ds", ["1"])
    with pytest.raises(ValueError, match="cannot be typed"):
        fastpq.read_parquet(root, partitioning={"p": "complex128"})
    with pytest.raises(ValueError, match="no directory holds"):
        fastpq.read_parquet(root, partitioning={"q": "int64"})
    other = {"p": "int64", "q": "str"}
    with pytest.raises(ValueError):
        fastpq.read_parquet(root, partitioning=other)


# filters: (dtype, filter as given, the same filter in the column's type for pyarrow)
FILTERS = [
    ("int64", ("p", "==", "5000000000"), ("p", "==", 5000000000)),
    ("int64", ("p", "in", [1, "5000000000"]), ("p", "in", [1, 5000000000])),
    ("int64", ("p", ">", 2), ("p", ">", 2)),
    ("int32", ("p", "==", "02"), ("p", "==", 2)),
    ("str", ("p", "in", [1, "x"]), ("p", "in", ["1", "x"])),
    ("str", ("p", "==", "01"), ("p", "==", "01")),
    ("bool", ("p", "==", "true"), ("p", "==", True)),
    ("datetime64[ns]", ("p", ">=", datetime.date(2020, 1, 2)), ("p", ">=", pd.Timestamp("2020-01-02"))),
    ("datetime64[ns]", ("p", "==", "2020-01-02"), ("p", "==", pd.Timestamp("2020-01-02"))),
    ("datetime64[us]", ("p", "<", datetime.datetime(2000, 1, 1)), ("p", "<", pd.Timestamp("2000-01-01"))),
    ("float64", ("p", "==", "1.5"), ("p", "==", 1.5)),
]


@pytest.mark.parametrize("dtype,given,typed", FILTERS, ids=str)
def test_filters_convert_values_as_directory_names(tmp_path, dtype, given, typed):
    values, pa_type = TYPES[dtype]
    root = _dataset(tmp_path / "ds", values)
    got = fastpq.read_parquet(root, partitioning={"p": dtype}, filters=[given])
    want = _pyarrow(root, pa_type, filters=[typed])
    assert sorted(got["v"]) == sorted(want["v"])
    assert len(want)        # each case selects something


def test_default_partitions_convert_filter_values(tmp_path):
    root = _dataset(tmp_path / "ds", ["1", "2", "30"])          # int32 by pandas' rule
    assert sorted(fastpq.read_parquet(root, filters=[("p", "==", "30")])["v"]) == [4, 5]
    root = _dataset(tmp_path / "ds2", ["1", "x"])               # str by pandas' rule
    assert sorted(fastpq.read_parquet(root, filters=[("p", "==", 1)])["v"]) == [0, 1]


@pytest.mark.parametrize("dtype,value", [("int64", "x"), ("int64", True), ("bool", "maybe"),
                                         ("datetime64[ns]", "soon")])
def test_filter_values_that_do_not_convert(tmp_path, dtype, value):
    values, _ = TYPES[dtype]
    root = _dataset(tmp_path / "ds", values)
    with pytest.raises(fastpq.FilterTypeError, match="partition column 'p'"):
        fastpq.read_parquet(root, partitioning={"p": dtype}, filters=[("p", "==", value)])


def test_dask_reads_explicit_types(tmp_path):
    pytest.importorskip("dask.dataframe")
    import fastpq.dask as fdask

    values, pa_type = TYPES["int64"]
    root = _dataset(tmp_path / "ds", values)
    ddf = fdask.read_parquet(root, partitioning={"p": "int64"}, filters=[("p", ">=", "2")])
    got = ddf.compute().sort_values("v", ignore_index=True)
    want = _pyarrow(root, pa_type, filters=[("p", ">=", 2)]).sort_values("v", ignore_index=True)
    assert ddf.dtypes["p"] == "int64"
    assert got["v"].tolist() == want["v"].tolist() and got["p"].tolist() == want["p"].tolist()
