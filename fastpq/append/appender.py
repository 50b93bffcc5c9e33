"""Appending row groups to one local Parquet file in place, crash-safely; repairing it after a crash.

``fastpq.write(path, df, append=True)`` lands here (``append_file``). The
row groups already in the file never move and are never rewritten; an append
writes the new row groups and a new footer, so its cost follows the new data
and the footer, not the file.

The protocol: a rollback journal (SQLite's "hot journal" model)
-------------------------------------------------------------------
A file ends ``... <data> <footer> <footer length> PAR1``; call the last three
the *tail* and where the footer starts ``data_end``. An append:

1. opens the file read-write and takes ``fcntl.flock(LOCK_EX)``: appenders
   (threads or processes) are serialised; a journal left by a crash is
   recovered first (below);
2. reads the footer, rebuilds the file's write plan (``plan_from_file``) and
   checks the DataFrame against it, then encodes the first new row group in
   memory. A mismatch raises ``SchemaMismatchError`` here: nothing has been
   written;
3. writes the journal ``.<name>.fastpq-journal`` beside the file (the real
   file: a symlink is written through) with the file's mode and, where
   permitted, its owner and group (it holds the footer and its statistics):
   magic, version, the old size, ``data_end``, a **content digest** (BLAKE2b
   of 16 blocks of 4 KiB spread over the bytes before ``data_end``, first and
   last included: ``journal.py``), **a copy of the old tail**, and a CRC over
   all of it; fsyncs it and the directory;
4. writes the new row groups (and page indexes) at ``data_end``,
   **overwriting the old tail**, and fsyncs the file;
5. builds the new footer (old row groups spliced as raw bytes, new ones
   encoded; pandas metadata updated), appends a *commit record* to the
   journal (new size, where the new tail starts, the tail's CRC), fsyncs the
   journal, writes the tail, truncates to the new size, fsyncs the file;
6. removes the journal. The removal is not fsynced: a journal that comes back
   after a power cut holds a commit record that matches the file, and recovery
   just removes it again (the next append's journal, fsynced with the directory
   before the file is touched, makes the removal durable anyway). One fsync in
   six saved.

Any exception (disk full, a conversion error in a later row group,
KeyboardInterrupt) rolls back in process: truncate to ``data_end``, write
the journaled old tail back, fsync, remove the journal, re-raise.

Recovery: the journal names its file by content, never by inode
----------------------------------------------------------------
A file and its journal may be copied (``cp -a``), restored from a backup,
moved to another disk: the inode changes, the content does not. A crashed
file may also be rewritten in place by another tool: the inode stays, the
content changes. So a journal applies only to a file whose bytes before
``data_end`` have its digest, and whose end is not a complete footer of
another file. Its verdict (``journal.classify``) decides, on the next append
and in ``fastpq.repair(path)`` (under the lock):

* the commit record matches the file's end (NEW): the append finished;
  remove the journal;
* the content matches and the file ends with the old tail or with no
  complete footer (OLD: interrupted, on this file or on a copy of it):
  truncate to ``data_end``, write the old tail back, fsync, check that the
  file now reads, remove the journal;
* the content matches but the file ends with another complete footer
  (FOREIGN), or the content does not match and the file is a complete Parquet
  file as it stands (MISMATCH): the journal is stale. It is **set aside**, not
  deleted: renamed ``.<name>.fastpq-journal.stale-<time>``; the file is left
  as it is;
* the first record is torn (TORN: the process died while writing it, before
  the file was touched) and the file reads as it stands: remove it;
* otherwise the file cannot be read without a journal and this one does not
  apply to it (a copy cut short, a truncated file, the wrong journal): both
  stay as they are and ``CorruptFileError`` says so. A file that reads
  without a journal but not as Parquet is an error too: ``repair`` never
  reports success on a file no reader can open.

``ParquetFile`` decides the same way read-only (``fastpq.file.journal.local_footer``), writing
nothing: OLD reads the old footer from the journal, NEW, FOREIGN and a
stale or torn journal beside a complete file read the file as it stands,
and the rest raise ``CorruptFileError`` naming the journal. Row group data
below ``data_end`` is never modified, so a reader holding either footer
reads consistent rows.

Why the old tail goes into the journal instead of leaving the old footer in
place as dead bytes after which the new row groups are written: with dead
footers every append leaves a footer-sized hole, and footers grow with the
row group count, so N appends waste O(N^2) bytes (10,000 one-row-group
appends to a 20-column file: about 100 GB of dead footers). Copying the old
tail into the journal costs one more footer-sized write per append (the
footer is read and rewritten anyway), and the file stays one standard layout.

Readers that do not know the journal (pyarrow, duckdb, polars) see, while an
append runs and after a crash until fastpq repairs the file (the next append,
``fastpq.repair``), a file whose tail is incomplete: they fail with "not a
Parquet file"-style errors. They never see a mix of old and new rows.

Limits: ``flock`` is advisory and is not reliable on some network file
systems; object stores cannot modify a file (appending there raises
``UnsupportedFeatureError``: write a dataset instead). A file renamed
without its journal loses it (the journal's name follows the file's).
"""
from __future__ import annotations

