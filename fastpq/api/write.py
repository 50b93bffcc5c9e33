"""The write entry points ``fastpq.write``, ``fastpq.repair``, ``fastpq.merge`` and the in-place file
edits ``update_file_custom_metadata``, ``remove_row_groups`` and ``compact`` (also ``fastpq.api``'s).

They dispatch between one file (``fastpq.file.writer``; ``fastpq.append`` for
``append=True``) and a dataset (``fastpq.dataset``). This module imports
nothing heavy at import time: the writers (numba) and pandas (which imports
pyarrow) load on the first call.
"""
from __future__ import annotations

from ..errors import UnsupportedFeatureError

import os
from dataclasses import replace


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
    from ..file.options import WriteOptions

    options = WriteOptions.from_call(locals())
    if file_scheme == "simple" and append and _is_dataset_root(path, storage_options):
        file_scheme = "hive"                  # appending to a dataset: its layout decides
    if file_scheme == "simple":
        if partition_on:
            raise ValueError("partition_on needs file_scheme='hive'")
        if append:
            return _append_file(path, df, options)
        from ..file.writer import write_file

        return write_file(path, df, options)
    from ..dataset.write import write_dataset

    return write_dataset(path, df, partition_on, append=append, overwrite=overwrite,
                         storage_options=storage_options, row_group_offsets=row_group_offsets,
                         write_index=write_index, times=times, object_encoding=object_encoding,
                         nullable=nullable, compression=compression, stats=stats, dictionary=dictionary,
                         data_page_version=data_page_version, page_size=page_size, custom_metadata=custom_metadata,
                         column_encoding=column_encoding, page_index=page_index, page_checksum=page_checksum,
                         sorting_columns=sorting_columns)


def _append_file(path, df, options) -> None:
    """``append=True`` on one file: append in place, or create the file when it does not exist
    (and append to it after all if another writer created it meanwhile)."""
    from ..append.appender import append_file
    from ..file.writer import write_file

    if options.append is not True:
        raise ValueError(f"append={options.append!r}: a single file takes append=True ('overwrite' is for datasets)")
    if append_file(path, df, options, missing_ok=True):
        return
    try:
        write_file(path, df, replace(options, overwrite=False))
    except FileExistsError:               # created meanwhile by another writer: append to that one
        append_file(path, df, options)


def _is_dataset_root(path, storage_options) -> bool:
    if not isinstance(path, (str, os.PathLike)):
        return False
    from ..dataset.store import Store

    return Store(path, storage_options).is_dir()


def repair(path, storage_options=None) -> str:
    """Finish or roll back an interrupted append: of a local file (``fastpq.append.appender``: also
    removes the temporary files killed writes of it left, and raises CorruptFileError rather
    than report success on a file no reader can open) or of a dataset directory
    (``fastpq.dataset.write``). Returns what was done ('clean' if nothing)."""
    from ..dataset.store import Store

    store = Store(path, storage_options)
    if store.is_dir():
        from ..dataset.journal import recover

        with store.lock():
            return recover(store, sweep=True)
    if store.local:
        from ..append.appender import repair_file

        return repair_file(store.root)
    return "clean"


def merge(files_or_dir, root=None, storage_options=None, filesystem=None) -> str:
    """Write ``_metadata`` and ``_common_metadata`` for existing Parquet files
    (``fastpq.dataset.metadata.merge``). Returns the path of ``_metadata``."""
    from ..dataset.merge import merge as merge_files

    return merge_files(files_or_dir, root, storage_options, filesystem)


def update_file_custom_metadata(path, metadata, force=False, storage_options=None) -> None:
    """Add, replace ({key: str | bytes}) or remove ({key: None}) key-value metadata of a local
    Parquet file in place, rewriting only its footer, crash-safely like an append
    (``fastpq.append.edit``). 'pandas' and 'ARROW:schema' only with ``force=True``."""
    from ..append.edit import update_file_custom_metadata as update

    update(path, metadata, force=force, storage_options=storage_options)


def remove_row_groups(path, row_groups, storage_options=None) -> None:
    """Drop the row groups at positions ``row_groups`` from a local Parquet file's footer, in
    place and crash-safely (``fastpq.append.edit``); their bytes stay until ``compact``.

    ``path`` may be an open ``ParquetFile`` (fastparquet's ``pf.remove_row_groups``): the file
    must still be what that object read (FileChangedError otherwise), and the object is
    re-opened on the edited file."""
    from ..append.edit import remove_row_groups as remove
    from ..file.reader import ParquetFile

    if not isinstance(path, ParquetFile):
        return remove(path, row_groups, storage_options=storage_options)
    pf = path
    if not pf.source.is_local:
        raise UnsupportedFeatureError(f"cannot edit {pf.path} in place: not a local file")
    local = pf.source.fs_path
    remove(local, row_groups, expect=(pf.num_row_groups, pf.num_rows))
    pf.reopen()


def compact(path, row_group_size=None, storage_options=None) -> None:
    """Rewrite a local Parquet file into row groups of ``row_group_size`` rows (default
    1,048,576): same schema, key-value metadata and rows, replaced atomically
    (``fastpq.append.compact``)."""
    from ..append.compact import compact_file

    compact_file(path, row_group_size, storage_options=storage_options)
