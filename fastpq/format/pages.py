"""Pages of a column chunk: headers, byte ranges, decompression, checksums.

A column chunk is a run of pages (Parquet README, "Column chunks" and
"Data Pages"): an optional dictionary page, then data pages (v1 or v2), each a
thrift PageHeader followed by ``compressed_page_size`` bytes. This module
walks them and hands out decompressed pages whose level and value sections are
located but not decoded:

* v1 data page: the whole payload is compressed; inside it, repetition levels
  then definition levels (each RLE with a 4-byte length prefix, or the
  deprecated BIT_PACKED with a length implied by the count), then values.
* v2 data page: repetition and definition levels (RLE, no prefix) are stored
  uncompressed with their lengths in the header; only the values section is
  compressed, and only when ``is_compressed`` is not false.

Every size is checked against the chunk before it is used, page CRCs are
verified on request, and failures raise ``CorruptFileError`` with the file
offset of the page. A page is decompressed into a buffer of exactly its
declared ``uncompressed_page_size`` (more output is corruption), once the
read's budget (``fastpq.options``) has room for it, whatever its ratio.
"""
from __future__ import annotations

import struct
import threading
import zlib
from dataclasses import dataclass

import numpy as np

from .._thrift import Encoding, PageType
from ..errors import ChecksumError, CorruptFileError
from ..options import Budget
from . import compression

_MISSING = -(1 << 63)
_UINT8 = np.dtype(np.uint8)
_ABSENT = {_MISSING: None}
_U32 = struct.Struct("<I").unpack_from

RLE = Encoding.RLE
BIT_PACKED = Encoding.BIT_PACKED


class PageHeaderInfo:
    """The PageHeader fields reading needs, as plain ints (None where absent).

    Decoded by a numba kernel (fastpq.kernels.compact.parse_page_header) rather
    than thrift: ~1 us instead of ~40 us per page. Attribute names follow
    parquet.thrift (PageHeader, and the fields of its data/dictionary headers
    with the prefixes ``v1_``, ``dict_``, ``v2_``).
    """

    __slots__ = ("type", "uncompressed_page_size", "compressed_page_size", "crc",
                 "num_values", "encoding", "definition_level_encoding", "repetition_level_encoding",
                 "dict_num_values", "dict_encoding", "v2_num_values", "v2_num_nulls", "v2_num_rows",
                 "v2_encoding", "definition_levels_byte_length", "repetition_levels_byte_length",
                 "is_compressed")

    def __init__(self, fields: list):
        (self.type, self.uncompressed_page_size, self.compressed_page_size, self.crc,
         self.num_values, self.encoding, self.definition_level_encoding, self.repetition_level_encoding,
         self.dict_num_values, self.dict_encoding, self.v2_num_values, self.v2_num_nulls, self.v2_num_rows,
         self.v2_encoding, self.definition_levels_byte_length, self.repetition_levels_byte_length,
         self.is_compressed) = map(_ABSENT.get, fields, fields)   # _MISSING -> None


class ChunkTooShort(CorruptFileError):
    """A page runs past the end the column chunk metadata gives."""


@dataclass
class Levels:
    """Where one level section lies in ``DataPage.buf``: [start, end) and its encoding."""

    start: int
    end: int
    encoding: int
    bit_width: int


@dataclass
class DataPage:
    offset: int              # file offset of the page header
    num_values: int          # level entries in the page (rows, for flat columns)
    num_nulls: int | None    # v2 only
    num_rows: int | None     # v2 only
    encoding: int            # encoding of the values section
    buf: np.ndarray          # uint8: the decompressed page (levels and values)
    rep: Levels | None
    def_: Levels | None
    values_start: int        # the values section is buf[values_start:]
    header: PageHeaderInfo


@dataclass
class DictionaryPage:
    offset: int
    num_values: int
    encoding: int
    buf: np.ndarray          # uint8: the decompressed dictionary values
    header: PageHeaderInfo


def bit_width(max_level: int) -> int:
    return int(max_level).bit_length()


