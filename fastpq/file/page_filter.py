"""Page pruning: the page index (ColumnIndex / OffsetIndex, PageIndex.md) and reading only
the pages whose rows may match the filters.

For each row group that survives its statistics, the ColumnIndex of each
filtered column gives every page's min, max and null count, and the
OffsetIndex gives where each page lies and its first row. A conjunction keeps
the rows of pages that may match in every column it filters; the union over
conjunctions is the candidate row set R.

Pages of different columns start at different rows (pyarrow cuts pages by
size), so columns are read one at a time, each over its own pages: first the
filtered columns over the pages holding R, which gives the exact matching
rows M; then every other column over the pages holding M (often far fewer),
and each column is cut down to its rows by position (``row_positions``).

A column's pages are read through the ordinary reader: a virtual file
(``VirtualSource``) lays out the bytes before the chunk's first data page (its
dictionary page) followed by the selected pages, and a synthetic row group
whose chunk points there with ``num_values`` set to the rows of those pages.
Every decoder, dtype rule and check of the normal path applies unchanged;
consecutive selected pages are fetched in one ranged read.

Only flat columns are read by pages (OffsetIndex does not give the value counts
of repeated columns); other columns, and columns without an OffsetIndex, are
read whole for the row group and then cut. Row groups whose filtered columns
lack a usable index are read the ordinary way.
"""
from __future__ import annotations

import bisect
import copy

import numpy as np

from .._thrift import ColumnIndex, OffsetIndex
from ..errors import CorruptFileError
from ..format import thrift_io
from ..format.statistics import decode_value
from ..format.source import Source
from ..frame.read.filters import NS, Summary, may_match, stat_key

_MAX_GAP = 64 << 10  # index structures closer than this are fetched in one read


# ---------------------------------------------------------------- loading the index

def load_indexes(pf, row_groups: list, leaves_oi: list, leaves_ci: list) -> dict:
    """{(row group, column index, 'oi' | 'ci'): decoded OffsetIndex / ColumnIndex} for the chunks
    that have them; index structures close together are fetched in one read."""
    wanted = []
    for i in row_groups:
        rg = pf.metadata.row_groups[i]
        for leaves, what in ((leaves_oi, "oi"), (leaves_ci, "ci")):
            for leaf in leaves:
                if leaf.column_index >= len(rg.columns):
                    continue
                chunk = rg.columns[leaf.column_index]
                off, length = ((chunk.offset_index_offset, chunk.offset_index_length) if what == "oi"
                               else (chunk.column_index_offset, chunk.column_index_length))
                if off is not None and length and off > 0 and length > 0:
                    wanted.append((off, length, (i, leaf.column_index, what)))
    out: dict = {}
    wanted.sort()
    k = 0
    while k < len(wanted):
        start, end = wanted[k][0], wanted[k][0] + wanted[k][1]
        j = k + 1
        while j < len(wanted) and wanted[j][0] <= end + _MAX_GAP:
            end = max(end, wanted[j][0] + wanted[j][1])
            j += 1
        data = pf.source.read_range(start, end - start)
        for off, length, key in wanted[k:j]:
            cls = OffsetIndex if key[2] == "oi" else ColumnIndex
            try:
                out[key], _ = thrift_io.decode(cls, data[off - start: off - start + length], cls.__name__)
            except CorruptFileError:
                continue  # an unreadable index prunes nothing: the chunk is read whole
        k = j
    return out


def page_rows(oi, num_rows: int, chunk) -> list | None:
    """[(first row, end row, offset, size)] of a chunk's data pages, None if the index is unusable."""
    locs = oi.page_locations or []
    if not locs:
        return None
    md = chunk.meta_data
    start = md.data_page_offset
    if md.dictionary_page_offset is not None and 0 < md.dictionary_page_offset < start:
        start = md.dictionary_page_offset
    end = start + (md.total_compressed_size or 0)
    out = []
    for k, loc in enumerate(locs):
        first = loc.first_row_index
        stop = locs[k + 1].first_row_index if k + 1 < len(locs) else num_rows
        if first is None or loc.offset is None or loc.compressed_page_size is None or stop <= first \
                or loc.offset < start or loc.offset + loc.compressed_page_size > end:
            return None
        if k == 0 and first != 0:
            return None
        if k and loc.offset < out[-1][2] + out[-1][3]:
            return None
        out.append((first, stop, loc.offset, loc.compressed_page_size))
    return out if out[-1][1] == num_rows else None


