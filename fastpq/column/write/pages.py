"""Assembling pages: levels, values, compression, CRC and the page header.

Page layouts (Parquet README "Data Pages", parquet.thrift ``PageHeader``):

* dictionary page: the PLAIN dictionary values, compressed;
* data page v1: ``[rep_levels][def_levels][values]`` compressed as one block;
  each level section is the RLE / bit-packing hybrid behind a 4-byte length;
* data page v2: rep and def levels uncompressed and without length prefix (the
  header holds their byte lengths), then the values section, compressed.

The optional CRC-32 covers the page's bytes after the header exactly as stored
(compressed), and goes in ``PageHeader.crc`` as a signed i32.
``PageSink`` writes each page as soon as it is built and keeps the running
offsets and sizes the column chunk metadata needs.
"""
from __future__ import annotations

import zlib
from collections import deque

import numpy as np

from ..._thrift import DataPageHeader, DataPageHeaderV2, DictionaryPageHeader, Encoding, PageHeader, PageType
from ...format import compression, thrift_io


def encode_levels(levels, count: int, max_level: int, length_prefix: bool) -> bytes:
    """One level section: the hybrid of ``levels[:count]`` (None: ``count`` copies of
    ``max_level``) at ``bit_width_for(max_level)``, behind a 4-byte length if asked."""
    from ...kernels.encode import constant_run
    from ...kernels.rle import rle_hybrid_encode

    bit_width = int(max_level).bit_length()
    if levels is None:
        body = constant_run(count, max_level, bit_width)
    else:
        body = _bit_packed_levels(levels, count) if bit_width == 1 else None
        if body is None:
            body = rle_hybrid_encode(levels, count, bit_width).tobytes()
    if length_prefix:
        return len(body).to_bytes(4, "little") + body
    return body


_GROUPS = 63        # bit-packed groups of 8 per run: a one-byte run header, as the hybrid kernel writes


def _bit_packed_levels(levels, count: int) -> bytes | None:
    """Levels of bit width 1 (nullable flat columns: the validity) as bit-packed runs only,
    or None when runs of equal levels are long enough for the RLE kernel to pay.

    RLE runs pay at bit width 1 from ~25 equal levels; a packed byte other than 0x00 / 0xFF
    holds a change of level, so with a quarter or more such bytes (a change every 32 levels
    or sooner) runs are short and plain bit-packing costs at most a few bytes more per page.
    ``np.packbits`` is ~20x faster than the hybrid kernel here (2M levels, 10 % nulls at
    random: 46 ms -> ~2 ms). Runs of 63 groups (504 levels), the last group zero-padded
    (RLE / bit-packing hybrid, Encodings.md).
    """
    levels = np.asarray(levels)[:count]
    if count == 0 or levels.dtype.kind not in "biu" or levels.max() > 1 or levels.min() < 0:
        return None
    packed = np.packbits(levels.view(np.uint8) if levels.dtype == np.bool_ else levels, bitorder="little")
    mixed = len(packed) - np.count_nonzero(packed == 0) - np.count_nonzero(packed == 0xFF)
    if 4 * mixed < len(packed):
        return None
    full, rest = divmod(len(packed), _GROUPS)
    out = np.empty(len(packed) + full + (rest > 0), np.uint8)
    runs = out[:full * (_GROUPS + 1)].reshape(full, _GROUPS + 1)
    runs[:, 0] = (_GROUPS << 1) | 1
    runs[:, 1:] = packed[:full * _GROUPS].reshape(full, _GROUPS)
    if rest:
        out[full * (_GROUPS + 1)] = (rest << 1) | 1
        out[full * (_GROUPS + 1) + 1:] = packed[full * _GROUPS:]
    return out.tobytes()


def _crc(parts) -> int:
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


