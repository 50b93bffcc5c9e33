"""Reading with the page index: which row groups it narrows, and reading those column by
column over the pages that hold the candidate rows (see fastpq.file.page_filter for the index
itself and the virtual files that read a page subset through the ordinary reader).

Filtered columns are read first, over the pages holding the candidate rows R; they give
the exact matching rows M; every other column is read only over the pages holding M.
"""
from __future__ import annotations

import numpy as np

from ..frame.read import combine, filters as F
from ..frame.read.assemble import PandasMeta
from ..frame.read.rows import dnf_mask
from . import page_filter as P


def page_selections(pf, rgs, groups, fields, data, index) -> dict:
    """{row group: (candidate row ranges, {column index: page_rows()})} for the row groups whose
    page index narrows what to read (fastpq.file.page_filter)."""
    from .read import select_fields

    filtered = [pf.schema.field(n) for n in dict.fromkeys(b.column for g in groups for b in g)]
    filtered = [n for n in filtered if n.is_leaf and n.max_rep == 0]
    if not filtered:
        return {}
    wanted = [n for n in data if n in pf.schema.names]
    names, idx = select_fields(pf, PandasMeta(pf.pandas_metadata), wanted, index)
    nodes = [pf.schema.field(n) for n in dict.fromkeys(idx + names + [f.name for f in filtered])]
    nodes = [n for n in nodes if n.is_leaf and n.max_rep == 0]
    indexes = P.load_indexes(pf, rgs, nodes, filtered)
    out = {}
    for k in rgs:
        rg = pf.metadata.row_groups[k]
        n_rows = int(rg.num_rows)
        pages, info = {}, {}
        for node in nodes:
            oi = indexes.get((k, node.column_index, "oi"))
            got = P.page_rows(oi, n_rows, rg.columns[node.column_index]) if oi is not None else None
            if got is not None:
                pages[node.column_index] = got
        for node in filtered:
            ci = indexes.get((k, node.column_index, "ci"))
            if ci is None or node.column_index not in pages:
                continue
            sig = fields[node.name].sig
            summaries = P.page_summaries(ci, pages[node.column_index], node, F.kind_of(sig), sig[0] == "float",
                                         sig[1] if sig[0] == "duration" else None)
            if summaries is not None:
                info[node.name] = (pages[node.column_index], summaries)
        if info:
            ranges = P.candidate_ranges(groups, n_rows, info)
            if ranges != [(0, n_rows)]:
                out[k] = (ranges, pages)
    return out


def read_pages(pf, k, ranges, pages, names, index_fields, groups, options, meta):
    """Row group ``k`` read column by column over the pages that hold the candidate rows
    (fastpq.file.page_filter): filtered columns first, the others only where rows matched."""
    rows = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in ranges] or [np.zeros(0, np.int64)])
    values = {}
    if groups:
        for name in dict.fromkeys(b.column for g in groups for b in g):
            values[name] = column_rows(pf, k, name, rows, pages, options)
        mask = dnf_mask(groups, values, len(rows))
        rows = rows[mask]
        values = {n: (s[mask].reset_index(drop=True), None if v is None else v[mask]) for n, (s, v) in values.items()}
    cols = {}
    for name in dict.fromkeys(index_fields + names):
        cols[name] = values[name][0] if name in values else column_rows(pf, k, name, rows, pages, options)[0]
    df = combine.frame_of([cols[n] for n in names], len(rows))
    if names:
        df.columns = names
    if index_fields:
        df.index = combine.stored_index([cols[f] for f in index_fields],
                                        [meta.original_name(f) for f in index_fields])
    return df


def column_rows(pf, k, name, rows, pages, options):
    """(Series of column ``name`` at the sorted absolute ``rows`` of row group ``k``, validity)."""
    from .read import read_file

    node = pf.schema.field(name)
    pg = pages.get(node.column_index) if node.is_leaf and node.max_rep == 0 else None
    if len(rows) == 0:
        src, rgs, pos = pf, [], rows
    elif pg is not None:
        selected = P.pages_with(rows, pg)
        src, rgs, pos = P.column_file(pf, k, node, selected, pg), [0], P.row_positions(rows, selected)
    else:
        src, rgs, pos = pf, [k], rows
    masks = {}
    df = read_file(src, columns=[name], row_groups=rgs, index=False, categories=options.get("categories"),
                   dtype_backend=options.get("dtype_backend"), use_threads=False,
                   verify_checksums=options.get("verify_checksums", False),
                   coerce_int96_timestamp_unit=options.get("coerce_int96_timestamp_unit"), masks=masks)
    s = df.iloc[:, 0]
    if len(pos) != len(s) or (len(pos) and pos[-1] != len(pos) - 1):
        s = s.iloc[pos]
    s = s.reset_index(drop=True)
    if name not in masks:  # nested: nulls as pandas sees them
        return s, ~s.isna().to_numpy()
    valid = masks[name]
    return s, None if valid is None else valid[pos].astype(bool)