def page_summaries(ci, pages: list, leaf, kind: str, is_float: bool, unit=None) -> list | None:
    """One Summary per page from a ColumnIndex, None if it does not match the pages."""
    n = len(pages)
    if ci is None or len(ci.null_pages or []) != n or len(ci.min_values or []) != n \
            or len(ci.max_values or []) != n:
        return None
    counts = ci.null_counts if ci.null_counts is not None and len(ci.null_counts) == n else None
    nans = getattr(ci, "nan_counts", None)
    nans = nans if nans is not None and len(nans) == n else None
    exact = kind not in ("string", "binary")  # page bounds of byte arrays may be truncated
    out = []
    for k, (first, stop, _, _) in enumerate(pages):
        rows = stop - first
        if ci.null_pages[k]:
            out.append(Summary(None, None, rows, rows, exact, False))
            continue
        lo = _page_key(ci.min_values[k], leaf, kind, unit)
        hi = _page_key(ci.max_values[k], leaf, kind, unit)
        nulls = counts[k] if counts is not None else (0 if not leaf.optional else None)
        may_nan = is_float and (nans is None or nans[k] > 0)
        out.append(Summary(lo, hi, nulls, rows, exact, may_nan))
    return out


def _page_key(raw, leaf, kind, unit):
    if raw is None:
        return None
    value = decode_value(raw, leaf)
    if kind == "duration" and isinstance(value, int) and unit in NS:
        return value * NS[unit]
    return stat_key(value, kind)


# ---------------------------------------------------------------- row selection

def candidate_ranges(groups: list, num_rows: int, page_info: dict) -> list:
    """Sorted disjoint [start, end) row ranges that may match; ``page_info``: column name ->
    (pages, summaries) for the filtered columns with a usable index."""
    union = []
    for group in groups:
        ranges = [(0, num_rows)]
        for b in group:
            info = page_info.get(b.column)
            if info is None:
                continue
            pages, summaries = info
            keep = _merge([(p[0], p[1]) for p, s in zip(pages, summaries) if may_match(b, s)])
            ranges = _intersect(ranges, keep)
            if not ranges:
                break
        union.extend(ranges)
    return _merge(union)


def _merge(ranges: list) -> list:
    out = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def _intersect(x: list, y: list) -> list:
    out, i, j = [], 0, 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


# ---------------------------------------------------------------- the virtual file

class VirtualSource(Source):
    """Bytes of a real source rearranged: segments of it laid end to end (module docstring)."""

    def __init__(self, real: Source):
        self.real = real
        self.name = real.name
        self.fs, self.fs_path, self._fileobj, self.is_local = real.fs, real.fs_path, None, real.is_local
        self._starts: list = []       # virtual start of each segment
        self._segments: list = []     # (virtual start, real start, length)
        self._size = 4                # virtual offsets start after a pretend 'PAR1'

    def add(self, real_start: int, length: int) -> int:
        v = self._size
        self._starts.append(v)
        self._segments.append((v, real_start, length))
        self._size += length
        return v

    def finish(self) -> int:
        """The virtual file size (a pretend 8-byte tail after the segments)."""
        return self._size + 8

    def read_range(self, start: int, length: int) -> bytes:
        end = min(start + length, self._size)
        k = max(bisect.bisect_right(self._starts, start) - 1, 0)
        runs = []  # [real start, length] of adjacent real bytes
        while k < len(self._segments) and self._segments[k][0] < end:
            v, r, n = self._segments[k]
            lo, hi = max(start, v), min(end, v + n)
            if hi > lo:
                rs = r + (lo - v)
                if runs and runs[-1][0] + runs[-1][1] == rs:
                    runs[-1][1] += hi - lo
                else:
                    runs.append([rs, hi - lo])
            k += 1
        return b"".join(self.real.read_range(r, n) for r, n in runs)

    def read_array(self, start: int, length: int, out=None):
        return np.frombuffer(self.read_range(start, length), np.uint8)

    def open(self):
        raise NotImplementedError("a virtual source is read by ranges only")


