"""Writing row groups and the footer of a file: the steps every writer shares.

* ``write_row_group(f, df, plan, options, offset)``: writes one row group's
  column chunks at ``offset`` of an open file and returns its ``RowGroup``
  metadata plus the page indexes still to be written (``RowGroupResult``);
* ``write_page_indexes``: every ColumnIndex, then every OffsetIndex, after the
  row groups;
* ``file_metadata``: the ``FileMetaData`` of a plan and its row groups;
* ``row_group_starts`` and ``resolve_sorting_columns``: the user's
  ``row_group_offsets`` and ``sorting_columns``, checked.

``ParquetWriter`` (``writer.py``), the appender (``append/appender.py``) and the
dataset writer build on them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .._thrift import ColumnOrder, FileMetaData, RowGroup, SortingColumn, TypeDefinedOrder
from ..column.write.chunk import write_column_chunk
from ..format import thrift_io

CREATED_BY = "fastpq version 0.1.0"
ROW_GROUP_SIZE = 1024 * 1024


@dataclass
class RowGroupResult:
    row_group: RowGroup
    indexes: list          # (ColumnChunk, ColumnIndex or None, OffsetIndex or None) per column chunk
    end: int               # file offset just past the row group


def _encode_column(col, s, options, compress_pool=None, write=None) -> list:
    """Encode one stored column as if at offset 0: [(buffers, ChunkResult) per leaf]. Into
    memory (``buffers``), or, given ``write``, straight through it (``buffers`` stay empty)."""
    from ..frame.write.plan import column_leaves

    opts = options.for_column(col)
    out = []
    for spec, data in zip(col.leaves, column_leaves(col, s)):
        buffers: list = []
        out.append((buffers, write_column_chunk(write or buffers.append, 0, spec, data, opts, compress_pool)))
    return out


_POOL = None
_COMPRESS_POOL = None


def _forget_pools() -> None:
    """In a forked child: the parent's pool threads do not exist there, and a pool that
    believes it has idle workers would queue work that never runs (a hang): start afresh."""
    global _POOL, _COMPRESS_POOL
    _POOL = _COMPRESS_POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def _compress_pool():
    """The shared pool that compresses pages (a pool of its own: column tasks on ``_pool`` wait
    on it, and waiting on their own pool could leave no thread to do the work)."""
    global _COMPRESS_POOL
    if _COMPRESS_POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _COMPRESS_POOL = ThreadPoolExecutor(max(1, min(os.cpu_count() or 1, 8)), thread_name_prefix="fastpq-compress")
    return _COMPRESS_POOL


def _pool():
    """The shared thread pool encoding column chunks in parallel (kernels and numpy
    release the GIL; pandas conversions and the codecs mostly do not)."""
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max(1, min(os.cpu_count() or 1, 8)), thread_name_prefix="fastpq-write")
    return _POOL


def write_row_group(f, df, plan, options, offset: int, sorting=None,
                    threads: bool = True) -> RowGroupResult:
    """Write ``df`` (already sliced to one row group) at file ``offset`` of the open
    binary file ``f`` (positioned there) as one row group of ``plan``.

    Column chunks are encoded into memory in parallel when ``threads`` and there
    are several columns and cores, then written in schema order (memory holds one
    compressed row group); otherwise each page goes to ``f`` as it is made (pages
    still compress on threads), so its buffer is reused for the next instead of
    fresh memory being touched for the whole row group.
    """
    from ..frame.write.check import plan_series

    pairs = list(plan_series(df, plan))
    cores = os.cpu_count() or 1
    parallel = threads and cores > 1
    # pages compress on their own pool only when the columns alone cannot keep the cores busy:
    # with as many columns as cores, the extra threads only contend (50 columns: 1.7 vs 2.1 s)
    pages = _compress_pool() if parallel and len(pairs) < cores else None
    if parallel and len(pairs) > 1:
        futures = [_pool().submit(_encode_column, col, s, options, pages) for col, s in pairs]
        encoded = [fut.result() for fut in futures]
    else:
        encoded = [_encode_column(col, s, options, pages, f.write) for col, s in pairs]
    chunks, indexes = [], []
    pos = offset
    for leaves in encoded:
        for buffers, result in leaves:
            for buf in buffers:
                f.write(buf)
            result.relocate(pos)
            chunks.append(result.chunk)
            indexes.append((result.chunk, result.column_index, result.offset_index))
            pos = result.end
    uncompressed = sum(c.meta_data.total_uncompressed_size for c in chunks)
    rg = RowGroup(columns=chunks, total_byte_size=uncompressed, num_rows=len(df),
                  sorting_columns=sorting or None, file_offset=offset, total_compressed_size=pos - offset)
    return RowGroupResult(rg, indexes, pos)


def write_page_indexes(f, offset: int, results: list) -> int:
    """Write every ColumnIndex, then every OffsetIndex, of ``results`` (RowGroupResults)
    at ``offset``, filling the chunks' index offsets; returns the new offset."""
    for slot in (1, 2):
        for result in results:
            for chunk, *index in result.indexes:
                obj = index[slot - 1]
                if obj is None:
                    continue
                raw = thrift_io.encode(obj)
                f.write(raw)
                if slot == 1:
                    chunk.column_index_offset, chunk.column_index_length = offset, len(raw)
                else:
                    chunk.offset_index_offset, chunk.offset_index_length = offset, len(raw)
                offset += len(raw)
    return offset


