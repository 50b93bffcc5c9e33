"""Small valid files that decode to a lot: the inputs of the decoded-bytes budget tests.

Each builder writes a whole Parquet file by hand (thrift metadata from ``fastpq._thrift``),
so that the sizes are exact and nothing of their decoded size is allocated to build them:

* ``level_bomb(shape, n)``: one row holding ``n`` entries at the deepest level of a field of
  one of ``SHAPES`` (lists, nested lists, maps, lists of structs, structs of lists, legacy
  repeated fields; ``"flat"``: ``n`` rows of an optional int64 column instead), every leaf
  one data page (v1 or v2) whose levels are RLE runs: a few bytes whatever ``n``. The leaf
  values are nulls, or one dictionary value repeated by an RLE run of indices
  (``values="dictionary"``; leaves that cannot be null always are). With ``entry`` (the
  string shapes) and ``codec``, the dictionary value is that string, compressed: ``n`` copies
  of a 1 MiB string gathered from a page of a few hundred bytes.
* ``page_bomb(size, codec)``: ``size // 8`` rows of a required int64 column of zeros in
  data pages of ``page_size`` uncompressed bytes (default: one page), in ``row_groups``
  row groups, compressed as concatenated zstd frames or gzip members (each a fixed piece of
  zeros), or brotli: a 1 GiB page takes a few KB and builds in milliseconds. ``declared``
  overrides the page's declared uncompressed size (a page that lies about it).

Every file is valid Parquet (unless ``declared`` lies): pyarrow reads the small ones as written.
"""
from __future__ import annotations

import struct

import cramjam

from fastpq._thrift import (ColumnChunk, ColumnMetaData, CompressionCodec, ConvertedType, DataPageHeader,
                            DataPageHeaderV2, DictionaryPageHeader, Encoding, FieldRepetitionType, FileMetaData,
                            PageHeader, PageType, RowGroup, SchemaElement, Type)
from fastpq.format import thrift_io
from fastpq.kernels.varint import uleb128_bytes  # RLE run headers

_PIECE = 1 << 24  # bytes of zeros per compressed zstd frame / gzip member
OPTIONAL, REQUIRED, REPEATED = (FieldRepetitionType.OPTIONAL, FieldRepetitionType.REQUIRED,
                                FieldRepetitionType.REPEATED)


def _group(name, repetition, children, converted=None):
    return [SchemaElement(name=name, repetition_type=repetition, num_children=len(children),
                          converted_type=converted)] + [el for child in children for el in child]


def _leaf(name, repetition, ptype=Type.INT64):
    return [SchemaElement(name=name, type=ptype, repetition_type=repetition,
                          converted_type=ConvertedType.UTF8 if ptype == Type.BYTE_ARRAY else None)]


def _list(name, element):
    return _group(name, OPTIONAL, [_group("list", REPEATED, [element])], ConvertedType.LIST)


# shape -> (top-level field's schema elements, its leaves: (path, physical type, max_def, max_rep))
SHAPES = {
    "flat": (_leaf("c", OPTIONAL), [(["c"], Type.INT64, 1, 0)]),
    "list": (_list("c", _leaf("element", OPTIONAL)), [(["c", "list", "element"], Type.INT64, 3, 1)]),
    "list<list>": (_list("c", _list("element", _leaf("element", OPTIONAL))),
                   [(["c", "list", "element", "list", "element"], Type.INT64, 5, 2)]),
    "map": (_group("c", OPTIONAL, [_group("key_value", REPEATED, [_leaf("key", REQUIRED, Type.BYTE_ARRAY),
                                                                  _leaf("value", OPTIONAL)])], ConvertedType.MAP),
            [(["c", "key_value", "key"], Type.BYTE_ARRAY, 2, 1), (["c", "key_value", "value"], Type.INT64, 3, 1)]),
    "list<struct>": (_list("c", _group("element", OPTIONAL, [_leaf("a", OPTIONAL), _leaf("b", OPTIONAL)])),
                     [(["c", "list", "element", "a"], Type.INT64, 4, 1),
                      (["c", "list", "element", "b"], Type.INT64, 4, 1)]),
    "struct<list>": (_group("c", OPTIONAL, [_list("a", _leaf("element", OPTIONAL))]),
                     [(["c", "a", "list", "element"], Type.INT64, 4, 1)]),
    "repeated": (_leaf("c", REPEATED), [(["c"], Type.INT64, 1, 1)]),
    "flat<string>": (_leaf("c", REQUIRED, Type.BYTE_ARRAY), [(["c"], Type.BYTE_ARRAY, 0, 0)]),
    "list<string>": (_list("c", _leaf("element", OPTIONAL, Type.BYTE_ARRAY)),
                     [(["c", "list", "element"], Type.BYTE_ARRAY, 3, 1)]),
}


