"""The append journal's record format, and what a journal says about the file beside it.

The appender (``append/appender.py``, its docstring) owns the protocol: when a journal
is written, applied, set aside or removed. This module owns the bytes, the
journal's place (``journal_path``), the verdict (``classify``) and the
read-only view a reader takes of a file with a journal (``local_footer``,
which ``ParquetFile`` calls); it writes nothing.

Record (version 2; all integers little-endian)::

    FPQJRNL1  version=2  flags  old size  data_end  samples  sample size
    content digest (16 bytes)  old tail length  <old tail>  CRC-32 of all before
    (zero padding to a 4 KiB boundary)
    FPQCMT01  new size  new tail start  CRC-32 of the new tail  CRC-32 of the record

The journal names its file by content, not by inode (a copy, a restore from
a backup or a move to another disk keeps the content and changes the inode):
the digest is a BLAKE2b of ``data_end`` and of ``samples`` blocks of
``sample size`` bytes spread evenly over the bytes before ``data_end``, the
first and the last block always among them (all of it below 64 KiB). An
append never writes before ``data_end``, so the digest holds from the
journal's creation until the journal is removed. Bounded work: 16 reads of
4 KiB, whatever the file's size.

``classify`` gives the journal's verdict on a file:

* ``TORN``: the first record is incomplete (never fsynced, so the append had
  not touched the file yet), or a copy of the journal was cut short;
* ``MISMATCH``: the file's bytes before ``data_end`` are not those the journal
  describes (rewritten by another tool, truncated, copied incompletely), or
  the record is nonsense under a valid CRC;
* ``NEW``: the commit record matches the file's end: the append finished;
* ``FOREIGN``: the bytes before ``data_end`` match, but the file ends with a
  complete footer that is neither the journaled one nor the committed one: a
  file another tool wrote over the same first bytes (or the new footer seen
  before its commit record by a reader that read the journal first);
* ``OLD``: the bytes before ``data_end`` match and the file's end is the old
  tail, or no complete footer at all: the append was interrupted, and the old
  tail from the journal restores the file.

Version 1 journals (fastpq before content identity) carry a device, an inode
and a CRC of the first and last 4 KiB: the inode is ignored, the CRC is
checked as their digest.
"""
from __future__ import annotations

import hashlib
import os
import struct
import zlib
from dataclasses import dataclass

from ..errors import CorruptFileError, ParquetError, UnsupportedFeatureError
from ..format.footer import MAGIC, check_head_magic, parse_file_metadata, read_footer_bytes

JOURNAL_SUFFIX = ".fastpq-journal"
TORN, MISMATCH, NEW, FOREIGN, OLD = "torn", "mismatch", "new", "foreign", "old"
SAMPLES = 16
SAMPLE_SIZE = 4096
_MAGIC = b"FPQJRNL1"
_COMMIT_MAGIC = b"FPQCMT01"
_VERSION = 2
_HEAD = struct.Struct("<8sIIQQII16sI")     # magic, version, flags, old size, data_end, samples, sample size,
#                                            digest, tail length
_HEAD_V1 = struct.Struct("<8sIIQQQQII")    # magic, version, flags, dev, ino, old size, data_end, CRC, tail length
_COMMIT = struct.Struct("<8sQQI")          # magic, new size, new tail start, new tail CRC
_CRC = struct.Struct("<I")
_BLOCK = 4096                              # the commit record starts in a block of its own
_V1_BLOCK = 4096
_READER_RETRIES = 5


