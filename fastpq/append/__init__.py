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
3. writes the journal ``.<name>.fastpq-journal`` next to the file: magic,
   version, the file's device and inode, a CRC of its first and last 4 KiB
   before ``data_end``, ``data_end``, the old size, **a copy of the old tail**,
   and a CRC over all of it; fsyncs it and the directory;
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

Recovery, after a kill at any instant: a journal whose first record is torn
(bad CRC) was never fsynced, so the file was not touched yet: remove it. A
journal that names another file (inode or fingerprint differ: the path was
replaced since) is stale: remove it. A complete commit record whose size and
tail CRC match the file means the append finished: remove the journal (new
state). Anything else: truncate to ``data_end`` and write the old tail back
(old state). Recovery runs under the lock on the next append and in
``fastpq.repair(path)``; ``ParquetFile`` does it read-only (``local_footer``):
it takes the old footer from the journal, or the new one when the commit
record matches, and writes nothing. Row group data below ``data_end`` is
never modified, so a reader holding either footer reads consistent rows.

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
``UnsupportedFeatureError``: write a dataset instead).
"""
from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass

from ..errors import CorruptFileError, UnsupportedFeatureError
from ..format.footer import MAGIC, footer_bytes, read_footer_bytes
from .schema import check_frame, check_names, footer_for_append, plan_for, updated_key_value

JOURNAL_SUFFIX = ".fastpq-journal"
_MAGIC = b"FPQJRNL1"
_COMMIT_MAGIC = b"FPQCMT01"
_VERSION = 1
_HEAD = struct.Struct("<8sIIQQQQII")   # magic, version, flags, dev, ino, old size, data_end, fingerprint, tail length
_COMMIT = struct.Struct("<8sQQI")      # magic, new size, new tail start, new tail CRC
_CRC = struct.Struct("<I")
_BLOCK = 4096                          # the commit record starts in a block of its own
_FINGERPRINT = 4096
_READER_RETRIES = 5


def journal_path(path: str) -> str:
    """``.<name>.fastpq-journal`` beside the file (symlinks resolved: one journal per file)."""
    folder, base = os.path.split(os.path.realpath(path))
    return os.path.join(folder, f".{base}{JOURNAL_SUFFIX}")


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

    def fsync_dir(self, folder: str) -> None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        except OSError:      # some file systems refuse fsync on directories
            pass
        finally:
            os.close(fd)

    def write_file(self, path: str, data: bytes, offset: int = 0, create: bool = True) -> None:
        """Write ``data`` at ``offset`` of ``path`` (created/truncated when ``create``), fsynced."""
        flags = os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if create else 0)
        fd = os.open(path, flags, 0o644)
        try:
            self.pwrite(fd, data, offset)
            self.fsync(fd)
        finally:
            os.close(fd)


OPS = DiskOps()


# ---------------------------------------------------------------- the journal

@dataclass
class Journal:
    dev: int
    ino: int
    old_size: int
    data_end: int
    fingerprint: int
    tail: bytes                       # the old footer + its length + PAR1
    commit: tuple | None = None       # (new size, new tail start, new tail CRC)

    def record(self) -> bytes:
        head = _HEAD.pack(_MAGIC, _VERSION, 0, self.dev, self.ino, self.old_size, self.data_end,
                          self.fingerprint, len(self.tail))
        crc = zlib.crc32(self.tail, zlib.crc32(head))
        size = len(head) + len(self.tail) + 4
        return b"".join((head, self.tail, _CRC.pack(crc), b"\0" * (-size % _BLOCK)))

    @staticmethod
    def commit_record(new_size: int, tail_start: int, tail_crc: int) -> bytes:
        body = _COMMIT.pack(_COMMIT_MAGIC, new_size, tail_start, tail_crc)
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def decode(cls, raw: bytes) -> "Journal | None":
        """The journal in ``raw``, or None when its first record is torn (never fsynced)."""
        if len(raw) < _HEAD.size + _CRC.size or raw[:8] != _MAGIC:
            return None
        magic, version, _flags, dev, ino, old_size, data_end, fp, tail_len = _HEAD.unpack_from(raw)
        if version != _VERSION:
            raise UnsupportedFeatureError(f"append journal of version {version}: written by a newer fastpq")
        end = _HEAD.size + tail_len
        if end + 4 > len(raw) or _CRC.unpack_from(raw, end)[0] != zlib.crc32(raw[:end]):
            return None
        journal = cls(dev, ino, old_size, data_end, fp, raw[_HEAD.size:end])
        at = end + 4 + (-(end + 4) % _BLOCK)
        rec = raw[at:at + _COMMIT.size + 4]
        if len(rec) == _COMMIT.size + 4 and rec[:8] == _COMMIT_MAGIC and \
                _CRC.unpack_from(rec, _COMMIT.size)[0] == zlib.crc32(rec[:_COMMIT.size]):
            journal.commit = _COMMIT.unpack_from(rec)[1:]
        return journal

    def belongs_to(self, f, st) -> bool:
        """Whether this journal was written for the open file ``f`` (not for a file since replaced)."""
        return (st.st_dev, st.st_ino) == (self.dev, self.ino) and st.st_size >= self.data_end and \
            fingerprint(f, self.data_end) == self.fingerprint

    def new_tail(self, f, size: int) -> bytes | None:
        """The new tail when the committed append is complete in ``f`` (of ``size`` bytes), else None."""
        if self.commit is None:
            return None
        new_size, start, crc = self.commit
        if size != new_size or not self.data_end <= start < new_size:
            return None
        data = _pread(f, start, new_size - start)
        return data if zlib.crc32(data) == crc and data.endswith(MAGIC) else None


def fingerprint(f, data_end: int) -> int:
    """CRC of the first and last 4 KiB before ``data_end``: identifies the file's contents."""
    head = _pread(f, 0, min(_FINGERPRINT, data_end))
    start = max(0, data_end - _FINGERPRINT)
    return zlib.crc32(_pread(f, start, data_end - start), zlib.crc32(head))


