"""Reading a selection of one file's columns and row groups into a DataFrame.

The plan: pick the top-level fields (requested columns plus index columns from
pandas metadata), the row groups, and the output slot of each row group's
first row; allocate every column's output once; decode every (column, row
group) chunk on a thread pool straight into its slice; then hand the buffers
to the pandas layer. Two rare cases re-read one column: INT96 values that do
not fit nanoseconds (read again at a coarser unit) and categoricals whose
chunks are not entirely dictionary-encoded (read as values, then factorised).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..column.read.chunk import INT96_UNITS, ChunkBuffers, decode_chunk, decode_chunks, row_group_block
from ..column.read.decoders import CodesTooNarrow
from ..column.read.flat import FlatColumn, Int96Overflow, NotDictionaryEncoded
from ..errors import CorruptFileError, PrecisionError, UnsupportedFeatureError
from ..format.arrow_types import column_type, match_fields
from ..format.footer import row_group_position
from ..format.thrift_io import paused_gc
from ..frame.read import arrays, assemble
from ..frame.read.dtypes import check_dtype_backend
from ..options import Budget


def read_file(pf, columns=None, row_groups=None, index=None, categories=None, dtype_backend=None,
              use_threads=True, verify_checksums=False, coerce_int96_timestamp_unit=None, limit=None, masks=None,
              arrays_only=False):
    """``limit``: keep only the first ``limit`` rows of the selection (``head``): the last
    chunk of each flat column stops decoding after the page that reaches them.

    ``masks``: a dict to receive, for each flat field read, its validity as decoded
    (uint8 per row, 1 = not null; None when no value is null, e.g. a required column). The dataset layer's
    row filters need it: pandas' NaN cannot tell a stored NaN from a null.

    ``arrays_only``: return ({field: pandas-ready array}, rows) instead of a DataFrame
    (the dataset layer combines many files' columns: building a frame per file cost
    about a third of reading 1,000 small files).

    What the read decodes is charged to one ``fastpq.options.Budget``
    (``fastpq.options.max_decoded_bytes``) before it is allocated.

    The cyclic garbage collector is paused for the read (``paused_gc``): a read of many small
    chunks makes objects by the hundred thousand (pages, headers, slices), none in a cycle, and
    the collector's passes over them cost a fifth of the read (2,000 row groups x 4 columns:
    0.56 s -> 0.45 s of CPU).
    """
    check_dtype_backend(dtype_backend)
    with paused_gc():
        return _read_file(pf, columns, row_groups, index, categories, dtype_backend, use_threads, verify_checksums,
                          coerce_int96_timestamp_unit, limit, masks, arrays_only)


def _read_file(pf, columns, row_groups, index, categories, dtype_backend, use_threads, verify_checksums,
               coerce_int96_timestamp_unit, limit, masks, arrays_only):
    meta = assemble.PandasMeta(pf.pandas_metadata)  # checked (or dropped with a warning) by ParquetFile
    names, index_fields = select_fields(pf, meta, columns, index)
    rgs = list(range(pf.num_row_groups)) if row_groups is None else [row_group_position(i, pf.num_row_groups) for i in row_groups]
    counts = pf.metadata.row_groups.num_rows
    starts = np.concatenate([[0], np.cumsum([int(counts[i]) for i in rgs])]).astype(np.int64)
    n_rows = int(starts[-1])
    if n_rows < 0 or (starts[1:] < starts[:-1]).any():  # row counts that overflow int64 when added up
        raise CorruptFileError(f"the row groups read claim {n_rows:,} rows", path=pf.path)
    wanted = list(dict.fromkeys(index_fields + names))
    ctypes = _column_types(pf, wanted)
    cat_fields = _categorical_fields(categories, meta, wanted, ctypes)
    plan = _Plan(rgs, starts, n_rows, limit, verify_checksums, coerce_int96_timestamp_unit, dtype_backend, meta,
                 Budget(path=pf.path))
    workers = _workers(use_threads) if _worth_threads(n_rows, len(wanted), len(rgs)) else 1
    with pf.reading(), ThreadPoolExecutor(workers) if workers > 1 else _Inline() as pool:  # fastpq.io: one check
        flat = _decode_flat_fields(pf, wanted, cat_fields, plan, pool)
        arrays = {}
        for name in wanted:
            node = pf.schema.field(name)
            arrays[name] = _read_field(pf, node, plan, name in cat_fields, pool, ctypes.get(name), flat.get(name),
                                       masks)
    n_out = n_rows if limit is None else min(n_rows, limit)
    if arrays_only:
        return arrays, n_out
    df = assemble.build_frame(arrays, names, meta, index_fields, n_out, from_start=rgs == list(range(len(rgs))),
                                head=limit is not None)
    if any(pf.schema.field(k).key != pf.schema.field(k).name for k in names):  # names two fields share
        df.columns = [pf.schema.field(k).name if pf.schema.field(k).key != pf.schema.field(k).name else label
                      for k, label in zip(names, df.columns)]
    return df


class _Plan:
    """What every column of one read shares: row groups, output slots and options."""

    def __init__(self, rgs, starts, n_rows, limit, verify, int96_unit, dtype_backend, meta, budget):
        self.rgs = rgs
        self.starts = starts
        self.n_rows = n_rows
        self.limit = limit
        self.verify = verify
        self.int96_unit = int96_unit
        self.dtype_backend = dtype_backend
        self.meta = meta
        self.budget = budget  # what the read may still decode (fastpq.options)


def _column_types(pf, wanted) -> dict:
    """{flat field: its Arrow type}: Parquet types refined by ARROW:schema (fastpq.format.arrow_types)."""
    origins = match_fields(pf.arrow_schema, pf.schema.names)
    out = {}
    for name in wanted:
        node = pf.schema.field(name)
        if _is_flat(node):
            out[name] = column_type(node, origins.get(name))
    return out


def select_fields(pf, meta, columns, index):
    """(data column fields, index fields) to read, in output order."""
    all_names = pf.schema.keys
    if index is None:
        index_fields = [f for f in meta.index_columns if f in all_names]
    elif index is False:
        index_fields = []
    else:
        index_fields = [_field_of(pf, meta, c) for c in ([index] if isinstance(index, (str, int)) else index)]
    if columns is None:
        names = [n for n in all_names if n not in index_fields]
    else:
        if isinstance(columns, str):
            columns = [columns]
        names = [key for c in columns for key in _fields_of(pf, meta, c)]
    return names, index_fields


def _fields_of(pf, meta, column) -> list:
    """The keys of ``column``: every field of that name when fields share it (all of them are read,
    each from its own position, under the same label), else the one field."""
    if isinstance(column, str) and column in pf.schema.keys and column not in pf.schema.names:
        return [column]        # one field of a shared name, by its key (a dataset's combined schema names it)
    shared = pf.schema.keys_named(column) if isinstance(column, str) else []
    return shared if len(shared) > 1 else [_field_of(pf, meta, column)]


def _field_of(pf, meta, column) -> str:
    names = pf.schema.names
    if isinstance(column, str) and column in names:
        return column
    for field in names:
        if meta.original_name(field) == column and (field in meta.columns):
            return field
    raise ValueError(f"column {column!r} is not in {pf.path}; its columns are {names}")


# Reads of fewer values (rows x columns) than this decode in the calling thread: their chunks are
# small, the work per chunk is mostly Python (page headers, dispatch), and a pool only adds
# start-up and GIL hand-offs (201 row groups x 6 columns, 1,000 rows: 82 ms on 2 threads, 61 inline).
SMALL_READ_VALUES = 1_000_000
# Chunks of fewer rows than this (on average over the row groups read) decode in the calling
# thread too, however many there are: their work is Python (page headers, dispatch) and threads
# only fight over the GIL. 2M rows x 4 columns, inline vs 2 threads: row groups of 1,000 rows
# 0.73 s vs 1.15 s; 5,000 rows 0.27 vs 0.24; 20,000 rows 0.14 vs 0.15.
SMALL_CHUNK_ROWS = 8192


def _worth_threads(n_rows: int, n_fields: int, n_row_groups: int) -> bool:
    """Whether a read is worth a thread pool: enough values overall, and chunks large enough."""
    return n_rows * n_fields >= SMALL_READ_VALUES and n_rows >= SMALL_CHUNK_ROWS * max(n_row_groups, 1)


def _workers(use_threads) -> int:
    if use_threads is False:
        return 1
    if isinstance(use_threads, int) and not isinstance(use_threads, bool):
        return max(1, use_threads)
    return os.cpu_count() or 1


class _Inline:
    """A stand-in executor that runs tasks in the calling thread."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, items):
        return [fn(x) for x in items]


