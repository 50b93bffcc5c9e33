"""fastpq: fast, exact Parquet for pandas 3.

    >>> import fastpq
    >>> pf = fastpq.ParquetFile("data.parquet")
    >>> pf.schema, pf.num_rows, pf.statistics
"""
from __future__ import annotations

from .errors import (
    ChecksumError,
    CorruptFileError,
    DecodedBytesLimitError,
    DiscoveryError,
    EncryptedFileError,
    FileChangedError,
    FilterError,
    FilterTypeError,
    ParquetError,
    PartitionError,
    PrecisionError,
    SchemaMismatchError,
    UnsupportedFeatureError,
)
from . import options
from .file.reader import ParquetFile, ParquetFileView
from .format.keyvalue import ArrowSchemaWarning, PandasMetadataWarning

__version__ = "0.1.0"


def _filtered_read(pf, row_groups, **kwargs):
    # ParquetFile.to_pandas(filters=...): the dataset reader's one-file read, imported on first use
    from .api.read import read_file_filtered

    return read_file_filtered(pf, row_groups, **kwargs)


from .file import reader as _reader  # noqa: E402

_reader.FILTERED_READ = _filtered_read


def __getattr__(name):
    # The writer is imported on first use: ``import fastpq`` stays light.
    if name == "ParquetWriter":
        from .file.writer import ParquetWriter

        return ParquetWriter
    if name in ("write", "repair", "merge", "update_file_custom_metadata", "remove_row_groups",
                "compact"):  # fastpq.api's, defined without pandas
        from .api import write as api_write

        return getattr(api_write, name)
    if name == "ParquetDataset":  # imports pandas
        from .dataset.read import ParquetDataset

        return ParquetDataset
    if name == "warmup":  # fills numba's cache (imports pandas and numba)
        from .api.warmup import warmup

        return warmup
    if name == "read_parquet":  # imports pandas (its no_default is the dtype_backend default)
        from .api.read import read_parquet

        return read_parquet
    raise AttributeError(f"module 'fastpq' has no attribute {name!r}")


def __dir__():
    # the lazily imported names too (tab completion, help(), inspect)
    return sorted(set(globals()) | set(__all__))

__all__ = [
    "read_parquet",
    "ParquetFile",
    "ParquetFileView",
    "ParquetDataset",
    "ParquetWriter",
    "write",
    "repair",
    "merge",
    "update_file_custom_metadata",
    "remove_row_groups",
    "compact",
    "ParquetError",
    "CorruptFileError",
    "DecodedBytesLimitError",
    "ChecksumError",
    "EncryptedFileError",
    "UnsupportedFeatureError",
    "SchemaMismatchError",
    "PartitionError",
    "FilterError",
    "FilterTypeError",
    "PrecisionError",
    "FileChangedError",
    "DiscoveryError",
    "ArrowSchemaWarning",
    "PandasMetadataWarning",
    "options",
    "warmup",
    "__version__",
]
