"""Writing one column chunk: buffers in, pages out, ``ColumnChunk`` metadata back.

The frame layer hands over a ``ColumnData``: the dense non-null values (a 1-D
numeric / bool array, an (n, L) uint8 array for FIXED_LEN_BYTE_ARRAY, or
offsets + data for BYTE_ARRAY), the definition and repetition levels (None
when every entry is defined / the column is flat), and optionally a ready-made
dictionary (categoricals: the values are then int32 indices into it).

``write_column_chunk`` then

1. picks the value encoding: the requested one, or dictionary encoding where it
   pays (``dictionary='auto'``: the dictionary is complete within
   ``dictionary_limit`` bytes and makes the chunk smaller; ``True``: always, with
   a PLAIN fallback for the values past the limit, as Arrow and parquet-mr do);
2. cuts pages at ``page_size`` estimated encoded bytes or ``max_rows_per_page``
   rows, pages of nested columns starting on a row (rep_level 0);
3. writes the dictionary page and the data pages (v1 or v2), compressed, with
   CRCs on request (``write_pages.py``);
4. returns the ``ColumnChunk`` (statistics included) and, on request, the
   column's ``ColumnIndex`` / ``OffsetIndex`` (``write_stats.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._thrift import ColumnChunk, ColumnMetaData, Encoding, PageEncodingStats, PageType, Type
from ...format import compression
from . import stats as write_stats, values as write_values
from .pages import PageSink, encode_levels

MAX_ROWS_PER_PAGE = 20_000     # Arrow's and parquet-mr's default row limit per page
DICTIONARY_LIMIT = 1 << 20     # PLAIN size of the dictionary page past which it falls back


@dataclass(frozen=True)
class LeafSpec:
    """What the chunk writer needs of a leaf column's schema."""

    path: tuple
    physical_type: int
    type_length: int | None = None
    max_def: int = 0
    max_rep: int = 0
    sort_order: str = write_stats.NUMERIC   # see write_stats: numeric, float, bool, bytes, ...
    utf8: bool = False                      # byte arrays hold UTF-8 (bounds cut on characters)


@dataclass
class ColumnOptions:
    """How one column chunk is written (``writer.py`` resolves per-column user options)."""

    codec: int = compression.SNAPPY
    level: int | None = None
    encoding: int | None = None          # value encoding; None: PLAIN or dictionary (auto)
    dictionary: object = "auto"          # 'auto', True or False
    dictionary_limit: int = DICTIONARY_LIMIT
    data_page_version: int = 1
    page_size: int = 1 << 20
    max_rows_per_page: int = MAX_ROWS_PER_PAGE
    statistics: bool = True
    page_index: bool = False
    crc: bool = False


@dataclass
class ColumnData:
    """One column chunk's buffers (see the module docstring)."""

    num_rows: int
    values: np.ndarray | None = None
    offsets: np.ndarray | None = None
    data: np.ndarray | None = None
    def_levels: np.ndarray | None = None
    rep_levels: np.ndarray | None = None
    dictionary: "ColumnData | None" = None

    @property
    def n_values(self) -> int:
        return len(self.offsets) - 1 if self.offsets is not None else len(self.values)

    @property
    def is_bool(self) -> bool:
        return self.values is not None and self.values.dtype == np.bool_

    @property
    def type_length(self) -> int:
        return self.values.shape[1] if self.values.ndim == 2 else self.values.dtype.itemsize

    def take(self, indices) -> "ColumnData":
        """The values at ``indices`` (dictionary entries -> values), levels dropped."""
        if self.offsets is not None:
            offsets, data = write_stats.gather_byte_arrays(self.offsets, self.data, indices)
            return ColumnData(len(indices), offsets=offsets, data=data)
        return ColumnData(len(indices), values=self.values[indices])


