"""Dtypes that the values of a column decide (pandas' rules as fastpq applies them), decided
for a planned read from the footers' statistics where they can be: what
``fastpq.dask.read_parquet`` gives its meta (docs/datasets.md, "dask"). No pandas: dtypes are
returned as numpy names; ``READ`` where only the values can tell (the caller reads them)."""
from __future__ import annotations

import numpy as np

from ..format.schema import Type
from ..format.statistics import bounds_raw
from .footers import ChunkTable

READ = object()   # by_statistics: the values decide the dtype, statistics cannot: read them
_EXACT_FLOAT_INT = 1 << 53
_DATE_DAYS = (-719162, 2932896)  # datetime.date's years 1..9999 in days from 1970-01-01


def by_statistics(ds, files, name, dtype, backend, tables):
    """The dtype of column ``name`` over ``files`` where its values decide it: a dtype, None
    (the empty read's ``dtype`` holds) or ``READ`` (statistics cannot tell)."""
    if not files:
        return None
    nodes = [ds.file(i).schema.field(name) if name in ds.file(i).schema.names else None for i in files]
    node = next((n for n in nodes if n is not None), None)
    if node is None or not node.is_leaf or node.max_rep:
        return None
    kind, unit = node.logical.kind, node.logical.unit
    if node.physical_type == Type.INT96:
        return READ   # the unit is the finest the values fit (no trusted statistics)
    if backend == "pyarrow":
        return None
    if kind == "time" and unit == "ns":
        return READ   # datetime.time, or timedelta64[ns] where a value has nanoseconds
    if kind == "date":
        bounds = _bounds(ds, files, name, tables)
        return READ if bounds is None or bounds[0] < _DATE_DAYS[0] or bounds[1] > _DATE_DAYS[1] else None
    if backend is not None or not (isinstance(dtype, np.dtype) and dtype.kind in "iub"):
        return None
    nulls = _may_hold_nulls(ds, files, name, tables)
    if nulls is None:
        return READ
    if not nulls:
        return None
    if dtype.kind == "b":
        return "object"
    if dtype.itemsize < 8 and dtype != np.uint32:
        return "float64"
    bounds = _bounds(ds, files, name, tables)
    if bounds is None:
        return READ
    return "float64" if -_EXACT_FLOAT_INT <= bounds[0] and bounds[1] <= _EXACT_FLOAT_INT else READ


def _bounds(ds, files, name, tables):
    """(min, max) of an INT32 / INT64 column over every row group of ``files`` from trusted
    statistics, as ints; None when a chunk with values has none."""

    lo = hi = None
    for i in files:
        pf = ds.file(i)
        if name not in pf.schema.names:
            continue
        node = pf.schema.field(name)
        orders = pf.metadata.column_orders or []
        order = orders[node.column_index] if node.column_index < len(orders) else None
        table = tables[i] if i in tables else tables.setdefault(i, ChunkTable(pf))
        width = 4 if node.physical_type == Type.INT32 else 8
        signed = not (node.logical.kind == "int" and node.logical.signed is False)
        for k in range(pf.num_row_groups):
            found = table.statistics(k, node.column_index)
            if found is None or found[0] is None:
                if found is not None and found[1] == 0:
                    continue
                return None
            raw = bounds_raw(found[0], node, order)
            if raw[0] is None or raw[1] is None or len(raw[0]) != width or len(raw[1]) != width:
                if found[0].null_count is not None and found[0].null_count == found[1]:
                    continue   # only nulls
                return None
            a, b = (int.from_bytes(r, "little", signed=signed) for r in raw)
            lo, hi = (a, b) if lo is None else (min(lo, a), max(hi, b))
    return (lo, hi) if lo is not None else (0, 0)


def _may_hold_nulls(ds, files, name, tables):
    """Whether any row group of ``files`` holds a null in column ``name`` per statistics (a
    file without the column holds only nulls): True, False, or None when statistics cannot tell."""

    for i in files:
        pf = ds.file(i)
        if not pf.num_rows:
            continue   # no rows, no nulls
        if name not in pf.schema.names:
            return True
        node = pf.schema.field(name)
        if not node.optional:
            continue
        table = tables[i] if i in tables else tables.setdefault(i, ChunkTable(pf))
        free = table.null_free(node.column_index)
        if free:
            continue
        for k in range(pf.num_row_groups):
            found = table.statistics(k, node.column_index)
            stats = found[0] if found else None
            if stats is None or stats.null_count is None:
                return None
            if stats.null_count > 0:
                return True
    return False
