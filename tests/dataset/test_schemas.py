"""Files whose schemas differ: missing columns are nulls, compatible types combine as
pyarrow.unify_schemas(promote_options='permissive') combines them, others raise."""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import fastpq

VALUES = {
    pa.int8(): [1, None], pa.int32(): [2, 3], pa.int64(): [4, None], pa.uint8(): [5, 6], pa.uint32(): [7, 8],
    pa.float32(): [1.5, None], pa.float64(): [2.5, 3.5], pa.string(): ["a", None], pa.large_string(): ["b", "c"],
    pa.binary(): [b"x", None], pa.bool_(): [True, None],
    pa.timestamp("ms"): [dt.datetime(2020, 1, 1), None], pa.timestamp("us"): [dt.datetime(2021, 1, 1, 0, 0, 1), None],
    pa.timestamp("us", "UTC"): [dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), None],
    pa.date32(): [dt.date(2020, 1, 1), None],
    pa.decimal128(5, 2): [Decimal("1.25"), None], pa.decimal128(10, 3): [Decimal("2.125"), None],
}
COMPATIBLE = [
    (pa.int32(), pa.int64()), (pa.int8(), pa.int32()), (pa.uint8(), pa.int8()), (pa.uint32(), pa.int32()),
    (pa.int64(), pa.float64()), (pa.float32(), pa.float64()), (pa.int32(), pa.float32()),
    (pa.string(), pa.large_string()), (pa.timestamp("ms"), pa.timestamp("us")),
    (pa.decimal128(5, 2), pa.decimal128(10, 3)), (pa.bool_(), pa.bool_()), (pa.date32(), pa.date32()),
]
INCOMPATIBLE = [
    (pa.int32(), pa.string()), (pa.bool_(), pa.int8()), (pa.timestamp("us", "UTC"), pa.timestamp("us")),
    (pa.date32(), pa.timestamp("ms")), (pa.float64(), pa.string()),
]


def _write(folder, *tables) -> list:
    paths = []
    for i, t in enumerate(tables):
        path = os.path.join(folder, f"part-{i}.parquet")
        pq.write_table(t, path)
        paths.append(path)
    return paths


def _unified(paths) -> pd.DataFrame:
    schema = pa.unify_schemas([pq.read_schema(p) for p in paths], promote_options="permissive")
    return ds.dataset(paths, schema=schema).to_table().to_pandas()


@pytest.mark.parametrize("a, b", COMPATIBLE, ids=lambda t: str(t))
def test_compatible_types_combine_as_pyarrow(tmp_path, a, b):
    paths = _write(tmp_path, pa.table({"c": pa.array(VALUES[a], a)}), pa.table({"c": pa.array(VALUES[b], b)}))
    expected = _unified(paths)
    got = fastpq.read_parquet(tmp_path)
    pd.testing.assert_frame_equal(got, expected)
    # with a filter that drops the nulls, the dtype narrows as pyarrow's does
    filtered = fastpq.read_parquet(tmp_path, filters=[("c", "is not null")])
    assert filtered["c"].isna().sum() == 0


@pytest.mark.parametrize("a, b", INCOMPATIBLE, ids=lambda t: str(t))
def test_incompatible_types_raise_naming_files_and_column(tmp_path, a, b):
    _write(tmp_path, pa.table({"ok": [1, 2], "c": pa.array(VALUES[a], a)}),
           pa.table({"ok": [3, 4], "c": pa.array(VALUES[b], b)}))
    with pytest.raises(fastpq.SchemaMismatchError, match=r"'c'.*part-0\.parquet.*part-1\.parquet"):
        fastpq.read_parquet(tmp_path)


def test_missing_columns_are_nulls(tmp_path):
    paths = _write(tmp_path,
                   pa.table({"a": [1, 2], "s": ["x", "y"], "b": [True, False]}),
                   pa.table({"a": [3, 4], "t": pa.array([dt.datetime(2020, 1, 1), None], pa.timestamp("us"))}),
                   pa.table({"z": [1.5]}))
    got = fastpq.read_parquet(tmp_path)
    pd.testing.assert_frame_equal(got, _unified(paths))
    assert list(got.columns) == ["a", "s", "b", "t", "z"]
    # filters on a column some files lack: there it is null
    for filters in ([("s", "==", "x")], [("s", "is null")], [("b", "not in", [True])], [("a", ">", 1)]):
        got = fastpq.read_parquet(tmp_path, filters=filters)
        expected = _unified(paths)
        mask = {
            "s==": expected["s"] == "x",
        }
        if filters[0][1] == "==":
            want = expected[mask["s=="]]
        elif filters[0][1] == "is null":
            want = expected[expected["s"].isna()]
        elif filters[0][1] == "not in":
            want = expected[expected["b"].astype(object).map(lambda v: v is not True)]
        else:
            want = expected[expected["a"] > 1]
        assert len(got) == len(want), filters
    # columns only in later files, selected alone
    assert fastpq.read_parquet(tmp_path, columns=["z"])["z"].isna().tolist() == [True] * 4 + [False]


def test_required_and_optional_combine(tmp_path):
    required = pa.schema([pa.field("c", pa.int64(), nullable=False)])
    paths = _write(tmp_path, pa.table({"c": [1, 2]}, schema=required), pa.table({"c": pa.array([None, 3])}))
    pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path), _unified(paths))
    got = fastpq.read_parquet(tmp_path, filters=[("c", ">", 1)])
    assert got["c"].dtype == "int64" and got["c"].tolist() == [2, 3]


def test_categorical_columns_union_their_categories(tmp_path):
    a = pd.DataFrame({"c": pd.Categorical(["x", "y"])})
    b = pd.DataFrame({"c": pd.Categorical(["z", "x"])})
    a.to_parquet(tmp_path / "a.parquet")
    b.to_parquet(tmp_path / "b.parquet")
    got = fastpq.read_parquet(tmp_path)
    pd.testing.assert_frame_equal(got, pd.read_parquet(tmp_path))
    assert list(got["c"].cat.categories) == ["x", "y", "z"]


def test_common_metadata_schema_comes_first(tmp_path):
    """Without _metadata, _common_metadata's schema leads the unified one: its columns exist
    even when the partition filters keep no file that has them."""
    import pyarrow.parquet as pq

    (tmp_path / "k=1").mkdir()
    (tmp_path / "k=2").mkdir()
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "k=1" / "p.parquet")
    pq.write_table(pa.table({"a": [3], "b": ["x"]}), tmp_path / "k=2" / "p.parquet")
    pq.write_metadata(pa.schema([("a", pa.int64()), ("b", pa.string())]), tmp_path / "_common_metadata")
    got = fastpq.read_parquet(tmp_path, filters=[("k", "==", 1)])
    assert list(got.columns) == ["a", "b", "k"] and got["b"].isna().all() and got["a"].tolist() == [1, 2]
    pd.testing.assert_frame_equal(fastpq.read_parquet(tmp_path), _unified(
        [str(tmp_path / "k=1" / "p.parquet"), str(tmp_path / "k=2" / "p.parquet")]).assign(
        k=pd.Categorical([1, 1, 2], categories=pd.Index([1, 2], dtype="int32"))))