def _categorical_fields(categories, meta, wanted, ctypes) -> set:
    """Fields read as categoricals: those pandas metadata or a stored Arrow dictionary type
    say are, or exactly those ``categories`` names."""
    if categories is None:
        return {f for f in wanted if meta.is_categorical(f)
                or (f in ctypes and ctypes[f].dictionary is not None)}
    if isinstance(categories, str):
        return {categories}
    return set(categories)


def _is_flat(node) -> bool:
    return node.is_leaf and node.max_rep == 0


def _decode_flat_fields(pf, wanted, cat_fields, plan, pool) -> dict:
    """First pass over every flat field at once: all (column, row group) chunks share the pool.

    Columns that need a second look (INT96 beyond ns, categoricals with plain
    pages) are left out of the result and re-read by ``_read_flat``.
    """
    cols = {}
    int96_unit = plan.int96_unit
    for name in wanted:
        node = pf.schema.field(name)
        if _is_flat(node):
            unit = 0 if int96_unit is None else _INT96_UNIT_CODES[int96_unit]
            cols[name] = FlatColumn(node, plan.n_rows, len(plan.rgs), as_codes=name in cat_fields, int96_unit=unit,
                                    int96_check_exact=int96_unit is None, limit=plan.limit,
                                    codes_dtype=_codes_dtype(plan, name), budget=plan.budget)
    retry = set()
    buffers = ChunkBuffers()

    def task(item, block=None):
        name, k = item
        try:
            decode_chunk(pf, cols[name], plan.rgs, plan.starts, k, plan.verify, buffers, block)
        except (NotDictionaryEncoded, Int96Overflow, CodesTooNarrow):
            retry.add(name)

    if isinstance(pool, _Inline) and plan.limit is None:  # row group by row group, one read for its chunks
        for k, i in enumerate(plan.rgs):
            block = row_group_block(pf, list(cols.values()), i, buffers)
            try:
                for name in cols:
                    task((name, k), block)
            finally:
                if block is not None:
                    buffers.give(block.buf)
    else:
        list(pool.map(task, [(name, k) for name in cols for k in range(len(plan.rgs))]))
    done = {}
    for name, col in cols.items():
        if name not in retry and not col.int96_overflowed and not _inexact(col):
            done[name] = col
        else:
            col.discard()
    return done


