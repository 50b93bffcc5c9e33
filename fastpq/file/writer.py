"""Writing pandas DataFrames to Parquet files: ``write`` and ``ParquetWriter``.

Layers of a write, each reusable on its own (appends and datasets build on them):

* ``WriteOptions.from_user(...)``: the user's options, resolved per column into
  ``ColumnOptions`` (codec and level, encoding, dictionary, statistics, page
  index, CRC, page size, page version);
* ``frame.from_pandas.build_plan``: the ``WritePlan`` (schema, per-column
  types, pandas metadata) from the first DataFrame, or ``WritePlan.from_parts``
  when it comes from an existing file;
* ``write_row_group(f, df, plan, options, offset)``: writes one row group's
  column chunks at ``offset`` of an open file and returns its ``RowGroup``
  metadata plus the page indexes still to be written;
* ``finish_file(f, offset, plan, row_groups, ...)``: page indexes, then the
  footer (``FileMetaData``, its length, ``PAR1``);
* ``AtomicTarget``: where the bytes go. A local path is written to a temporary
  file in the same directory, flushed and fsynced, and renamed over the target
  only once complete: a failure (or a kill) never leaves a partial file under
  the target name, and never touches an existing target before the rename.
  A symlink is written through (its target is replaced), a target the caller
  may not write is refused (``PermissionError``), the replacement keeps the
  target's mode and, where permitted, its owner and group; a kill can leave
  the temporary file (``.<name>.<random>.fastpq-tmp``) behind, and the next
  write of that path or ``fastpq.repair(path)`` removes it (``fastpq.file.localfs``).
  fsspec URLs are written to their final path directly (object stores have no
  atomic rename); file-like objects are written as they are.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import localfs
from .._thrift import ColumnOrder, Encoding, FileMetaData, RowGroup, SortingColumn, TypeDefinedOrder
from ..column.write.chunk import ColumnOptions, write_column_chunk
from ..format import compression as codecs
from ..format import thrift_io
from ..format.footer import MAGIC, footer_bytes
from ..frame.write.options import column_option

CREATED_BY = "fastpq version 0.1.0"
ROW_GROUP_SIZE = 1024 * 1024
ZSTD_DEFAULT_LEVEL = 1     # Arrow's default: ~2x faster than 3 for a few per cent in size
_ENCODINGS = {"PLAIN": Encoding.PLAIN, "DELTA_BINARY_PACKED": Encoding.DELTA_BINARY_PACKED,
              "DELTA_LENGTH_BYTE_ARRAY": Encoding.DELTA_LENGTH_BYTE_ARRAY,
              "DELTA_BYTE_ARRAY": Encoding.DELTA_BYTE_ARRAY, "BYTE_STREAM_SPLIT": Encoding.BYTE_STREAM_SPLIT,
              "RLE_DICTIONARY": Encoding.RLE_DICTIONARY, "RLE": Encoding.RLE}


# ---------------------------------------------------------------- options

def _is_codec_spec(options) -> bool:
    return isinstance(options, dict) and "codec" in options and set(options) <= {"codec", "level"}


def parse_codec(spec) -> tuple[int, int | None]:
    """(codec, level) of 'zstd', None, ('zstd', 5) or {'codec': 'zstd', 'level': 5}."""
    if isinstance(spec, dict):
        return codecs.codec_from_name(spec.get("codec")), spec.get("level")
    if isinstance(spec, (tuple, list)):
        name, level = spec
        return codecs.codec_from_name(name), level
    return codecs.codec_from_name(spec), None


def _in(selection, col, default) -> bool:
    """'auto'/True/False, or a list of columns (those True, others False)."""
    if isinstance(selection, (list, tuple, set)):
        return col.label in selection or col.field_name in selection
    return default if selection == "auto" else bool(selection)


@dataclass
class WriteOptions:
    """The user's write options (``write``'s arguments), resolved per column on demand."""

    compression: object = "snappy"
    stats: object = "auto"
    dictionary: object = "auto"
    data_page_version: int = 1
    page_size: int = 1 << 20
    column_encoding: dict | None = None
    page_index: object = False
    page_checksum: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if self.data_page_version not in (1, 2):
            raise ValueError(f"data_page_version must be 1 or 2, not {self.data_page_version!r}")
        if not isinstance(self.page_size, int) or self.page_size <= 0:
            raise ValueError(f"page_size must be a positive int, not {self.page_size!r}")
        if self.column_encoding is not None and not isinstance(self.column_encoding, dict):
            raise TypeError("column_encoding must be a dict of column -> encoding name")

    def for_column(self, col) -> ColumnOptions:
        opts = self._cache.get(col.field_name)
        if opts is None:
            opts = self._cache[col.field_name] = self._resolve(col)
        return opts

    def _resolve(self, col) -> ColumnOptions:
        spec = self.compression if _is_codec_spec(self.compression) else \
            column_option(self.compression, col.label, col.field_name, "snappy", "_default")
        codec, level = parse_codec(spec)
        if codec == codecs.ZSTD and level is None:
            level = ZSTD_DEFAULT_LEVEL
        codecs.compress(codec, b"", level)          # validates the level early
        encoding = None
        name = column_option(self.column_encoding or {}, col.label, col.field_name, None, "_default")
        if name is not None:
            encoding = _ENCODINGS.get(str(name).upper())
            if encoding is None:
                raise ValueError(f"column {col.field_name!r}: unknown encoding {name!r}; "
                                 f"expected one of {sorted(_ENCODINGS)}")
        dictionary = self.dictionary
        if isinstance(dictionary, (list, tuple, set)):
            # a categorical keeps its dictionary unless dictionary=False
            dictionary = _in(dictionary, col, False) or ("auto" if col.ft.kind == "category" else False)
        elif dictionary not in ("auto", True, False):
            raise ValueError(f"dictionary must be 'auto', True, False or a list of columns, not {dictionary!r}")
        return ColumnOptions(codec=codec, level=level, encoding=encoding, dictionary=dictionary,
                             data_page_version=self.data_page_version, page_size=self.page_size,
                             statistics=_in(self.stats, col, True), page_index=_in(self.page_index, col, False),
                             crc=bool(self.page_checksum))


# ---------------------------------------------------------------- row groups and footer

@dataclass
class RowGroupResult:
    row_group: RowGroup
    indexes: list          # (ColumnChunk, ColumnIndex or None, OffsetIndex or None) per column chunk
    end: int               # file offset just past the row group


def _encode_column(col, s, options: WriteOptions, compress_pool=None, write=None) -> list:
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


def write_row_group(f, df, plan, options: WriteOptions, offset: int, sorting=None,
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


# ---------------------------------------------------------------- targets

class AtomicTarget:
    """An open binary file for a new Parquet file; ``commit`` publishes it, ``abort``
    removes it (see the module docstring)."""

    def __init__(self, path, overwrite: bool = True, storage_options=None):
        self.path, self.tmp, self.fs, self._own = path, None, None, True
        if hasattr(path, "write"):
            self.f, self._own = path, False
            return
        path = os.fspath(path)
        if "://" in path and not path.startswith("file://"):
            import fsspec

            self.fs, self.path = fsspec.core.url_to_fs(path, **(storage_options or {}))
            if not overwrite and self.fs.exists(self.path):
                raise FileExistsError(f"{path} exists and overwrite=False")
            self.f = self.fs.open(self.path, "wb")
            return
        self.path = path[len("file://"):] if path.startswith("file://") else path
        if not overwrite and os.path.exists(self.path):
            raise FileExistsError(f"{self.path} exists and overwrite=False")
        self.overwrite = overwrite
        self.real = localfs.resolve_target(os.path.abspath(self.path))     # through symlinks
        localfs.check_writable(self.real)
        localfs.sweep_orphans(self.real)
        fd, self.tmp = localfs.create_temp(self.real)
        try:
            localfs.copy_owner_and_mode(fd, localfs.existing(self.real))
        except BaseException:
            os.close(fd)
            os.unlink(self.tmp)
            raise
        self.f = os.fdopen(fd, "wb", buffering=1 << 16)

    def commit(self) -> None:
        if not self._own:
            self.f.flush()
            return
        if self.tmp is None:
            self.f.close()
            return
        self.f.flush()
        os.fsync(self.f.fileno())
        try:                                      # the temporary file stays locked until renamed
            if self.overwrite:
                os.replace(self.tmp, self.real)
            else:
                try:
                    os.link(self.tmp, self.real)  # fails if the target appeared meanwhile
                finally:
                    os.unlink(self.tmp)
        finally:
            self.f.close()
        self.tmp = None
        fsync_dir(os.path.dirname(self.real))

    def abort(self) -> None:
        if not self._own:
            return
        try:
            self.f.close()
        except Exception:  # noqa: BLE001 - cleaning up after another error
            pass
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None
        elif self.fs is not None:
            try:
                self.fs.rm(self.path)
            except Exception:  # noqa: BLE001
                pass


def fsync_dir(folder: str) -> None:
    """Make a rename or creation in ``folder`` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- public API

