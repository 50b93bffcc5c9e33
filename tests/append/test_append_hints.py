"""Append refusals that say how to fix them: a filtered / sorted frame against a file with a
RangeIndex, columns in another order, and "the dataset has" (not "the file has") for dataset
appends, through fastpq.write and fastpq.dask.to_parquet. Oracle for what is accepted: pandas
reading the result through pyarrow equals pandas' own concatenation."""
from __future__ import annotations

import pandas as pd
import pytest

import fastpq

BASE = pd.DataFrame({"a": list(range(10)), "k": list("xyxyxyxyxy")})

FRAMES = {
    "filtered": lambda df: df.iloc[[1, 5, 6]],
    "sorted": lambda df: df.sort_values("k", kind="stable"),
    "reordered": lambda df: df[["k", "a"]],
    "named_index": lambda df: df.rename_axis("i"),
    "reset": lambda df: df.iloc[[1, 5, 6]].reset_index(drop=True),
}

# write_index of the file -> frame -> the words the refusal must hold (None: accepted)
EXPECTED = {
    None: {"filtered": "reset_index(drop=True)", "sorted": "reset_index(drop=True)",
           "reordered": "pass df[['a', 'k']]", "named_index": "rename_axis(None)", "reset": None},
    True: {"filtered": None, "sorted": None, "reordered": "pass df[['a', 'k']]",
           "named_index": "index levels", "reset": None},
    False: {"filtered": None, "sorted": None, "reordered": "pass df[['a', 'k']]", "named_index": None,
            "reset": None},
}


@pytest.mark.parametrize("write_index", [None, True, False], ids=str)
@pytest.mark.parametrize("kind", sorted(FRAMES))
def test_file_append_hints(tmp_path, write_index, kind):
    path = str(tmp_path / "f.parquet")
    fastpq.write(path, BASE, write_index=write_index)
    new = FRAMES[kind](BASE)
    words = EXPECTED[write_index][kind]
    if words is None:
        fastpq.write(path, new, append=True)
        got = pd.read_parquet(path, engine="pyarrow")
        want = pd.concat([BASE, new])
        if write_index is not True:
            want = want.reset_index(drop=True)
        assert got[["a", "k"]].values.tolist() == want[["a", "k"]].values.tolist()
        if write_index is True:
            assert got.index.tolist() == want.index.tolist()
        return
    before = open(path, "rb").read()
    with pytest.raises(fastpq.SchemaMismatchError) as info:
        fastpq.write(path, new, append=True)
    assert words in str(info.value)
    assert open(path, "rb").read() == before                       # nothing written
    if kind in ("filtered", "sorted"):                               # the fix it names works
        fastpq.write(path, new.reset_index(drop=True), append=True)
        got = pd.read_parquet(path, engine="pyarrow")
        assert got.index.equals(pd.RangeIndex(len(BASE) + len(new)))
    if kind == "reordered":
        fastpq.write(path, new[["a", "k"]], append=True)
        assert len(pd.read_parquet(path, engine="pyarrow")) == len(BASE) + len(new)


DATASET_CASES = {
    "dtype": (lambda df: df.assign(a=df.a * 1.5), "column 'a': the dataset has int64"),
    "reordered": (lambda df: df.assign(b=1.0)[["b", "a", "k"]], "the DataFrame has the dataset's columns in "
                  "another order"),
    "extra": (lambda df: df.assign(c=1), "the DataFrame's columns differ from the dataset's"),
    "str_into_float": (lambda df: df.assign(b="x"), "column 'b': the dataset has float64"),
}


@pytest.mark.parametrize("case", sorted(DATASET_CASES))
@pytest.mark.parametrize("partition_on", [None, ["k"]], ids=str)
def test_dataset_append_says_dataset(tmp_path, case, partition_on):
    root = str(tmp_path / "ds")
    fastpq.write(root, BASE.assign(b=1.0), partition_on=partition_on, file_scheme="hive")
    make, words = DATASET_CASES[case]
    with pytest.raises(fastpq.SchemaMismatchError) as info:
        fastpq.write(root, make(BASE.assign(b=1.0)) if case != "reordered" else make(BASE),
                     partition_on=partition_on, append=True)
    message = str(info.value)
    if partition_on and case == "reordered":
        words = "the DataFrame has the dataset's columns in another order"
    assert words in message, message
    assert "the file" not in message, message
    assert len(fastpq.read_parquet(root)) == len(BASE)


def test_dask_append_says_dataset(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    import fastpq.dask as fdask

    root = str(tmp_path / "ds")
    fastpq.write(root, BASE, file_scheme="hive")
    ddf = dd.from_pandas(BASE.assign(a=BASE.a * 1.5), npartitions=2)
    with pytest.raises(fastpq.SchemaMismatchError) as info:
        fdask.to_parquet(ddf, root, append=True)
    assert "the dataset has int64" in str(info.value) and "the file" not in str(info.value)
    ddf = dd.from_pandas(BASE[["k", "a"]], npartitions=2)
    with pytest.raises(fastpq.SchemaMismatchError, match="another order"):
        fdask.to_parquet(ddf, root, append=True)
