"""Random data, random filters: fastpq's rows are exactly those a plain-Python evaluation of
pyarrow's semantics selects from the full frame (and what pandas.read_parquet returns where
pyarrow takes the filter); at row-group and page granularity a superset that drops no match."""
from __future__ import annotations

import os
import tempfile

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fastpq
from tests.dataset._filter_oracle import expected_rids, filters, pyarrow_can, tables

SETTINGS = settings(max_examples=int(os.environ.get("FASTPQ_HYPOTHESIS_EXAMPLES", 60)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _write(table, folder: str, layout: dict) -> str:
    if layout["files"] == 1:
        path = os.path.join(folder, "t.parquet")
        pq.write_table(table, path, row_group_size=layout["rg"], write_page_index=layout["page_index"],
                       data_page_size=layout["page"], write_statistics=layout["stats"])
        return path
    n = table.num_rows
    step = max(1, -(-n // layout["files"]))
    for k, start in enumerate(range(0, max(n, 1), step)):
        pq.write_table(table.slice(start, step), os.path.join(folder, f"part-{k:03d}.parquet"),
                       row_group_size=layout["rg"], write_page_index=layout["page_index"],
                       data_page_size=layout["page"], write_statistics=layout["stats"])
    return folder


layouts = st.fixed_dictionaries({
    "files": st.sampled_from([1, 1, 3]),
    "rg": st.sampled_from([1, 7, 64]),
    "page": st.sampled_from([1, 64, 1 << 20]),   # bytes: 1 makes one page per few rows
    "page_index": st.booleans(),
    "stats": st.sampled_from([True, True, False]),
})


def assert_same_frame(got, expected) -> None:
    """assert_frame_equal; on empty results the categories of categoricals are not compared
    (pyarrow's depend on which of its pruning steps emptied the result)."""
    if len(got) == 0 and len(expected) == 0:
        cats = [c for c in got.columns if isinstance(got[c].dtype, pd.CategoricalDtype)]
        assert all(isinstance(expected[c].dtype, pd.CategoricalDtype) for c in cats)
        got, expected = got.drop(columns=cats), expected.drop(columns=cats)
    pd.testing.assert_frame_equal(got, expected)


def _rids(df) -> list:
    return sorted(int(x) for x in df["rid"])


@SETTINGS
@given(table=tables(), dnf=filters(), layout=layouts)
def test_filters_select_exactly_the_matching_rows(table, dnf, layout):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(table, folder, layout)
        want = sorted(expected_rids(table, dnf))
        got = fastpq.read_parquet(path, filters=dnf)
        assert _rids(got) == want
        full = fastpq.read_parquet(path)
        expected = full[full["rid"].isin(want)].reset_index(drop=True)
        assert list(got.columns) == list(expected.columns)
        for column in got.columns:  # values as the full frame holds them (dtypes may narrow: nulls left)
            a, b = got[column].astype(object), expected[column].astype(object)
            assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in b], column
        if pyarrow_can(dnf):
            assert_same_frame(got, pd.read_parquet(path, filters=dnf))
        for level in ("page", "row_group", "file"):
            coarse = _rids(fastpq.read_parquet(path, filters=dnf, filter_level=level))
            assert set(want) <= set(coarse), level
            assert len(coarse) == len(set(coarse))


@SETTINGS
@given(table=tables(n_max=200), column=st.sampled_from(["i", "f", "f4", "s", "ts", "tz", "d", "dec"]),
       layout=layouts, data=st.data())
def test_single_predicates_on_sorted_pages(table, column, layout, data):
    """One predicate at a time on data cut into many small pages: page pruning's edge rows."""
    from tests.dataset._filter_oracle import predicates

    pred = data.draw(predicates(column))
    layout = dict(layout, page_index=True, page=data.draw(st.sampled_from([1, 16, 128])))
    with tempfile.TemporaryDirectory() as folder:
        path = _write(table, folder, layout)
        want = sorted(expected_rids(table, [pred]))
        assert _rids(fastpq.read_parquet(path, filters=[pred])) == want
        assert set(want) <= set(_rids(fastpq.read_parquet(path, filters=[pred], filter_level="page")))


@SETTINGS
@given(table=tables(), dnf=filters(partitioned=True), layout=layouts)
def test_filters_on_hive_partitions(table, dnf, layout):
    """Three files in p=0/, p=1/, p=2/: predicates on the partition key mix with the others."""
    import pyarrow as pa

    n = table.num_rows
    step = max(1, -(-n // 3))
    keys = [min(r // step, 2) for r in range(n)]
    with tempfile.TemporaryDirectory() as folder:
        for k in range(3):
            part = table.filter(pa.array([key == k for key in keys], pa.bool_())) if n else table
            os.makedirs(os.path.join(folder, f"p={k}"))
            pq.write_table(part, os.path.join(folder, f"p={k}", "part.parquet"), row_group_size=layout["rg"],
                           write_page_index=layout["page_index"], data_page_size=layout["page"])
        want = sorted(expected_rids(table.append_column("p", pa.array(keys, pa.int64())), dnf))
        got = fastpq.read_parquet(folder, filters=dnf)
        assert _rids(got) == want
        assert list(got["p"].cat.categories) == [0, 1, 2] or len(got) == 0
        for level in ("page", "row_group", "file"):
            assert set(want) <= set(_rids(fastpq.read_parquet(folder, filters=dnf, filter_level=level)))


@pytest.mark.parametrize("level", ["row", "page", "row_group", "file"])
def test_levels_on_a_sorted_file(tmp_path, level):
    import numpy as np
    import pyarrow as pa

    n = 50_000
    t = pa.table({"rid": np.arange(n), "x": np.arange(n) * 2, "y": np.random.default_rng(0).random(n)})
    path = tmp_path / "sorted.parquet"
    pq.write_table(t, path, row_group_size=10_000, write_page_index=True, data_page_size=4096,
                   use_dictionary=False)
    got = fastpq.read_parquet(path, filters=[("x", ">=", 30_000), ("x", "<", 30_100)], filter_level=level)
    sizes = {"row": 50, "page": None, "row_group": 10_000, "file": n}
    if sizes[level] is None:
        assert 50 <= len(got) < 10_000
    else:
        assert len(got) == sizes[level]
    assert set(range(15_000, 15_050)) <= set(got["rid"])
