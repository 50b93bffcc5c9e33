"""Writing pandas DataFrames to Parquet files: ``ParquetWriter`` and ``write_file``.

A write, layer by layer (appends and datasets reuse the lower ones):

* ``WriteOptions`` (``options.py``): the user's options, resolved per column;
* ``frame.write.plan.build_plan``: the ``WritePlan`` (schema, per-column types,
  pandas metadata) from the first DataFrame, or ``WritePlan.from_parts`` when it
  comes from an existing file;
* ``write_row_group``, ``write_page_indexes``, ``file_metadata``
  (``rowgroup.py``): the row groups, their page indexes, the footer;
* ``AtomicTarget`` (``target.py``): where the bytes go (atomically for local
  paths);
* ``_Writeback``: while a local file's later row groups are encoded, the disk
  writes of the finished ones start (``fdatasync`` on a thread), so the fsync
  before the rename waits only for the last row group.

``fastpq.write`` (``fastpq.api``) dispatches here for one new file, to
the appender (``append/appender.py``) for ``append=True`` and to ``fastpq.dataset.write`` for
datasets.
"""
from __future__ import annotations

import os
from dataclasses import replace

from ..format.footer import MAGIC, footer_bytes
from .options import WriteOptions, as_int
from .rowgroup import (ROW_GROUP_SIZE, file_metadata, resolve_sorting_columns, row_group_starts, write_page_indexes,
                       write_row_group)
from .target import AtomicTarget

__all__ = ["ParquetWriter", "write_file", "ROW_GROUP_SIZE"]


_SYNC_POOL = None


def _forget_sync_pool() -> None:
    global _SYNC_POOL           # a forked child has none of the parent's threads
    _SYNC_POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_sync_pool)


class _Writeback:
    """Starts writing a local temporary file's finished row groups to disk while the next ones
    are encoded: one ``fdatasync`` at a time on a background thread, waited for (and its error
    raised) before the file is committed or aborted. Only when the data reach the disk
    changes; what is written and the fsync before the rename do not. 10M rows x 3 numeric
    columns (10 row groups, 173 MB): the final fsync took ~0.10 s of a 0.42 s write."""

    MIN_BYTES = 8 << 20     # smaller files: one fsync at the end (a sync more costs a journal commit)

    def __init__(self, target):
        self.fd = target.f.fileno() if target.tmp is not None else None
        self.future = None
        self.synced = 0

    def kick(self, f, offset: int) -> None:
        """Start syncing what was written up to ``offset`` (unless a sync is still running or
        less than ``MIN_BYTES`` were written since the last one)."""
        global _SYNC_POOL
        if self.fd is None or offset - self.synced < self.MIN_BYTES or (
                self.future is not None and not self.future.done()):
            return
        self.wait()
        if _SYNC_POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _SYNC_POOL = ThreadPoolExecutor(1, thread_name_prefix="fastpq-sync")
        f.flush()
        self.synced = offset
        self.future = _SYNC_POOL.submit(os.fdatasync, self.fd)

    def wait(self) -> None:
        future, self.future = self.future, None
        if future is not None:
            future.result()


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
        self._open(path, schema_or_first_df, WriteOptions.from_call(locals()))

    @classmethod
    def open(cls, path, schema_or_first_df, options: WriteOptions) -> "ParquetWriter":
        """A ParquetWriter of options already gathered (``row_group_offsets``: an int or None)."""
        self = cls.__new__(cls)
        self._open(path, schema_or_first_df, options)
        return self

    def _open(self, path, schema_or_first_df, options: WriteOptions) -> None:
        from ..frame.write.plan import WritePlan, as_frame, build_plan, column_names

        if isinstance(schema_or_first_df, WritePlan):
            self.plan = schema_or_first_df
        else:
            first = as_frame(schema_or_first_df)
            options.check_columns(column_names(first))
            self.plan = build_plan(first, options.write_index, options.object_encoding, options.times,
                                   options.nullable)
        self.options = options
        for col in self.plan.columns:
            self.options.for_column(col)                 # option errors before any file exists
        self.row_group_size = ROW_GROUP_SIZE if options.row_group_offsets is None else options.row_group_offsets
        if not isinstance(self.row_group_size, int) or self.row_group_size <= 0:
            raise ValueError("ParquetWriter's row_group_offsets must be a positive int (rows per row group)")
        self.sorting = resolve_sorting_columns(self.plan, options.sorting_columns)
        self.custom_metadata = options.custom_metadata
        self.results: list = []
        self.num_rows = 0
        self.closed = False
        self._target = AtomicTarget(path, options.overwrite, options.storage_options)
        self._writeback = _Writeback(self._target) if hasattr(os, "fdatasync") else None
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
        row_group_offsets = as_int(row_group_offsets)
        if row_group_offsets is None:
            row_group_offsets = self.row_group_size
        starts = row_group_starts(len(df), row_group_offsets)
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
                if self._writeback is not None:
                    self._writeback.kick(self._target.f, self.offset)
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
            if self._writeback is not None:
                self._writeback.wait()
            self._target.commit()
        except BaseException:
            self.abort()
            raise
        self.closed = True

    def abort(self) -> None:
        """Give up: remove the temporary file; the target is left as it was."""
        self.closed = True
        try:
            if self._writeback is not None:
                self._writeback.wait()
        except OSError:
            pass                                  # giving up anyway: the temporary file goes
        finally:
            self._target.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def write_file(path, df, options: WriteOptions) -> None:
    """Write the DataFrame ``df`` as the new Parquet file ``path`` (``options``: ``fastpq.write``'s)."""
    from ..frame.write.plan import as_frame

    df = as_frame(df)
    starts = row_group_starts(len(df), options.row_group_offsets)
    with ParquetWriter.open(path, df, replace(options, row_group_offsets=None)) as writer:
        writer.write(df, row_group_offsets=starts if len(df) else None)