def _codes_dtype(plan, name: str):
    """Integer type categorical codes are decoded into: the one pandas will keep for the number
    of categories pandas metadata gives (int16 without it), so no wider copy is ever alive
    (10M rows: 20 MB of int16 instead of 40 MB of int32 plus the narrowed copy). int32 under
    dtype_backend='pyarrow' (dictionary indices), and when a dictionary turns out larger
    (``CodesTooNarrow``: the column is read again)."""
    if plan.dtype_backend == "pyarrow":
        return np.int32
    n = plan.meta.num_categories(name)
    return arrays.codes_dtype(n) if n is not None else np.int16


def _inexact(col) -> bool:
    return col.buffer is not None and col.buffer.kind == "int96" and col.buffer.inexact


def _read_field(pf, node, plan, as_codes, pool, ctype=None, col=None, masks=None):
    meta, dtype_backend = plan.meta, plan.dtype_backend
    if next(node.leaves(), None) is None:  # a group without leaf columns (parquet-go): all null, as pyarrow
        n = plan.n_rows if plan.limit is None else min(plan.n_rows, plan.limit)
        if dtype_backend == "pyarrow":
            from ..frame.read.nested_arrow import leafless_to_arrow
            return leafless_to_arrow(node, n)
        return np.full(n, None, dtype=object)
    if not _is_flat(node):
        array = _read_nested(pf, node, plan, pool, dtype_backend)
        array = array if plan.limit is None else array[:plan.limit]
        return assemble.apply_column_dtype(array, node.name, meta, dtype_backend)  # interval[S, C]
    if col is None:
        col = _read_flat(pf, node, plan, as_codes, pool)
    if masks is not None:
        masks[node.name] = col.valid
    if dtype_backend is None and meta.numpy_type(node.name) in assemble.NULLABLE_NUMPY_TYPES:
        dtype_backend = "numpy_nullable"  # the frame was written with a nullable dtype: build it directly
    ordered = meta.ordered(node.name) or bool(ctype is not None and ctype.dictionary and ctype.dictionary.ordered)
    array = arrays.column_array(col.decoded(), dtype_backend=dtype_backend, tz=meta.timezone(node.name),
                                ctype=ctype, ordered=ordered)
    if as_codes and not col.as_codes:
        array = arrays.categorize(array, ordered, dtype_backend, ctype, node)
    elif not col.as_codes:
        array = assemble.apply_column_dtype(array, node.name, meta, dtype_backend)
    return array