class PageSink:
    """Writes the pages of one column chunk through ``write`` from file offset ``offset``.

    With a ``pool`` (and a codec), pages are compressed on it while the next ones are
    built (the codecs release the GIL: a one-column write compresses on every core),
    and written in order as their compression finishes, at most ``WINDOW`` pages
    behind. ``pages`` lists each written page's (file offset, size); ``flush`` writes
    whatever is still pending.
    """

    WINDOW = 8

    def __init__(self, write, offset: int, codec: int, level, crc: bool, pool=None):
        self.write = write
        self.offset = offset
        self.codec = codec
        self.level = level
        self.crc = crc
        self.pool = pool if codec != compression.UNCOMPRESSED else None
        self.uncompressed = 0
        self.compressed = 0
        self.pages: list = []
        self._pending: deque = deque()

    def _emit(self, header: PageHeader, parts: list) -> None:
        if self.crc:
            header.crc = _crc(parts)
        head = thrift_io.encode(header)
        start = self.offset
        self.write(head)
        for part in parts:
            self.write(part)
        size = len(head) + header.compressed_page_size
        self.offset += size
        self.uncompressed += len(head) + header.uncompressed_page_size
        self.compressed += size
        self.pages.append((start, size))

    def _compress(self, data) -> bytes:
        if self.codec == compression.UNCOMPRESSED:
            return data if isinstance(data, bytes) else np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        return compression.compress(self.codec, data, self.level)

    def _page(self, header_for, raw) -> None:
        """Compress ``raw`` and emit ``header_for(body)`` with its parts (in page order)."""
        if self.pool is None:
            self._emit(*header_for(self._compress(raw)))
            return
        self._pending.append((header_for, self.pool.submit(self._compress, raw)))
        while len(self._pending) > self.WINDOW:
            self._emit_oldest()

    def _emit_oldest(self) -> None:
        header_for, body = self._pending.popleft()
        self._emit(*header_for(body.result()))

    def flush(self) -> None:
        while self._pending:
            self._emit_oldest()

    def dictionary_page(self, plain_values: np.ndarray, num_values: int) -> None:
        def header_for(body):
            return PageHeader(type=PageType.DICTIONARY_PAGE, uncompressed_page_size=len(plain_values),
                              compressed_page_size=len(body),
                              dictionary_page_header=DictionaryPageHeader(
                                  num_values=num_values, encoding=Encoding.PLAIN, is_sorted=False)), [body]

        self._page(header_for, plain_values)

    def data_page_v1(self, rep: bytes, def_: bytes, values: np.ndarray, num_values: int, encoding: int) -> None:
        levels = rep + def_
        uncompressed_size = len(levels) + len(values)

        def header_for(body, prefix=b""):
            parts = [part for part in (prefix, body) if len(part)]
            return PageHeader(type=PageType.DATA_PAGE, uncompressed_page_size=uncompressed_size,
                              compressed_page_size=sum(len(part) for part in parts),
                              data_page_header=DataPageHeader(
                                  num_values=num_values, encoding=encoding,
                                  definition_level_encoding=Encoding.RLE,
                                  repetition_level_encoding=Encoding.RLE)), parts

        if self.codec == compression.UNCOMPRESSED:  # levels and values written as they are: no joined copy
            self._emit(*header_for(self._compress(values), levels))
        else:
            self._page(header_for, levels + values.tobytes() if levels else values)

    def data_page_v2(self, rep: bytes, def_: bytes, values: np.ndarray, num_values: int,
                     num_nulls: int, num_rows: int, encoding: int) -> None:
        compressed = self.codec != compression.UNCOMPRESSED

        def header_for(body):
            return PageHeader(type=PageType.DATA_PAGE_V2, uncompressed_page_size=len(rep) + len(def_) + len(values),
                              compressed_page_size=len(rep) + len(def_) + len(body),
                              data_page_header_v2=DataPageHeaderV2(
                                  num_values=num_values, num_nulls=num_nulls, num_rows=num_rows,
                                  encoding=encoding, definition_levels_byte_length=len(def_),
                                  repetition_levels_byte_length=len(rep), is_compressed=compressed)), \
                [part for part in (rep, def_, body) if len(part)]

        self._page(header_for, values)
