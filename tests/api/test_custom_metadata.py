"""custom_metadata (issue 15.14) and ordered categoricals in partitioned datasets (15.15).

Oracle: pyarrow's view of the footer's key-value metadata (``pq.read_metadata(...).metadata``,
bytes -> bytes) and pandas.read_parquet on the same dataset."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq

DF = pd.DataFrame({"a": [1, 2, 3], "p": ["x", "y", "x"]})


@pytest.mark.parametrize("custom, stored", [
    ({"k": "v"}, {b"k": b"v"}),
    ({b"k": b"v"}, {b"k": b"v"}),
    ({b"k": "v"}, {b"k": b"v"}),
    ({"k": b"\xff\x00raw"}, {b"k": b"\xff\x00raw"}),
    ({"k": bytearray(b"ba")}, {b"k": b"ba"}),
    ({"\u00e9t\u00e9": "\u2603"}, {"\u00e9t\u00e9".encode(): "\u2603".encode()}),
    ({"empty": ""}, {b"empty": b""}),
])
@pytest.mark.parametrize("scheme", ["simple", "hive"])
def test_custom_metadata_stored_as_bytes(tmp_path, custom, stored, scheme):
    path = tmp_path / "out"
    kw = {"partition_on": ["p"], "file_scheme": "hive"} if scheme == "hive" else {}
    fastpq.write(path, DF, custom_metadata=custom, **kw)
    files = [path / "_metadata"] if scheme == "hive" else [path]
    for f in files:
        kv = pq.read_metadata(f).metadata
        assert {k: kv[k] for k in stored} == stored
    got = fastpq.read_parquet(path)
    assert sorted(got["a"]) == [1, 2, 3]
    pd.testing.assert_frame_equal(pd.read_parquet(path).sort_values("a").reset_index(drop=True)[["a"]],
                                  got.sort_values("a").reset_index(drop=True)[["a"]])


@pytest.mark.parametrize("custom, exc", [
    ({1: "v"}, TypeError),
    ({"k": 1}, TypeError),
    ({"k": None}, TypeError),
    ({"k": ["v"]}, TypeError),
    ([("k", "v")], TypeError),
    ({b"\xff": "v"}, ValueError),
    ({"pandas": "{}"}, ValueError),
    ({"ARROW:schema": "x"}, ValueError),
    ({"fastpq:next_part": "7"}, ValueError),
    ({"k": "a", b"k": "b"}, ValueError),
])
def test_bad_custom_metadata_refused_before_writing(tmp_path, custom, exc):
    path = tmp_path / "f.parquet"
    with pytest.raises(exc):
        fastpq.write(path, DF, custom_metadata=custom)
    assert not path.exists()
    with pytest.raises(exc):
        fastpq.write(tmp_path / "ds", DF, custom_metadata=custom, partition_cols=["p"])
    assert not (tmp_path / "ds").exists()


def test_non_utf8_value_keeps_arrow_schema_usable(tmp_path):
    df = pd.DataFrame({"c": pd.Categorical(["lo", "hi"], categories=["lo", "hi"], ordered=True)})
    path = tmp_path / "f.parquet"
    fastpq.write(path, df, custom_metadata={"k": b"\xff"})
    pd.testing.assert_frame_equal(fastpq.read_parquet(path), pd.read_parquet(path))
    pd.testing.assert_frame_equal(fastpq.read_parquet(path), df)


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("categories", [["lo", "hi"], ["hi", "mid", "lo"]])
def test_categorical_in_partitioned_dataset_keeps_ordered(tmp_path, ordered, categories):
    df = pd.DataFrame({"a": [1, 2, 3, 4], "p": ["x", "y", "x", "z"],
                       "c": pd.Categorical(["lo", "hi", "lo", "hi"], categories=categories, ordered=ordered)})
    fastpq.write(tmp_path / "ds", df, partition_cols=["p"])
    got = fastpq.read_parquet(tmp_path / "ds")
    expected = pd.read_parquet(tmp_path / "ds")
    assert got["c"].dtype.ordered == expected["c"].dtype.ordered == ordered
    assert list(got["c"].dtype.categories) == list(expected["c"].dtype.categories)


def test_append_updates_custom_metadata_bytes(tmp_path):
    path = tmp_path / "f.parquet"
    fastpq.write(path, DF, custom_metadata={"k": "v1"})
    fastpq.write(path, DF, append=True, custom_metadata={"k": b"\xffv2", b"j": "w"})
    kv = pq.read_metadata(path).metadata
    assert kv[b"k"] == b"\xffv2" and kv[b"j"] == b"w"
    assert len(fastpq.read_parquet(path)) == 6
    with pytest.raises(TypeError):
        fastpq.write(path, DF, append=True, custom_metadata={"k": 3})
    assert len(fastpq.read_parquet(path)) == 6