def iter_pages(chunk: np.ndarray, file_offset: int, codec: int, max_def: int, max_rep: int,
               num_values: int, *, verify_crc: bool = False, budget: Budget | None = None,
               exact_end: bool = False):
    """Yield the DictionaryPage / DataPage objects of one column chunk.

    ``chunk`` holds the chunk's bytes (starting at ``file_offset`` in the file);
    iteration stops once data pages have given ``num_values`` level entries
    (ColumnMetaData.num_values), or raises if the bytes run out first. With
    ``exact_end`` (``chunk`` is the size the metadata gives), bytes after the
    page that completes the chunk raise: a page header whose sizes changed yet
    still decodes moves its payload, and only the chunk's end tells (none of
    the corpus' ~470 files, from a score of writers, leaves a byte there).
    A page is decompressed only when ``budget`` (default: a new one from
    ``fastpq.options``) has room for its declared size; keeping it is the caller's charge.
    """
    budget = Budget() if budget is None else budget
    if type(chunk) is not np.ndarray or chunk.dtype != _UINT8 or chunk.ndim != 1 or not chunk.flags.c_contiguous:
        chunk = compression.as_u8(chunk)  # once here: every payload is then a C-contiguous uint8 slice
    pos = 0
    end = len(chunk)
    seen = pages = 0
    headers = _Headers(chunk, end, file_offset)
    while seen < num_values:
        if pos >= end:
            raise CorruptFileError(f"column chunk ends after {seen} of {num_values} values",
                                   offset=file_offset + pos)
        header, header_len = headers.at(pos, num_values - seen)
        start = pos + header_len
        payload_end = start + header.compressed_page_size
        if payload_end > end:
            raise ChunkTooShort(
                f"page of {header.compressed_page_size} bytes runs past the column chunk end",
                offset=file_offset + pos)
        payload = chunk[start:payload_end]
        if verify_crc and header.crc is not None:
            _check_crc(payload, header.crc, file_offset + pos)
        page = _make_page(header, payload, codec, max_def, max_rep, file_offset + pos, budget)
        pos = payload_end
        if page is None:
            continue
        if type(page) is DictionaryPage:
            if seen or pages:
                # the spec allows one dictionary page, first: a later one would silently replace
                # the dictionary the pages before it used (pyarrow refuses it too)
                raise CorruptFileError("a dictionary page after the chunk's first page", offset=page.offset)
        else:  # a DataPage
            seen += page.num_values
            if seen > num_values:
                raise CorruptFileError(f"pages hold more values than the column chunk's {num_values}",
                                       offset=page.offset)
            if seen == num_values and exact_end and pos < end:
                raise CorruptFileError(f"{end - pos} bytes follow the page that completes the column chunk",
                                       offset=page.offset)
        pages += 1
        yield page


_compact = None  # see _kernels
_scratch = threading.local()


class _Headers:
    """The page headers of one chunk, parsed a run at a time (``scan_page_headers``): a numba
    call per page cost more than parsing did."""

    RUN = 64

    def __init__(self, chunk, end, file_offset):
        self.chunk, self.end, self.file_offset = chunk, end, file_offset
        self.parsed: dict = {}

    def at(self, pos: int, values_left: int):
        """(PageHeaderInfo, header length) of the header at ``pos``."""
        got = self.parsed.pop(pos, None)
        if got is None:
            self._scan(pos, values_left)
            got = self.parsed.pop(pos, None)
        if got is None:  # the scan stopped before this header: parse it alone, for the error
            return _read_header(self.chunk, pos, self.end, self.file_offset)
        return got

    def _scan(self, pos: int, values_left: int) -> None:
        compact = _kernels()
        scratch = getattr(_scratch, "arrays", None)  # per thread: read out before this returns
        if scratch is None:
            scratch = _scratch.arrays = (np.empty((self.RUN, compact.PH_SIZE), np.int64),
                                         np.empty((self.RUN, 2), np.int64))
        rows, spans = scratch
        k = compact.scan_page_headers(self.chunk, pos, self.end, values_left, rows, spans)
        self.parsed = parsed = {}
        for fields, (start, stop) in zip(rows[:k].tolist(), spans[:k].tolist()):
            # type, uncompressed_page_size, compressed_page_size: absent (_MISSING) or negative
            # stops the run (_missing_size); _read_header raises the precise error for this one
            if fields[0] < 0 or fields[1] < 0 or fields[2] < 0:
                break
            parsed[start] = (PageHeaderInfo(fields), stop - start)


def _kernels():
    """fastpq.kernels.compact, imported on first use (importing it imports numba)."""
    global _compact
    if _compact is None:
        from ..kernels import compact as _compact
    return _compact


