"""Test helper: the raw value bytes of the data pages pyarrow writes for one column.

Writes a one-column, non-nullable (so data page v1 holds no levels), uncompressed
file with pyarrow and walks its page headers (thrift compact protocol, parsed
with fastpq's generated classes). Used as an encoding oracle by the kernel tests.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from thrift.protocol.TCompactProtocol import TCompactProtocol  # noqa: E402
from thrift.transport.TTransport import TMemoryBuffer  # noqa: E402

from fastpq._thrift.ttypes import PageHeader, PageType  # noqa: E402


def data_pages(array, **write_options):
    """[(encoding, num_values, value_bytes as uint8 array)] of each data page of
    ``array`` written as column 'x'; ``write_options`` go to ``pq.write_table``."""
    table = pa.table({"x": array}, schema=pa.schema([pa.field("x", array.type, nullable=False)]))
    options = dict(compression="NONE", data_page_version="1.0", use_dictionary=False,
                   write_statistics=False)
    options.update(write_options)
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    raw = sink.getvalue()
    meta = pq.ParquetFile(io.BytesIO(raw)).metadata.row_group(0).column(0)
    pos = meta.data_page_offset
    if meta.has_dictionary_page and meta.dictionary_page_offset is not None:
        pos = min(pos, meta.dictionary_page_offset)
    end = pos + meta.total_compressed_size
    pages = []
    while pos < end:
        transport = TMemoryBuffer(raw[pos:end])
        header = PageHeader()
        header.read(TCompactProtocol(transport))
        pos += transport._buffer.tell()
        body = np.frombuffer(raw[pos:pos + header.compressed_page_size], np.uint8)
        pos += header.compressed_page_size
        if header.type == PageType.DATA_PAGE:
            h = header.data_page_header
            pages.append((h.encoding, h.num_values, body))
        elif header.type == PageType.DICTIONARY_PAGE:
            h = header.dictionary_page_header
            pages.append(("dictionary", h.num_values, body))
    return pages
