"""``ParquetFile``: one Parquet file, its metadata, and reading it into pandas.

A file is not a dataset: directories, partitions and ``_metadata`` live in
``fastpq.dataset``. Opening a file reads and decodes its footer only; row
groups are decoded on first use.
"""
from __future__ import annotations

import functools
import json
import warnings
from dataclasses import dataclass

from ..errors import CorruptFileError
from ..format.arrow_schema import ArrowSchemaError, parse_arrow_schema
from ..format.footer import check_head_magic, parse_file_metadata, read_footer_bytes, row_group_position
from ..format.keyvalue import ArrowSchemaWarning, PandasMetadataWarning, pandas_metadata_problem
from ..format.schema import Schema
from ..format.statistics import chunk_statistics
from ..format.source import Source
from .journal import local_footer

# Reading one file with ``filters`` is the dataset reader's one-file read (same filter language,
# pruning and row semantics as ``read_parquet(filters=)``); the package (``fastpq/__init__``, the
# top layer) sets this slot, so that this layer imports nothing above it.
FILTERED_READ = None


@dataclass(frozen=True)
class RowGroupInfo:
    """Sizes of one row group, known without decoding its metadata."""

    index: int
    num_rows: int
    total_byte_size: int            # uncompressed, as the writer reported it
    total_compressed_size: int | None


class _RowGroupReads:
    """Reading a run of row groups: shared by ``ParquetFile`` and its row-group views.

    Subclasses give ``_pf`` (the ParquetFile) and ``_selection`` (row group indices, in order).
    """

    _pf: "ParquetFile"
    _selection: list

    def count(self) -> int:
        """Rows in the selected row groups, from the metadata (nothing is decoded)."""
        counts = self._pf.metadata.row_groups.num_rows
        return int(sum(int(counts[i]) for i in self._selection))

    def to_pandas(self, columns=None, row_groups=None, index=None, categories=None, dtype_backend=None,
                  use_threads=True, verify_checksums=False, coerce_int96_timestamp_unit=None, filters=None,
                  filter_level="row"):
        """Read the selection (or some of its columns / row groups) into a DataFrame.

        ``row_groups`` are positions within this object's row groups (for a
        ParquetFile, the file's row group numbers). ``filters`` / ``filter_level``: as
        ``fastpq.read_parquet`` takes them (rows matching the filters, pruned by
        statistics and page indexes first); the index is then as read_parquet's with filters.
        """
        from .read import read_file

        rgs = self._row_group_numbers(row_groups)
        if filters is not None:
            return FILTERED_READ(self._pf, rgs, columns=columns, filters=filters, filter_level=filter_level,
                                 index=index, categories=categories, dtype_backend=dtype_backend,
                                 use_threads=use_threads, verify_checksums=verify_checksums,
                                 coerce_int96_timestamp_unit=coerce_int96_timestamp_unit)
        return read_file(self._pf, columns=columns, row_groups=rgs, index=index, categories=categories,
                         dtype_backend=dtype_backend, use_threads=use_threads, verify_checksums=verify_checksums,
                         coerce_int96_timestamp_unit=coerce_int96_timestamp_unit)

    def iter_row_groups(self, columns=None, index=None, categories=None, dtype_backend=None, use_threads=True,
                        verify_checksums=False, coerce_int96_timestamp_unit=None):
        """Yield one DataFrame per row group, in file order (each as ``to_pandas(row_groups=[i])``).

        Each frame's dtypes follow its own values (an integer column with nulls
        in one row group only is float64 there, as pyarrow gives it).
        """
        from .read import read_file

        with self._pf.reading():  # one check for all row groups
            for i in self._selection:
                yield read_file(self._pf, columns=columns, row_groups=[i], index=index, categories=categories,
                                dtype_backend=dtype_backend, use_threads=use_threads,
                                verify_checksums=verify_checksums,
                                coerce_int96_timestamp_unit=coerce_int96_timestamp_unit)

    def head(self, n: int = 5, columns=None, index=None, categories=None, dtype_backend=None, use_threads=True,
             verify_checksums=False, coerce_int96_timestamp_unit=None):
        """The first ``n`` rows: reads only the row groups that hold them and, in the last
        of those, only the pages up to row ``n`` (flat columns)."""
        from .read import read_file

        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"head() needs a row count >= 0, got {n!r}")
        counts = self._pf.metadata.row_groups.num_rows
        needed, rows = [], 0
        for i in self._selection:
            if rows >= n:
                break
            needed.append(i)
            rows += int(counts[i])
        return read_file(self._pf, columns=columns, row_groups=needed, index=index, categories=categories,
                         dtype_backend=dtype_backend, use_threads=use_threads, verify_checksums=verify_checksums,
                         coerce_int96_timestamp_unit=coerce_int96_timestamp_unit, limit=n)

    def __getitem__(self, key) -> "ParquetFileView":
        """``pf[i]``, ``pf[a:b]``, ``pf[[i, j]]``: a view of the file restricted to those row groups."""
        selection = self._selection
        if isinstance(key, slice):
            return ParquetFileView(self._pf, selection[key])
        if isinstance(key, (list, tuple)):
            return ParquetFileView(self._pf, [selection[row_group_position(k, len(selection))] for k in key])
        return ParquetFileView(self._pf, [selection[row_group_position(key, len(selection))]])

    def __iter__(self):
        """One view per row group."""
        for i in range(len(self._selection)):
            yield self[i]

    def _row_group_numbers(self, row_groups):
        """File row group numbers for ``row_groups`` given relative to the selection (None: all)."""
        selection = self._selection
        if row_groups is None:
            return None if selection == list(range(self._pf.num_row_groups)) else list(selection)
        if isinstance(row_groups, (int,)) and not isinstance(row_groups, bool):
            row_groups = [row_groups]
        return [selection[row_group_position(k, len(selection))] for k in row_groups]