def file_metadata(plan, row_groups: list, num_rows: int, custom_metadata=None) -> FileMetaData:
    n_leaves = sum(len(c.leaves) for c in plan.columns)
    return FileMetaData(version=2, schema=plan.schema, num_rows=num_rows, row_groups=row_groups,
                        key_value_metadata=plan.key_value_metadata(num_rows, custom_metadata),
                        created_by=CREATED_BY,
                        column_orders=[ColumnOrder(TYPE_ORDER=TypeDefinedOrder()) for _ in range(n_leaves)])


def resolve_sorting_columns(plan, spec) -> list | None:
    """SortingColumns from names, (name, 'descending'|bool) pairs, dicts or objects with
    ``column_index`` / ``descending`` / ``nulls_first`` (pyarrow's SortingColumn)."""
    if not spec:
        return None
    leaf_index, i = {}, 0
    for col in plan.columns:
        for leaf in col.leaves:
            leaf_index.setdefault(col.field_name, i)
            leaf_index.setdefault(".".join(leaf.path), i)
            if col.label is not None:
                leaf_index.setdefault(col.label, i)
            i += 1
    out = []
    for item in spec:
        if hasattr(item, "column_index"):
            out.append(SortingColumn(item.column_index, bool(item.descending), bool(item.nulls_first)))
            continue
        desc, nulls_first = False, False
        if isinstance(item, dict):
            name, desc, nulls_first = item["column"], item.get("descending", False), item.get("nulls_first", False)
        elif isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[1], (str, bool)):
            name, desc = item[0], item[1] in ("descending", True)
            nulls_first = bool(item[2]) if len(item) == 3 else False
        else:
            name = item
        if name not in leaf_index:
            raise ValueError(f"sorting column {name!r} is not a column of the file")
        out.append(SortingColumn(column_idx=leaf_index[name], descending=bool(desc), nulls_first=bool(nulls_first)))
    return out


def row_group_starts(n_rows: int, row_group_offsets) -> list:
    """Start rows of the row groups of an ``n_rows`` frame."""
    if row_group_offsets is None:
        row_group_offsets = ROW_GROUP_SIZE
    if isinstance(row_group_offsets, int) and not isinstance(row_group_offsets, bool):
        if row_group_offsets <= 0:
            raise ValueError(f"row_group_offsets must be a positive int or a list of offsets, not {row_group_offsets}")
        return list(range(0, n_rows, row_group_offsets)) or [0]
    starts = [int(x) for x in row_group_offsets]
    if not starts or starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:])) or starts[-1] > max(n_rows - 1, 0):
        raise ValueError(f"row_group_offsets must start at 0 and increase within the {n_rows} rows, got {starts}")
    return starts
