"""``ParquetFile``: one Parquet file, its metadata, and reading it into pandas.

A file is not a dataset: directories, partitions and ``_metadata`` live in
``fastpq.dataset``. Opening a file reads and decodes its footer only; row
groups are decoded on first use.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import CorruptFileError
from .format.footer import check_head_magic, parse_file_metadata, read_footer_bytes
from .format.schema import Schema
from .format.statistics import chunk_statistics
from .io import Source


@dataclass(frozen=True)
class RowGroupInfo:
    """Sizes of one row group, known without decoding its metadata."""

    index: int
    num_rows: int
    total_byte_size: int            # uncompressed, as the writer reported it
    total_compressed_size: int | None


class ParquetFile:
    """A single Parquet file: ``ParquetFile(path_or_url_or_filelike_or_bytes)``."""

    def __init__(self, source, storage_options=None, filesystem=None):
        self.source = source if isinstance(source, Source) else Source(source, storage_options, filesystem)
        self.path = self.source.name
        with self.source.open() as f:
            size = self.source.size
            footer = read_footer_bytes(f, size, self.path)
            if self.source.is_local and size > len(footer) + 8:
                check_head_magic(f, self.path)
        self.footer_size = len(footer)
        self.file_size = size
        self.metadata = parse_file_metadata(footer, self.path)
        self.schema = Schema(self.metadata.schema, self.path)
        self._check()

    def _check(self) -> None:
        md = self.metadata
        if md.num_rows < 0:
            raise CorruptFileError(f"negative row count {md.num_rows}", path=self.path)
        counts = md.row_groups.num_rows
        if len(counts) and counts.min() < 0:
            bad = int((counts < 0).argmax())
            raise CorruptFileError(f"row group has a negative row count {counts[bad]}", path=self.path, row_group=bad)

    # ---------------------------------------------------------------- metadata
    @property
    def num_rows(self) -> int:
        return int(self.metadata.num_rows)

    @property
    def num_row_groups(self) -> int:
        return len(self.metadata.row_groups)

    @property
    def row_groups(self) -> list:
        rgs = self.metadata.row_groups
        return [
            RowGroupInfo(i, int(rgs.num_rows[i]), int(rgs.total_byte_size[i]),
                         None if rgs.total_compressed_size[i] < 0 else int(rgs.total_compressed_size[i]))
            for i in range(len(rgs))
        ]

    @property
    def created_by(self) -> str | None:
        return self.metadata.created_by

    @property
    def key_value_metadata(self) -> dict:
        return {kv.key: kv.value for kv in self.metadata.key_value_metadata or []}

    @property
    def pandas_metadata(self) -> dict | None:
        raw = self.key_value_metadata.get("pandas")
        if raw is None:
            return None
        try:
            meta = json.loads(raw)
        except ValueError:
            return None
        return meta if isinstance(meta, dict) else None

    @property
    def index_columns(self) -> list:
        """Columns that pandas metadata says hold the index (RangeIndex descriptors excluded)."""
        meta = self.pandas_metadata or {}
        return [c for c in meta.get("index_columns", []) if isinstance(c, str)]

    @property
    def columns(self) -> list:
        """Names of the top-level columns that become DataFrame columns (index columns excluded)."""
        index = set(self.index_columns)
        return [name for name in self.schema.names if name not in index]

    @property
    def dtypes(self) -> dict:
        """The dtype each column reads into (nulls predicted from statistics where present)."""
        from .frame.dtypes import column_dtype

        return {
            name: column_dtype(self.schema.field(name), self._may_have_nulls(name))
            for name in self.columns
        }

    def _may_have_nulls(self, name: str) -> bool:
        node = self.schema.field(name)
        if not node.is_leaf:
            return True
        if not node.optional:
            return False
        for rg in self.metadata.row_groups:
            stats = _column_chunk(rg, node, self.path).meta_data.statistics
            if stats is None or stats.null_count is None or stats.null_count > 0:
                return True
        return False

    @property
    def statistics(self) -> dict:
        """{'min'|'max'|'null_count'|'distinct_count': {column path: [value per row group]}}.

        Values are decoded through the logical type; None where a row group has
        no trustworthy value.
        """
        from .frame.values import python_stat_value

        orders = self.metadata.column_orders or []
        out = {key: {} for key in ("min", "max", "null_count", "distinct_count")}
        for leaf in self.schema.columns:
            name = ".".join(leaf.path)
            order = orders[leaf.column_index] if leaf.column_index < len(orders) else None
            for key in out:
                out[key][name] = []
            for rg in self.metadata.row_groups:
                chunk = _column_chunk(rg, leaf, self.path)
                stats = chunk_statistics(chunk.meta_data.statistics, leaf, order)
                for key in out:
                    out[key][name].append(python_stat_value(stats[key], leaf))
        return out

    # ---------------------------------------------------------------- reading
    def to_pandas(self, columns=None, row_groups=None, index=None, categories=None, dtype_backend=None,
                  use_threads=True, verify_checksums=False, coerce_int96_timestamp_unit=None):
        """Read the file (or some columns / row groups) into a DataFrame."""
        from .reading import read_file

        return read_file(self, columns=columns, row_groups=row_groups, index=index, categories=categories,
                         dtype_backend=dtype_backend, use_threads=use_threads, verify_checksums=verify_checksums,
                         coerce_int96_timestamp_unit=coerce_int96_timestamp_unit)

    def __repr__(self) -> str:
        cols = ", ".join(f"{k}: {v}" for k, v in list(self.dtypes.items())[:8])
        more = ", ..." if len(self.columns) > 8 else ""
        return (f"<fastpq.ParquetFile {self.path!r}: {self.num_rows:,} rows, "
                f"{self.num_row_groups} row groups, {len(self.columns)} columns ({cols}{more})>")


def _column_chunk(rg, leaf, path):
    if len(rg.columns) <= leaf.column_index:
        raise CorruptFileError(f"row group has {len(rg.columns)} column chunks, schema has more", path=path)
    chunk = rg.columns[leaf.column_index]
    if chunk.meta_data is None:
        if chunk.crypto_metadata is not None or chunk.encrypted_column_metadata is not None:
            from .errors import EncryptedFileError

            raise EncryptedFileError(f"{path}: column {'.'.join(leaf.path)} is encrypted; not supported")
        raise CorruptFileError("column chunk has no metadata", path=path, column=leaf.path)
    return chunk