for _name in ("count", "to_pandas", "iter_row_groups", "head", "__getitem__", "__iter__"):
    # TypeErrors (a wrong keyword) name the public class, not this private base
    getattr(_RowGroupReads, _name).__qualname__ = f"ParquetFile.{_name}"


class ParquetFile(_RowGroupReads):
    """A single Parquet file: ``ParquetFile(path_or_url_or_filelike_or_bytes)``."""

    def __init__(self, source, storage_options=None, filesystem=None):
        self.source = source if isinstance(source, Source) else \
            Source(source, storage_options, filesystem, hold=True)
        self.path = self.source.name
        with self.source.open_pinned() as f:
            if self.source.is_local:  # honours an append in progress or interrupted (journal.local_footer)
                size, footer = local_footer(self.source.fs_path, f, self.path)
            else:
                size = self.source.size
                footer = read_footer_bytes(f, size, self.path)
            if self.source.is_local and size > len(footer) + 8:
                check_head_magic(f, self.path)
        self.footer_size = len(footer)
        self.file_size = size
        self.metadata = parse_file_metadata(footer, self.path)
        self.schema = Schema(self.metadata.schema, self.path)
        self._check()

    @classmethod
    def from_metadata(cls, source, metadata, *, schema=None, file_size=None, footer_size=0) -> "ParquetFile":
        """A ParquetFile whose footer is already known (a dataset's ``_metadata``, or a footer
        fetched by the dataset layer): no I/O here. ``file_size`` None: asked of the source
        on first use (chunk bounds checks); ``schema``: a Schema shared by many files."""
        self = cls.__new__(cls)
        self.source = source if isinstance(source, Source) else Source(source)
        self.path = self.source.name
        self.metadata = metadata
        self.schema = schema if schema is not None else Schema(metadata.schema, self.path)
        self.footer_size = footer_size
        self._file_size = file_size
        self._check()
        return self

    @property
    def file_size(self) -> int:
        if self._file_size is None:
            self._file_size = self.source.size
        return self._file_size

    @file_size.setter
    def file_size(self, value) -> None:
        self._file_size = value

    def _check(self) -> None:
        md = self.metadata
        if md.num_rows < 0:
            raise CorruptFileError(f"negative row count {md.num_rows}", path=self.path)
        counts = md.row_groups.num_rows
        if len(counts) and counts.min() < 0:
            bad = int((counts < 0).argmax())
            raise CorruptFileError(f"row group has a negative row count {counts[bad]}", path=self.path, row_group=bad)

    @property
    def _pf(self) -> "ParquetFile":
        return self

    # ---------------------------------------------------------------- the file under the footer
    def reading(self):
        """A context for one read: the file is checked to be the one the footer came from
        (fastpq.format.source: descriptor kept, or identity compared), once for every read inside."""
        return self.source.session(self._still_there if self.source.is_local else None)

    def _still_there(self, f) -> bool:
        """Whether the local file open as ``f``, changed in place since the footer was read,
        still holds this footer's schema and row groups where they were (an append keeps
        them); its current footer as a reader sees it (``fastpq.file.journal.local_footer``)."""
        try:
            _, footer = local_footer(self.source.fs_path, f, self.path)
            now = parse_file_metadata(footer, self.path)
        except (CorruptFileError, OSError):
            return False
        old = self.metadata
        if now.schema != old.schema or len(now.row_groups) < len(old.row_groups):
            return False
        return all(_layout(now.row_groups[i]) == _layout(old.row_groups[i]) for i in range(len(old.row_groups)))

    def reopen(self) -> None:
        """Read the file's footer again (after an in-place edit such as ``fastpq.remove_row_groups``)."""
        path = self.source.fs_path if self.source.is_local else self.source
        self.source.close()
        for cached in ("pandas_metadata", "arrow_schema"):
            self.__dict__.pop(cached, None)
        self.__init__(path)

    def close(self) -> None:
        """Let go of the file's descriptor (held from opening, for a local path). Reads after
        this re-open the file and raise ``FileChangedError`` if it is not the same file."""
        self.source.close()

    def __enter__(self) -> "ParquetFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def _selection(self) -> list:
        return list(range(self.num_row_groups))

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

    @functools.cached_property
    def pandas_metadata(self) -> dict | None:
        """The ``pandas`` key as a dict, or None; malformed JSON or structure is ignored with a
        ``PandasMetadataWarning``."""
        raw = self.key_value_metadata.get("pandas")
        if raw is None:
            return None
        try:
            meta = json.loads(raw)
            problem = pandas_metadata_problem(meta)
        except (ValueError, RecursionError) as exc:
            problem = f"not JSON ({exc})"
        if problem:
            warnings.warn(f"{self.path}: ignoring its pandas metadata: {problem}", PandasMetadataWarning,
                          stacklevel=3)
            return None
        return meta

    @functools.cached_property
    def arrow_schema(self):
        """The stored Arrow schema (``ARROW:schema``, fastpq.format.arrow_schema.ArrowSchema) or None.

        A malformed value is ignored with an ``ArrowSchemaWarning``.
        """
        raw = self.key_value_metadata.get("ARROW:schema")
        if not raw:
            return None
        try:
            return parse_arrow_schema(raw)
        except ArrowSchemaError as exc:
            warnings.warn(f"{self.path}: ignoring its ARROW:schema: {exc}", ArrowSchemaWarning, stacklevel=3)
            return None

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
        """The dtype each column reads into (nulls predicted from statistics where present).

        A name that several top-level columns share (legal in Parquet) maps to a tuple of
        their dtypes, one per column in file order."""
        from ..format.arrow_types import column_type, match_fields
        from ..frame.read.dtypes import column_dtype

        origins = match_fields(self.arrow_schema, self.schema.names)
        meta = self.pandas_metadata or {}
        categorical = {c.get("field_name", c.get("name")) for c in meta.get("columns", [])
                       if isinstance(c, dict) and c.get("pandas_type") == "categorical"}
        index = set(self.index_columns)
        out = {}
        for key in self.schema.keys:
            node = self.schema.field(key)
            if node.name in index:
                continue
            ctype = column_type(node, origins.get(key)) if node.is_leaf and node.max_rep == 0 else None
            dtype = column_dtype(node, self._may_have_nulls(key), ctype=ctype,
                                 categorical=key in categorical or bool(ctype and ctype.dictionary))
            _put(out, node.name, dtype, key != node.name)
        return out

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
        no trustworthy value. A path that several columns share (top-level columns of the
        same name) maps to a tuple of their lists, one per column in file order.
        """
        from ..frame.values import python_stat_value

        orders = self.metadata.column_orders or []
        out = {key: {} for key in ("min", "max", "null_count", "distinct_count")}
        shared = {leaf.path for leaf in self.schema.columns
                  if sum(other.path == leaf.path for other in self.schema.columns) > 1}
        for leaf in self.schema.columns:
            name = ".".join(leaf.path)
            order = orders[leaf.column_index] if leaf.column_index < len(orders) else None
            values = {key: [] for key in out}
            for rg in self.metadata.row_groups:
                chunk = _column_chunk(rg, leaf, self.path)
                stats = chunk_statistics(chunk.meta_data.statistics, leaf, order)
                for key in out:
                    values[key].append(python_stat_value(stats[key], leaf))
            for key in out:
                _put(out[key], name, values[key], leaf.path in shared)
        return out

    def __repr__(self) -> str:
        cols = ", ".join(f"{k}: {v}" for k, v in list(self.dtypes.items())[:8])
        more = ", ..." if len(self.columns) > 8 else ""
        return (f"<fastpq.ParquetFile {self.path!r}: {self.num_rows:,} rows, "
                f"{self.num_row_groups} row groups, {len(self.columns)} columns ({cols}{more})>")


class ParquetFileView(_RowGroupReads):
    """Some row groups of a ParquetFile (``pf[i]``, ``pf[a:b]``, ``pf[[i, j]]``), read like the file.

    ``to_pandas``, ``iter_row_groups``, ``head``, ``count`` and further
    indexing work on the selected row groups; metadata is the file's.
    """

    def __init__(self, pf: ParquetFile, selection):
        self._pf = pf
        self._selection = [int(i) for i in selection]

    @property
    def file(self) -> ParquetFile:
        return self._pf

    @property
    def row_group_indices(self) -> list:
        """The file's row group numbers this view holds, in order."""
        return list(self._selection)

    @property
    def num_rows(self) -> int:
        return self.count()

    @property
    def num_row_groups(self) -> int:
        return len(self._selection)

    @property
    def row_groups(self) -> list:
        infos = self._pf.row_groups
        return [infos[i] for i in self._selection]

    @property
    def statistics(self) -> dict:
        """As ``ParquetFile.statistics``, one value per selected row group."""
        return {key: {col: [values[i] for i in self._selection] for col, values in per_col.items()}
                for key, per_col in self._pf.statistics.items()}

    def __getattr__(self, name):
        # schema, columns, dtypes, metadata, path, key_value_metadata, ...: the file's
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._pf, name)

    def __repr__(self) -> str:
        return (f"<fastpq.ParquetFile {self._pf.path!r} row groups {self._selection}: "
                f"{self.count():,} rows, {len(self._pf.columns)} columns>")


