"""``fastpq.compact``: rewrite one local Parquet file of many small row groups into one of
large row groups, atomically.

Many appends leave many small row groups (each append adds at least one), and
row groups removed by ``fastpq.remove_row_groups`` leave dead bytes: reads then
pay per row group. ``compact_file`` decodes the file's rows (``ParquetFile``)
and writes them again with the file's own write plan (``plan_for``, as an
append does) through ``ParquetWriter`` and its ``AtomicTarget``: a temporary
file beside the target, fsynced, renamed over it, mode and owner kept. Killed
anywhere, the path holds the old file or the new one, never a broken one (a
left-over temporary file goes at the next write or ``fastpq.repair``).

Rules chosen (docs/files.md, "Compacting"):

* the file is locked (``flock``, as appends are) for the whole rewrite and a
  journal a crash left is recovered first: an append waiting meanwhile lands
  in the new file, never in the replaced one;
* values are decoded Arrow-backed (NaN and null stay apart, integers with
  nulls stay integers), categoricals as pandas categoricals where the file's
  plan has them, time zones converted to the plan's (the same instants);
* same schema (checked: the new footer's schema elements describe the pages
  as the old ones do, ``_same_schema``; the old elements are written back),
  else UnsupportedFeatureError and the file is left as it is; the same
  key-value metadata, byte for byte (pandas metadata, ``ARROW:schema``, custom
  keys), the same rows in the same order; ``created_by`` is fastpq's (fastpq
  wrote the pages);
* write options from the file: the codec of each column's first chunk
  (default levels: a level is not stored in the file), a page index if the
  first row group had one; dictionary, statistics and page size are fastpq's
  defaults; ``sorting_columns`` are dropped (rows of several sorted row groups
  are not sorted as one);
* each new row group of ``row_group_size`` rows (default 1,048,576) decodes
  the old row groups that hold its rows: memory is bounded by about one new
  row group plus one old one.
"""
from __future__ import annotations

from ..errors import UnsupportedFeatureError
from ..file.options import WriteOptions, as_int
from ..file.reader import ParquetFile
from ..file.rowgroup import ROW_GROUP_SIZE, file_metadata, write_page_indexes
from ..file.writer import ParquetWriter
from ..format.compression import codec_name
from ..format.footer import footer_bytes
from . import appender
from .schema import plan_for


def compact_file(path, row_group_size=None, storage_options=None) -> None:
    """Rewrite the local Parquet file ``path`` into row groups of ``row_group_size`` rows
    (module docstring)."""
    size = ROW_GROUP_SIZE if row_group_size is None else as_int(row_group_size)
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError(f"row_group_size must be a positive int, not {row_group_size!r}")
    with appender.locked_file(path, storage_options, "compact") as (path, _fd, _f):
        with ParquetFile(path) as pf:
            _rewrite(pf, path, size)


def _rewrite(pf: ParquetFile, path: str, size: int) -> None:
    old = pf.metadata
    plan = plan_for(old, path)
    writer = ParquetWriter.open(path, plan, _options_of(pf, plan))
    try:
        for start, stop in _spans(pf.num_rows, size):
            writer.write(_rows(pf, plan, start, stop), row_group_offsets=[0])
        writer.offset = write_page_indexes(writer._target.f, writer.offset, writer.results)
        fmd = file_metadata(plan, [r.row_group for r in writer.results], writer.num_rows)
        fmd.key_value_metadata = old.key_value_metadata
        if not _same_schema(fmd.schema, old.schema) or writer.num_rows != pf.num_rows:
            raise UnsupportedFeatureError(f"cannot compact {path}: fastpq would write another schema "
                                          "(the file is left as it is)")
        fmd.schema = old.schema
        writer._target.f.write(footer_bytes(fmd))
        writer._target.commit()
        writer.closed = True
    except BaseException:
        writer.abort()
        raise


