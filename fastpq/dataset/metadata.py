"""A dataset's metadata files, ``_metadata`` and ``_common_metadata``: building,
reading and writing them, and collecting the footers of part files into one.

``_metadata`` is a Parquet file without data (``PAR1`` + footer): a
``FileMetaData`` whose row groups are those of every part file, each
ColumnChunk's ``file_path`` set to the part's path relative to the dataset
root ('/'-separated, as the Parquet spec and pyarrow/dask/fastparquet have it).
``_common_metadata`` is the same schema and key-value metadata with no row
groups. The write path (``dataset.write``) keeps both in step with the part
files; ``dataset.merge`` builds them for files written by anyone.
"""
from __future__ import annotations

import io
import os

from .._thrift import FileMetaData
from ..append.schema import describe_leaf, same_leaf
from ..errors import SchemaMismatchError
from ..format.footer import MAGIC, footer_bytes, parse_file_metadata, read_footer_bytes
from ..format.schema import Schema
from ..format.source import open_regular
from .store import COMMON_METADATA, METADATA, Store

PARTITIONS_KEY = "fastpq:partitions"


def file_bytes(fmd: FileMetaData) -> bytes:
    """A metadata-only Parquet file: ``PAR1`` + footer."""
    return MAGIC + footer_bytes(fmd)


def common_metadata(fmd: FileMetaData) -> FileMetaData:
    """``_common_metadata`` of ``_metadata``: the same schema and key-value metadata, no row groups."""
    return FileMetaData(version=fmd.version, schema=fmd.schema, num_rows=0, row_groups=[],
                        key_value_metadata=fmd.key_value_metadata, created_by=fmd.created_by,
                        column_orders=fmd.column_orders)


def parse_bytes(data: bytes, name) -> FileMetaData:
    f = io.BytesIO(data)
    return parse_file_metadata(read_footer_bytes(f, len(data), name), name)


def read_metadata(store: Store, rel: str = METADATA) -> FileMetaData | None:
    data = store.read(rel)
    return None if data is None else parse_bytes(data, store.path(rel))


def read_footer(store: Store, rel: str) -> FileMetaData:
    """The footer of the part file ``rel`` (one or two reads of its tail)."""
    if store.local:
        path = store.path(rel)
        with open_regular(path) as f:
            return parse_file_metadata(read_footer_bytes(f, os.fstat(f.fileno()).st_size, path), path)
    path = store.path(rel)
    with store.fs.open(path, "rb") as f:
        return parse_file_metadata(read_footer_bytes(f, store.fs.size(path), path), path)


def located(row_groups, rel: str) -> list:
    """The row groups of the part file ``rel`` with every ColumnChunk's file_path set."""
    out = []
    for rg in row_groups:
        for chunk in rg.columns:
            chunk.file_path = rel
        out.append(rg)
    return out


def file_path_of(rg) -> str | None:
    return rg.columns[0].file_path if rg.columns else None


def check_schemas_agree(first: FileMetaData, other: FileMetaData, first_name, other_name) -> None:
    """SchemaMismatchError unless two files have the same columns with the same types."""
    a, b = Schema(first.schema), Schema(other.schema)
    names_a, names_b = [".".join(c.path) for c in a.columns], [".".join(c.path) for c in b.columns]
    if names_a != names_b:
        raise SchemaMismatchError(f"{other_name} has columns {names_b}, {first_name} has {names_a}")
    for x, y in zip(a.columns, b.columns):
        if not same_leaf(x, y):
            raise SchemaMismatchError(f"column {'.'.join(x.path)!r}: {first_name} has {describe_leaf(x)}, "
                                      f"{other_name} has {describe_leaf(y)}")


def collect(store: Store, rels: list) -> FileMetaData | None:
    """One FileMetaData for the part files ``rels`` (schemas checked to agree; schema and
    key-value metadata from the first), row groups located; None without files."""
    merged, first_rel, total = None, None, 0
    for rel in rels:
        fmd = read_footer(store, rel)
        row_groups = located(list(fmd.row_groups), rel)
        if merged is None:
            merged, first_rel = fmd, rel
            merged.row_groups = []
        else:
            check_schemas_agree(merged, fmd, first_rel, rel)
        merged.row_groups.extend(row_groups)
        total += int(fmd.num_rows)
    if merged is not None:
        merged.num_rows = total
    return merged


def write_metadata(store: Store, fmd: FileMetaData, data: bytes | None = None) -> None:
    """Write ``_common_metadata`` then ``_metadata`` (the commit point), each atomically.
    ``data``: ``file_bytes(fmd)``, when the caller has them already (a dataset write
    journals their CRC before the swap)."""
    store.put_atomic(COMMON_METADATA, file_bytes(common_metadata(fmd)))
    store.put_atomic(METADATA, file_bytes(fmd) if data is None else data)


__all__ = ["collect", "write_metadata", "read_metadata", "file_bytes", "common_metadata", "parse_bytes",
           "read_footer", "located", "file_path_of", "PARTITIONS_KEY"]