@dataclass
class ChunkResult:
    chunk: ColumnChunk
    column_index: object = None          # ColumnIndex or None
    offset_index: object = None          # OffsetIndex or None
    end: int = 0                         # file offset just past the chunk

    def relocate(self, shift: int) -> None:
        """Move every file offset by ``shift`` (a chunk encoded at offset 0 into memory,
        then written at ``shift``)."""
        md = self.chunk.meta_data
        md.data_page_offset += shift
        if md.dictionary_page_offset is not None:
            md.dictionary_page_offset += shift
        self.chunk.file_offset += shift
        if self.offset_index is not None:
            for loc in self.offset_index.page_locations:
                loc.offset += shift
        self.end += shift


class _Entries:
    """Level entries of a chunk: how entries map to dense values and to rows.

    Without repetition the entry -> value map is counted page by page as pages are cut and
    written (forwards), not as a cumsum over the whole chunk: that cumsum was 58 of 520 ms
    profiled writing 2M nullable rows. The full map is built only when asked backwards or
    for a value -> entry search (byte-array page cuts).
    """

    def __init__(self, spec: LeafSpec, col: ColumnData):
        from ...kernels.encode import row_starts

        d, r = col.def_levels, col.rep_levels
        self.n = len(d) if d is not None else (len(r) if r is not None else col.n_values)
        self.n_values = col.n_values
        self._d, self._max_def = d, spec.max_def
        self.vpos = None
        self._memo = {0: 0}
        self._last = 0                           # largest entry counted forwards so far
        self.starts = row_starts(r) if r is not None else None

    def _positions(self) -> np.ndarray:
        if self.vpos is None:
            self.vpos = np.zeros(self.n + 1, np.int64)
            np.cumsum(self._d == self._max_def, out=self.vpos[1:])
        return self.vpos

    def _count(self, e0: int, e1: int) -> int:
        d = self._d[e0:e1]
        return int(np.count_nonzero(d if self._max_def == 1 else d == self._max_def))

    def value_at(self, e: int) -> int:
        if self._d is None:
            return e
        if self.vpos is not None:
            return int(self.vpos[e])
        v = self._memo.get(e)
        if v is None:
            if e < self._last:
                return int(self._positions()[e])
            v = self._memo[self._last] + self._count(self._last, e)
            self._memo[e] = v
            self._last = e
        return v

    def entry_for_value(self, v: int) -> int:
        return v if self._d is None else int(np.searchsorted(self._positions(), v, "left"))

    def row_at(self, e: int) -> int:
        return e if self.starts is None else int(np.searchsorted(self.starts, e, "left"))

    def snap(self, e: int) -> int:
        """The first row start at or after entry ``e``."""
        if self.starts is None:
            return min(e, self.n)
        return int(self.starts[min(self.row_at(e), len(self.starts) - 1)])

    def after_rows(self, e: int, rows: int) -> int:
        if self.starts is None:
            return min(e + rows, self.n)
        return int(self.starts[min(self.row_at(e) + rows, len(self.starts) - 1)])


@dataclass
class _Plan:
    """The chosen value encoding of a chunk."""

    encoding: int                        # encoding of pages past the dictionary (or all pages)
    dictionary: ColumnData | None = None
    indices: np.ndarray | None = None    # int32 dictionary index per dense value (a prefix)
    given: bool = False                  # the dictionary came with the data (categoricals)

    @property
    def n_dict(self) -> int:
        return 0 if self.indices is None else len(self.indices)