def chunk_start(md) -> int:
    start = md.data_page_offset
    if md.dictionary_page_offset is not None and 0 < md.dictionary_page_offset < start:
        start = md.dictionary_page_offset
    return start


def row_positions(rows, pages: list):
    """Positions of the sorted absolute ``rows`` among the rows of ``pages`` laid end to end."""
    import numpy as np

    firsts = np.array([p[0] for p in pages], dtype=np.int64)
    sizes = np.array([p[1] - p[0] for p in pages], dtype=np.int64)
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    k = np.searchsorted(firsts, rows, side="right") - 1
    return rows - firsts[k] + before[k]


def pages_with(rows, pages: list) -> list:
    """The pages holding at least one of the sorted absolute ``rows``."""
    import numpy as np

    out = []
    for p in pages:
        if np.searchsorted(rows, p[0], "left") < np.searchsorted(rows, p[1], "left"):
            out.append(p)
    return out


def column_file(pf, k: int, leaf, selected: list, all_pages: list):
    """A ParquetFile of one row group holding only the ``selected`` pages (entries of
    ``all_pages``, the chunk's page_rows()) of ``leaf`` in row group ``k`` of ``pf`` (other
    columns are not readable from it)."""
    from .._thrift import FileMetaData
    from .reader import ParquetFile
    from ..format.footer import RowGroupList

    vsrc = VirtualSource(pf.source)
    rg = pf.metadata.row_groups[k]
    new = copy.copy(rg)
    new.columns = list(rg.columns)
    new.columns[leaf.column_index], rows = _virtual_chunk(rg.columns[leaf.column_index], selected, all_pages, vsrc,
                                                          int(rg.num_rows))
    new.num_rows = rows
    md = pf.metadata
    fmd = FileMetaData(version=md.version, schema=md.schema, num_rows=rows, row_groups=RowGroupList.from_objects([new]),
                       key_value_metadata=md.key_value_metadata, created_by=md.created_by,
                       column_orders=md.column_orders)
    vpf = ParquetFile.from_metadata(vsrc, fmd, schema=pf.schema, file_size=vsrc.finish())
    for cached in ("pandas_metadata", "arrow_schema"):  # parsed once per file, not per column read
        if cached in pf.__dict__:
            vpf.__dict__[cached] = pf.__dict__[cached]
    return vpf


def _virtual_chunk(chunk, selected, all_pages, vsrc, num_rows):
    md = chunk.meta_data
    new_md = copy.copy(md)
    new_chunk = copy.copy(chunk)
    new_chunk.meta_data = new_md
    new_chunk.offset_index_offset = new_chunk.offset_index_length = None
    new_chunk.column_index_offset = new_chunk.column_index_length = None
    start = chunk_start(md)
    if selected is None:
        v = vsrc.add(start, md.total_compressed_size)
        _shift(new_md, md, start, v)
        return new_chunk, num_rows
    prefix = all_pages[0][2] - start
    v = vsrc.add(start, prefix) if prefix > 0 else vsrc.add(start, 0)
    for _, _, offset, size in selected:
        vsrc.add(offset, size)
    _shift(new_md, md, start, v)
    if md.data_page_offset >= all_pages[0][2]:
        new_md.data_page_offset = v + prefix
    total = prefix + sum(p[3] for p in selected)
    rows = sum(p[1] - p[0] for p in selected)
    if md.total_compressed_size:
        new_md.total_uncompressed_size = int((md.total_uncompressed_size or 0) * total / md.total_compressed_size)
    new_md.total_compressed_size = total
    new_md.num_values = rows
    new_md.statistics = None
    return new_chunk, rows


def _shift(new_md, md, start: int, v: int) -> None:
    new_md.data_page_offset = v + (md.data_page_offset - start)
    if md.dictionary_page_offset is not None and 0 < md.dictionary_page_offset < md.data_page_offset:
        new_md.dictionary_page_offset = v + (md.dictionary_page_offset - start)
    else:
        new_md.dictionary_page_offset = None
    new_md.index_page_offset = None
