"""The user's write options: ``WriteOptions``, defined once, checked once, resolved per column.

``fastpq.write`` and ``ParquetWriter`` keep their keyword signatures (users call
them) and build a ``WriteOptions`` first thing (``from_call``); the object is
what goes down. Its fields are the keywords of ``fastpq.write`` (documented
there). ``__post_init__`` is the one place the options that need no column are
checked; ``for_column`` resolves the rest per column into the column layer's
``ColumnOptions`` (codec and level, encoding, dictionary, statistics, page
index, CRC, page size, page version), cached.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from .._thrift import Encoding
from ..column.write.chunk import ColumnOptions
from ..format import compression as codecs
from ..frame.write.options import column_option

ZSTD_DEFAULT_LEVEL = 1     # Arrow's default: ~2x faster than 3 for a few per cent in size
_ENCODINGS = {"PLAIN": Encoding.PLAIN, "DELTA_BINARY_PACKED": Encoding.DELTA_BINARY_PACKED,
              "DELTA_LENGTH_BYTE_ARRAY": Encoding.DELTA_LENGTH_BYTE_ARRAY,
              "DELTA_BYTE_ARRAY": Encoding.DELTA_BYTE_ARRAY, "BYTE_STREAM_SPLIT": Encoding.BYTE_STREAM_SPLIT,
              "RLE_DICTIONARY": Encoding.RLE_DICTIONARY, "RLE": Encoding.RLE}


def _is_codec_spec(options) -> bool:
    return isinstance(options, dict) and "codec" in options and set(options) <= {"codec", "level"}


def parse_codec(spec) -> tuple[int, int | None]:
    """(codec, level) of 'zstd', None, ('zstd', 5) or {'codec': 'zstd', 'level': 5}."""
    if isinstance(spec, dict):
        return codecs.codec_from_name(spec.get("codec")), spec.get("level")
    if isinstance(spec, (tuple, list)):
        name, level = spec
        return codecs.codec_from_name(name), level
    return codecs.codec_from_name(spec), None


def as_int(value):
    """numpy integers as Python ints (also in a list or tuple); other values as they are
    (numpy's bool is not an integer, nor is Python's here)."""
    if isinstance(value, (list, tuple)):
        return type(value)(as_int(v) for v in value)
    return int(value) if isinstance(value, np.integer) else value


_COLUMN_LISTS = ("stats", "dictionary", "page_index", "nullable")       # a list of columns
_PER_COLUMN_DICTS = ("nullable", "object_encoding", "compression", "column_encoding")   # {column: value}
_DEFAULT_KEY = ("compression", "column_encoding")                        # ... with '_default' for the rest
_ORDERS = ("ascending", "descending", True, False)


def check_sorting_columns(spec) -> None:
    """Each entry: a name, (name, order) or (name, order, nulls_first) with order
    'ascending' / 'descending' / True / False, a dict with 'column', or an object with
    ``column_index`` (pyarrow's SortingColumn)."""
    if spec is None:
        return
    if isinstance(spec, (str, dict)) or not isinstance(spec, (list, tuple)):
        raise ValueError(f"sorting_columns must be a list of columns, not {spec!r}")
    for item in spec:
        if isinstance(item, tuple):
            if len(item) not in (2, 3) or not any(item[1] is o or item[1] == o for o in _ORDERS) or \
                    isinstance(item[1], int) and not isinstance(item[1], bool):
                raise ValueError(f"sorting_columns entry {item!r}: expected (column, 'ascending' or "
                                 f"'descending'[, nulls_first])")
        elif isinstance(item, dict) and "column" not in item:
            raise ValueError(f"sorting_columns entry {item!r} has no 'column'")


def _check_row_group_offsets(value) -> None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return
    if isinstance(value, (list, tuple, np.ndarray)) and all(
            isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) for x in value):
        return
    raise ValueError(f"row_group_offsets must be an int (rows per row group) or a list of row offsets, "
                     f"not {value!r}")


def _known(name, names) -> bool:
    """``name`` is a column of ``names``, or a dotted path into one (a nested leaf)."""
    try:
        if name in names:
            return True
    except TypeError:                       # an unhashable entry names no column
        return False
    return isinstance(name, str) and "." in name and name.split(".")[0] in names


def _in(selection, col, default) -> bool:
    """'auto'/True/False, or a list of columns (those True, others False)."""
    if isinstance(selection, (list, tuple, set)):
        return col.label in selection or col.field_name in selection
    return default if selection == "auto" else bool(selection)