def _pread(f, offset: int, n: int) -> bytes:
    f.seek(offset)
    return f.read(n)


def _read_journal(jpath: str) -> bytes | None:
    try:
        with open(jpath, "rb") as j:
            return j.read()
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------- readers

def local_footer(path: str, f, name=None) -> tuple[int, bytes]:
    """(file size, footer bytes) of the local file open as ``f``, as a reader should see it.

    ``ParquetFile`` calls this: one ``stat`` of the journal path when there is
    none. With a journal (an append running, or interrupted by a crash) the
    footer is the journaled old one, or the new one once the commit record
    matches the file; nothing is written. The no-journal read is checked like a
    seqlock (no journal and the same size and mtime after the read), so an
    append starting meanwhile is retried rather than read half-written.
    """
    jpath = journal_path(path)
    for attempt in range(_READER_RETRIES):
        journal_sig = _signature(jpath)
        if journal_sig is not None:
            view = _journal_view(jpath, f)
            if view is not None:
                return view
        before = os.fstat(f.fileno())
        try:
            footer, error = read_footer_bytes(f, before.st_size, name), None
        except CorruptFileError as exc:
            footer, error = None, exc
        after = os.fstat(f.fileno())
        steady = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns) and \
            _signature(jpath) == journal_sig
        if steady or attempt == _READER_RETRIES - 1:
            if error is not None:
                raise error
            return before.st_size, footer
    raise AssertionError("unreachable")


def _signature(path: str):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _journal_view(jpath: str, f) -> tuple[int, bytes] | None:
    raw = _read_journal(jpath)
    if raw is None:
        return None
    journal = Journal.decode(raw)
    st = os.fstat(f.fileno())
    if journal is None or not journal.belongs_to(f, st):
        return None
    tail = journal.new_tail(f, st.st_size)
    if tail is not None:
        return st.st_size, tail[:-8]
    return journal.old_size, journal.tail[:-8]


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
    """Bring the locked file back to a committed state; returns what was done."""
    jpath = journal_path(path)
    raw = _read_journal(jpath)
    if raw is None:
        return "clean"
    journal = Journal.decode(raw)
    st = os.fstat(fd)
    if journal is None or not journal.belongs_to(f, st):
        if journal is not None and (st.st_dev, st.st_ino) == (journal.dev, journal.ino) and \
                st.st_size < journal.data_end:
            raise CorruptFileError(f"{path} is shorter ({st.st_size} bytes) than its append journal says "
                                   f"({journal.data_end}); the journal {jpath} is kept", path=path)
        _drop(jpath)
        return "removed a stale journal"
    if journal.new_tail(f, st.st_size) is not None:
        _drop(jpath)
        return "completed the interrupted append"
    _restore(fd, journal)
    _drop(jpath)
    return "rolled back the interrupted append"