import io
import os
import struct
import time
import zlib
from contextlib import contextmanager

from ..errors import CorruptFileError, UnsupportedFeatureError
from ..file import localfs
from ..file.journal import (NEW, OLD, TORN, Journal, classify, complete_footer, journal_path, read_journal,
                            unusable)
from ..file.rowgroup import resolve_sorting_columns, row_group_starts, write_page_indexes, write_row_group
from ..file.target import fsync_dir, local_path
from ..format.footer import MAGIC, footer_bytes, read_footer_bytes
from .schema import check_frame, check_names, footer_for_append, plan_for, updated_key_value

# ---------------------------------------------------------------- disk operations

class DiskOps:
    """Every change an append makes on disk goes through ``OPS`` (an instance of this
    class): the crash tests substitute one that kills the process at a chosen call."""

    def pwrite(self, fd: int, data, offset: int) -> None:
        view = memoryview(data).cast("B")
        while len(view):
            n = os.pwrite(fd, view, offset)
            view, offset = view[n:], offset + n

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)

    def unlink(self, path: str) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def rename(self, src: str, dst: str) -> None:
        os.rename(src, dst)

    def fsync_dir(self, folder: str) -> None:
        fsync_dir(folder, must_open=True)

    def write_file(self, path: str, data: bytes, offset: int = 0, create: bool = True, like=None) -> None:
        """Write ``data`` at ``offset`` of ``path``, fsynced. ``create``: created or truncated first,
        with the owner and mode of the stat ``like`` (the file it journals), never wider."""
        flags = os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if create else 0)
        fd = os.open(path, flags, 0o600)
        try:
            if create:
                localfs.copy_owner_and_mode(fd, like, 0o666)
            self.pwrite(fd, data, offset)
            self.fsync(fd)
        finally:
            os.close(fd)


OPS = DiskOps()


# ---------------------------------------------------------------- recovery (writers)

def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        raise UnsupportedFeatureError("appending needs fcntl.flock (POSIX)") from None
    fcntl.flock(fd, fcntl.LOCK_EX)


def _lock_current(fd: int, path: str) -> int:
    """Lock ``fd``; if ``path`` was replaced meanwhile (a rewrite renamed a new file over
    it), lock and return the file now at ``path`` instead. Closes what it does not return."""
    try:
        while True:
            _lock(fd)
            st = os.fstat(fd)
            try:
                now = os.stat(path)
            except FileNotFoundError:
                now = None
            if now is not None and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                return fd
            new = os.open(path, os.O_RDWR)
            os.close(fd)
            fd = new
    except BaseException:
        os.close(fd)
        raise


def _recover(fd: int, f, path: str) -> str:
    """Bring the locked file back to a committed state (module docstring); returns what was done."""
    jpath = journal_path(path)
    raw = read_journal(jpath)
    if raw is None:
        return "clean"
    size = os.fstat(fd).st_size
    state, journal = classify(raw, f, size, path)
    if state == NEW:
        _drop(jpath)
        return "completed the interrupted append"
    if state == OLD:
        _restore(fd, journal)
        try:                                          # never drop the journal of a file that does not read
            complete_footer(f, journal.old_size, path)
        except CorruptFileError as exc:
            raise CorruptFileError(f"{path} does not read even with the old footer from its append journal "
                                   f"({exc}); the journal {jpath} stays", path=path) from exc
        _drop(jpath)
        return "rolled back the interrupted append"
    try:
        complete_footer(f, size, path)
    except CorruptFileError as exc:
        raise CorruptFileError(unusable(path, jpath, state, exc), path=path) from exc
    if state == TORN:
        _drop(jpath)
        return "removed an incomplete journal (the file was not touched)"
    return f"set aside a stale journal as {os.path.basename(_set_aside(jpath))}"


