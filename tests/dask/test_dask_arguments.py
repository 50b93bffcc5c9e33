"""fastpq.dask's arguments, checked on the client before any task runs (threaded scheduler: a
partition that raises when computed proves no task ran): dask's spellings of write options,
unknown ones refused naming fastpq.dask.to_parquet, one ``engine=`` rule for fastpq.read_parquet
and the dask reader, ``progress=``, and dtypes: meta == computed == fastpq.read_parquet's for
every committed test file. Oracle for written datasets: pyarrow."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import fastpq
from tests.conftest import committed_files

dd = pytest.importorskip("dask.dataframe")
pq = pytest.importorskip("pyarrow.parquet")
import dask  # noqa: E402

import fastpq.dask as fdask  # noqa: E402

DF = pd.DataFrame({"k": ["a", "b", "a", "c", "b", "a"], "x": np.arange(6), "f": np.linspace(0, 1, 6)})


def _boom(part):
    raise AssertionError("a task ran before the arguments were checked")


def _untouchable():
    """A dask frame whose every task fails: an error other than that one came from the client."""
    ddf = dd.from_pandas(DF, npartitions=2)
    return ddf.map_partitions(_boom, meta=DF.iloc[:0])


@pytest.mark.parametrize("name, value", [
    ("schema", {"x": "int64"}), ("compresion", "zstd"), ("name_function", lambda i: f"p{i}.parquet"),
    ("write_metadata_file", False), ("partition_column", "k"), ("metadata_task_size", 4),
])
def test_unknown_or_unsupported_refused_on_the_client(tmp_path, name, value):
    root = tmp_path / "ds"
    with dask.config.set(scheduler="threads"), pytest.raises(TypeError) as info:
        fdask.to_parquet(_untouchable(), str(root), **{name: value})
    text = str(info.value)
    assert "fastpq.dask.to_parquet" in text and name in text and "ParquetWriter" not in text
    assert not root.exists()


@pytest.mark.parametrize("options", [
    dict(compression="nope"), dict(compression={"x": "zstd", "_default": "bogus"}), dict(compression=("zstd", 99)),
    dict(dictionary="sometimes"), dict(data_page_version=3), dict(page_size=0), dict(row_group_size=0),
    dict(row_group_offsets=[0, 3]), dict(engine="bogus"), dict(column_encoding="PLAIN"),
    dict(partition_on=["k"], partition_cols=["k"]), dict(write_index=True, index=False),
])
def test_bad_values_refused_on_the_client(tmp_path, options):
    root = tmp_path / "ds"
    with dask.config.set(scheduler="threads"), pytest.raises((ValueError, TypeError)) as info:
        fdask.to_parquet(_untouchable(), str(root), **options)
    assert "a task ran" not in str(info.value)
    assert not root.exists()


def _written(root) -> pd.DataFrame:
    table = pq.read_table(root)
    return table.to_pandas()


@pytest.mark.parametrize("dask_names, fastpq_names", [
    (dict(partition_cols=["k"]), dict(partition_on=["k"])),
    (dict(partition_cols="k"), dict(partition_on="k")),
    (dict(index=True), dict(write_index=True)),
    (dict(index=False), dict(write_index=False)),
    (dict(row_group_size=2), dict(row_group_offsets=2)),
    (dict(row_group_size=np.int64(2)), dict(row_group_offsets=2)),   # numpy ints are ints (issue 15.13)
    (dict(schema="infer", write_metadata_file=True, ignore_divisions=True, engine="pyarrow",
          compute_kwargs={"scheduler": "sync"}), {}),
    (dict(engine="fastparquet", compression="zstd", stats=False), dict(compression="zstd", stats=False)),
])
def test_dask_spellings_write_what_fastpqs_write(tmp_path, dask_names, fastpq_names):
    ddf = dd.from_pandas(DF.set_index(pd.Index(np.arange(6) * 10, name="i")), npartitions=2)
    a, b = str(tmp_path / "dask"), str(tmp_path / "fastpq")
    with dask.config.set(scheduler="threads"):
        fdask.to_parquet(ddf, a, **dask_names)
        fdask.to_parquet(ddf, b, **fastpq_names)
    pd.testing.assert_frame_equal(_written(a), _written(b))
    pd.testing.assert_frame_equal(fastpq.read_parquet(a), fastpq.read_parquet(b))
    groups = [pq.ParquetFile(os.path.join(d, f)).num_row_groups
              for root in (a, b) for d, _, fs in sorted(os.walk(root)) for f in sorted(fs) if f.endswith(".parquet")]
    assert groups[:len(groups) // 2] == groups[len(groups) // 2:]
    if "row_group_size" in dask_names:
        assert set(groups) == {2}


ENGINES_OK = [None, "auto", "pyarrow", "fastparquet", "fastpq"]
ENGINES_BAD = ["bogus", "", "PyArrow", 1]


@pytest.fixture(scope="module")
def one_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("eng") / "f.parquet")
    fastpq.write(path, DF)
    return path


@pytest.mark.parametrize("engine", ENGINES_OK)
def test_engine_accepted_by_both_readers(one_file, engine):
    want = pd.read_parquet(one_file, engine="pyarrow")
    pd.testing.assert_frame_equal(fastpq.read_parquet(one_file, engine=engine), want)
    with dask.config.set(scheduler="sync"):
        pd.testing.assert_frame_equal(fdask.read_parquet(one_file, engine=engine).compute(), want)


@pytest.mark.parametrize("engine", ENGINES_BAD)
def test_engine_refused_by_both_readers_alike(one_file, engine):
    errors = []
    for read in (fastpq.read_parquet, fdask.read_parquet):
        with pytest.raises(ValueError, match="engine must be one of") as info:
            read(one_file, engine=engine)
        errors.append(str(info.value).split("(): ", 1)[1])
    assert errors[0] == errors[1]
    with pytest.raises(ValueError):  # pandas refuses these too
        pd.read_parquet(one_file, engine=engine)


def test_progress_accepted_by_the_dask_reader(tmp_path):
    root = tmp_path / "ds"
    fastpq.write(str(root), DF, partition_on=["k"], file_scheme="hive")
    with dask.config.set(scheduler="sync"):
        got = fdask.read_parquet(str(root), progress=True).compute()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), fastpq.read_parquet(str(root), progress=True))


def _readable():
    out = []
    for path in committed_files():
        try:
            fastpq.read_parquet(path)
        except (fastpq.ParquetError, NotImplementedError):
            continue
        out.append(path)
    return out


def _kinds(dtypes) -> dict:
    """dtypes with a categorical's categories left out: dask's meta has them unknown (empty) by design."""
    return {c: ("category", t.ordered) if isinstance(t, pd.CategoricalDtype) else t for c, t in dtypes.items()}


@pytest.mark.parametrize("convert_string", [None, True, False])
@pytest.mark.parametrize("path", _readable(), ids=lambda p: p.name)
def test_dtypes_meta_equal_computed_equal_fastpq(path, convert_string):
    want = fastpq.read_parquet(path).dtypes
    with dask.config.set({"dataframe.convert-string": convert_string, "scheduler": "sync"}):
        ddf = fdask.read_parquet(path)
        got = ddf.compute()
    assert _kinds(ddf._meta.dtypes) == _kinds(want)
    assert got.dtypes.to_dict() == want.to_dict()