def _put(out: dict, name, value, shared: bool) -> None:
    """``out[name] = value``; for a name several columns share, a tuple of their values in order."""
    if shared:
        out[name] = out.get(name, ()) + (value,)
    else:
        out[name] = value


def _layout(rg) -> tuple:
    """Where a row group's chunks are and what they claim: rows, and per chunk its column,
    type, codec, value count, offsets and size (not file_path: ``_metadata`` sets it)."""
    chunks = []
    for c in rg.columns:
        md = c.meta_data
        chunks.append((c.file_offset,) if md is None else (
            tuple(md.path_in_schema or ()), md.type, md.codec, md.num_values, md.data_page_offset,
            md.dictionary_page_offset, md.total_compressed_size))
    return rg.num_rows, tuple(chunks)


def _column_chunk(rg, leaf, path):
    if len(rg.columns) <= leaf.column_index:
        raise CorruptFileError(f"row group has {len(rg.columns)} column chunks, schema has more", path=path)
    chunk = rg.columns[leaf.column_index]
    if chunk.meta_data is None:
        if chunk.crypto_metadata is not None or chunk.encrypted_column_metadata is not None:
            from ..errors import EncryptedFileError

            raise EncryptedFileError(f"{path}: column {'.'.join(leaf.path)} is encrypted; not supported")
        raise CorruptFileError("column chunk has no metadata", path=path, column=leaf.path)
    return chunk