def _restore(fd: int, journal: Journal) -> None:
    OPS.truncate(fd, journal.data_end)
    OPS.pwrite(fd, journal.tail, journal.data_end)
    OPS.fsync(fd)


def _drop(jpath: str) -> None:
    OPS.unlink(jpath)
    OPS.fsync_dir(os.path.dirname(jpath))


def repair_file(path) -> str:
    """Recover an interrupted append of the local file ``path`` (waits for a running
    append to finish). Returns 'clean', 'completed the interrupted append', 'rolled
    back the interrupted append' or 'removed a stale journal'."""
    path = local_path(path)
    fd = _lock_current(os.open(path, os.O_RDWR), path)
    try:
        with open(fd, "rb", buffering=0, closefd=False) as f:
            return _recover(fd, f, path)
    finally:
        os.close(fd)


def local_path(path, storage_options=None) -> str:
    """The local path of ``path``; UnsupportedFeatureError for other file systems and file objects."""
    if hasattr(path, "write") or hasattr(path, "read"):
        raise UnsupportedFeatureError("append=True needs a path to a local file, not a file object")
    path = os.fspath(path)
    if "://" in path and not path.startswith("file://"):
        import fsspec

        fs, inner = fsspec.core.url_to_fs(path, **(storage_options or {}))
        if "file" not in (fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)):
            raise UnsupportedFeatureError(
                f"cannot append to {path}: a file on {fs.protocol!r} cannot be modified in place (object stores "
                "replace whole objects); append to a dataset instead (file_scheme='hive', append=True)")
        return inner
    return path[len("file://"):] if path.startswith("file://") else path


# ---------------------------------------------------------------- appending

def append_file(path, df, options, row_group_offsets=None, sorting_columns=None, custom_metadata=None,
                storage_options=None, create=None, threads: bool = True) -> None:
    """Append ``df`` to the Parquet file ``path`` as new row groups (see the module docstring).

    ``options`` (a ``WriteOptions``) applies to the new row groups; the file
    decides the schema, the index and the pandas metadata. When ``path`` does
    not exist, ``create()`` writes it (it must raise FileExistsError rather than
    replace a file that appeared meanwhile: then ``df`` is appended to that one).
    """
    from ..frame.from_pandas import as_frame

    path = local_path(path, storage_options)
    df = as_frame(df)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        if create is None:
            raise
        try:
            create()
            return
        except FileExistsError:
            fd = os.open(path, os.O_RDWR)
    fd = _lock_current(fd, path)
    try:
        with open(fd, "rb", buffering=0, closefd=False) as f:
            _recover(fd, f, path)
            _Append(fd, f, path, df, options, threads).run(row_group_offsets, sorting_columns, custom_metadata)
    finally:
        os.close(fd)


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
        from ..writer import _row_group_starts, resolve_sorting_columns, write_page_indexes

        df, plan = self.df, self.plan
        check_frame(df, plan)
        for col in plan.columns:
            self.options.for_column(col)
        if len(df) == 0:
            return
        sorting = resolve_sorting_columns(plan, sorting_columns)
        starts = _row_group_starts(len(df), row_group_offsets)
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
        from ..writer import write_row_group

        a, b = bounds
        sink = io.BytesIO()
        result = write_row_group(sink, self.df.iloc[a:b], self.plan, self.options, offset, sorting, self.threads)
        return sink.getbuffer(), result

    def _begin(self) -> None:
        st = os.fstat(self.fd)
        tail = b"".join((self.footer, struct.pack("<I", len(self.footer)), MAGIC))
        self.journal = Journal(st.st_dev, st.st_ino, self.size, self.data_end, fingerprint(self.f, self.data_end), tail)
        jpath = journal_path(self.path)
        self._record = self.journal.record()
        try:
            OPS.write_file(jpath, self._record)
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
