"""``ParquetFile.to_pandas(filters=...)`` (fastparquet had it): the filter language and row
semantics of ``read_parquet(filters=)``, checked against pyarrow reading the same file; and
wrong keywords to every public function / method give a TypeError naming the public name."""
from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fastpq

FILTERS = [
    [("a", ">", 5)],
    [("a", "<=", 3), ("k", "==", "x")],
    [[("a", "==", 1)], [("k", "in", ["y"])]],
    [("a", "not in", [1, 2, 3])],
    [("f", "<", 0.5)],
    [("f", "is null")] if False else [("k", "!=", "x")],
    [("a", ">", 1000)],               # nothing matches
]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    n = 40
    df = pd.DataFrame({"a": np.arange(n, dtype="int64"), "k": list("xyz" * 14)[:n],
                       "f": np.linspace(0, 1, n)})
    p = tmp_path_factory.mktemp("filters") / "f.parquet"
    fastpq.write(str(p), df, row_group_offsets=[0, 10, 20, 30])
    return str(p)


def _oracle(path, filters, row_groups=None, columns=None):
    if row_groups is None:
        return pq.read_table(path, filters=filters, columns=columns).to_pandas()
    table = pq.ParquetFile(path).read_row_groups(row_groups, columns=columns)
    import pyarrow.dataset as pads

    expr = pq.filters_to_expression(filters)
    return pads.dataset(table).to_table(filter=expr).to_pandas()


def _same(got, want):
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)
    assert [str(d) for d in got.dtypes] == [str(d) for d in want.dtypes] or len(want) == 0


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_to_pandas_filters_as_read_parquet(path, filters):
    got = fastpq.ParquetFile(path).to_pandas(filters=filters)
    pd.testing.assert_frame_equal(got, fastpq.read_parquet(path, filters=filters))
    _same(got, _oracle(path, filters))


@pytest.mark.parametrize("filters", FILTERS, ids=str)
@pytest.mark.parametrize("row_groups", [[1], [0, 2], [3, 1]], ids=str)
def test_row_groups_and_views_with_filters(path, filters, row_groups):
    pf = fastpq.ParquetFile(path)
    want = _oracle(path, filters, sorted(row_groups))
    _same(pf.to_pandas(filters=filters, row_groups=row_groups), want)
    _same(pf[row_groups].to_pandas(filters=filters), want)


@pytest.mark.parametrize("filters", FILTERS[:3], ids=str)
def test_columns_with_filters(path, filters):
    got = fastpq.ParquetFile(path).to_pandas(columns=["f"], filters=filters)
    want = _oracle(path, filters)[["f"]]
    _same(got, want)


def test_filter_errors_are_fastpq_errors(path):
    pf = fastpq.ParquetFile(path)
    with pytest.raises(fastpq.FilterError, match="nope"):
        pf.to_pandas(filters=[("nope", "==", 1)])
    with pytest.raises(fastpq.FilterTypeError):
        pf.to_pandas(filters=[("a", "==", "text")])


# ---------------------------------------------------------------- wrong keywords name public names
def _public_callables(path, tmp_path):
    pf = fastpq.ParquetFile(path)
    ds = fastpq.ParquetDataset(path)
    writer = fastpq.ParquetWriter(str(tmp_path / "w.parquet"), pd.DataFrame({"a": [1]}))
    out = [(f"fastpq.{name}", getattr(fastpq, name), name) for name in fastpq.__all__
           if inspect.isfunction(getattr(fastpq, name))]
    for label, obj in (("ParquetFile", pf), ("ParquetFileView", pf[0]), ("ParquetDataset", ds),
                       ("ParquetWriter", writer)):
        for name, member in inspect.getmembers(type(obj)):
            if name.startswith("_") or not callable(member) or isinstance(member, type):
                continue
            out.append((f"{label}.{name}", getattr(obj, name), name))
    return out, writer


def _required(fn, path, tmp_path, ds) -> list:
    """Values for ``fn``'s required positional parameters (a function with ``**kwargs`` checks
    missing arguments before unknown keywords); nothing is written with them."""
    values = {"path": str(tmp_path / "never.parquet"), "df": pd.DataFrame({"a": [1]}),
              "files_or_dir": str(tmp_path), "metadata": {}, "row_groups": [0],
              "plan": ds.plan(), "piece": ds.plan().pieces[0], "i": 0}
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            out.append(values.get(p.name, path) if p.name != "path" or "write" in fn.__name__ else path)
    return out


def test_wrong_keyword_names_the_public_callable(path, tmp_path):
    callables, writer = _public_callables(path, tmp_path)
    assert len(callables) > 20
    try:
        for label, fn, name in callables:
            args = _required(fn, path, tmp_path, fastpq.ParquetDataset(path))
            with pytest.raises(TypeError) as info:
                fn(*args, no_such_option_xyz=1)
            message = str(info.value)
            assert "no_such_option_xyz" in message, (label, message)
            assert name in message, (label, message)
            assert "._" not in message and not message.startswith("_"), (label, message)
    finally:
        writer.close()