def _read_nested(pf, node, plan, pool, dtype_backend):
    try:
        from .read_nested import read_nested_field
    except ImportError:
        raise UnsupportedFeatureError(f"nested column {node.name!r}: reading nested columns is not supported yet") from None
    return read_nested_field(pf, node, plan.rgs, plan.starts, plan.n_rows, pool, plan.verify, dtype_backend,
                             plan.budget)


def _read_flat(pf, node, plan, as_codes, pool):
    """Decode one flat column; INT96 goes to the finest unit that holds every value exactly."""
    auto = plan.int96_unit is None
    unit = 0 if auto else _INT96_UNIT_CODES[plan.int96_unit]
    codes_dtype = _codes_dtype(plan, node.name)
    while True:
        col = FlatColumn(node, plan.n_rows, len(plan.rgs), as_codes=as_codes, int96_unit=unit,
                         int96_check_exact=auto, limit=plan.limit, codes_dtype=codes_dtype, budget=plan.budget)
        try:
            decode_chunks(pf, [col], plan.rgs, plan.starts, pool, plan.verify)
        except NotDictionaryEncoded:
            col.discard()  # read again: its charges go back
            as_codes = False
            continue
        except CodesTooNarrow:
            col.discard()
            codes_dtype = np.int32
            continue
        except Int96Overflow:
            pass
        else:
            if not col.int96_overflowed:
                break
        col.discard()
        if not auto or unit == 3:
            raise PrecisionError(f"column {node.name!r} of {pf.path}: INT96 timestamps outside the range of "
                                 f"datetime64[{INT96_UNITS[unit]}]")
        unit += 1
    if col.buffer is not None and col.buffer.kind == "int96" and col.buffer.inexact:
        raise PrecisionError(
            f"column {node.name!r} of {pf.path}: INT96 timestamps span beyond datetime64[{INT96_UNITS[unit - 1]}] "
            f"and carry digits below {INT96_UNITS[unit]}: no pandas datetime64 unit holds them all exactly. "
            f"Pass coerce_int96_timestamp_unit='{INT96_UNITS[unit]}' to accept truncation.")
    return col


_INT96_UNIT_CODES = {u: i for i, u in enumerate(INT96_UNITS)}