@dataclass(frozen=True)
class WriteOptions:
    """The user's write options (``fastpq.write``'s keywords), resolved per column on demand."""

    compression: object = "snappy"
    stats: object = "auto"
    dictionary: object = "auto"
    data_page_version: int = 1
    page_size: int = 1 << 20
    column_encoding: dict | None = None
    page_index: object = False
    page_checksum: bool = False
    row_group_offsets: object = None
    sorting_columns: object = None
    custom_metadata: dict | None = None
    write_index: object = None
    times: str = "int64"
    object_encoding: object = "infer"
    nullable: object = None
    overwrite: bool = True
    storage_options: dict | None = None
    partition_on: object = None
    file_scheme: str = "simple"
    append: object = False
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_call(cls, scope: dict) -> "WriteOptions":
        """The options among a public write function's arguments (its ``locals()``, taken first
        thing): every name that is a field."""
        return cls(**{f.name: scope[f.name] for f in fields(cls) if f.init and f.name in scope})

    def __post_init__(self):
        for name in ("data_page_version", "page_size", "row_group_offsets"):
            object.__setattr__(self, name, as_int(getattr(self, name)))
        if self.append and self.overwrite is False:
            raise ValueError("append=True adds to what is there and overwrite=False refuses to touch it: "
                             "drop overwrite=False to append, or append=True to write a new file")
        check_sorting_columns(self.sorting_columns)
        _check_row_group_offsets(self.row_group_offsets)
        if self.file_scheme not in ("simple", "hive", "drill"):
            raise ValueError(f"file_scheme must be 'simple', 'hive' or 'drill', not {self.file_scheme!r}")
        if self.data_page_version not in (1, 2):
            raise ValueError(f"data_page_version must be 1 or 2, not {self.data_page_version!r}")
        if not isinstance(self.page_size, int) or self.page_size <= 0:
            raise ValueError(f"page_size must be a positive int, not {self.page_size!r}")
        if self.column_encoding is not None and not isinstance(self.column_encoding, dict):
            raise TypeError("column_encoding must be a dict of column -> encoding name")
        dictionary = self.dictionary
        if not isinstance(dictionary, (list, tuple, set)) and dictionary not in ("auto", True, False):
            raise ValueError(f"dictionary must be 'auto', True, False or a list of columns, not {dictionary!r}")

    def check_codecs(self) -> None:
        """Refuse an unknown codec or level now (``for_column`` would find it at the first column):
        for a caller that checks options before any column exists (``fastpq.dask.to_parquet``)."""
        spec = self.compression
        specs = spec.values() if isinstance(spec, dict) and not _is_codec_spec(spec) else [spec]
        for one in specs:
            codec, level = parse_codec(one)
            codecs.compress(codec, b"", level)

    def check_columns(self, names) -> None:
        """ValueError naming the option and the columns it names that are not in ``names``
        (the labels and Parquet field names of the frame being written)."""
        for option, named in self._named_columns():
            unknown = [n for n in named if not _known(n, names)]
            if unknown:
                raise ValueError(f"{option}= names columns the DataFrame does not have: {unknown}")

    def _named_columns(self):
        """(option, [column names it gives]) of every per-column option."""
        for name in ("stats", "dictionary", "page_index", "nullable", "object_encoding", "compression",
                     "column_encoding"):
            value = getattr(self, name)
            if isinstance(value, dict) and name in _PER_COLUMN_DICTS and not _is_codec_spec(value):
                yield name, [k for k in value if k != "_default" or name not in _DEFAULT_KEY]
            elif isinstance(value, (list, tuple, set)) and name in _COLUMN_LISTS:
                yield name, list(value)
        for item in self.sorting_columns or ():
            if not hasattr(item, "column_index"):
                yield "sorting_columns", [item["column"] if isinstance(item, dict) else
                                          item[0] if isinstance(item, tuple) else item]

    def for_column(self, col) -> ColumnOptions:
        opts = self._cache.get(col.field_name)
        if opts is None:
            opts = self._cache[col.field_name] = self._resolve(col)
        return opts

    def _resolve(self, col) -> ColumnOptions:
        spec = self.compression if _is_codec_spec(self.compression) else \
            column_option(self.compression, col.label, col.field_name, "snappy", "_default")
        codec, level = parse_codec(spec)
        if codec == codecs.ZSTD and level is None:
            level = ZSTD_DEFAULT_LEVEL
        codecs.compress(codec, b"", level)          # validates the level early
        encoding = None
        name = column_option(self.column_encoding or {}, col.label, col.field_name, None, "_default")
        if name is not None:
            encoding = _ENCODINGS.get(str(name).upper())
            if encoding is None:
                raise ValueError(f"column {col.field_name!r}: unknown encoding {name!r}; "
                                 f"expected one of {sorted(_ENCODINGS)}")
        dictionary = self.dictionary
        if isinstance(dictionary, (list, tuple, set)):
            # a categorical keeps its dictionary unless dictionary=False
            dictionary = _in(dictionary, col, False) or ("auto" if col.ft.kind == "category" else False)
        return ColumnOptions(codec=codec, level=level, encoding=encoding, dictionary=dictionary,
                             data_page_version=self.data_page_version, page_size=self.page_size,
                             statistics=_in(self.stats, col, True), page_index=_in(self.page_index, col, False),
                             crc=bool(self.page_checksum))
