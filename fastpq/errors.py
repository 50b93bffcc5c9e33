"""fastpq's exceptions: one base, ``ParquetError``, and a subclass per kind of failure.

Corrupt input raises ``CorruptFileError`` carrying where it was found: the file,
the row group, the column path and the byte offset, whichever are known.
"""
from __future__ import annotations


class ParquetError(Exception):
    """Base of every error fastpq raises on purpose."""


class CorruptFileError(ParquetError, ValueError):
    """The bytes do not form valid Parquet: what was expected, what was found, and where."""

    def __init__(self, message: str, *, path=None, row_group=None, column=None, offset=None):
        self.reason = message
        self.path = path
        self.row_group = row_group
        self.column = column
        self.offset = offset
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(f"file {self.path!s}")
        if self.row_group is not None:
            where.append(f"row group {self.row_group}")
        if self.column is not None:
            col = ".".join(self.column) if isinstance(self.column, (list, tuple)) else self.column
            where.append(f"column {col!r}")
        if self.offset is not None:
            where.append(f"byte offset {self.offset}")
        return f"{self.reason} ({', '.join(where)})" if where else self.reason

    def located(self, *, path=None, row_group=None, column=None, offset=None) -> "CorruptFileError":
        """Fill in location fields that are still unknown and refresh the message."""
        if self.path is None:
            self.path = path
        if self.row_group is None:
            self.row_group = row_group
        if self.column is None:
            self.column = column
        if self.offset is None:
            self.offset = offset
        self.args = (self._format(),)
        return self


class UnsupportedFeatureError(ParquetError, NotImplementedError):
    """Valid Parquet that fastpq does not handle (encryption, LZO, ...)."""


class EncryptedFileError(UnsupportedFeatureError):
    """The file uses Parquet modular encryption, which fastpq does not support."""


class SchemaMismatchError(ParquetError, ValueError):
    """Two schemas that must agree do not (append, datasets): names the column and both types."""


class PartitionError(ParquetError, ValueError):
    """A dataset's partition layout is inconsistent or unparseable."""


class PrecisionError(ParquetError, ValueError):
    """Stored values have no exact representation in the requested pandas dtype."""


class ChecksumError(CorruptFileError):
    """A page's CRC-32 does not match its bytes."""


class FilterError(ParquetError, ValueError):
    """A ``filters`` expression is malformed or names a column the data does not have."""


class FilterTypeError(FilterError, TypeError):
    """A filter compares a column with a value of a type it cannot be compared with."""


class DecodedBytesLimitError(ParquetError):
    """A read would decode more than ``fastpq.options.max_decoded_bytes`` allows: a limit the caller
    sets (FASTPQ_MAX_DECODED_BYTES), not a verdict on the file. The message says how to raise it;
    ``limit``, ``used`` (decoded so far) and ``needed`` (more, refused) are in bytes."""

    def __init__(self, message: str, *, limit=None, used=None, needed=None):
        super().__init__(message)
        self.limit, self.used, self.needed = limit, used, needed


class FileChangedError(ParquetError):
    """A file changed (replaced, rewritten) after its footer was read: reading on would read
    the new bytes through the old footer. Open it again."""


class DiscoveryError(ParquetError, OSError):
    """A dataset directory cannot be listed as a dataset: a symbolic link loop, a link to
    nothing, a subdirectory that cannot be read."""
