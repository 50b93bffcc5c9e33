"""fastpq: fast, exact Parquet for pandas 3.

    >>> import fastpq
    >>> pf = fastpq.ParquetFile("data.parquet")
    >>> pf.schema, pf.num_rows, pf.statistics
"""
from __future__ import annotations

from .errors import (
    ChecksumError,
    CorruptFileError,
    EncryptedFileError,
    ParquetError,
    PartitionError,
    PrecisionError,
    SchemaMismatchError,
    UnsupportedFeatureError,
)
from .file import ParquetFile

__version__ = "0.1.0"


def __getattr__(name):
    # The writer is imported on first use: ``import fastpq`` stays light.
    if name in ("write", "ParquetWriter"):
        from . import writer

        return getattr(writer, name)
    raise AttributeError(f"module 'fastpq' has no attribute {name!r}")

__all__ = [
    "ParquetFile",
    "ParquetWriter",
    "write",
    "ParquetError",
    "CorruptFileError",
    "ChecksumError",
    "EncryptedFileError",
    "UnsupportedFeatureError",
    "SchemaMismatchError",
    "PartitionError",
    "PrecisionError",
    "__version__",
]
