"""The public entry points: ``read_parquet``, ``write``, ``repair`` and ``merge``.

Each dispatches between one file (``fastpq.file``, ``fastpq.append``) and a
dataset (``fastpq.dataset``); the writers are imported on first use.

``read_parquet``: the pandas-shaped entry point for reading Parquet.

Same call shape and defaults as ``pandas.read_parquet`` (path, ``columns``,
``filters``, ``dtype_backend``, ``storage_options``, ``filesystem`` and
``engine`` accepted for drop-in use), plus fastpq's own options: ``index``,
``categories``, ``use_threads``, ``verify_checksums``, ``row_groups``,
``coerce_int96_timestamp_unit``, and for datasets ``filter_level``,
``partitioning`` and ``progress``. One file without filters is read by
``ParquetFile``; directories, lists of files, globs and anything with
``filters`` go through ``fastpq.dataset.read.ParquetDataset``.
"""
from __future__ import annotations

import os

from .file.reader import ParquetFile
from .frame.read.dtypes import NO_DEFAULT
from .format.source import Source

_BACKENDS = ("numpy_nullable", "pyarrow")
_ACCEPTED = {"engine", "filesystem", "row_groups", "coerce_int96_timestamp_unit", "to_pandas_kwargs",
             "filter_level", "partitioning", "progress"}
_GLOB = "*?["


