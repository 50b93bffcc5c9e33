"""The write entry points ``fastpq.write``, ``fastpq.repair``, ``fastpq.merge`` and the in-place file
edits ``update_file_custom_metadata``, ``remove_row_groups`` and ``compact`` (also ``fastpq.api``'s).

They dispatch between one file (``fastpq.file.writer``; ``fastpq.append`` for
``append=True``) and a dataset (``fastpq.dataset``). This module imports
nothing heavy at import time: the writers (numba) and pandas (which imports
pyarrow) load on the first call.
"""
from __future__ import annotations

import os
from dataclasses import fields, replace

from ..errors import UnsupportedFeatureError
from ..format.keyvalue import custom_metadata_items
from ..format.source import is_local_fs
from .paths import check_engine, check_filesystem, check_parent_directory, expand_user

# pandas' spelling -> fastpq's (DataFrame.to_parquet / pyarrow.parquet.write_table names)
_PANDAS_NAMES = {"index": "write_index", "partition_cols": "partition_on", "row_group_size": "row_group_offsets"}
# WriteOptions' fields write_dataset takes as its own arguments (the rest go through _dataset_options)
_DATASET_ARGUMENTS = ("overwrite", "partition_on", "append", "file_scheme")


def write(path, df, compression="snappy", row_group_offsets=None, write_index=None, stats="auto",
          dictionary="auto", data_page_version=1, page_size=1 << 20, times="int64",
          object_encoding="infer", custom_metadata=None, column_encoding=None, page_index=False,
          page_checksum=False, sorting_columns=None, overwrite=True, storage_options=None,
          partition_on=None, file_scheme="simple", append=False, nullable=None, filesystem=None,
          **pandas_names) -> None:
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
    file_scheme='hive': a dataset directory (``fastpq.dataset.write``); 'drill': the same with
        directories named by value alone (fastparquet's; read back with partitioning='drill');
        ``partition_on``: columns whose values name the directories; ``append=True``
        adds part files, ``append='overwrite'`` replaces the partitions present in
        ``df``; ``row_group_offsets``: an int (rows per row group in each part file) or a
        list (the frame's row group starts; each row group then split by partition);
        ``overwrite=False`` refuses to replace a non-empty directory. ``append=True`` on
        an existing directory appends to it as a dataset whatever ``file_scheme`` says.
    filesystem: an fsspec filesystem ``path`` is on (see fastpq.api.paths); a local path's
        leading ``~`` is expanded.
    pandas' names are accepted too (``DataFrame.to_parquet``'s): ``index`` (= write_index),
        ``partition_cols`` (= partition_on with file_scheme='hive'), ``row_group_size``
        (= row_group_offsets as rows per row group), ``engine`` (ignored). Giving both
        spellings of one option raises ValueError.
    """
    from ..file.options import WriteOptions
    from ..frame.write.plan import column_names, require_frame

    require_frame(df)
    call = _pandas_spellings(dict(locals()), pandas_names)
    path, partition_on, file_scheme = call["path"], call["partition_on"], call["file_scheme"]
    filesystem = check_filesystem(filesystem)
    if filesystem is not None and is_local_fs(filesystem):
        filesystem = None                     # a local path: written crash-safely like any other
    path = expand_user(path)
    custom_metadata = call["custom_metadata"] = custom_metadata_items(custom_metadata) or None
    options = WriteOptions.from_call(dict(call, path=path))
    options.check_columns(column_names(df))
    if filesystem is not None:
        return _write_on_filesystem(filesystem, path, df, options)
    if file_scheme == "simple" and append and _is_dataset_root(path, storage_options):
        file_scheme = "hive"                  # appending to a dataset: its layout decides
    if file_scheme == "simple":
        if partition_on:
            raise ValueError("partition_on needs file_scheme='hive' (or 'drill')")
        if append:
            return _append_file(path, df, options)
        check_parent_directory(path)
        from ..file.writer import write_file

        return write_file(path, df, options)
    from ..dataset.write import write_dataset

    return write_dataset(path, df, partition_on, append=append, overwrite=overwrite,
                         file_scheme=options.file_scheme if options.file_scheme != "simple" else "hive",
                         **_dataset_options(options))


def _pandas_spellings(call: dict, pandas_names: dict) -> dict:
    """``call`` (write's arguments) with pandas' spellings of options moved to fastpq's."""
    from ..file.options import WriteOptions, as_int

    defaults = {f.name: f.default for f in fields(WriteOptions)}
    call.pop("pandas_names", None)
    for name, value in pandas_names.items():
        if name == "engine":
            check_engine(value, "write")      # fastpq is the engine: pandas' names accepted, others refused
            continue
        target = _PANDAS_NAMES.get(name)
        if target is None:
            raise TypeError(f"write() got an unexpected keyword argument {name!r}")
        if value is None:
            continue
        if call[target] is not defaults[target]:
            raise ValueError(f"write(): {name}= and {target}= are two spellings of one option; give one")
        value = as_int(value)
        if name == "row_group_size" and not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            raise ValueError(f"row_group_size must be a positive int (rows per row group), not {value!r}")
        call[target] = value
        if name == "partition_cols":
            call["partition_on"] = [value] if isinstance(value, str) else list(value)
            call["file_scheme"] = "hive"
    return call


def _write_on_filesystem(fs, path, df, options) -> None:
    """One file or a dataset at ``path`` on the fsspec filesystem ``fs``."""
    if options.file_scheme != "simple" or options.append:
        from ..dataset.write import write_dataset

        if options.file_scheme == "simple":
            raise ValueError("append=True with filesystem= works on datasets (file_scheme='hive') only")
        return write_dataset(path, df, options.partition_on, append=options.append, overwrite=options.overwrite,
                             filesystem=fs, file_scheme=options.file_scheme, **_dataset_options(options))
    from ..file.writer import write_file

    path = os.fspath(path)
    if not options.overwrite and fs.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")
    target = _LazyFile(fs, path)
    try:
        write_file(target, df, options)
    except BaseException:
        target.discard()
        raise
    target.close()


def _dataset_options(options) -> dict:
    """The options ``write_dataset`` passes to its file writers: every WriteOptions field
    but those it takes as its own arguments."""
    return {f.name: getattr(options, f.name) for f in fields(options)
            if f.init and f.name not in _DATASET_ARGUMENTS}


class _LazyFile:
    """A file on an fsspec filesystem, opened at the first write: a frame refused while
    planning leaves no file behind; one that fails mid-write is removed (as for URLs)."""

    def __init__(self, fs, path):
        self.fs, self.path, self.f = fs, path, None

    def write(self, data):
        if self.f is None:
            self.f = self.fs.open(self.path, "wb")
        return self.f.write(data)

    def flush(self):
        if self.f is not None:
            self.f.flush()

    def close(self):
        if self.f is not None:
            self.f.close()

    def discard(self):
        if self.f is None:
            return
        try:
            self.f.close()
            self.fs.rm(self.path)
        except Exception:  # noqa: BLE001 - cleaning up after the write's own error
            pass


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
        write_file(path, df, replace(options, overwrite=False, append=False))
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