def _restore(fd: int, journal: Journal) -> None:
    OPS.truncate(fd, journal.data_end)
    OPS.pwrite(fd, journal.tail, journal.data_end)
    OPS.fsync(fd)


def _drop(jpath: str) -> None:
    OPS.unlink(jpath)
    OPS.fsync_dir(os.path.dirname(jpath))


def _set_aside(jpath: str) -> str:
    """Rename a journal that does not apply to ``<journal>.stale-<time>`` (never over another)."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside, n = f"{jpath}.stale-{stamp}", 1
    while os.path.lexists(aside):
        n += 1
        aside = f"{jpath}.stale-{stamp}-{n}"
    OPS.rename(jpath, aside)
    OPS.fsync_dir(os.path.dirname(jpath))
    return aside


def repair_file(path) -> str:
    """Recover an interrupted append of the local file ``path`` (waits for a running append
    to finish) and remove the temporary files killed writes of it left. Returns what was done:
    'clean', 'completed the interrupted append', 'rolled back the interrupted append',
    'set aside a stale journal as <name>', 'removed an incomplete journal ...', with
    '; removed N orphaned temporary file(s)' after it when there were some.
    CorruptFileError when the file, after all this, is not a Parquet file a reader can open.
    """
    path = local_path(path)
    swept = localfs.sweep_orphans(localfs.resolve_target(os.path.abspath(path)), listing=True)
    note = f"removed {swept} orphaned temporary file{'s' if swept != 1 else ''}" if swept else ""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        if os.path.lexists(journal_path(path)):
            raise CorruptFileError(f"{path} does not exist, but its append journal {journal_path(path)} does: "
                                   "fastpq leaves the journal as it is", path=path) from None
        if note:
            return note
        raise
    with _locked(fd, path) as (fd, f, done):
        try:
            complete_footer(f, os.fstat(fd).st_size, path)
        except CorruptFileError as exc:
            raise CorruptFileError(f"{path} is not a Parquet file a reader can open ({exc}), and there is no "
                                   "append journal to restore it from: repair left it as it is",
                                   path=path) from exc
    return f"{done}; {note}" if note else done


@contextmanager
def _locked(fd: int, path: str):
    """``fd`` (the file ``path``, open read-write) locked as the file now at ``path``
    (``_lock_current``), with any interrupted append recovered first: yields (fd, f, what
    recovery did); closes the descriptor after. Every in-place operation runs inside it."""
    fd = _lock_current(fd, path)
    try:
        with open(fd, "rb", buffering=0, closefd=False) as f:
            yield fd, f, _recover(fd, f, path)
    finally:
        os.close(fd)


@contextmanager
def locked_file(path, storage_options=None, verb: str = "edit"):
    """The local file ``path`` opened read-write, locked against appenders and readers' repairs,
    with any interrupted append recovered first: yields (path, fd, f). What ``fastpq.compact`` and
    the footer edits (``fastpq.append.edit``) do under the append's lock."""
    try:
        path = local_path(path, storage_options)
    except UnsupportedFeatureError as exc:
        raise UnsupportedFeatureError(f"cannot {verb} {path!r} in place: {exc}") from None
    with _locked(os.open(path, os.O_RDWR), path) as (fd, f, _done):
        yield path, fd, f


# ---------------------------------------------------------------- appending

def append_file(path, df, options, threads: bool = True, missing_ok: bool = False) -> bool:
    """Append ``df`` to the Parquet file ``path`` as new row groups (see the module docstring).

    ``options`` (a ``WriteOptions``) applies to the new row groups; the file
    decides the schema, the index and the pandas metadata (write_index, times,
    object_encoding and nullable are ignored). A missing ``path``
    raises FileNotFoundError, or with ``missing_ok`` returns False having done
    nothing (``fastpq.write`` then creates it); True once appended.
    """
    from ..frame.write.plan import as_frame

    path = local_path(path, options.storage_options)
    df = as_frame(df)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        if missing_ok:
            return False
        raise
    with _locked(fd, path) as (fd, f, _done):
        _Append(fd, f, path, df, options, threads).run(options.row_group_offsets, options.sorting_columns,
                                                       options.custom_metadata)
    return True