def read_parquet(path, columns=None, filters=None, index=None, categories=None, dtype_backend=NO_DEFAULT,
                 storage_options=None, use_threads=True, verify_checksums=False, **kwargs):
    """Read a Parquet file or dataset into a DataFrame, with the dtypes ``pandas.read_parquet`` gives.

    path: a local path, an fsspec URL (``storage_options`` go to fsspec), a
        binary file object or bytes; or a directory (hive / drill partitions,
        ``_metadata``), a ``_metadata`` file, a list of files or a glob.
    columns: column names to read (default: all); index columns recorded in
        pandas metadata are read as the index either way.
    filters: DNF predicates as pyarrow takes them (``[('a', '>', 3)]``, lists of
        such lists for OR; see fastpq.dataset.filters): partitions, row groups and
        pages are pruned from metadata, then rows are filtered exactly.
    index: column name(s) to use as the index instead of pandas metadata's;
        False for none.
    categories: column names to read as categoricals (default: those pandas
        metadata or the stored Arrow schema say are).
    dtype_backend: 'numpy_nullable' (Int64, boolean, Float64, string ...) or
        'pyarrow' (``pd.ArrowDtype`` for every column); default: numpy dtypes.
    use_threads: decode column chunks on a thread pool (an int sets its size).
    verify_checksums: check page CRCs where the writer stored them; a mismatch
        raises ``fastpq.ChecksumError``.
    **kwargs: ``engine`` (ignored: fastpq is the engine), ``filesystem`` (an
        fsspec filesystem for ``path``), ``row_groups`` (row group numbers to
        read), ``coerce_int96_timestamp_unit`` ('ns', 'us', 'ms' or 's'),
        ``filter_level`` ('row' default; 'page', 'row_group', 'file': stop at that
        granularity), ``partitioning`` ('hive' default, 'drill', None),
        ``progress`` (a tqdm progress bar over files).
    """
    unknown = set(kwargs) - _ACCEPTED
    if unknown:
        raise TypeError(f"read_parquet() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if kwargs.get("to_pandas_kwargs"):
        raise TypeError("read_parquet(): to_pandas_kwargs is a pyarrow option fastpq does not take")
    if dtype_backend is NO_DEFAULT or dtype_backend is None:  # None: fastpq's own spelling of the default
        dtype_backend = None
    elif dtype_backend not in _BACKENDS:
        raise ValueError(f"dtype_backend {dtype_backend} is invalid, only 'numpy_nullable' and 'pyarrow' "
                         "are allowed.")
    options = dict(index=index, categories=categories, dtype_backend=dtype_backend, use_threads=use_threads,
                   verify_checksums=verify_checksums,
                   coerce_int96_timestamp_unit=kwargs.get("coerce_int96_timestamp_unit"))
    dataset_only = {k: kwargs[k] for k in ("filter_level", "partitioning", "progress") if kwargs.get(k) is not None}
    source = Source(path, storage_options, kwargs.get("filesystem")) if not isinstance(path, (list, tuple)) else None
    as_dataset = filters is not None or bool(dataset_only) or source is None or (
        _is_path(path) and _is_dataset(path, source))
    if as_dataset:
        if kwargs.get("row_groups") is not None:
            raise ValueError("row_groups selects row groups of one file: it cannot be combined with a dataset "
                             "or filters")
        return _read_dataset(path, source, columns, filters, storage_options, kwargs, options, dataset_only)
    pf = ParquetFile(source)
    return pf.to_pandas(columns=columns, row_groups=kwargs.get("row_groups"), index=index, categories=categories,
                        dtype_backend=dtype_backend, use_threads=use_threads, verify_checksums=verify_checksums,
                        coerce_int96_timestamp_unit=kwargs.get("coerce_int96_timestamp_unit"))


def _is_path(path) -> bool:
    return isinstance(path, (str, os.PathLike))


def _is_dataset(path, source: Source) -> bool:
    if _is_directory(source):
        return True
    name = os.path.basename(os.fspath(path).rstrip("/"))
    if name == "_metadata":  # the dataset it describes (pandas fails on it: its row groups are elsewhere)
        return True
    return any(c in os.fspath(path) for c in _GLOB) and not _exists(source)


def _exists(source: Source) -> bool:
    if source.is_local:
        return os.path.exists(source.fs_path)
    try:
        return bool(source.fs.exists(source.fs_path))
    except (OSError, NotImplementedError):
        return False


def _read_dataset(path, source, columns, filters, storage_options, kwargs, options, dataset_only):
    from .dataset.read import ParquetDataset

    if source is not None and not _is_path(path):  # a file object or bytes: a dataset of that one file
        ds = ParquetDataset.of_file(ParquetFile(source))
    else:
        ds = ParquetDataset(path, filesystem=kwargs.get("filesystem"), storage_options=storage_options,
                            partitioning=dataset_only.get("partitioning", "hive"))
    return ds.to_pandas(columns=columns, filters=filters, filter_level=dataset_only.get("filter_level", "row"),
                        progress=dataset_only.get("progress", False), **options)


def _is_directory(source: Source) -> bool:
    if source.is_local:
        return os.path.isdir(source.fs_path)
    if source.fs is not None:
        try:
            return bool(source.fs.isdir(source.fs_path))
        except (OSError, NotImplementedError):
            return False
    return False


# ---------------------------------------------------------------- writing

def write(path, df, compression="snappy", row_group_offsets=None, write_index=None, stats="auto",
          dictionary="auto", data_page_version=1, page_size=1 << 20, times="int64",
          object_encoding="infer", custom_metadata=None, column_encoding=None, page_index=False,
          page_checksum=False, sorting_columns=None, overwrite=True, storage_options=None,
          partition_on=None, file_scheme="simple", append=False, nullable=None) -> None:
    """Write the DataFrame ``df`` to a Parquet file or a hive-partitioned dataset.

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
    file_scheme='hive': a dataset directory (``fastpq.dataset.write``);
        ``partition_on``: columns whose values name the directories; ``append=True``
        adds part files, ``append='overwrite'`` replaces the partitions present in
        ``df``; ``row_group_offsets`` must then be an int (rows per row group);
        ``overwrite=False`` refuses to replace a non-empty directory. ``append=True`` on
        an existing directory appends to it as a dataset whatever ``file_scheme`` says.
    """
    options = dict(compression=compression, stats=stats, dictionary=dictionary,
                   data_page_version=data_page_version, page_size=page_size, custom_metadata=custom_metadata,
                   column_encoding=column_encoding, page_index=page_index, page_checksum=page_checksum,
                   sorting_columns=sorting_columns)
    if file_scheme == "simple" and append and _is_dataset_root(path, storage_options):
        file_scheme = "hive"                  # appending to a dataset: its layout decides
    if file_scheme == "simple":
        if partition_on:
            raise ValueError("partition_on needs file_scheme='hive'")
        from .file.writer import write_file

        if append:
            return _append_file(path, df, row_group_offsets, write_index, times, object_encoding, storage_options,
                                append, nullable, options)
        return write_file(path, df, row_group_offsets=row_group_offsets, write_index=write_index, times=times,
                          object_encoding=object_encoding, overwrite=overwrite, storage_options=storage_options,
                          nullable=nullable, **options)
    if file_scheme != "hive":
        raise ValueError(f"file_scheme must be 'simple' or 'hive', not {file_scheme!r}")
    from .dataset.write import write_dataset

    return write_dataset(path, df, partition_on, append=append, overwrite=overwrite,
                         storage_options=storage_options, row_group_offsets=row_group_offsets,
                         write_index=write_index, times=times, object_encoding=object_encoding,
                         nullable=nullable, **options)


def _append_file(path, df, row_group_offsets, write_index, times, object_encoding, storage_options, append,
                 nullable, options):
    """``append=True`` on one file: append in place, or create the file when it does not exist
    (and append to it after all if another writer created it meanwhile)."""
    from .append.appender import append_file
    from .file.options import WriteOptions
    from .file.writer import write_file

    if append is not True:
        raise ValueError(f"append={append!r}: a single file takes append=True ('overwrite' is for datasets)")
    column_options = WriteOptions(options["compression"], options["stats"], options["dictionary"],
                                  options["data_page_version"], options["page_size"], options["column_encoding"],
                                  options["page_index"], options["page_checksum"])
    appended = dict(row_group_offsets=row_group_offsets, sorting_columns=options["sorting_columns"],
                    custom_metadata=options["custom_metadata"], storage_options=storage_options)
    if append_file(path, df, column_options, missing_ok=True, **appended):
        return
    try:
        write_file(path, df, row_group_offsets=row_group_offsets, write_index=write_index, times=times,
                   object_encoding=object_encoding, overwrite=False, storage_options=storage_options,
                   nullable=nullable, **options)
    except FileExistsError:               # created meanwhile by another writer: append to that one
        append_file(path, df, column_options, **appended)


def _is_dataset_root(path, storage_options) -> bool:
    if not isinstance(path, (str, os.PathLike)):
        return False
    from .dataset.metadata import Store

    return Store(path, storage_options).is_dir()


def repair(path, storage_options=None) -> str:
    """Finish or roll back an interrupted append: of a local file (``fastpq.append.appender``: also
    removes the temporary files killed writes of it left, and raises CorruptFileError rather
    than report success on a file no reader can open) or of a dataset directory
    (``fastpq.dataset.write``). Returns what was done ('clean' if nothing)."""
    from .dataset.metadata import Store

    store = Store(path, storage_options)
    if store.is_dir():
        from .dataset.write import recover

        with store.lock():
            return recover(store, sweep=True)
    if store.local:
        from .append.appender import repair_file

        return repair_file(store.root)
    return "clean"


def merge(files_or_dir, root=None, storage_options=None, filesystem=None) -> str:
    """Write ``_metadata`` and ``_common_metadata`` for existing Parquet files
    (``fastpq.dataset.metadata.merge``). Returns the path of ``_metadata``."""
    from .dataset.metadata import merge as merge_files

    return merge_files(files_or_dir, root, storage_options, filesystem)