def _same_schema(new: list, old: list) -> bool:
    """The schema fastpq wrote describes the pages as the old one does, so that the old
    elements can go in the new footer: same tree, names, physical types, repetitions and
    logical types. Left out: the root's name and repetition, and a legacy converted type
    beside an equal logical type (writers differ there; readers take the logical type)."""
    if len(new) != len(old) or not len(new):
        return False
    for i, (a, b) in enumerate(zip(new, old)):
        if i and (a.name, a.repetition_type) != (b.name, b.repetition_type):
            return False
        if (a.type, a.type_length, a.num_children, a.logicalType) != (b.type, b.type_length, b.num_children,
                                                                       b.logicalType):
            return False
        if a.logicalType is None and (a.converted_type, a.scale, a.precision) != \
                (b.converted_type, b.scale, b.precision):
            return False
    return True


def _spans(num_rows: int, size: int) -> list:
    return [(a, min(a + size, num_rows)) for a in range(0, num_rows, size)]


def _rows(pf: ParquetFile, plan, start: int, stop: int):
    """Rows [start, stop) of the file as one DataFrame (the row groups holding them, decoded)."""
    counts = [int(n) for n in pf.metadata.row_groups.num_rows]
    first, groups, at = None, [], 0
    for i, n in enumerate(counts):
        if at < stop and at + n > start and n:
            groups.append(i)
            first = at if first is None else first
        at += n
    df = _read_exactly(pf, groups, plan)
    return df.iloc[start - first: stop - first]


def _read_exactly(pf: ParquetFile, groups: list, plan):
    """The row groups ``groups`` as a DataFrame that keeps every value apart: Arrow-backed
    columns (NaN and null stay two values, integers with nulls stay integers), but pandas
    categoricals where the plan writes a categorical, and dictionary-decoded values where
    a dictionary-typed column (Arrow's) is planned as its values' type."""
    categorical = [c.field_name for c in plan.data_columns if c.ft.kind == "category"]
    df = pf.to_pandas(row_groups=groups, dtype_backend="pyarrow")
    if categorical:
        cats = pf.to_pandas(row_groups=groups, columns=categorical)
        for name in categorical:
            df[name] = cats[name].array
    for col in plan.data_columns:                 # the same instants in the plan's zone (the file's
        name, tz = col.field_name, col.ft.tz      # key-value metadata, kept, gives readers theirs)
        if col.ft.kind == "timestamp" and tz and name in df.columns and \
                str(getattr(getattr(df[name].dtype, "pyarrow_dtype", None), "tz", tz)) != tz:
            df[name] = df[name].dt.tz_convert(tz)
    for name in df.columns:
        dtype = df[name].dtype
        arrow = getattr(dtype, "pyarrow_dtype", None)
        if name not in categorical and arrow is not None and hasattr(arrow, "value_type") \
                and hasattr(arrow, "index_type"):
            df[name] = df[name].astype(f"{arrow.value_type}[pyarrow]")
    return df


def _options_of(pf: ParquetFile, plan) -> WriteOptions:
    """Codec per column (its first chunk's) and page index as the file has them."""
    codecs, page_index = {}, False
    if pf.num_row_groups:
        chunks = pf.metadata.row_groups[0].columns or []
        page_index = any(c.offset_index_offset is not None for c in chunks)
        leaf = 0
        for col in plan.columns:
            if leaf < len(chunks) and chunks[leaf].meta_data is not None:
                codecs[col.field_name] = codec_name(chunks[leaf].meta_data.codec).lower()
            leaf += len(col.leaves)
    names = set(codecs.values())
    compression = names.pop() if len(names) == 1 else (codecs or "snappy")
    if compression == "uncompressed":
        compression = None
    elif isinstance(compression, dict):
        compression = {k: (None if v == "uncompressed" else v) for k, v in compression.items()}
    return WriteOptions(compression=compression, page_index=page_index, row_group_offsets=None)