def write_column_chunk(write, offset: int, spec: LeafSpec, col: ColumnData,
                       opts: ColumnOptions, compress_pool=None) -> ChunkResult:
    """Write one column chunk through ``write`` starting at file ``offset`` (pages compressed
    on ``compress_pool`` when given: see ``PageSink``)."""
    col, plan = _choose_plan(spec, col, opts)
    entries = _Entries(spec, col)
    sink = PageSink(write, offset, opts.codec, opts.level, opts.crc, compress_pool)
    dict_offset = None
    enc_stats: dict = {}
    if plan.dictionary is not None:
        sink.dictionary_page(write_values.plain(plan.dictionary, 0, plan.dictionary.n_values),
                             plan.dictionary.n_values)
        sink.flush()
        dict_offset = sink.pages[0][0]
        enc_stats[(PageType.DICTIONARY_PAGE, Encoding.PLAIN)] = 1
    data_offset = sink.offset
    first_data_page = len(sink.pages)
    cuts = _cut_pages(entries, _value_cost(col, plan), opts)
    page_bounds, null_counts, first_rows = [], [], []
    bit_width = _dict_bit_width(plan)
    e0 = 0
    for e1 in cuts:
        v0, v1 = entries.value_at(e0), entries.value_at(e1)
        use_dict = plan.indices is not None and v1 <= plan.n_dict
        encoding = Encoding.RLE_DICTIONARY if use_dict else plan.encoding
        if use_dict:
            values = write_values.dictionary_indices(plan.indices[v0:v1], bit_width)
        else:
            values = write_values.VALUE_ENCODERS[encoding](col, v0, v1)
        _write_page(sink, spec, col, entries, e0, e1, values, encoding, opts)
        first_rows.append(entries.row_at(e0))
        enc_stats[(_page_type(opts), encoding)] = enc_stats.get((_page_type(opts), encoding), 0) + 1
        if opts.page_index:
            page_bounds.append(_page_bounds(spec, col, plan, v0, v1, use_dict))
            null_counts.append((e1 - e0) - (v1 - v0))
        e0 = e1
    sink.flush()
    locations = [(start, size, row) for (start, size), row in zip(sink.pages[first_data_page:], first_rows)]
    meta = _metadata(spec, col, plan, entries, opts, sink, data_offset, dict_offset, enc_stats)
    chunk = ColumnChunk(file_offset=dict_offset if dict_offset is not None else data_offset, meta_data=meta)
    result = ChunkResult(chunk, end=sink.offset)
    if opts.page_index:
        result.column_index = write_stats.column_index(page_bounds, null_counts, spec)
        result.offset_index = write_stats.offset_index(locations)
    return result


def _page_type(opts) -> int:
    return PageType.DATA_PAGE_V2 if opts.data_page_version == 2 else PageType.DATA_PAGE


def _write_page(sink, spec, col, entries, e0, e1, values, encoding, opts):
    n = e1 - e0
    rep = b""
    if spec.max_rep > 0:
        rep = encode_levels(col.rep_levels[e0:e1], n, spec.max_rep, opts.data_page_version == 1)
    def_ = b""
    if spec.max_def > 0:
        levels = None if col.def_levels is None else col.def_levels[e0:e1]
        def_ = encode_levels(levels, n, spec.max_def, opts.data_page_version == 1)
    if opts.data_page_version == 1:
        sink.data_page_v1(rep, def_, values, n, encoding)
        return
    nulls = n - (entries.value_at(e1) - entries.value_at(e0))
    rows = entries.row_at(e1) - entries.row_at(e0) if entries.starts is not None else n
    sink.data_page_v2(rep, def_, values, n, nulls, rows, encoding)


# ---------------------------------------------------------------- encoding choice

def _choose_plan(spec, col, opts) -> tuple[ColumnData, _Plan]:
    name = ".".join(spec.path)
    enc = opts.encoding
    if enc is not None:
        write_values.check_encoding(enc, spec.physical_type, name)
    if col.dictionary is not None:
        if opts.dictionary is not False and enc in (None, Encoding.RLE_DICTIONARY):
            return col, _Plan(Encoding.PLAIN, col.dictionary, np.ascontiguousarray(col.values, np.int32), True)
        col = _materialise(col)
    if enc is not None and enc != Encoding.RLE_DICTIONARY:
        return col, _Plan(enc)
    wanted = enc == Encoding.RLE_DICTIONARY or opts.dictionary is True
    if not (wanted or opts.dictionary == "auto") or not _can_dictionary(spec, col):
        return col, _Plan(Encoding.PLAIN)
    if not wanted and _surely_too_many_distinct(col, opts.dictionary_limit):
        return col, _Plan(Encoding.PLAIN)
    dictionary, indices = _build_dictionary(col, opts.dictionary_limit)
    complete = len(indices) == col.n_values
    if wanted or (complete and _dictionary_pays(col, dictionary)):
        return col, _Plan(Encoding.PLAIN, dictionary, indices)
    return col, _Plan(Encoding.PLAIN)