@dataclass
class Journal:
    old_size: int
    data_end: int
    digest: bytes
    tail: bytes                       # the old footer + its length + PAR1
    samples: int = SAMPLES
    sample_size: int = SAMPLE_SIZE
    version: int = _VERSION
    commit: tuple | None = None       # (new size, new tail start, new tail CRC)

    @classmethod
    def of(cls, f, data_end: int, tail: bytes) -> "Journal":
        """The journal of the file open as ``f``, whose tail ``tail`` starts at ``data_end``."""
        return cls(data_end + len(tail), data_end, content_digest(f, data_end), tail)

    @property
    def old_footer(self) -> bytes:
        return self.tail[:-8]

    def record(self) -> bytes:
        head = _HEAD.pack(_MAGIC, _VERSION, 0, self.old_size, self.data_end, self.samples, self.sample_size,
                          self.digest, len(self.tail))
        crc = zlib.crc32(self.tail, zlib.crc32(head))
        size = len(head) + len(self.tail) + 4
        return b"".join((head, self.tail, _CRC.pack(crc), b"\0" * (-size % _BLOCK)))

    @staticmethod
    def commit_record(new_size: int, tail_start: int, tail_crc: int) -> bytes:
        body = _COMMIT.pack(_COMMIT_MAGIC, new_size, tail_start, tail_crc)
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def decode(cls, raw: bytes) -> "Journal | None":
        """The journal in ``raw``; None when its first record is torn. CorruptFileError when the
        record is complete but impossible, UnsupportedFeatureError for a newer fastpq's."""
        if len(raw) < 16 or raw[:8] != _MAGIC:
            return None
        version = _CRC.unpack_from(raw, 8)[0]
        if version not in (1, _VERSION):
            raise UnsupportedFeatureError(f"append journal of version {version}: written by a newer fastpq")
        head = _HEAD if version == _VERSION else _HEAD_V1
        if len(raw) < head.size + 4:
            return None
        fields = head.unpack_from(raw)
        end = head.size + fields[-1]
        if end + 4 > len(raw) or _CRC.unpack_from(raw, end)[0] != zlib.crc32(raw[:end]):
            return None
        tail = raw[head.size:end]
        if version == _VERSION:
            old_size, data_end, samples, sample_size, digest = fields[3:8]
        else:
            old_size, data_end, samples, sample_size = fields[5], fields[6], 0, 0
            digest = _CRC.pack(fields[7])
        journal = cls(old_size, data_end, digest, tail, samples, sample_size, version)
        journal._check()
        journal.commit = _commit_after(raw, end + 4)
        return journal

    def _check(self) -> None:
        ok = self.data_end >= 4 and self.data_end + len(self.tail) == self.old_size and \
            self.tail.endswith(MAGIC) and len(self.tail) >= 9
        if self.version == _VERSION:
            ok = ok and 2 <= self.samples <= 4096 and 1 <= self.sample_size <= 1 << 20
        if not ok:
            raise CorruptFileError(f"append journal describes an impossible file (data_end {self.data_end}, "
                                   f"old size {self.old_size}, tail of {len(self.tail)} bytes)")

    def matches(self, f, size: int) -> bool:
        """Whether the file open as ``f`` (``size`` bytes) holds the bytes this journal describes
        before ``data_end`` (its content, wherever it lives now)."""
        if size < self.data_end:
            return False
        if self.version == 1:
            return _v1_digest(f, self.data_end) == self.digest
        return content_digest(f, self.data_end, self.samples, self.sample_size) == self.digest

    def new_tail(self, f, size: int) -> bytes | None:
        """The new tail when the committed append is complete in ``f`` (of ``size`` bytes), else None."""
        if self.commit is None:
            return None
        new_size, start, crc = self.commit
        if size != new_size or not self.data_end <= start < new_size:
            return None
        data = _pread(f, start, new_size - start)
        return data if zlib.crc32(data) == crc and data.endswith(MAGIC) else None


def _commit_after(raw: bytes, end: int) -> tuple | None:
    at = end + (-end % _BLOCK)
    rec = raw[at:at + _COMMIT.size + 4]
    if len(rec) == _COMMIT.size + 4 and rec[:8] == _COMMIT_MAGIC and \
            _CRC.unpack_from(rec, _COMMIT.size)[0] == zlib.crc32(rec[:_COMMIT.size]):
        return _COMMIT.unpack_from(rec)[1:]
    return None


def content_digest(f, data_end: int, samples: int = SAMPLES, sample_size: int = SAMPLE_SIZE) -> bytes:
    """BLAKE2b of ``data_end`` and of ``samples`` blocks spread over the bytes before it."""
    h = hashlib.blake2b(struct.pack("<Q", data_end), digest_size=16)
    for start, n in sample_spans(data_end, samples, sample_size):
        h.update(_pread(f, start, n))
    return h.digest()


