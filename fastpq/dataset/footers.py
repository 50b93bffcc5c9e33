"""Footers of a dataset's files: fetched (one ranged read of the tail on remote file
systems), taken from ``_metadata`` (row groups split by file without decoding them), and
scanned for what pruning needs (``ChunkTable``: where each Statistics struct lies).
"""
from __future__ import annotations

import io
import os

import numpy as np

from ..errors import CorruptFileError
from ..file.reader import ParquetFile
from ..format.footer import TAIL_READ, parse_file_metadata, read_footer_bytes
from ..format.schema import Schema
from ..format.source import Source, open_regular
from .paths import check_path


def metadata_files(lst):
    """(files, ParquetFiles) of the dataset whose ``_metadata`` ``lst`` (a Listing) names:
    row groups grouped by their file_path (found by a compact-protocol scan: nothing is
    decoded), each file's a slice of them."""
    from .._thrift import FileMetaData
    from .discover import FileEntry

    data = read_all(lst.fs, lst.metadata_path)
    name = lst.name_of(lst.metadata_path)
    fmd = parse_file_metadata(read_footer_bytes(io.BytesIO(data), len(data), name), name)
    schema = Schema(fmd.schema, name)
    by_file: dict = {}
    for i, rel in enumerate(checked_file_paths(fmd.row_groups, name)):
        by_file.setdefault(rel, []).append(i)
    files, pfs = [], []
    for rel in sorted(by_file):
        where = by_file[rel]
        contiguous = where[-1] - where[0] == len(where) - 1
        rgs = fmd.row_groups.take(slice(where[0], where[-1] + 1) if contiguous else where)
        path = os.path.join(lst.root, *rel.split("/")) if lst.fs is None else f"{lst.root}/{rel}"
        entry = FileEntry(path, lst.name_of(path), None, rel.split("/")[:-1])
        sub = FileMetaData(version=fmd.version, schema=fmd.schema, num_rows=int(rgs.num_rows.sum()),
                           row_groups=rgs, key_value_metadata=fmd.key_value_metadata,
                           created_by=fmd.created_by, column_orders=fmd.column_orders)
        files.append(entry)
        pfs.append(ParquetFile.from_metadata(source_of(lst.fs, entry), sub, schema=schema))
    return files, pfs


def common_metadata_file(lst):
    """(name, ParquetFile) of the Listing's ``_common_metadata`` (a footer without row groups)."""
    data = read_all(lst.fs, lst.common_metadata_path)
    name = lst.name_of(lst.common_metadata_path)
    fmd = parse_file_metadata(read_footer_bytes(io.BytesIO(data), len(data), name), name)
    src = Source(lst.common_metadata_path, filesystem=lst.fs, size=len(data)) if lst.fs is not None else \
        Source(lst.common_metadata_path, size=len(data))
    return name, ParquetFile.from_metadata(src, fmd, file_size=len(data))


class ChunkTable:
    """Where each column chunk's Statistics lie in a file's footer bytes (one compact-protocol
    scan for all row groups): decoding a Statistics struct costs a few microseconds, decoding
    its RowGroup with thrift a hundred or more. Falls back to thrift objects when the row
    groups were not parsed from bytes."""

    def __init__(self, pf):
        from ..kernels import compact

        self._pf = pf
        self._table = None
        spans = pf.metadata.row_groups.spans()
        n_cols = len(pf.schema.columns)
        if spans is not None and n_cols:
            buf, starts, ends = spans
            arr = np.frombuffer(buf, np.uint8)
            out = np.empty((len(starts), n_cols, compact.CC_SIZE), np.int64)
            if compact.scan_column_chunks(arr, starts, ends, out) == 0:
                self._buf, self._table = buf, out

    def fingerprint(self, row_groups) -> bytes:
        """A digest of the file's schema and where row groups ``row_groups`` (None: all) lie and
        what they claim (rows; per chunk type, codec, values, offsets, size: not file_path,
        which ``_metadata`` sets, nor statistics): equal for a file appended to since (its
        old row groups stay where they were), different for one rewritten. The layout is cut
        from the scan table once per file, each call hashes a slice (50,000 one-row-group
        pieces: 2.1 s of fancy indexing per call -> 0.2 s)."""
        import hashlib

        counts, layout = self._layout()
        if row_groups is None:
            pick = slice(None)
        elif len(row_groups) == 1:
            pick = slice(row_groups[0], row_groups[0] + 1)
        else:
            pick = list(row_groups)
        h = hashlib.blake2b(schema_digest(self._pf), digest_size=16)
        h.update(counts[pick].tobytes())
        if layout is not None:
            h.update(layout[pick].tobytes())
        else:
            from ..file.reader import _layout

            rgs = self._pf.metadata.row_groups
            for k in range(len(counts))[pick]:
                h.update(repr(_layout(rgs[k])[1]).encode())
        return h.digest()

    def _layout(self) -> tuple:
        if getattr(self, "_cut", None) is None:
            from ..kernels import compact

            counts = np.ascontiguousarray(self._pf.metadata.row_groups.num_rows, dtype=np.int64)
            layout = None
            if self._table is not None:
                cols = [compact.CC_TYPE, compact.CC_CODEC, compact.CC_NUM_VALUES, compact.CC_COMPRESSED,
                        compact.CC_DATA_PAGE_OFFSET, compact.CC_DICTIONARY_PAGE_OFFSET]
                layout = np.ascontiguousarray(self._table[:, :, cols])
            self._cut = counts, layout
        return self._cut

    def null_free(self, column: int):
        """Whether every row group's statistics say column ``column`` holds no null (True /
        False), from the scan table at once; None when there is no table (ask ``statistics``)."""
        if self._table is None:
            return None
        from ..kernels import compact

        t = self._table[:, column]
        has = (t[:, compact.CC_HAS_META] != compact.MISSING) & (t[:, compact.CC_STATS_START] != compact.MISSING) \
            & (t[:, compact.CC_STATS_END] > t[:, compact.CC_STATS_START])
        return bool(np.all(has & (t[:, compact.CC_NULL_COUNT] == 0)))

    def statistics(self, k: int, column: int):
        """(thrift Statistics or None, num_values) of a chunk, or None when it has no metadata."""
        from ..kernels import compact

        if self._table is not None:
            row = self._table[k, column]
            if row[compact.CC_HAS_META] == compact.MISSING:
                return None
            start, end = int(row[compact.CC_STATS_START]), int(row[compact.CC_STATS_END])
            stats = None
            if start != compact.MISSING and end > start:
                from .._thrift import Statistics
                from ..format import thrift_io

                try:
                    stats, _ = thrift_io.decode(Statistics, self._buf[start:end], "Statistics")
                except CorruptFileError:
                    stats = None  # unreadable statistics prune nothing
            return stats, int(row[compact.CC_NUM_VALUES])
        rg = self._pf.metadata.row_groups[k]
        if column >= len(rg.columns) or rg.columns[column].meta_data is None:
            return None
        md = rg.columns[column].meta_data
        return md.statistics, int(md.num_values)