def _rle_run(count: int, value: int, width: int) -> bytes:
    """One RLE run of the hybrid encoding: ``count`` times ``value`` at ``width`` bits."""
    return uleb128_bytes(count << 1) + value.to_bytes((width + 7) // 8, "little") if count else b""


def _page(kind: int, body: bytes, uncompressed: int, codec: int = CompressionCodec.UNCOMPRESSED,
          **headers) -> bytes:
    if codec != CompressionCodec.UNCOMPRESSED:
        body = _compress(codec, body)
    header = PageHeader(type=kind, uncompressed_page_size=uncompressed, compressed_page_size=len(body), **headers)
    return thrift_io.encode(header) + body


def _compress(codec: int, data: bytes) -> bytes:
    from fastpq.format import compression

    return compression.compress(codec, data)


def _file(schema: list, chunks: list, num_rows: int) -> bytes:
    """PAR1, the column chunks of one row group group after group, the footer. ``chunks``: per row
    group, per column: (path, physical type, codec, [(page bytes, uncompressed size)], num_values,
    has a dictionary page)."""
    data = bytearray(b"PAR1")
    row_groups = []
    for group in chunks:
        columns = []
        start_rg = len(data)
        for path, ptype, codec, pages, num_values, dictionary in group:
            start = len(data)
            body = b"".join(p for p, _ in pages)
            md = ColumnMetaData(type=ptype, encodings=[Encoding.PLAIN, Encoding.RLE, Encoding.RLE_DICTIONARY],
                                path_in_schema=path, codec=codec, num_values=num_values,
                                total_uncompressed_size=sum(u for _, u in pages), total_compressed_size=len(body),
                                data_page_offset=start + (len(pages[0][0]) if dictionary else 0),
                                dictionary_page_offset=start if dictionary else None)
            columns.append(ColumnChunk(file_offset=start, meta_data=md))
            data += body
        row_groups.append(RowGroup(columns=columns, total_byte_size=len(data) - start_rg, num_rows=num_rows,
                                   total_compressed_size=len(data) - start_rg))
    fmd = FileMetaData(version=1, schema=schema, num_rows=num_rows * len(chunks), row_groups=row_groups,
                       created_by="fastpq tests")
    footer = thrift_io.encode(fmd)
    return bytes(data) + footer + struct.pack("<I", len(footer)) + b"PAR1"


def _leaf_pages(n: int, ptype: int, max_def: int, max_rep: int, present: bool, version: int,
                entry: bytes = b"k", codec: int = CompressionCodec.UNCOMPRESSED) -> list:
    """The pages of one leaf: ``n`` level entries, one row (or ``n`` rows when ``max_rep`` is 0)."""
    rep = _rle_run(1, 0, 1) + _rle_run(n - 1, max_rep, max_rep.bit_length()) if max_rep else b""
    defs = _rle_run(n, max_def if present else max_def - 1, max_def.bit_length()) if max_def else b""
    pages = []
    values = b""
    if present:
        entry = struct.pack("<I", len(entry)) + entry if ptype == Type.BYTE_ARRAY else struct.pack("<q", 7)
        pages.append((_page(PageType.DICTIONARY_PAGE, entry, len(entry), codec,
                            dictionary_page_header=DictionaryPageHeader(num_values=1, encoding=Encoding.PLAIN)),
                      len(entry)))
        values = bytes([0]) + _rle_run(n, 0, 0)              # indices: bit width 0, one run of index 0
    encoding = Encoding.RLE_DICTIONARY if present else Encoding.PLAIN
    if version == 1:
        body = b"".join(struct.pack("<I", len(lv)) + lv for lv, top in ((rep, max_rep), (defs, max_def)) if top)
        body += values
        header = dict(data_page_header=DataPageHeader(num_values=n, encoding=encoding,
                                                      definition_level_encoding=Encoding.RLE,
                                                      repetition_level_encoding=Encoding.RLE))
        pages.append((_page(PageType.DATA_PAGE, body, len(body), codec, **header), len(body)))
    else:
        body = rep + defs + values
        header = dict(data_page_header_v2=DataPageHeaderV2(
            num_values=n, num_nulls=0 if present else n, num_rows=1 if max_rep else n, encoding=encoding,
            definition_levels_byte_length=len(defs), repetition_levels_byte_length=len(rep), is_compressed=False))
        pages.append((_page(PageType.DATA_PAGE_V2, body, len(body), **header), len(body)))
    return pages


def level_bomb(shape: str, n: int, values: str = "null", version: int = 1, entry: bytes = b"k",
               codec: int = CompressionCodec.UNCOMPRESSED) -> bytes:
    """One row whose field ``shape`` holds ``n`` entries at its deepest level (flat shapes: ``n``
    rows); ``values``: "null" or "dictionary" (one value repeated by an RLE run: ``entry`` for
    strings), the dictionary and v1 pages compressed with ``codec``."""
    schema, leaves = SHAPES[shape]
    chunks = []
    for path, ptype, max_def, max_rep in leaves:
        present = values == "dictionary" or schema[[el.name for el in schema].index(path[-1])].repetition_type \
            != OPTIONAL
        pages = _leaf_pages(n, ptype, max_def, max_rep, present, version, entry, codec)
        chunks.append((path, ptype, codec, pages, n, present))
    root = SchemaElement(name="schema", num_children=1)
    return _file([root] + schema, [chunks], 1 if leaves[0][3] else n)


def _zeros(size: int, codec: int) -> bytes:
    """``size`` zero bytes compressed: concatenated zstd frames / gzip members, or brotli."""
    if codec == CompressionCodec.BROTLI:
        return bytes(cramjam.brotli.compress(bytes(size), level=1))
    whole, rest = divmod(size, _PIECE)
    compress = {CompressionCodec.ZSTD: cramjam.zstd.compress, CompressionCodec.GZIP: cramjam.gzip.compress}[codec]
    out = bytes(compress(bytes(_PIECE))) * whole
    return out + (bytes(compress(bytes(rest))) if rest else b"")


def page_bomb(size: int, codec: int = CompressionCodec.ZSTD, *, page_size: int | None = None,
              row_groups: int = 1, version: int = 1, declared: int | None = None) -> bytes:
    """``size // 8`` zeros of a required int64 column in pages of ``page_size`` bytes (default:
    one page per row group), in ``row_groups`` row groups of equal size."""
    rows = size // 8 // row_groups
    page_rows = rows if page_size is None else page_size // 8
    pages = []
    for first in range(0, rows, page_rows):
        count = min(page_rows, rows - first)
        body = _zeros(count * 8, codec)
        declared_size = count * 8 if declared is None else declared
        if version == 1:
            header = dict(data_page_header=DataPageHeader(num_values=count, encoding=Encoding.PLAIN,
                                                          definition_level_encoding=Encoding.RLE,
                                                          repetition_level_encoding=Encoding.RLE))
            pages.append((_page(PageType.DATA_PAGE, body, declared_size, **header), count * 8))
        else:
            header = dict(data_page_header_v2=DataPageHeaderV2(
                num_values=count, num_nulls=0, num_rows=count, encoding=Encoding.PLAIN,
                definition_levels_byte_length=0, repetition_levels_byte_length=0))
            pages.append((_page(PageType.DATA_PAGE_V2, body, declared_size, **header), count * 8))
    schema = [SchemaElement(name="schema", num_children=1)] + _leaf("x", REQUIRED)
    chunk = (["x"], Type.INT64, codec, pages, rows, False)
    return _file(schema, [[chunk] for _ in range(row_groups)], rows)