class _Append:
    """One append to a locked file: check, journal, row groups, footer, commit."""

    def __init__(self, fd, f, path, df, options, threads):
        self.fd, self.f, self.path, self.df, self.options, self.threads = fd, f, path, df, options, threads
        self.size = os.fstat(fd).st_size
        self.footer = read_footer_bytes(f, self.size, path)
        self.data_end = self.size - len(self.footer) - 8
        self.fmd = footer_for_append(self.footer, path)
        check_names(df, self.fmd)
        self.plan = plan_for(self.fmd, path)
        self.journal = None

    def run(self, row_group_offsets, sorting_columns, custom_metadata) -> None:
        df, plan = self.df, self.plan
        check_frame(df, plan)
        for col in plan.columns:
            self.options.for_column(col)
        if len(df) == 0:
            return
        sorting = resolve_sorting_columns(plan, sorting_columns)
        starts = row_group_starts(len(df), row_group_offsets)
        bounds = list(zip(starts, starts[1:] + [len(df)]))
        pending = self._encode(bounds[0], self.data_end, sorting)     # conversion errors: nothing written yet
        self._begin()
        try:
            results, pos = [], self.data_end
            for k in range(len(bounds)):
                if k:
                    pending = self._encode(bounds[k], pos, sorting)
                raw, result = pending
                OPS.pwrite(self.fd, raw, pos)
                results.append(result)
                pos = result.end
            index_sink = io.BytesIO()
            end = write_page_indexes(index_sink, pos, results)
            if end > pos:
                OPS.pwrite(self.fd, index_sink.getbuffer(), pos)
            OPS.fsync(self.fd)
            tail = self._tail([r.row_group for r in results], custom_metadata)
            self._commit(tail, end)
        except BaseException as exc:
            try:
                self._rollback()
            except BaseException as again:  # noqa: BLE001 - the original error matters more
                exc.add_note(f"fastpq could not roll the append back ({again!r}); its journal stays: "
                             "fastpq.repair(path), a reader or the next append restores the file")
            raise

    def _encode(self, bounds, offset, sorting):
        a, b = bounds
        sink = io.BytesIO()
        result = write_row_group(sink, self.df.iloc[a:b], self.plan, self.options, offset, sorting, self.threads)
        return sink.getbuffer(), result

    def _begin(self) -> None:
        tail = b"".join((self.footer, struct.pack("<I", len(self.footer)), MAGIC))
        self.journal = Journal.of(self.f, self.data_end, tail)
        jpath = journal_path(self.path)
        self._record = self.journal.record()
        try:
            OPS.write_file(jpath, self._record, like=os.fstat(self.fd))
            OPS.fsync_dir(os.path.dirname(jpath))
        except BaseException:
            self.journal = None        # the file is untouched: only the journal goes
            _drop(jpath)
            raise

    def _tail(self, row_groups, custom_metadata) -> bytes:
        fmd = self.fmd
        fmd.num_rows = int(fmd.num_rows) + len(self.df)
        fmd.row_groups.extend(row_groups)
        fmd.key_value_metadata = updated_key_value(fmd, self.plan, self.df, custom_metadata)
        return footer_bytes(fmd)

    def _commit(self, tail: bytes, start: int) -> None:
        jpath = journal_path(self.path)
        new_size = start + len(tail)
        OPS.write_file(jpath, Journal.commit_record(new_size, start, zlib.crc32(tail)), len(self._record),
                       create=False)
        OPS.pwrite(self.fd, tail, start)
        OPS.truncate(self.fd, new_size)
        OPS.fsync(self.fd)
        self.journal = None                 # committed: the journal now says "new state"
        try:
            OPS.unlink(jpath)               # not fsynced: a journal that comes back after a power cut
        except OSError:                     # matches the file, and recovery just removes it again
            pass

    def _rollback(self) -> None:
        if self.journal is None:
            return
        _restore(self.fd, self.journal)
        _drop(journal_path(self.path))
        self.journal = None
