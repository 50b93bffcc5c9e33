"""Filters on float16/32/64 columns: one rule, comparison in float64, at every level (issue 15.16).

A float32 column holding float32(0.1) does not equal the filter value 0.1 (the double
nearest 0.1): statistics, the page index and the row test all compare in float64, as
pyarrow and pandas.read_parquet do, so the rows selected never depend on how the file is
cut into row groups and pages. The oracle is a plain-Python evaluation over the stored
values widened to float64 (tests/dataset/_filter_oracle.matches); pandas.read_parquet
(engine='pyarrow') must agree wherever pyarrow takes the filter (see _pyarrow_agrees).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fastpq
from tests.dataset._filter_oracle import matches

F32_TENTH = float(np.float32(0.1))   # 0.10000000149011612: the float32 nearest 0.1, exactly
F16_TENTH = float(np.float16(0.1))   # 0.0999755859375
STORED = [0.0, -0.0, 0.1, 0.5, 1.0, float("nan"), float("inf"), -float("inf"), None, 0.3, 2.0, None, -1.5, 0.1]
KEYS = [0.1, F32_TENTH, F16_TENTH, 0.0, -0.0, 0.5, 0.3, float("inf"), -float("inf"), float("nan"), 1e40, -1e-8, 1]
OPS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
LAYOUTS = {  # (row_group_size, data_page_size, write_page_index, write_statistics, sorted)
    "one-group": (100, 1 << 20, False, True, False),
    "groups-of-3": (3, 1 << 20, False, True, False),
    "rows-per-group": (1, 1 << 20, True, True, False),
    "pages": (100, 1, True, True, False),
    "sorted-pages": (100, 1, True, True, True),
    "sorted-groups-of-2": (2, 1, True, True, True),
    "no-stats": (4, 1, False, False, False),
}
LEVELS = ["row", "page", "row_group", "file"]


def _table(width: str, order: bool) -> pa.Table:
    values = list(STORED)
    if order:  # nulls last, NaN after the numbers: ranges that pages and row groups prune well
        values.sort(key=lambda v: (v is None, v is not None and math.isnan(v), v if v is not None else 0))
    mask = np.array([v is None for v in values])
    arr = np.array([0.0 if v is None else v for v in values], dtype=width)
    return pa.table({"x": pa.array(arr, mask=mask), "rid": pa.array(range(len(values)), pa.int64())})


def _write(tmp_path, width: str, layout: str):
    rg, page, index, stats, order = LAYOUTS[layout]
    table = _table(width, order)
    path = tmp_path / f"{width}-{layout}.parquet"
    pq.write_table(table, path, row_group_size=rg, data_page_size=page, write_page_index=index,
                   write_statistics=stats, use_dictionary=False)
    return table, path


def _filters(op: str, key):
    return [("x", op, [key, 2.0] if op in ("in", "not in") else key)]


def _want(table: pa.Table, flt) -> list:
    (_, op, key), = flt
    return [r["rid"] for r in table.to_pylist() if matches(None if r["x"] is None else float(r["x"]), op, key)]


def _pyarrow_agrees(width: str, op: str, key) -> bool:
    """Where pandas.read_parquet(engine='pyarrow') is a valid oracle for these filters."""
    if width == "float16":
        return False      # pyarrow has no comparison kernels for halffloat
    if op in ("in", "not in") and width == "float32":
        return False      # pyarrow casts the value set to float32 (so 0.1 in [0.1] there; fastpq: float64)
    if op in ("!=", "not in"):
        return False      # pyarrow prunes row groups whose min == max == value though NaN rows match
    if op in ("in", "not in") and (key == 0 or (isinstance(key, float) and math.isnan(key))):
        return False      # pyarrow's is_in hashes bits: -0.0 does not match 0.0; NaN in a value set
    return True


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("width", ["float16", "float32", "float64"])
def test_every_operator_and_level_compares_in_float64(tmp_path, width, layout):
    table, path = _write(tmp_path, width, layout)
    failures = []
    for op in OPS:
        for key in KEYS:
            flt = _filters(op, key)
            want = sorted(_want(table, flt))
            for level in LEVELS:
                got = sorted(fastpq.read_parquet(path, filters=flt, filter_level=level)["rid"].tolist())
                ok = got == want if level == "row" else set(want) <= set(got)
                if not ok:
                    failures.append((op, key, level, got, want))
            if _pyarrow_agrees(width, op, key):
                oracle = sorted(pd.read_parquet(path, engine="pyarrow", filters=flt)["rid"].tolist())
                if oracle != want:
                    failures.append((op, key, "pandas", oracle, want))
    assert not failures, failures[:10]


@pytest.mark.parametrize("width", ["float32", "float16"])
def test_issue_example_same_answer_for_every_layout(tmp_path, width):
    """x <op> 0.1 on 0.1-ish floats: no row equals 0.1 itself (float32(0.1) is above it,
    float16(0.1) below), and every layout gives the float64 answer."""
    n = 40
    values = np.array([0.1] * (n // 2) + [0.0, 0.5] * (n // 4), dtype=width)
    table = pa.table({"x": values, "rid": np.arange(n)})
    answers = {}
    for rg, page in [(n, 1 << 20), (10, 1 << 20), (n, 1), (7, 1)]:
        path = tmp_path / f"x-{rg}-{page}.parquet"
        pq.write_table(table, path, row_group_size=rg, data_page_size=page, write_page_index=True)
        for op in ("==", "<=", "<", ">", ">=", "!="):
            got = len(fastpq.read_parquet(path, filters=[("x", op, 0.1)]))
            answers.setdefault(op, set()).add(got)
    wide = values.astype(np.float64)  # the answer of a float64 comparison, once per operator
    assert answers == {"==": {0}, "!=": {n}, "<": {int((wide < 0.1).sum())}, "<=": {int((wide <= 0.1).sum())},
                       ">": {int((wide > 0.1).sum())}, ">=": {int((wide >= 0.1).sum())}}


def test_a_float32_value_written_exactly_matches(tmp_path):
    """The key that is the stored float32 value (as a double) finds it: rows, statistics and pages."""
    table, path = _write(tmp_path, "float32", "pages")
    for key in (F32_TENTH, np.float32(0.1)):
        got = fastpq.read_parquet(path, filters=[("x", "==", key)])
        assert sorted(got["rid"]) == sorted(_want(table, [("x", "==", F32_TENTH)]))
        assert len(got) == 2