def _read_header(chunk, pos, end, file_offset):
    compact = _kernels()
    fields = np.empty(compact.PH_SIZE, np.int64)
    stop = compact.parse_page_header(chunk, pos, end, fields)
    if stop < 0:
        from ..kernels.status import describe

        raise CorruptFileError(f"cannot decode PageHeader: {describe(stop)}", offset=file_offset + pos)
    header = PageHeaderInfo(fields.tolist())
    name = _missing_size(header)
    if name is not None:
        raise CorruptFileError(f"page header has no valid {name}", offset=file_offset + pos)
    return header, stop - pos


def _missing_size(header) -> str | None:
    """The first of type / uncompressed_page_size / compressed_page_size that is absent or
    negative, or None when the three are there."""
    for name, value in (("type", header.type), ("uncompressed_page_size", header.uncompressed_page_size),
                        ("compressed_page_size", header.compressed_page_size)):
        if value is None or value < 0:
            return name
    return None


def _check_crc(payload, expected: int, offset: int) -> None:
    actual = zlib.crc32(payload)
    if actual != expected & 0xFFFFFFFF:
        raise ChecksumError(f"page CRC mismatch: header says {expected & 0xFFFFFFFF:#010x}, "
                            f"bytes give {actual:#010x}", offset=offset)


def _make_page(header, payload, codec, max_def, max_rep, offset, budget):
    kind = header.type
    if kind == PageType.DATA_PAGE:
        return _data_page_v1(header, payload, codec, max_def, max_rep, offset, budget)
    if kind == PageType.DATA_PAGE_V2:
        return _data_page_v2(header, payload, codec, max_def, max_rep, offset, budget)
    if kind == PageType.DICTIONARY_PAGE:
        if _bad(header.dict_num_values, header.dict_encoding):
            raise CorruptFileError("dictionary page without a valid dictionary_page_header", offset=offset)
        buf = _decompress(codec, payload, header.uncompressed_page_size, offset, budget)
        return DictionaryPage(offset, header.dict_num_values, header.dict_encoding, buf, header)
    if any(v is not None for v in (header.num_values, header.v2_num_values, header.dict_num_values)):
        # an index page, or a page type from the future, does not carry the header of a data or
        # dictionary page: this is one whose type field is damaged (skipping it would lose rows)
        raise CorruptFileError(f"page of unknown type {kind} carries a data or dictionary page header",
                               offset=offset)
    return None  # index pages and page types from the future are skipped


def _decompress(codec, payload, size, offset, budget, out=None):
    if out is None:  # a slice of the chunk's bytes (C-contiguous uint8: iter_pages): the checks once, one codec call
        if codec == compression.UNCOMPRESSED:
            if len(payload) == size:
                return payload  # what compression.decompress returns for it, without its checks' cost
        else:
            _room_for_page(budget, codec, payload, size, offset)
            try:
                return compression.decompress_page(codec, payload, size)
            except CorruptFileError as exc:
                raise exc.located(offset=offset) from None
    try:  # into ``out`` (its room checked by the caller), or an UNCOMPRESSED page of the wrong size (raises)
        out = compression.decompress(codec, payload, size, out=out)
    except CorruptFileError as exc:
        raise exc.located(offset=offset) from None
    return np.frombuffer(out, np.uint8) if not isinstance(out, np.ndarray) else out


def _room_for_page(budget, codec, compressed, size: int, offset: int, levels: int = 0) -> None:
    """Before allocating a page of ``levels + size`` bytes, ``size`` of them decompressed from
    ``compressed``: a size the codec cannot reach from those bytes is corruption, and the budget
    must have room for the page."""
    bound = compression.max_uncompressed_size(codec, len(compressed))
    if size < 0 or (bound is not None and size > bound):  # check_size's test, inline; it says why
        try:
            compression.check_size(codec, len(compressed), size)
        except CorruptFileError as exc:
            raise exc.located(offset=offset) from None
    budget.fits(levels + size, f"a page at byte offset {offset}")


def owned_bytes(page) -> int:
    """Bytes a page's decompression allocated (0 when its buffer is a view of the chunk's bytes):
    what keeping the page costs."""
    return page.buf.nbytes if page.buf.base is None else 0


def _bad(*required) -> bool:
    """True if a required header field is absent or negative."""
    for v in required:
        if v is None or v < 0:
            return True
    return False


