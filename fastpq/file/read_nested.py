"""Reading one nested top-level field (a group, or a leaf with repetition) of a file.

Every leaf column of the field is decoded chunk by chunk on the reader's pool
(``fastpq.column.read.nested.NestedLeaf``: levels -> offsets / validity, values
spaced to leaf slots); the leaves of each row group are checked to agree on the
structure they share; then ``fastpq.frame.read.nested`` builds the Python objects.
INT96 leaves are read again at a coarser unit when a value does not fit
nanoseconds, as flat INT96 columns are.
"""
from __future__ import annotations

from ..column.read.chunk import INT96_UNITS, decode_chunks
from ..column.read.nested import Int96Overflow, NestedLeaf, check_chunk, shape_of
from ..errors import CorruptFileError, PrecisionError
from ..format.arrow_types import match_fields
from ..frame.read.nested import nested_to_objects
from ..frame.read.nested_arrow import nested_to_arrow
from ..options import Budget
from .._thrift import Type


def read_nested_field(pf, node, rgs, starts, n_rows, pool, verify, dtype_backend=None, budget=None):
    """Object array (one entry per selected row) of the nested field ``node``.

    ``dtype_backend``: "pyarrow" gives an ArrowDtype column (fastpq.frame.read.nested_arrow);
    the other backends give Python objects (pandas.read_parquet converts nested
    values the same way under the default and "numpy_nullable").
    ``budget``: the read's ``fastpq.options.Budget`` (default: a new one).
    """
    budget = Budget(path=pf.path) if budget is None else budget
    shape = shape_of(node)
    leaves = list(node.leaves())
    cols = {leaf: NestedLeaf(leaf, len(rgs), budget=budget) for leaf in leaves if leaf.physical_type != Type.INT96}
    decode_chunks(pf, list(cols.values()), rgs, starts, pool, verify)
    for leaf in leaves:
        if leaf.physical_type == Type.INT96:
            cols[leaf] = _int96_leaf(pf, leaf, rgs, starts, pool, verify, budget)
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


def _int96_leaf(pf, leaf, rgs, starts, pool, verify, budget):
    """An INT96 leaf at the finest unit that holds every value exactly (as flat columns are read)."""
    for unit in range(len(INT96_UNITS)):
        col = NestedLeaf(leaf, len(rgs), int96_unit=unit, int96_check_exact=True, budget=budget)
        try:
            decode_chunks(pf, [col], rgs, starts, pool, verify)
        except Int96Overflow:
            col.discard()  # read again at the next unit: its charges go back
            continue
        if not col.int96_overflowed:
            break
        col.discard()
    else:
        raise PrecisionError(f"column {'.'.join(leaf.path)} of {pf.path}: INT96 timestamps outside the range "
                             "of datetime64[s]")
    if col.int96_inexact:
        raise PrecisionError(f"column {'.'.join(leaf.path)} of {pf.path}: INT96 timestamps span beyond "
                             f"datetime64[{INT96_UNITS[unit - 1]}] and carry digits below {INT96_UNITS[unit]}: "
                             "no datetime64 unit holds them all exactly")
    return col