def sample_spans(data_end: int, samples: int = SAMPLES, sample_size: int = SAMPLE_SIZE) -> list:
    """(offset, length) of the sampled blocks: the first, the last, and evenly spaced ones between."""
    if data_end <= samples * sample_size:
        return [(0, data_end)]
    last = data_end - sample_size
    return [(i * last // (samples - 1), sample_size) for i in range(samples)]


def _v1_digest(f, data_end: int) -> bytes:
    head = _pread(f, 0, min(_V1_BLOCK, data_end))
    start = max(0, data_end - _V1_BLOCK)
    return _CRC.pack(zlib.crc32(_pread(f, start, data_end - start), zlib.crc32(head)))


def _pread(f, offset: int, n: int) -> bytes:
    f.seek(offset)
    return f.read(n)


# ---------------------------------------------------------------- verdicts

def complete_footer(f, size: int, path=None) -> bytes:
    """The footer of the file open as ``f`` when it is a complete Parquet file as it stands:
    both magics, a footer that decodes, and the last row group's column chunks inside the
    data. CorruptFileError saying what is wrong otherwise."""
    footer = read_footer_bytes(f, size, path)
    check_head_magic(f, path)
    fmd = parse_file_metadata(footer, path)
    if not fmd.schema:
        raise CorruptFileError("footer without a schema", path=path, offset=size - 8 - len(footer))
    data_end = size - 8 - len(footer)
    if len(fmd.row_groups):
        for i, chunk in enumerate(fmd.row_groups[-1].columns or []):
            md = chunk.meta_data
            if md is None:
                continue
            start, length = md.data_page_offset or 0, md.total_compressed_size or 0
            if md.dictionary_page_offset and 0 < md.dictionary_page_offset < start:
                start = md.dictionary_page_offset
            if start < 4 or length < 0 or start + length > data_end:
                raise CorruptFileError(f"column chunk {i} of the last row group lies outside the data "
                                       f"({start} + {length} bytes, data ends at {data_end})",
                                       path=path, row_group=len(fmd.row_groups) - 1)
    return footer


def classify(raw: bytes, f, size: int, path=None) -> tuple[str, Journal | None]:
    """(verdict, journal) of the journal bytes ``raw`` on the file open as ``f`` of ``size``
    bytes (the module docstring lists the verdicts)."""
    try:
        journal = Journal.decode(raw)
    except CorruptFileError:
        return MISMATCH, None
    if journal is None:
        return TORN, None
    if not journal.matches(f, size):
        return MISMATCH, journal
    if journal.new_tail(f, size) is not None:
        return NEW, journal
    try:
        footer = complete_footer(f, size, path)
    except ParquetError:
        return OLD, journal
    return (OLD if footer == journal.old_footer else FOREIGN), journal


# ---------------------------------------------------------------- where journals are

def journal_path(path: str) -> str:
    """``.<name>.fastpq-journal`` beside the file (symlinks resolved: one journal per file)."""
    folder, base = os.path.split(os.path.realpath(path))
    return os.path.join(folder, f".{base}{JOURNAL_SUFFIX}")


def read_journal(jpath: str) -> bytes | None:
    try:
        with open(jpath, "rb") as j:
            return j.read()
    except FileNotFoundError:
        return None


def unusable(path: str, jpath: str, state: str, problem) -> str:
    why = ("is incomplete (cut short while it was written or copied)" if state == TORN else
           "does not describe it (the file was rewritten, truncated or copied incompletely since the append "
           "the journal records, or the journal belongs to another file)")
    return (f"{path} cannot be read as it stands ({problem}), and its append journal {jpath} {why}; fastpq "
            "leaves both as they are: put back the file the journal was written for (with the journal beside "
            "it) and run fastpq.repair, or remove the journal once the file is restored otherwise")


# ---------------------------------------------------------------- the read-only view

def local_footer(path: str, f, name=None) -> tuple[int, bytes]:
    """(file size, footer bytes) of the local file open as ``f``, as a reader should see it.

    ``ParquetFile`` calls this: one ``stat`` of the journal path when there is
    none. With a journal (an append running, or interrupted by a crash) the
    journal's verdict decides (module docstring): the journaled old footer
    (OLD), or the file as it stands; nothing is written. Each read is checked
    like a seqlock (the same journal, and without one the same size and mtime,
    after the read), so an append starting or ending meanwhile is retried
    rather than read half-written.
    """
    jpath = journal_path(path)
    for attempt in range(_READER_RETRIES):
        journal_sig, state = _signature(jpath), None
        if journal_sig is not None:
            raw = read_journal(jpath)
            if raw is not None:
                try:
                    state, journal = classify(raw, f, os.fstat(f.fileno()).st_size, name)
                except UnsupportedFeatureError:     # a newer fastpq's: the file as it stands, if it reads
                    state = MISMATCH
                if state == OLD and _signature(jpath) == journal_sig:
                    return journal.old_size, journal.old_footer
        before = os.fstat(f.fileno())
        try:
            footer, error = read_footer_bytes(f, before.st_size, name), None
        except CorruptFileError as exc:
            footer, error = None, exc
        after = os.fstat(f.fileno())
        steady = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns) and \
            _signature(jpath) == journal_sig
        if steady or attempt == _READER_RETRIES - 1:
            if error is not None and state in (TORN, MISMATCH):
                raise CorruptFileError(unusable(name or path, jpath, state, error), path=name or path) from error
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