def _data_page_v1(h, payload, codec, max_def, max_rep, offset, budget):
    num_values, encoding, def_encoding, rep_encoding = \
        h.num_values, h.encoding, h.definition_level_encoding, h.repetition_level_encoding
    if num_values is None or encoding is None or def_encoding is None or rep_encoding is None or \
            num_values < 0 or encoding < 0 or def_encoding < 0 or rep_encoding < 0:   # _bad, inline
        raise CorruptFileError("data page without a valid data_page_header", offset=offset)
    buf = _decompress(codec, payload, h.uncompressed_page_size, offset, budget)
    pos = 0
    rep = def_ = None
    if max_rep > 0:
        rep, pos = _v1_levels(buf, pos, rep_encoding, max_rep, num_values, offset)
    if max_def > 0:
        def_, pos = _v1_levels(buf, pos, def_encoding, max_def, num_values, offset)
    return DataPage(offset, num_values, None, None, encoding, buf, rep, def_, pos, h)


def _v1_levels(buf, pos, encoding, max_level, count, offset):
    width = bit_width(max_level)
    if encoding == RLE:
        if pos + 4 > len(buf):
            raise CorruptFileError("page ends inside a level length prefix", offset=offset)
        length = _U32(buf, pos)[0]
        start = pos + 4
    elif encoding == BIT_PACKED:
        length = (count * width + 7) // 8
        start = pos
    else:
        raise CorruptFileError(f"unknown level encoding {encoding}", offset=offset)
    if start + length > len(buf):
        raise CorruptFileError(f"level section of {length} bytes runs past the page", offset=offset)
    return Levels(start, start + length, encoding, width), start + length


def _data_page_v2(header, payload, codec, max_def, max_rep, offset, budget):
    h = header
    rl, dl = h.repetition_levels_byte_length, h.definition_levels_byte_length
    if _bad(h.v2_num_values, h.v2_num_nulls, h.v2_num_rows, h.v2_encoding, rl, dl):
        raise CorruptFileError("data page v2 without a valid data_page_header_v2", offset=offset)
    if rl + dl > len(payload) or rl + dl > h.uncompressed_page_size:
        raise CorruptFileError("data page v2 header has inconsistent sizes", offset=offset)
    values_size = header.uncompressed_page_size - rl - dl
    compressed = payload[rl + dl:]
    if h.is_compressed == 0 or codec == compression.UNCOMPRESSED:
        if len(compressed) != values_size:
            raise CorruptFileError("uncompressed data page v2 values section has the wrong size", offset=offset)
        buf = payload
    else:
        _room_for_page(budget, codec, compressed, values_size, offset, rl + dl)
        buf = np.empty(rl + dl + values_size, np.uint8)
        buf[: rl + dl] = payload[: rl + dl]
        _decompress(codec, compressed, values_size, offset, budget, out=buf[rl + dl:])
    rep = Levels(0, rl, RLE, bit_width(max_rep)) if max_rep > 0 else None
    def_ = Levels(rl, rl + dl, RLE, bit_width(max_def)) if max_def > 0 else None
    return DataPage(offset, h.v2_num_values, h.v2_num_nulls, h.v2_num_rows, h.v2_encoding, buf, rep, def_,
                    rl + dl, header)


def page_headers(chunk: np.ndarray, file_offset: int, num_values: int):
    """Yield ``(file offset, header length, PageHeaderInfo)`` for the pages of one column chunk
    without decompressing anything, until data pages have given ``num_values`` level entries
    (as ``iter_pages`` walks them). Raises ``CorruptFileError`` where the walk cannot go on."""
    pos, end, seen = 0, len(chunk), 0
    while seen < num_values:
        if pos >= end:
            raise CorruptFileError(f"column chunk ends after {seen} of {num_values} values",
                                   offset=file_offset + pos)
        header, header_len = _read_header(chunk, pos, end, file_offset)
        if pos + header_len + header.compressed_page_size > end:
            raise ChunkTooShort(f"page of {header.compressed_page_size} bytes runs past the column chunk end",
                                offset=file_offset + pos)
        yield file_offset + pos, header_len, header
        if header.type == PageType.DATA_PAGE:
            seen += max(header.num_values or 0, 0)
        elif header.type == PageType.DATA_PAGE_V2:
            seen += max(header.v2_num_values or 0, 0)
        pos += header_len + header.compressed_page_size


def read_page_header(buf, offset: int = 0):
    """The thrift ``PageHeader`` at ``buf[offset:]`` (bytes or uint8 array) and its length in bytes.

    For tools that want every field (statistics included); the read path uses
    the faster ``PageHeaderInfo``.
    """
    from .._thrift import PageHeader
    from . import thrift_io

    return thrift_io.decode_window(PageHeader, buf, offset, len(buf), "PageHeader")
