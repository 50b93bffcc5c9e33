"""Checking a whole Parquet file: footer and schema sanity, then every page of every column chunk.

``verify_file(source)`` returns a ``Report``: one ``Problem`` per thing found
wrong (with the file, row group, column and byte offset where known), plus
warnings and counts. Nothing is raised for a corrupt file: finding corruption
is the point. What is checked, in order:

1. the footer decodes and its schema builds (else one problem and stop);
2. metadata that reading does not otherwise cross-check: the file's row count
   against its row groups', a column chunk per leaf with the leaf's path and
   type, chunk offsets inside the data region, value counts against row
   counts, decodable statistics whose null count fits the chunk, page-index
   locations inside the file, one column order per leaf;
3. the pages of every chunk are walked (headers and sizes; the pages with a
   CRC are counted), then every top-level field of every row group is read
   through the normal read path with ``verify_checksums=True``: headers,
   sizes, decompression, CRCs, levels and values all decode, or the read
   raises with the location. A row group that fails as a whole is read again
   one field at a time, so that every bad field is named.

Memory follows one row group at a time. ``PrecisionError`` (values that pandas
cannot hold exactly) is a warning, not corruption; a feature fastpq does not
support (encryption, LZO) is a problem: the file could not be checked.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import CorruptFileError, ParquetError, PrecisionError, UnsupportedFeatureError
from ..format.pages import page_headers
from ..format.statistics import chunk_statistics


@dataclass
class Problem:
    """One thing wrong with a file, and where."""

    path: str
    message: str
    row_group: int | None = None
    column: str | None = None
    offset: int | None = None

    def __str__(self) -> str:
        where = []
        if self.row_group is not None:
            where.append(f"row group {self.row_group}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return f"{self.path}: {', '.join(where) + ': ' if where else ''}{self.message}"


@dataclass
class Report:
    path: str
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    row_groups: int = 0
    column_chunks: int = 0
    pages: int = 0
    pages_with_crc: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (f"{self.path}: OK: {self.rows:,} rows, {self.row_groups} row groups, {self.column_chunks} column "
                f"chunks, {self.pages} pages ({self.pages_with_crc} with a CRC, checked)")


def verify_file(source, storage_options=None) -> Report:
    """Check ``source`` (a path, URL, file object or bytes) and return a ``Report``."""
    from .reader import ParquetFile

    name = source if isinstance(source, str) else getattr(source, "name", "<buffer>")
    report = Report(str(name))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pf = ParquetFile(source, storage_options=storage_options)
        except Exception as exc:  # noqa: BLE001 - every failure to open is a finding
            report.problems.append(_problem(report.path, exc))
            return report
        report.path = str(pf.path)
        _advice = (pf.pandas_metadata, pf.arrow_schema)  # noqa: F841 - their warnings, if malformed
        report.rows, report.row_groups = pf.num_rows, pf.num_row_groups
        good_rgs = _check_metadata(pf, report)
        for i in good_rgs:
            _check_row_group(pf, i, report)
    report.warnings.extend(f"{report.path}: {w.message}" for w in caught)
    return report


# ------------------------------------------------------------------ metadata
def _check_metadata(pf, report) -> list:
    """Footer-level checks; returns the row groups whose metadata decodes."""
    path, md = report.path, pf.metadata
    leaves = pf.schema.columns
    counts = md.row_groups.num_rows
    total = int(np.sum(counts)) if len(counts) else 0
    if total != pf.num_rows:
        report.problems.append(Problem(path, f"the row groups hold {total} rows, the footer says {pf.num_rows}"))
    orders = md.column_orders
    if orders is not None and len(orders) != len(leaves):
        report.problems.append(Problem(path, f"{len(orders)} column orders for {len(leaves)} columns"))
    data_end = pf.file_size - pf.footer_size - 8
    good = []
    for i in range(pf.num_row_groups):
        try:
            rg = md.row_groups[i]
        except ParquetError as exc:
            report.problems.append(_problem(path, exc, row_group=i))
            continue
        if len(rg.columns) != len(leaves):
            report.problems.append(Problem(path, f"{len(rg.columns)} column chunks for {len(leaves)} columns",
                                           row_group=i))
            if len(rg.columns) < len(leaves):
                continue
        good.append(i)
        for leaf, chunk in zip(leaves, rg.columns):
            for message, offset in _chunk_problems(leaf, chunk, int(counts[i]), data_end, pf.file_size,
                                                   orders[leaf.column_index] if orders and leaf.column_index
                                                   < len(orders) else None):
                report.problems.append(Problem(path, message, i, ".".join(leaf.path), offset))
    return good


def _chunk_problems(leaf, chunk, num_rows, data_end, file_size, order):
    md = chunk.meta_data
    if md is None:
        if chunk.crypto_metadata is not None or chunk.encrypted_column_metadata is not None:
            yield "encrypted column chunk: fastpq cannot check it", None
        else:
            yield "column chunk has no metadata", None
        return
    if md.path_in_schema is not None and list(md.path_in_schema) != list(leaf.path):
        yield f"column chunk path {'.'.join(md.path_in_schema)} differs from the schema's", None
    if md.type != leaf.physical_type:
        yield f"column chunk type {md.type} differs from the schema's {leaf.physical_type}", None
    for name in ("data_page_offset", "dictionary_page_offset", "index_page_offset"):
        value = getattr(md, name)
        if value is not None and value != 0 and not 4 <= value < max(data_end, 4):
            if not (name == "data_page_offset" and md.num_values == 0):
                yield f"{name} {value} lies outside the data (bytes 4..{data_end})", value
    if md.total_compressed_size is not None and md.total_compressed_size < 0:
        yield f"negative total_compressed_size {md.total_compressed_size}", None
    if md.num_values is not None:
        if leaf.max_rep == 0 and md.num_values != num_rows:
            yield f"column chunk holds {md.num_values} values for the row group's {num_rows} rows", None
        elif md.num_values < num_rows:
            yield f"column chunk holds {md.num_values} level entries for {num_rows} rows", None
    try:
        stats = chunk_statistics(md.statistics, leaf, order)
    except Exception as exc:  # noqa: BLE001 - statistics bytes are untrusted
        yield f"statistics do not decode: {exc}", None
    else:
        nulls = stats["null_count"]
        if nulls is not None and md.num_values is not None and not 0 <= nulls <= md.num_values:
            yield f"statistics null_count {nulls} outside 0..{md.num_values}", None
    for what in ("column_index", "offset_index"):
        offset, length = getattr(chunk, f"{what}_offset"), getattr(chunk, f"{what}_length")
        if offset is not None and length is not None and not (0 <= offset and 0 <= length
                                                               and offset + length <= file_size):
            yield f"{what} at {offset} ({length} bytes) lies outside the file", offset


# ------------------------------------------------------------------ pages
def _check_row_group(pf, i: int, report) -> None:
    from ..column.read.flat import chunk_ref

    rg = pf.metadata.row_groups[i]
    rows = int(pf.metadata.row_groups.num_rows[i])
    data_end = pf.file_size - pf.footer_size - 8
    for leaf in pf.schema.columns:
        report.column_chunks += 1
        chunk = rg.columns[leaf.column_index]
        if chunk.meta_data is None or chunk.meta_data.num_values == 0:
            continue
        try:
            ref = chunk_ref(chunk, leaf, i, 0, rows, data_end, pf.path)
            pages, crcs = _count_pages(pf, ref, data_end)
        except (ParquetError, OSError):
            continue  # the read below reports it, with its location
        report.pages += pages
        report.pages_with_crc += crcs
    _read_fields(pf, i, pf.schema.names, report)


def _count_pages(pf, ref, data_end) -> tuple:
    """(pages, pages with a CRC) of one chunk, from its page headers alone."""
    from ..format.pages import ChunkTooShort

    length = ref.length
    while True:
        data = np.frombuffer(pf.source.read_range(ref.start, length), np.uint8)
        pages = crcs = 0
        try:
            for _, _, header in page_headers(data, ref.start, ref.num_values):
                pages += 1
                crcs += header.crc is not None
            return pages, crcs
        except ChunkTooShort:  # an understated chunk size (old writers): as the reader retries
            if length >= data_end - ref.start:
                raise
            length = data_end - ref.start


def _read_fields(pf, i: int, names: list, report, alone: bool = False) -> None:
    from .read import read_file

    try:
        read_file(pf, columns=names, row_groups=[i], index=False, verify_checksums=True, use_threads=False)
    except PrecisionError as exc:
        report.warnings.append(f"{report.path}: row group {i}: {exc}")
    except Exception as exc:  # noqa: BLE001 - any failure to read is a finding
        if alone or len(names) == 1:
            column = names[0] if len(names) == 1 else None
            report.problems.append(_problem(report.path, exc, row_group=i, column=column))
            return
        for name in names:  # find every field that fails, not only the first
            _read_fields(pf, i, [name], report, alone=True)


def _problem(path, exc, row_group=None, column=None) -> Problem:
    if isinstance(exc, CorruptFileError):
        col = exc.column
        if isinstance(col, (list, tuple)):
            col = ".".join(col)
        return Problem(path, exc.reason, exc.row_group if exc.row_group is not None else row_group,
                       col if col is not None else column, exc.offset)
    if isinstance(exc, UnsupportedFeatureError):
        return Problem(path, f"cannot check: {exc}", row_group, column)
    if isinstance(exc, (ParquetError, OSError)):
        return Problem(path, str(exc), row_group, column)
    return Problem(path, f"unexpected {type(exc).__name__}: {exc}", row_group, column)