def file_paths(row_groups, name) -> list:
    """The file_path of each row group's first column chunk, without decoding row groups."""
    from ..kernels import compact

    spans = row_groups.spans()
    if spans is not None and len(spans[1]):
        buf, starts, ends = spans
        out = np.empty((len(starts), 1, compact.CC_SIZE), np.int64)
        if compact.scan_column_chunks(np.frombuffer(buf, np.uint8), starts, ends, out) == 0:
            paths = []
            for row in out[:, 0]:
                if row[compact.CC_FILE_PATH_START] == compact.MISSING:
                    paths.append(None)
                    continue
                start, length = int(row[compact.CC_FILE_PATH_START]), int(row[compact.CC_FILE_PATH_LENGTH])
                paths.append(bytes(buf[start:start + length]).decode("utf-8", errors="replace"))
            return paths
        raise CorruptFileError("cannot scan the row groups of _metadata", path=name)
    return [rg.columns[0].file_path if rg.columns else None for rg in row_groups]


def checked_file_paths(row_groups, name) -> list:
    """``file_paths``, each a dataset-relative path (``paths.check_path``: else
    ``CorruptFileError`` naming the file ``name``, e.g. a ``_metadata``)."""
    return [check_path(rel, name, f"row group {i}: file_path") for i, rel in enumerate(file_paths(row_groups, name))]


def read_all(fs, path: str) -> bytes:
    if fs is None:
        with open_regular(path) as f:
            return f.read()
    return fs.cat_file(path)


def source_of(fs, entry) -> Source:
    if fs is None:
        return Source(entry.path, size=entry.size)
    src = Source(entry.path, filesystem=fs, size=entry.size, identity=entry.identity)
    src.name = entry.name
    return src


def open_footer(fs, entry) -> ParquetFile:
    """The footer of one data file: locally through ParquetFile (which honours appends in
    progress); remotely with one ranged read of the tail (a second if the footer is larger)."""
    src = source_of(fs, entry)
    if fs is None:
        return ParquetFile(src)
    size = src.size
    tail = min(size, TAIL_READ)
    data = src.read_range(size - tail, tail) if size else b""
    footer = read_footer_bytes(_Tail(src, size - tail, data), size, entry.name)
    return ParquetFile.from_metadata(src, parse_file_metadata(footer, entry.name), file_size=size,
                                     footer_size=len(footer))


class _Tail:
    """A read-only file over a source whose tail is already in memory."""

    def __init__(self, source, base: int, data: bytes):
        self._source, self._base, self._data, self._pos = source, base, data, 0

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = pos
        return pos

    def read(self, n: int) -> bytes:
        start = self._pos - self._base
        if 0 <= start and start + n <= len(self._data):
            out = self._data[start:start + n]
        else:
            out = self._source.read_range(self._pos, n)
        self._pos += len(out)
        return out


def schema_digest(pf) -> bytes:
    """A digest of a file's schema elements (computed once per ParquetFile)."""
    import hashlib

    got = getattr(pf, "_schema_digest", None)
    if got is None:
        got = hashlib.blake2b(repr(pf.metadata.schema).encode(), digest_size=16).digest()
        pf._schema_digest = got
    return got
