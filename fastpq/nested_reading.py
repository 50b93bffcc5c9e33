"""Reading one nested top-level field (a group, or a leaf with repetition) of a file.

Every leaf column of the field is decoded chunk by chunk on the reader's pool
(``fastpq.column.nested.NestedLeaf``: levels -> offsets / validity, values
spaced to leaf slots); the leaves of each row group are checked to agree on the
structure they share; then ``fastpq.frame.nested`` builds the Python objects.
INT96 leaves are read again at a coarser unit when a value does not fit
nanoseconds, as flat INT96 columns are.
"""
from __future__ import annotations

import numpy as np

from .column.nested import Int96Overflow, NestedLeaf, check_chunk, shape_of
from .column.reader import chunk_ref
from .errors import CorruptFileError, PrecisionError
from .format.pages import ChunkTooShort
from .format.arrow_types import match_fields
from .frame.nested import nested_to_objects
from .frame.nested_arrow import nested_to_arrow
from ._thrift import Type

_INT96_UNITS = ["ns", "us", "ms", "s"]


def read_nested_field(pf, node, rgs, starts, n_rows, pool, verify, dtype_backend=None):
    """Object array (one entry per selected row) of the nested field ``node``.

    ``dtype_backend``: "pyarrow" gives an ArrowDtype column (fastpq.frame.nested_arrow);
    the other backends give Python objects (pandas.read_parquet converts nested
    values the same way under the default and "numpy_nullable").
    """
    shape = shape_of(node)
    leaves = list(node.leaves())
    cols = {leaf: NestedLeaf(leaf, len(rgs)) for leaf in leaves if leaf.physical_type != Type.INT96}
    _decode(pf, list(cols.values()), rgs, starts, pool, verify)
    for leaf in leaves:
        if leaf.physical_type == Type.INT96:
            cols[leaf] = _int96_leaf(pf, leaf, rgs, starts, pool, verify)
    for k, i in enumerate(rgs):
        check_chunk(shape, {leaf: col.chunks[k] for leaf, col in cols.items()}, dict(path=pf.path, row_group=i))
    data = {leaf: col.result() for leaf, col in cols.items()}
    chunk_rows = [int(starts[k + 1] - starts[k]) for k in range(len(rgs))]
    origin = match_fields(pf.arrow_schema, pf.schema.names).get(node.name)
    if dtype_backend == "pyarrow":
        out = nested_to_arrow(shape, data, origin)
    else:
        out = nested_to_objects(shape, data, chunk_rows, origin)
    if len(out) != n_rows:  # every leaf's row count was checked per chunk
        raise CorruptFileError(f"nested column {node.name!r} gave {len(out)} rows for {n_rows}", path=pf.path)
    return out


def _int96_leaf(pf, leaf, rgs, starts, pool, verify):
    """An INT96 leaf at the finest unit that holds every value exactly (as flat columns are read)."""
    for unit in range(len(_INT96_UNITS)):
        col = NestedLeaf(leaf, len(rgs), int96_unit=unit, int96_check_exact=True)
        try:
            _decode(pf, [col], rgs, starts, pool, verify)
        except Int96Overflow:
            continue
        if not col.int96_overflowed:
            break
    else:
        raise PrecisionError(f"column {'.'.join(leaf.path)} of {pf.path}: INT96 timestamps outside the range "
                             "of datetime64[s]")
    if col.int96_inexact:
        raise PrecisionError(f"column {'.'.join(leaf.path)} of {pf.path}: INT96 timestamps span beyond "
                             f"datetime64[{_INT96_UNITS[unit - 1]}] and carry digits below {_INT96_UNITS[unit]}: "
                             "no datetime64 unit holds them all exactly")
    return col


def _decode(pf, cols, rgs, starts, pool, verify):
    """Decode every (leaf, row group) chunk of ``cols`` on the pool."""
    data_end = pf.file_size - pf.footer_size - 8
    row_groups = pf.metadata.row_groups

    def task(job):
        col, k = job
        leaf = col.leaf
        i = rgs[k]
        rg = row_groups[i]
        if len(rg.columns) <= leaf.column_index:
            raise CorruptFileError(f"row group has {len(rg.columns)} column chunks, the schema has more",
                                   path=pf.path, row_group=i)
        n = int(starts[k + 1] - starts[k])
        chunk = rg.columns[leaf.column_index]
        if n == 0 and chunk.meta_data is not None and chunk.meta_data.num_values == 0:
            return  # an empty row group: some writers leave its offsets at 0
        ref = chunk_ref(chunk, leaf, i, int(starts[k]), n, data_end, pf.path)
        data = np.frombuffer(pf.source.read_range(ref.start, ref.length), np.uint8)
        try:
            col.read_chunk(data, ref, k, pf.path, verify_crc=verify)
        except ChunkTooShort:
            # total_compressed_size understated by old writers: the page headers say where pages end
            if ref.length >= data_end - ref.start:
                raise
            ref.length = data_end - ref.start
            data = np.frombuffer(pf.source.read_range(ref.start, ref.length), np.uint8)
            col.read_chunk(data, ref, k, pf.path, verify_crc=verify)

    list(pool.map(task, [(col, k) for col in cols for k in range(len(rgs))]))