def _materialise(col: ColumnData) -> ColumnData:
    dense = col.dictionary.take(np.asarray(col.values, np.int64))
    return ColumnData(col.num_rows, dense.values, dense.offsets, dense.data, col.def_levels, col.rep_levels)


def _can_dictionary(spec, col) -> bool:
    return spec.physical_type not in (Type.BOOLEAN, Type.INT96) and col.n_values > 0


def _build_dictionary(col: ColumnData, limit: int):
    from ...kernels import dictionary as kd

    if col.offsets is not None:
        d_off, d_data, indices, _ = kd.dictionary_encode_byte_array(col.offsets, col.data, limit)
        return ColumnData(len(d_off) - 1, offsets=d_off, data=d_data), indices
    if col.values.ndim == 2:
        width = col.values.shape[1]
        flat, indices, _ = kd.dictionary_encode_fixed_len(col.values, width, limit)
        values = flat.reshape(-1, width)
        return ColumnData(len(values), values=values), indices
    values, indices, _ = kd.dictionary_encode(col.values, limit)
    return ColumnData(len(values), values=values), indices


_SAMPLE = 4096


def _surely_too_many_distinct(col, limit: int) -> bool:
    """True when a sample of byte arrays says the dictionary would outgrow ``limit`` bytes, so
    building one (then abandoning it) is skipped: 10M distinct strings spent 75 ms there.

    4,096 values taken evenly across the column are hashed. Were there only as many distinct
    values as fit ``limit`` (D of them), the sample would repeat about 4096^2 / 2D times
    (birthday bound; ~180 for 20-byte strings and the 1 MiB default); fewer than a quarter
    of that means several times D distinct values. Skewed data repeats more, and is tried.
    Only the encoding depends on this, never the values. Numbers: ``_numbers_too_distinct``.
    """
    from ...kernels import dictionary as kd

    n = col.n_values
    if n < 16 * _SAMPLE:
        return False
    if col.offsets is None:
        return _numbers_too_distinct(col.values, limit)
    hashes = np.empty(_SAMPLE, np.int64)
    k = kd.sampled_hashes(col.offsets, col.data, n // _SAMPLE, hashes)
    if k < _SAMPLE:
        return False
    mean_size = 4 + (int(col.offsets[-1]) - int(col.offsets[0])) / n
    fitting = max(limit / mean_size, 1.0)
    repeats = k - len(np.unique(hashes))
    return repeats < k * k / (2 * fitting) / 4


_BLOCK = 64


def _numbers_too_distinct(values: np.ndarray, limit: int) -> bool:
    """``_surely_too_many_distinct`` for 1-D numbers: the same birthday rule over 64 blocks of
    64 consecutive values spread over the column (blocks, so sorted data with short runs of
    equal values still shows its repeats). Skips building, then abandoning, a dictionary of
    unique int64 / float64 values: ~1.4 ms per million values (numba), the sample ~0.1 ms."""
    if values.ndim != 1 or values.dtype.itemsize not in (1, 2, 4, 8):
        return False
    n = len(values)
    starts = np.linspace(0, n - _BLOCK, _SAMPLE // _BLOCK).astype(np.int64)
    sample = values[(starts[:, None] + np.arange(_BLOCK)).reshape(-1)]
    fitting = max(limit / values.dtype.itemsize, 1.0)
    repeats = _SAMPLE - len(np.unique(sample.view(f"u{values.dtype.itemsize}")))
    return repeats < _SAMPLE * _SAMPLE / (2 * fitting) / 4


def _plain_size(col: ColumnData) -> int:
    if col.offsets is not None:
        return int(col.offsets[-1] - col.offsets[0]) + 4 * col.n_values
    return col.values.nbytes


def _dictionary_pays(col, dictionary) -> bool:
    bit_width = max(int(dictionary.n_values - 1).bit_length(), 1)
    encoded = _plain_size(dictionary) + col.n_values * bit_width // 8
    return encoded < _plain_size(col)


def _dict_bit_width(plan) -> int:
    if plan.dictionary is None:
        return 0
    return int(max(plan.dictionary.n_values - 1, 0)).bit_length()


# ---------------------------------------------------------------- page cuts

class _Cost:
    """Estimated encoded bytes of dense values, to cut pages at ``page_size``: a fixed size
    per value, or the PLAIN size of byte arrays (4 + length each, from their ``offsets``)."""

    def __init__(self, per_value: float = 0.0, offsets: np.ndarray | None = None):
        self.per_value = per_value
        self.offsets = offsets

    def limit(self, v: int, page_size: int, n_values: int) -> int:
        """The first value past ``page_size`` bytes from value ``v`` (at least v + 1)."""
        if self.offsets is None:
            step = int(page_size / self.per_value) if self.per_value > 0 else n_values
            return min(n_values, v + max(step, 1))
        from ...kernels.encode import byte_array_page_end

        return byte_array_page_end(self.offsets, v, page_size)


def _value_cost(col, plan) -> _Cost:
    if plan.indices is not None and plan.n_dict == col.n_values:
        return _Cost(max(_dict_bit_width(plan), 1) / 8)
    if col.offsets is not None:
        return _Cost(offsets=col.offsets)
    if col.is_bool:
        return _Cost(1 / 8)
    return _Cost(col.values.nbytes / max(len(col.values), 1) or 1)


def _cut_pages(entries: _Entries, cost: _Cost, opts) -> list:
    """Entry indices where pages end (the last is ``entries.n``; one empty page if n == 0)."""
    n = entries.n
    n_values = entries.n_values
    cuts = []
    e = 0
    while e < n:
        v = entries.value_at(e)
        v_end = cost.limit(v, opts.page_size, n_values)
        rows_end = entries.after_rows(e, opts.max_rows_per_page)
        if v_end >= n_values:
            end = n
        elif e + (v_end - v) >= rows_end:   # an entry holds at most one value: the row limit binds
            end = rows_end
        else:
            end = entries.entry_for_value(v_end)
        end = min(end, rows_end)
        end = entries.snap(end)
        if end <= e:
            end = entries.snap(e + 1) if entries.starts is not None else e + 1
            if end <= e:
                end = n
        cuts.append(end)
        e = end
    return cuts or [0]


# ---------------------------------------------------------------- statistics and metadata

def _page_bounds(spec, col, plan, v0, v1, use_dict):
    if use_dict and plan.given:
        return write_stats.bounds(spec, plan.dictionary, 0, 0, take=np.unique(plan.indices[v0:v1]))
    return write_stats.bounds(spec, col, v0, v1)


def _chunk_bounds(spec, col, plan):
    if plan.given:
        from ...kernels.dictionary import mark_used

        used = np.zeros(plan.dictionary.n_values, np.bool_)
        mark_used(plan.indices, used)
        return write_stats.bounds(spec, plan.dictionary, 0, 0, take=np.flatnonzero(used))
    if plan.dictionary is not None and plan.n_dict == col.n_values:
        return write_stats.bounds(spec, plan.dictionary, 0, plan.dictionary.n_values)
    return write_stats.bounds(spec, col, 0, col.n_values)


def _value_dtype(col, plan):
    source = plan.dictionary if plan.given else col
    return None if source.values is None else source.values.dtype


def _metadata(spec, col, plan, entries, opts, sink, data_offset, dict_offset, enc_stats) -> ColumnMetaData:
    encodings = sorted({enc for _, enc in enc_stats} | ({Encoding.RLE} if spec.max_def or spec.max_rep else set()))
    stats = None
    if opts.statistics:
        n_values = plan.n_dict if plan.given else col.n_values
        stats = write_stats.chunk_statistics(spec, _chunk_bounds(spec, col, plan), entries.n - n_values,
                                             _value_dtype(col, plan))
    return ColumnMetaData(
        type=spec.physical_type, encodings=encodings, path_in_schema=list(spec.path), codec=opts.codec,
        num_values=entries.n, total_uncompressed_size=sink.uncompressed,
        total_compressed_size=sink.compressed, data_page_offset=data_offset,
        dictionary_page_offset=dict_offset, statistics=stats,
        encoding_stats=[PageEncodingStats(page_type=t, encoding=e, count=c) for (t, e), c in enc_stats.items()])
