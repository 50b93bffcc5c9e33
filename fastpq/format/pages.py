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
offset of the page.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .._thrift import Encoding, PageHeader, PageType
from ..errors import ChecksumError, CorruptFileError
from . import compression, thrift_io

RLE = Encoding.RLE
BIT_PACKED = Encoding.BIT_PACKED


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
    header: PageHeader


@dataclass
class DictionaryPage:
    offset: int
    num_values: int
    encoding: int
    buf: np.ndarray          # uint8: the decompressed dictionary values
    header: PageHeader


def bit_width(max_level: int) -> int:
    return int(max_level).bit_length()


def iter_pages(chunk: np.ndarray, file_offset: int, codec: int, max_def: int, max_rep: int,
               num_values: int, *, verify_crc: bool = False, max_page_size: int | None = None):
    """Yield the DictionaryPage / DataPage objects of one column chunk.

    ``chunk`` holds the chunk's bytes (starting at ``file_offset`` in the file);
    iteration stops once data pages have given ``num_values`` level entries
    (ColumnMetaData.num_values), or raises if the bytes run out first.
    """
    pos = 0
    end = len(chunk)
    seen = 0
    while seen < num_values:
        if pos >= end:
            raise CorruptFileError(f"column chunk ends after {seen} of {num_values} values",
                                   offset=file_offset + pos)
        header, header_len = _read_header(chunk, pos, end, file_offset)
        start = pos + header_len
        payload_end = start + header.compressed_page_size
        if payload_end > end:
            raise ChunkTooShort(
                f"page of {header.compressed_page_size} bytes runs past the column chunk end",
                offset=file_offset + pos)
        payload = chunk[start:payload_end]
        if verify_crc and header.crc is not None:
            _check_crc(payload, header.crc, file_offset + pos)
        page = _make_page(header, payload, codec, max_def, max_rep, file_offset + pos, max_page_size)
        pos = payload_end
        if page is None:
            continue
        if isinstance(page, DataPage):
            seen += page.num_values
            if seen > num_values:
                raise CorruptFileError(f"pages hold more values than the column chunk's {num_values}",
                                       offset=page.offset)
        yield page


def _read_header(chunk, pos, end, file_offset):
    try:
        header, n = thrift_io.decode_window(PageHeader, chunk, pos, end, "PageHeader")
    except CorruptFileError as exc:
        raise exc.located(offset=file_offset + pos) from None
    if header.compressed_page_size < 0 or header.uncompressed_page_size < 0:
        raise CorruptFileError("page header has a negative size", offset=file_offset + pos)
    return header, n


def _check_crc(payload, expected: int, offset: int) -> None:
    actual = zlib.crc32(payload)
    if actual != expected & 0xFFFFFFFF:
        raise ChecksumError(f"page CRC mismatch: header says {expected & 0xFFFFFFFF:#010x}, "
                            f"bytes give {actual:#010x}", offset=offset)


def _make_page(header, payload, codec, max_def, max_rep, offset, max_page_size):
    kind = header.type
    if max_page_size is not None and header.uncompressed_page_size > max_page_size:
        raise CorruptFileError(f"page claims {header.uncompressed_page_size} uncompressed bytes, "
                               f"above the limit of {max_page_size}", offset=offset)
    if kind == PageType.DATA_PAGE:
        return _data_page_v1(header, payload, codec, max_def, max_rep, offset, max_page_size)
    if kind == PageType.DATA_PAGE_V2:
        return _data_page_v2(header, payload, codec, max_def, max_rep, offset, max_page_size)
    if kind == PageType.DICTIONARY_PAGE:
        dph = header.dictionary_page_header
        if dph is None or dph.num_values < 0:
            raise CorruptFileError("dictionary page without a valid dictionary_page_header", offset=offset)
        buf = _decompress(codec, payload, header.uncompressed_page_size, offset, max_page_size)
        return DictionaryPage(offset, dph.num_values, dph.encoding, buf, header)
    return None  # index pages and page types from the future are skipped


def _decompress(codec, payload, size, offset, max_page_size, out=None):
    try:
        out = compression.decompress(codec, payload, size, out=out, max_size=max_page_size)
    except CorruptFileError as exc:
        raise exc.located(offset=offset) from None
    return np.frombuffer(out, np.uint8) if not isinstance(out, np.ndarray) else out


def _data_page_v1(header, payload, codec, max_def, max_rep, offset, max_page_size):
    dph = header.data_page_header
    if dph is None or dph.num_values < 0:
        raise CorruptFileError("data page without a valid data_page_header", offset=offset)
    buf = _decompress(codec, payload, header.uncompressed_page_size, offset, max_page_size)
    pos = 0
    rep = def_ = None
    if max_rep > 0:
        rep, pos = _v1_levels(buf, pos, dph.repetition_level_encoding, max_rep, dph.num_values, offset)
    if max_def > 0:
        def_, pos = _v1_levels(buf, pos, dph.definition_level_encoding, max_def, dph.num_values, offset)
    return DataPage(offset, dph.num_values, None, None, dph.encoding, buf, rep, def_, pos, header)


def _v1_levels(buf, pos, encoding, max_level, count, offset):
    width = bit_width(max_level)
    if encoding == RLE:
        if pos + 4 > len(buf):
            raise CorruptFileError("page ends inside a level length prefix", offset=offset)
        length = int.from_bytes(buf[pos:pos + 4].tobytes(), "little")
        start = pos + 4
    elif encoding == BIT_PACKED:
        length = (count * width + 7) // 8
        start = pos
    else:
        raise CorruptFileError(f"unknown level encoding {encoding}", offset=offset)
    if start + length > len(buf):
        raise CorruptFileError(f"level section of {length} bytes runs past the page", offset=offset)
    return Levels(start, start + length, encoding, width), start + length


def _data_page_v2(header, payload, codec, max_def, max_rep, offset, max_page_size):
    dph = header.data_page_header_v2
    if dph is None:
        raise CorruptFileError("data page v2 without a data_page_header_v2", offset=offset)
    rl, dl = dph.repetition_levels_byte_length, dph.definition_levels_byte_length
    if (dph.num_values < 0 or dph.num_nulls < 0 or dph.num_rows < 0 or rl < 0 or dl < 0
            or rl + dl > len(payload) or rl + dl > header.uncompressed_page_size):
        raise CorruptFileError("data page v2 header has inconsistent sizes", offset=offset)
    values_size = header.uncompressed_page_size - rl - dl
    compressed = payload[rl + dl:]
    if dph.is_compressed is False or codec == compression.UNCOMPRESSED:
        if len(compressed) != values_size:
            raise CorruptFileError("uncompressed data page v2 values section has the wrong size", offset=offset)
        buf = payload
    else:
        buf = np.empty(rl + dl + values_size, np.uint8)
        buf[: rl + dl] = payload[: rl + dl]
        _decompress(codec, compressed, values_size, offset, max_page_size, out=buf[rl + dl:])
    rep = Levels(0, rl, RLE, bit_width(max_rep)) if max_rep > 0 else None
    def_ = Levels(rl, rl + dl, RLE, bit_width(max_def)) if max_def > 0 else None
    return DataPage(offset, dph.num_values, dph.num_nulls, dph.num_rows, dph.encoding, buf, rep, def_,
                    rl + dl, header)