def _row_group_starts(n_rows: int, row_group_offsets) -> list:
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


class ParquetWriter:
    """Write a Parquet file one DataFrame (row group) at a time.

    ``ParquetWriter(path, schema_or_first_df, **options)``: the schema comes from
    a DataFrame (its columns, dtypes, index and - for object columns - values;
    its rows are NOT written: pass it to ``write`` too), or from a ``WritePlan``.
    Options as ``fastpq.write`` (``row_group_offsets``: an int, the largest row
    group). ``write(df)`` writes ``df`` as one row group (several if it is larger
    than the row group size); ``close()`` writes the footer and publishes the file
    (atomically for local paths). As a context manager, an exception inside the
    block aborts the file instead. Memory is bounded by one row group.
    """

    def __init__(self, path, schema_or_first_df, compression="snappy", row_group_offsets=None,
                 write_index=None, stats="auto", dictionary="auto", data_page_version=1,
                 page_size=1 << 20, times="int64", object_encoding="infer", custom_metadata=None,
                 column_encoding=None, page_index=False, page_checksum=False, sorting_columns=None,
                 overwrite=True, storage_options=None, nullable=None):
        from ..frame.write.plan import WritePlan, as_frame, build_plan

        if isinstance(schema_or_first_df, WritePlan):
            self.plan = schema_or_first_df
        else:
            self.plan = build_plan(as_frame(schema_or_first_df), write_index, object_encoding, times, nullable)
        self.options = WriteOptions(compression, stats, dictionary, data_page_version, page_size,
                                    column_encoding, page_index, page_checksum)
        for col in self.plan.columns:
            self.options.for_column(col)                 # option errors before any file exists
        self.row_group_size = ROW_GROUP_SIZE if row_group_offsets is None else row_group_offsets
        if not isinstance(self.row_group_size, int) or self.row_group_size <= 0:
            raise ValueError("ParquetWriter's row_group_offsets must be a positive int (rows per row group)")
        self.sorting = resolve_sorting_columns(self.plan, sorting_columns)
        self.custom_metadata = custom_metadata
        self.results: list = []
        self.num_rows = 0
        self.closed = False
        self._target = AtomicTarget(path, overwrite, storage_options)
        try:
            self._target.f.write(MAGIC)
        except BaseException:
            self._target.abort()
            raise
        self.offset = len(MAGIC)

    @property
    def path(self):
        return self._target.path

    def write(self, df, row_group_offsets=None) -> None:
        """Write ``df`` as one or more row groups."""
        from ..frame.write.plan import as_frame

        if self.closed:
            raise ValueError("write() on a closed ParquetWriter")
        df = as_frame(df)
        if row_group_offsets is None:
            row_group_offsets = self.row_group_size
        starts = _row_group_starts(len(df), row_group_offsets)
        if len(df) == 0:
            from ..frame.write.check import check_frame

            check_frame(df, self.plan)
            return
        try:
            for a, b in zip(starts, starts[1:] + [len(df)]):
                result = write_row_group(self._target.f, df.iloc[a:b], self.plan, self.options,
                                         self.offset, self.sorting)
                self.results.append(result)
                self.offset = result.end
                self.num_rows += b - a
        except BaseException:
            self.abort()
            raise

    def close(self) -> None:
        """Write the page indexes and the footer, and publish the file."""
        if self.closed:
            return
        try:
            self.offset = write_page_indexes(self._target.f, self.offset, self.results)
            fmd = file_metadata(self.plan, [r.row_group for r in self.results], self.num_rows,
                                self.custom_metadata)
            self._target.f.write(footer_bytes(fmd))
            self._target.commit()
        except BaseException:
            self.abort()
            raise
        self.closed = True

    def abort(self) -> None:
        """Give up: remove the temporary file; the target is left as it was."""
        self.closed = True
        self._target.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def write(path, df, compression="snappy", row_group_offsets=None, write_index=None, stats="auto",
          dictionary="auto", data_page_version=1, page_size=1 << 20, times="int64",
          object_encoding="infer", custom_metadata=None, column_encoding=None, page_index=False,
          page_checksum=False, sorting_columns=None, overwrite=True, storage_options=None,
          partition_on=None, file_scheme="simple", append=False, nullable=None) -> None:
    """Write the DataFrame ``df`` to the Parquet file ``path``.

    compression: a codec name ('snappy', 'zstd', 'gzip', 'brotli', 'lz4', None), a
        (name, level) pair, {'codec': name, 'level': n}, or a dict of those per column
        with '_default' for the rest.
    row_group_offsets: rows per row group (int, default 1,048,576) or the start row
        of each row group.
    write_index: None - a RangeIndex as metadata only, any other index as columns;
        True - the index as columns always; False - not at all.
    stats: 'auto' / True (every column), False, or a list of columns: min/max
        (byte arrays truncated to 64 bytes and flagged inexact), null_count, and
        nan_count for floats.
    dictionary: 'auto' (dictionary-encode where it makes the chunk smaller and the
        dictionary stays under 1 MiB), True (always, PLAIN past 1 MiB), False, or a
        list of columns to dictionary-encode (the others are not).
    data_page_version: 1 or 2. page_size: bytes per data page (also at most 20,000 rows).
    times: 'int64' (TIMESTAMP in the column's unit; seconds as MILLIS) or 'int96'.
    object_encoding: 'infer', or per column one of 'utf8', 'bytes', 'decimal(p,s)',
        'decimal', 'date', 'time', 'uuid', 'int', 'float', 'bool', 'json', 'list',
        'struct', 'map'.
    custom_metadata: extra key-value metadata (dict). column_encoding: column ->
        'PLAIN', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY',
        'BYTE_STREAM_SPLIT', 'RLE_DICTIONARY' (or 'RLE' for booleans).
    page_index: write ColumnIndex / OffsetIndex (True, or a list of columns).
    page_checksum: CRC-32 in every page header.
    sorting_columns: names, (name, 'descending'), or pyarrow SortingColumns, recorded
        in each RowGroup (the data is not sorted for you).
    overwrite: False raises FileExistsError if ``path`` exists.
    nullable: override REQUIRED/OPTIONAL: {column: bool}, or a list of columns to
        write as OPTIONAL.
    append: True adds ``df`` to the local file ``path`` as new row groups, in place and
        crash-safely (``fastpq.append.appender``); the file decides the schema, index and
        pandas metadata, and write_index, times, object_encoding and nullable are
        ignored. A missing file is created.
    partition_on, file_scheme: datasets, written by ``fastpq.write`` (``fastpq.dataset.write``).
    """
    if partition_on or file_scheme != "simple":
        raise ValueError("fastpq.file.writer.write writes one file: datasets (partition_on, file_scheme='hive') "
                         "are written by fastpq.write")
    if append:
        from ..append.appender import append_file

        if append is not True:
            raise ValueError(f"append={append!r}: a single file takes append=True ('overwrite' is for datasets)")
        options = WriteOptions(compression, stats, dictionary, data_page_version, page_size, column_encoding,
                               page_index, page_checksum)
        return append_file(path, df, options, row_group_offsets, sorting_columns, custom_metadata, storage_options,
                           create=lambda: write(path, df, compression, row_group_offsets, write_index, stats,
                                                dictionary, data_page_version, page_size, times, object_encoding,
                                                custom_metadata, column_encoding, page_index, page_checksum,
                                                sorting_columns, False, storage_options, nullable=nullable))
    from ..frame.write.plan import as_frame

    df = as_frame(df)
    starts = _row_group_starts(len(df), row_group_offsets)
    with ParquetWriter(path, df, compression=compression, write_index=write_index, stats=stats,
                       dictionary=dictionary, data_page_version=data_page_version, page_size=page_size,
                       times=times, object_encoding=object_encoding, custom_metadata=custom_metadata,
                       column_encoding=column_encoding, page_index=page_index, page_checksum=page_checksum,
                       sorting_columns=sorting_columns, overwrite=overwrite, storage_options=storage_options,
                       nullable=nullable) as writer:
        writer.write(df, row_group_offsets=starts if len(df) else None)
